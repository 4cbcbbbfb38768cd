/**
 * Cases of `sync_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { WebhookEvent } from "../app/sync.ts";
import type { Case } from "./case.ts";

function event(
  id: string,
  type: string,
  object: { id: string } & Record<string, unknown>,
): WebhookEvent {
  return { id, type, data: { object } };
}

/** 20 cases on webhook sync, idempotency, reference data and the audit log. */
export const cases: Case[] = [
  {
    name: "a webhook event is stored once, redeliveries are counted",
    async run(app): Promise<void> {
      const e = event("evt_1", "customer.created", {
        id: "cus_w1",
        email: "w1@x.test",
      });
      assert.equal(await app.sync.receive(e), true);
      assert.equal(await app.sync.receive(e), false);
      const [row] = await app.sql<{ attempts: number }[]>`
        select attempts from billing.webhook_events where id = 'evt_1'`;
      assert.equal(row?.attempts, 1);
    },
  },
  {
    name: "processing a customer event creates the local customer",
    async run(app): Promise<void> {
      await app.sync.receive(
        event("evt_2", "customer.created", {
          id: "cus_w2",
          email: "w2@x.test",
          name: "W",
        }),
      );
      assert.equal(await app.sync.process(), 1);
      assert.equal((await app.customers.get("cus_w2"))?.email, "w2@x.test");
      assert.equal(await app.sync.backlog(), 0);
    },
  },
  {
    name: "a later update event overwrites the customer",
    async run(app): Promise<void> {
      await app.sync.receive(
        event("evt_3a", "customer.created", {
          id: "cus_w3",
          email: "a@x.test",
        }),
      );
      await app.sync.receive(
        event("evt_3b", "customer.updated", {
          id: "cus_w3",
          email: "b@x.test",
        }),
      );
      assert.equal(await app.sync.process(), 2);
      assert.equal((await app.customers.get("cus_w3"))?.email, "b@x.test");
    },
  },
  {
    name: "a deleted event marks the customer deleted",
    async run(app): Promise<void> {
      await app.sync.receive(
        event("evt_4a", "customer.created", {
          id: "cus_w4",
          email: "d@x.test",
        }),
      );
      await app.sync.receive(
        event("evt_4b", "customer.deleted", { id: "cus_w4" }),
      );
      await app.sync.process();
      assert.equal((await app.customers.get("cus_w4"))?.deleted, true);
    },
  },
  {
    name: "product events upsert products",
    async run(app): Promise<void> {
      await app.sync.receive(
        event("evt_5a", "product.created", { id: "prod_w5", name: "Widget" }),
      );
      await app.sync.receive(
        event("evt_5b", "product.updated", {
          id: "prod_w5",
          name: "Widget 2",
          active: false,
        }),
      );
      await app.sync.process();
      assert.deepEqual(await app.catalog.activeProducts(), []);
      const [row] = await app.sql<{ name: string }[]>`
        select name from billing.products where id = 'prod_w5'`;
      assert.equal(row?.name, "Widget 2");
    },
  },
  {
    name: "events of other types are marked processed and change nothing",
    async run(app): Promise<void> {
      await app.sync.receive(
        event("evt_6", "charge.succeeded", { id: "ch_w6" }),
      );
      assert.equal(await app.sync.process(), 1);
      const [row] = await app.sql<
        { n: string }[]
      >`select count(*) as n from billing.charges`;
      assert.equal(row?.n, "0");
    },
  },
  {
    name: "processing takes at most its limit",
    async run(app): Promise<void> {
      for (let i = 0; i < 5; i++) {
        await app.sync.receive(
          event(`evt_7_${i}`, "customer.created", {
            id: `cus_w7_${i}`,
            email: `${i}@x.test`,
          }),
        );
      }
      assert.equal(await app.sync.process(3), 3);
      assert.equal(await app.sync.backlog(), 2);
      assert.equal(await app.sync.process(3), 2);
    },
  },
  {
    name: "concurrent processors apply each event once",
    async run(app): Promise<void> {
      for (let i = 0; i < 6; i++) {
        await app.sync.receive(
          event(`evt_8_${i}`, "customer.created", {
            id: `cus_w8_${i}`,
            email: `${i}@x.test`,
          }),
        );
      }
      const counts = await Promise.all([
        app.sync.process(6),
        app.sync.process(6),
      ]);
      assert.equal(counts[0]! + counts[1]!, 6);
      assert.equal(await app.sync.backlog(), 0);
    },
  },
  {
    name: "the backfill cursor never moves back",
    async run(app): Promise<void> {
      const t = Date.now();
      await app.sync.advance("customers", "cus_100", new Date(t));
      await app.sync.advance("customers", "cus_200", new Date(t + 1000));
      assert.equal(
        await app.sync.advance("customers", "cus_050", new Date(t - 1000)),
        "cus_200",
      );
    },
  },
  {
    name: "cursors are kept per resource",
    async run(app): Promise<void> {
      const now = new Date();
      await app.sync.advance("customers", "cus_1", now);
      await app.sync.advance("invoices", "in_1", now);
      const rows = await app.sql<{ resource: string }[]>`
        select resource from billing.sync_cursors order by resource`;
      assert.deepEqual(rows.map((r) => r.resource), ["customers", "invoices"]);
    },
  },
  {
    name: "an idempotent request runs its handler once",
    async run(app): Promise<void> {
      let calls = 0;
      const handler = () => Promise.resolve({ n: ++calls });
      const a = await app.sync.idempotent("key-1", { amount: 5 }, handler);
      const b = await app.sync.idempotent("key-1", { amount: 5 }, handler);
      assert.deepEqual([a, b, calls], [{ n: 1 }, { n: 1 }, 1]);
    },
  },
  {
    name: "an idempotency key reused with another body is refused",
    async run(app): Promise<void> {
      await app.sync.idempotent(
        "key-2",
        { amount: 5 },
        () => Promise.resolve({ ok: true }),
      );
      await assert.rejects(
        () =>
          app.sync.idempotent(
            "key-2",
            { amount: 6 },
            () => Promise.resolve({ ok: true }),
          ),
        /reused/,
      );
    },
  },
  {
    name: "an idempotent request creates its customer once",
    async run(app): Promise<void> {
      const body = { email: "idem@x.test" };
      const create = async () => ({
        id: (await app.customers.create(body)).id,
      });
      const a = await app.sync.idempotent("key-3", body, create);
      const b = await app.sync.idempotent("key-3", body, create);
      assert.equal(a.id, b.id);
      assert.equal((await app.customers.findByEmail("idem@x.test")).length, 1);
    },
  },
  {
    name: "amounts convert with the day's rate",
    async run(app): Promise<void> {
      const [row] = await app.sql<{ rate: string }[]>`
        select rate from billing.exchange_rates
        where base = 'usd' and quote = 'eur' and day = '2025-12-15'`;
      const expected = Math.round(10000 * Number(row!.rate));
      assert.equal(
        await app.sync.convert(10000, "usd", "eur", "2025-12-15"),
        expected,
      );
      assert.equal(
        await app.sync.convert(10000, "usd", "usd", "2025-12-15"),
        10000,
      );
    },
  },
  {
    name: "a day after the last rate uses the last rate",
    async run(app): Promise<void> {
      const last = await app.sync.convert(5000, "eur", "gbp", "2025-12-31");
      assert.equal(
        await app.sync.convert(5000, "eur", "gbp", "2026-02-01"),
        last,
      );
      await assert.rejects(
        () => app.sync.convert(1, "usd", "eur", "2024-01-01"),
        /no rate/,
      );
    },
  },
  {
    name: "the reference countries are seeded",
    async run(app): Promise<void> {
      const europe = await app.sync.countries("Europe", "eur");
      assert.ok(europe.length >= 1);
      const [row] = await app.sql<
        { n: string }[]
      >`select count(*) as n from billing.countries`;
      assert.equal(row?.n, "238");
    },
  },
  {
    name: "the audit log keeps actions in order",
    async run(app): Promise<void> {
      await app.sync.audit("ada", "create", "cus_a1");
      await app.sync.audit("ada", "update", "cus_a1", { field: "email" });
      await app.sync.audit("grace", "delete", "cus_a1");
      await app.sync.audit("grace", "create", "cus_a2");
      assert.deepEqual(await app.sync.history("cus_a1"), [
        "create",
        "update",
        "delete",
      ]);
    },
  },
  {
    name: "an inbox message is handled once",
    async run(app): Promise<void> {
      assert.equal(await app.sync.inbox("msg-1", "orders", { id: 1 }), true);
      assert.equal(await app.sync.inbox("msg-1", "orders", { id: 1 }), false);
      assert.equal(await app.sync.inbox("msg-2", "orders", { id: 2 }), true);
    },
  },
  {
    name: "a sync in one transaction is all or nothing",
    async run(app): Promise<void> {
      await assert.rejects(() =>
        app.sql.begin(async (tx) => {
          await tx`insert into billing.sync_cursors (resource, cursor) values ('plans', 'p1')`;
          await tx`insert into billing.sync_cursors (resource, cursor) values ('plans', 'p2')`;
        }), /duplicate key/);
      const [row] = await app.sql<
        { n: string }[]
      >`select count(*) as n from billing.sync_cursors`;
      assert.equal(row?.n, "0");
    },
  },
  {
    name: "the migrations are recorded",
    async run(app): Promise<void> {
      const [row] = await app.sql<{ n: string }[]>`
        select count(*) as n from public.schema_migrations`;
      assert.equal(row?.n, "40");
    },
  },
];

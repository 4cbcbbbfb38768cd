/**
 * Cases of `customers_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Case } from "./case.ts";

/** 20 cases on customers. */
export const cases: Case[] = [
  {
    name: "a new customer is stored with its fields",
    async run(app): Promise<void> {
      const c = await app.customers.create({
        email: "ada@example.com",
        name: "Ada",
        currency: "eur",
      });
      const stored = await app.customers.get(c.id);
      assert.equal(stored?.name, "Ada");
      assert.equal(stored?.currency, "eur");
      assert.equal(stored?.balance, "0");
    },
  },
  {
    name: "an email is unique per account, in any case",
    async run(app): Promise<void> {
      await app.customers.create({ email: "grace@example.com" });
      await assert.rejects(
        () => app.customers.create({ email: "Grace@Example.com" }),
        /is taken/,
      );
      await app.customers.create({
        email: "grace@example.com",
        account: "acct_eu",
      });
      assert.equal(
        (await app.customers.findByEmail("GRACE@example.com")).length,
        2,
      );
    },
  },
  {
    name: "customers are found by metadata",
    async run(app): Promise<void> {
      await app.customers.create({
        email: "a@x.test",
        metadata: { plan: "pro" },
      });
      await app.customers.create({
        email: "b@x.test",
        metadata: { plan: "free" },
      });
      await app.customers.create({
        email: "c@x.test",
        metadata: { plan: "pro", seats: "5" },
      });
      const pro = await app.customers.findByMetadata("plan", "pro");
      assert.deepEqual(pro.map((c) => c.email).sort(), [
        "a@x.test",
        "c@x.test",
      ]);
    },
  },
  {
    name: "an update changes only the given fields",
    async run(app): Promise<void> {
      const c = await app.customers.create({
        email: "old@x.test",
        name: "Old",
      });
      const updated = await app.customers.update(c.id, { email: "new@x.test" });
      assert.equal(updated.email, "new@x.test");
      assert.equal(updated.name, "Old");
      assert.equal(updated.tax_exempt, "none");
    },
  },
  {
    name: "the tax status is checked by the database",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "tax@x.test" });
      await app.customers.update(c.id, { tax_exempt: "reverse" });
      await assert.rejects(
        () => app.customers.update(c.id, { tax_exempt: "maybe" }),
        /check constraint/,
      );
      assert.equal((await app.customers.get(c.id))?.tax_exempt, "reverse");
    },
  },
  {
    name: "a deleted customer's email can be used again",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "again@x.test" });
      await app.customers.remove(c.id);
      const d = await app.customers.create({ email: "again@x.test" });
      assert.notEqual(c.id, d.id);
      assert.deepEqual(
        (await app.customers.findByEmail("again@x.test")).map((x) => x.id),
        [d.id],
      );
    },
  },
  {
    name: "customers are listed newest first, page by page",
    async run(app): Promise<void> {
      for (let i = 0; i < 7; i++) {
        await app.customers.create({ email: `page${i}@x.test` });
      }
      const first = await app.customers.list("acct_default", 3);
      const second = await app.customers.list(
        "acct_default",
        3,
        first.at(-1)!.id,
      );
      const third = await app.customers.list(
        "acct_default",
        3,
        second.at(-1)!.id,
      );
      assert.equal(first.length + second.length + third.length, 7);
      assert.equal(
        new Set([...first, ...second, ...third].map((c) => c.id)).size,
        7,
      );
    },
  },
  {
    name:
      "addresses: one billing and one shipping address, with the country's region",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "addr@x.test" });
      await app.customers.setAddress(c.id, "billing", {
        line1: "1 Main St",
        city: "Berlin",
        postal_code: "10115",
        country: "DE",
      });
      await app.customers.setAddress(c.id, "shipping", {
        line1: "2 Side St",
        city: "Paris",
        postal_code: "75001",
        country: "FR",
      });
      await app.customers.setAddress(c.id, "billing", {
        line1: "3 New St",
        city: "Munich",
        postal_code: "80331",
        country: "DE",
      });
      const addresses = await app.customers.addresses(c.id);
      assert.deepEqual(addresses.map((a) => [a.kind, a.city, a.eu]), [
        ["billing", "Munich", true],
        ["shipping", "Paris", true],
      ]);
    },
  },
  {
    name: "an address in an unknown country is refused",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "nowhere@x.test" });
      await assert.rejects(
        () =>
          app.customers.setAddress(c.id, "billing", {
            line1: "x",
            city: "y",
            postal_code: "z",
            country: "zz",
          }),
        /foreign key/,
      );
      assert.deepEqual(await app.customers.addresses(c.id), []);
    },
  },
  {
    name: "the first card becomes the default",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "card@x.test" });
      const first = await app.customers.attachCard(c.id, {
        brand: "visa",
        last4: "4242",
        exp_month: 12,
        exp_year: 2030,
      });
      await app.customers.attachCard(c.id, {
        brand: "mastercard",
        last4: "4444",
        exp_month: 1,
        exp_year: 2031,
      });
      const methods = await app.customers.paymentMethods(c.id);
      assert.equal(methods[0]?.id, first);
      assert.deepEqual(methods.map((m) => m.is_default), [true, false]);
    },
  },
  {
    name: "switching the default card keeps exactly one default",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "switch@x.test" });
      await app.customers.attachCard(c.id, {
        brand: "visa",
        last4: "1111",
        exp_month: 2,
        exp_year: 2030,
      });
      const second = await app.customers.attachCard(c.id, {
        brand: "amex",
        last4: "0005",
        exp_month: 3,
        exp_year: 2030,
      });
      await app.customers.setDefaultPaymentMethod(c.id, second);
      const methods = await app.customers.paymentMethods(c.id);
      assert.deepEqual(methods.map((m) => [m.last4, m.is_default]), [
        ["0005", true],
        ["1111", false],
      ]);
    },
  },
  {
    name: "a card of another customer cannot become the default",
    async run(app): Promise<void> {
      const a = await app.customers.create({ email: "a1@x.test" });
      const b = await app.customers.create({ email: "b1@x.test" });
      const card = await app.customers.attachCard(a.id, {
        brand: "visa",
        last4: "4242",
        exp_month: 4,
        exp_year: 2030,
      });
      await assert.rejects(
        () => app.customers.setDefaultPaymentMethod(b.id, card),
        /no payment method/,
      );
      assert.equal(
        (await app.customers.paymentMethods(a.id))[0]?.is_default,
        true,
      );
    },
  },
  {
    name: "removing a customer detaches its cards",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "detach@x.test" });
      await app.customers.attachCard(c.id, {
        brand: "visa",
        last4: "4242",
        exp_month: 5,
        exp_year: 2030,
      });
      await app.customers.remove(c.id);
      assert.deepEqual(await app.customers.paymentMethods(c.id), []);
      assert.equal((await app.customers.get(c.id))?.deleted, true);
    },
  },
  {
    name: "tax ids are unique per customer and type",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "vat@x.test" });
      await app.customers.addTaxId(c.id, "eu_vat", "DE123456789");
      await app.customers.addTaxId(c.id, "gb_vat", "GB123456789");
      await assert.rejects(
        () => app.customers.addTaxId(c.id, "eu_vat", "DE123456789"),
        /duplicate key/,
      );
      assert.equal((await app.customers.taxIds(c.id)).length, 2);
    },
  },
  {
    name: "balance adjustments are recorded with the running balance",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "bal@x.test" });
      await app.customers.adjustBalance(c.id, -500, "adjustment");
      await app.customers.adjustBalance(c.id, 200, "applied_to_invoice");
      const balance = await app.customers.adjustBalance(
        c.id,
        -50,
        "credit_note",
      );
      assert.equal(balance, -350);
      assert.deepEqual(
        (await app.customers.balanceHistory(c.id)).map((t) => t.ending_balance),
        [-500, -300, -350],
      );
    },
  },
  {
    name: "balance adjustments of concurrent requests all count",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "race@x.test" });
      await Promise.all(
        Array.from(
          { length: 8 },
          () => app.customers.adjustBalance(c.id, 10, "adjustment"),
        ),
      );
      assert.equal((await app.customers.get(c.id))?.balance, "80");
      assert.equal((await app.customers.balanceHistory(c.id)).length, 8);
    },
  },
  {
    name: "a balance adjustment of an unknown customer changes nothing",
    async run(app): Promise<void> {
      await assert.rejects(
        () => app.customers.adjustBalance("cus_missing", 10, "adjustment"),
        /no customer/,
      );
      assert.deepEqual(await app.customers.balanceHistory("cus_missing"), []);
    },
  },
  {
    name: "granted features are listed once",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "feat@x.test" });
      await app.customers.grant(c.id, "api");
      await app.customers.grant(c.id, "sso");
      await app.customers.grant(c.id, "api");
      assert.deepEqual(await app.customers.features(c.id), ["api", "sso"]);
    },
  },
  {
    name: "an unknown feature grants nothing",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "nofeat@x.test" });
      await app.customers.grant(c.id, "teleport");
      assert.deepEqual(await app.customers.features(c.id), []);
    },
  },
  {
    name: "the updated time moves on update",
    async run(app): Promise<void> {
      const c = await app.customers.create({ email: "touch@x.test" });
      const [before] = await app.sql<{ updated: Date }[]>`
        select updated from billing.customers where id = ${c.id}`;
      await app.customers.update(c.id, { name: "Touched" });
      const [after] = await app.sql<{ updated: Date }[]>`
        select updated from billing.customers where id = ${c.id}`;
      assert.ok(after!.updated.getTime() >= before!.updated.getTime());
      assert.equal((await app.customers.get(c.id))?.name, "Touched");
    },
  },
];

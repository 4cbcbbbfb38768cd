/**
 * Cases of `workflows_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { App } from "../app/mod.ts";
import type { Case } from "./case.ts";

/** A registered three-step workflow's version id. */
async function version(app: App, name = "onboarding"): Promise<string> {
  return (await app.workflows.register(name, ["fetch", "transform", "store"]))
    .version;
}

/** 20 cases on the workflow engine. */
export const cases: Case[] = [
  {
    name: "registering the same definition twice keeps one version",
    async run(app): Promise<void> {
      const a = await app.workflows.register("sync", ["a", "b"]);
      const b = await app.workflows.register("sync", ["a", "b"]);
      const c = await app.workflows.register("sync", ["a", "b", "c"]);
      assert.equal(a.version, b.version);
      assert.deepEqual([a.number, c.number], [1, 2]);
    },
  },
  {
    name: "a started run is pending with its steps",
    async run(app): Promise<void> {
      const run = await app.workflows.start(await version(app), { user: 1 });
      assert.deepEqual(await app.workflows.status(run), {
        status: "pending",
        attempt: 1,
        steps: ["fetch:pending", "transform:pending", "store:pending"],
      });
      assert.deepEqual(await app.workflows.events(run), ["run.created"]);
    },
  },
  {
    name: "an idempotency key starts one run",
    async run(app): Promise<void> {
      const v = await version(app);
      const a = await app.workflows.start(v, { n: 1 }, { key: "order-7" });
      const b = await app.workflows.start(v, { n: 2 }, { key: "order-7" });
      assert.equal(a, b);
      const [row] = await app.sql<
        { n: string }[]
      >`select count(*) as n from jobs.runs`;
      assert.equal(row?.n, "1");
    },
  },
  {
    name: "a worker claims the highest priority first",
    async run(app): Promise<void> {
      const v = await version(app);
      await app.workflows.start(v, {}, { priority: 1 });
      const urgent = await app.workflows.start(v, {}, { priority: 9 });
      const worker = await app.workflows.worker("host-a", ["default"]);
      assert.equal((await app.workflows.claim("default", worker))?.id, urgent);
    },
  },
  {
    name: "two workers never claim the same run",
    async run(app): Promise<void> {
      const v = await version(app);
      for (let i = 0; i < 4; i++) await app.workflows.start(v, { i });
      const workers = await Promise.all(
        ["h1", "h2", "h3", "h4"].map((h) =>
          app.workflows.worker(h, ["default"])
        ),
      );
      const claimed = await Promise.all(
        workers.map((w) => app.workflows.claim("default", w)),
      );
      const ids = claimed.map((r) => r?.id).filter((id) => id !== undefined);
      assert.equal(new Set(ids).size, ids.length);
      assert.ok(ids.length >= 1);
    },
  },
  {
    name: "a run on another queue is not claimed",
    async run(app): Promise<void> {
      await app.workflows.start(await version(app), {}, { queue: "critical" });
      const worker = await app.workflows.worker("host-b", ["default"]);
      assert.equal(await app.workflows.claim("default", worker), undefined);
      assert.ok(await app.workflows.claim("critical", worker));
    },
  },
  {
    name: "completing every step completes the run and fills the outbox",
    async run(app): Promise<void> {
      const run = await app.workflows.start(await version(app), {});
      const worker = await app.workflows.worker("host-c", ["default"]);
      await app.workflows.claim("default", worker);
      assert.equal(
        await app.workflows.completeStep(run, "fetch", { rows: 3 }),
        false,
      );
      assert.equal(
        await app.workflows.completeStep(run, "transform", {}),
        false,
      );
      assert.equal(
        await app.workflows.completeStep(run, "store", { ok: true }),
        true,
      );
      assert.equal((await app.workflows.status(run)).status, "completed");
      assert.deepEqual(await app.workflows.publish(10), [{
        topic: "runs",
        key: run,
      }]);
    },
  },
  {
    name: "a step completes once",
    async run(app): Promise<void> {
      const run = await app.workflows.start(await version(app), {});
      await app.workflows.completeStep(run, "fetch", {});
      await assert.rejects(
        () => app.workflows.completeStep(run, "fetch", {}),
        /not pending/,
      );
    },
  },
  {
    name: "a failed step is retried, then dead-lettered",
    async run(app): Promise<void> {
      const run = await app.workflows.start(await version(app), {});
      assert.equal(
        await app.workflows.failStep(run, "fetch", "timeout"),
        "pending",
      );
      assert.equal(
        await app.workflows.failStep(run, "fetch", "timeout"),
        "pending",
      );
      assert.equal(
        await app.workflows.failStep(run, "fetch", "gave up"),
        "failed",
      );
      assert.deepEqual(await app.workflows.deadLetters(), ["gave up"]);
      assert.equal((await app.workflows.status(run)).attempt, 3);
    },
  },
  {
    name: "a retried run can be claimed again",
    async run(app): Promise<void> {
      const run = await app.workflows.start(await version(app), {});
      const worker = await app.workflows.worker("host-d", ["default"]);
      await app.workflows.claim("default", worker);
      await app.workflows.failStep(run, "fetch", "flaky");
      const again = await app.workflows.claim("default", worker);
      assert.equal(again?.id, run);
      assert.equal(again?.attempt, 2);
    },
  },
  {
    name: "signals are consumed in order, once",
    async run(app): Promise<void> {
      const run = await app.workflows.start(await version(app), {});
      await app.workflows.signal(run, "approve", { by: "ada" });
      await app.workflows.signal(run, "approve", { by: "grace" });
      assert.deepEqual(await app.workflows.consumeSignal(run, "approve"), {
        by: "ada",
      });
      assert.deepEqual(await app.workflows.consumeSignal(run, "approve"), {
        by: "grace",
      });
      assert.equal(
        await app.workflows.consumeSignal(run, "approve"),
        undefined,
      );
    },
  },
  {
    name: "a sleeping run wakes when its timer fires",
    async run(app): Promise<void> {
      const run = await app.workflows.start(await version(app), {});
      const wake = new Date(Date.now() + 60_000);
      await app.workflows.sleep(run, "transform", wake);
      assert.equal((await app.workflows.status(run)).status, "sleeping");
      assert.deepEqual(await app.workflows.fireTimers(new Date()), []);
      assert.deepEqual(
        await app.workflows.fireTimers(new Date(wake.getTime() + 1)),
        [run],
      );
      assert.equal((await app.workflows.status(run)).status, "pending");
    },
  },
  {
    name: "a timer fires once",
    async run(app): Promise<void> {
      const run = await app.workflows.start(await version(app), {});
      await app.workflows.sleep(run, "fetch", new Date(Date.now() - 1000));
      assert.deepEqual(await app.workflows.fireTimers(new Date()), [run]);
      assert.deepEqual(await app.workflows.fireTimers(new Date()), []);
    },
  },
  {
    name: "a lock is held by one owner until it expires",
    async run(app): Promise<void> {
      assert.equal(await app.workflows.lock("nightly", "a", 60_000), true);
      assert.equal(await app.workflows.lock("nightly", "b", 60_000), false);
      assert.equal(await app.workflows.lock("nightly", "a", 60_000), true);
      assert.equal(await app.workflows.unlock("nightly", "b"), false);
      assert.equal(await app.workflows.unlock("nightly", "a"), true);
      assert.equal(await app.workflows.lock("nightly", "b", 60_000), true);
    },
  },
  {
    name: "an expired lock is taken over",
    async run(app): Promise<void> {
      assert.equal(await app.workflows.lock("report", "a", 1), true);
      await app.sql`select pg_sleep(0.01)`;
      assert.equal(await app.workflows.lock("report", "b", 60_000), true);
      assert.equal(await app.workflows.unlock("report", "a"), false);
    },
  },
  {
    name: "cancelling a run cancels its children",
    async run(app): Promise<void> {
      const v = await version(app);
      const parent = await app.workflows.start(v, {});
      const child = await app.workflows.start(v, {}, { parent });
      await app.workflows.start(v, {}, { parent: child });
      const other = await app.workflows.start(v, {});
      assert.equal(await app.workflows.cancel(parent, "user request"), 3);
      assert.equal((await app.workflows.status(other)).status, "pending");
    },
  },
  {
    name: "runs are counted by tag and status",
    async run(app): Promise<void> {
      const v = await version(app);
      const a = await app.workflows.start(v, {}, { tags: ["nightly"] });
      await app.workflows.start(v, {}, { tags: ["nightly", "backfill"] });
      await app.workflows.start(v, {}, { tags: ["manual"] });
      await app.workflows.cancel(a, "test");
      assert.deepEqual(await app.workflows.countByTag("nightly"), {
        cancelled: 1,
        pending: 1,
      });
    },
  },
  {
    name: "due schedules advance by a day",
    async run(app): Promise<void> {
      await version(app, "daily-report");
      await version(app, "weekly-digest");
      const now = new Date();
      await app.workflows.schedule(
        "daily-report",
        "0 6 * * *",
        new Date(now.getTime() - 1000),
      );
      await app.workflows.schedule(
        "weekly-digest",
        "0 6 * * 1",
        new Date(now.getTime() + 3_600_000),
      );
      assert.deepEqual(await app.workflows.dueSchedules(now), ["daily-report"]);
      assert.deepEqual(await app.workflows.dueSchedules(now), []);
    },
  },
  {
    name: "the outbox publishes oldest first, in batches",
    async run(app): Promise<void> {
      const v = await version(app);
      for (let i = 0; i < 3; i++) {
        const run = await app.workflows.start(v, {});
        for (const step of ["fetch", "transform", "store"]) {
          await app.workflows.completeStep(run, step, {});
        }
      }
      assert.equal((await app.workflows.publish(2)).length, 2);
      assert.equal((await app.workflows.publish(2)).length, 1);
      assert.equal((await app.workflows.publish(2)).length, 0);
    },
  },
  {
    name: "a run of an unknown version is refused and leaves nothing",
    async run(app): Promise<void> {
      await assert.rejects(
        () => app.workflows.start("999999", {}),
        /foreign key|violates/,
      );
      const [row] = await app.sql<{ n: string }[]>`
        select (select count(*) from jobs.runs) + (select count(*) from jobs.events) as n`;
      assert.equal(row?.n, "0");
    },
  },
];

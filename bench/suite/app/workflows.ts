/**
 * The workflow engine: workflows and their versions, runs claimed by
 * workers, steps with retried attempts, events, signals, timers, locks and
 * the outbox.
 *
 * @module
 */

import type { Sql } from "./pool.ts";

/** A run row. */
export interface Run {
  id: string;
  status: string;
  priority: number;
  attempt: number;
  queue_id: number;
}

/** Workflow operations on the app's pool. */
export class Workflows {
  #sql: Sql;

  /**
   * @param sql The app's pool.
   */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * Registers a workflow's definition: a new version when it changed.
   *
   * @param name The workflow's name (in the `default` namespace).
   * @param steps Its step names.
   * @returns The version id and number.
   */
  async register(
    name: string,
    steps: string[],
  ): Promise<{ version: string; number: number }> {
    const definition = { steps };
    const checksum = JSON.stringify(definition);
    return await this.#sql.begin(async (tx) => {
      const [wf] = await tx<{ id: string }[]>`
        insert into jobs.workflows (namespace_id, name)
        select id, ${name} from jobs.namespaces where name = 'default'
        on conflict (namespace_id, name) do update set description = jobs.workflows.description
        returning id`;
      const [same] = await tx<{ id: string; version: number }[]>`
        select id, version from jobs.workflow_versions
        where workflow_id = ${wf!.id} order by version desc limit 1`;
      if (same) {
        const [def] = await tx<{ checksum: string }[]>`
          select checksum from jobs.workflow_versions where id = ${same.id}`;
        if (def!.checksum === checksum) {
          return { version: same.id, number: same.version };
        }
      }
      const number = (same?.version ?? 0) + 1;
      const [v] = await tx<{ id: string }[]>`
        insert into jobs.workflow_versions (workflow_id, version, definition, checksum)
        values (${wf!.id}, ${number}, ${
        tx.json(definition)
      }, ${checksum}) returning id`;
      return { version: v!.id, number };
    });
  }

  /**
   * Starts a run of a version on a queue; a repeated idempotency key returns
   * the first run.
   *
   * @param version The workflow version id.
   * @param input The run's input.
   * @param options Queue, priority, idempotency key, tags.
   * @returns The run id.
   */
  async start(
    version: string,
    input: Record<string, unknown>,
    options: {
      queue?: string;
      priority?: number;
      key?: string;
      tags?: string[];
      parent?: string;
    } = {},
  ): Promise<string> {
    return await this.#sql.begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`
        insert into jobs.runs (workflow_version_id, queue_id, priority, idempotency_key, parent_run_id)
        select ${version}, q.id, ${options.priority ?? 0}, ${
        options.key ?? null
      }, ${options.parent ?? null}
        from jobs.queues q where q.name = ${options.queue ?? "default"}
        on conflict (workflow_version_id, idempotency_key) where idempotency_key is not null
        do nothing returning id`;
      if (!row) {
        const [first] = await tx<{ id: string }[]>`
          select id from jobs.runs where workflow_version_id = ${version}
            and idempotency_key = ${options.key!}`;
        return first!.id;
      }
      await tx`insert into jobs.run_inputs (run_id, input) values (${row.id}, ${
        tx.json(input as never)
      })`;
      const [steps] = await tx<{ definition: { steps: string[] } }[]>`
        select definition from jobs.workflow_versions where id = ${version}`;
      const names = steps!.definition.steps;
      await tx`insert into jobs.steps ${
        tx(
          names.map((name, position) => ({ run_id: row.id, name, position })),
          "run_id",
          "name",
          "position",
        )
      }`;
      for (const tag of options.tags ?? []) {
        await tx`insert into jobs.run_tags (run_id, tag_id)
          select ${row.id}, id from jobs.tags where name = ${tag}`;
      }
      await tx`insert into jobs.events (run_id, type) values (${row.id}, 'run.created')`;
      return row.id;
    });
  }

  /**
   * Claims the next pending run of a queue for a worker (highest priority,
   * oldest first; runs locked by another claimer are skipped).
   *
   * @param queue The queue's name.
   * @param worker The worker's id.
   * @returns The claimed run, or undefined.
   */
  async claim(queue: string, worker: string): Promise<Run | undefined> {
    return await this.#sql.begin(async (tx) => {
      const [row] = await tx<Run[]>`
        update jobs.runs set status = 'running', started_at = now(), worker_id = ${worker},
          timeout_at = now() + interval '5 minutes'
        where id = (
          select r.id from jobs.runs r join jobs.queues q on q.id = r.queue_id
          where q.name = ${queue} and not q.paused and r.status = 'pending'
            and r.scheduled_for <= now()
          order by r.priority desc, r.scheduled_for, r.created
          for update of r skip locked limit 1
        ) returning id, status, priority, attempt, queue_id`;
      if (row) {
        await tx`insert into jobs.events (run_id, type, data)
          values (${row.id}, 'run.started', ${tx.json({ worker })})`;
        await tx`insert into jobs.heartbeats (worker_id, run_id) values (${worker}, ${row.id})
          on conflict (worker_id, run_id) do update set beat_at = now()`;
      }
      return row;
    });
  }

  /**
   * Registers a worker.
   *
   * @param hostname Where it runs.
   * @param queues The queues it serves.
   * @returns Its id.
   */
  async worker(hostname: string, queues: string[]): Promise<string> {
    const [row] = await this.#sql<{ id: string }[]>`
      insert into jobs.workers (hostname, queues) values (${hostname}, ${queues}) returning id`;
    return row!.id;
  }

  /**
   * Completes a step with its output; the run completes with its last step.
   *
   * @param run The run id.
   * @param step The step's name.
   * @param output What it returned.
   * @returns Whether the run is now complete.
   */
  async completeStep(
    run: string,
    step: string,
    output: Record<string, unknown>,
  ): Promise<boolean> {
    return await this.#sql.begin(async (tx) => {
      const [s] = await tx<{ id: string }[]>`
        update jobs.steps set status = 'completed', output = ${
        tx.json(output as never)
      },
          started_at = coalesce(started_at, now()), finished_at = now()
        where run_id = ${run} and name = ${step} and status <> 'completed' returning id`;
      if (!s) throw new Error(`step ${step} of ${run} is not pending`);
      await tx`insert into jobs.step_attempts (step_id, attempt, finished_at)
        values (${s.id}, (select count(*) + 1 from jobs.step_attempts where step_id = ${s.id}), now())`;
      await tx`insert into jobs.step_logs (step_id, message) values (${s.id}, 'completed')`;
      const [left] = await tx<{ n: string }[]>`
        select count(*) as n from jobs.steps where run_id = ${run} and status <> 'completed'`;
      if (Number(left!.n) > 0) return false;
      await tx`update jobs.runs set status = 'completed', finished_at = now() where id = ${run}`;
      await tx`insert into jobs.run_outputs (run_id, output) values (${run}, ${
        tx.json(output as never)
      })`;
      await tx`insert into jobs.events (run_id, type) values (${run}, 'run.completed')`;
      await tx`insert into jobs.outbox (topic, key, payload)
        values ('runs', ${run}, ${tx.json({ run, status: "completed" })})`;
      return true;
    });
  }

  /**
   * Records a failed attempt of a step: the run goes back to pending after a
   * backoff, or fails to the dead letters after the last attempt.
   *
   * @param run The run id.
   * @param step The step's name.
   * @param error What went wrong.
   * @param maxAttempts Attempts allowed.
   * @returns The run's status after it.
   */
  async failStep(
    run: string,
    step: string,
    error: string,
    maxAttempts = 3,
  ): Promise<string> {
    return await this.#sql.begin(async (tx) => {
      const [s] = await tx<{ id: string }[]>`
        select id from jobs.steps where run_id = ${run} and name = ${step}`;
      const [a] = await tx<{ attempt: number }[]>`
        insert into jobs.step_attempts (step_id, attempt, error, finished_at)
        values (${
        s!.id
      }, (select count(*) + 1 from jobs.step_attempts where step_id = ${
        s!.id
      }), ${error}, now())
        returning attempt`;
      if (a!.attempt >= maxAttempts) {
        await tx`update jobs.steps set status = 'failed' where id = ${s!.id}`;
        await tx`update jobs.runs set status = 'failed', finished_at = now() where id = ${run}`;
        await tx`insert into jobs.dead_letters (run_id, reason, payload)
          values (${run}, ${error}, ${
          tx.json({ step, attempts: a!.attempt })
        })`;
        await tx`insert into jobs.run_outputs (run_id, error) values (${run}, ${
          tx.json({ error })
        })`;
        return "failed";
      }
      await tx`update jobs.runs set status = 'pending', attempt = attempt + 1,
        scheduled_for = now() - interval '1 second', worker_id = null where id = ${run}`;
      await tx`insert into jobs.events (run_id, type, data)
        values (${run}, 'step.retry', ${
        tx.json({ step, attempt: a!.attempt })
      })`;
      return "pending";
    });
  }

  /**
   * @param run The run id.
   * @returns The run with its steps' statuses, in order.
   */
  async status(
    run: string,
  ): Promise<{ status: string; attempt: number; steps: string[] }> {
    const [r] = await this.#sql<{ status: string; attempt: number }[]>`
      select status, attempt from jobs.runs where id = ${run}`;
    const steps = await this.#sql<{ name: string; status: string }[]>`
      select name, status from jobs.steps where run_id = ${run} order by position`;
    return {
      status: r!.status,
      attempt: r!.attempt,
      steps: steps.map((s) => `${s.name}:${s.status}`),
    };
  }

  /**
   * @param run The run id.
   * @returns Its event types, in order.
   */
  async events(run: string): Promise<string[]> {
    const rows = await this.#sql<{ type: string }[]>`
      select type from jobs.events where run_id = ${run} order by id`;
    return rows.map((r) => r.type);
  }

  /**
   * Sends a signal to a run.
   *
   * @param run The run id.
   * @param name The signal's name.
   * @param payload Its payload.
   */
  async signal(
    run: string,
    name: string,
    payload: Record<string, unknown>,
  ): Promise<void> {
    await this.#sql`insert into jobs.signals (run_id, name, payload)
      values (${run}, ${name}, ${this.#sql.json(payload as never)})`;
  }

  /**
   * Takes the oldest pending signal of that name.
   *
   * @param run The run id.
   * @param name The signal's name.
   * @returns Its payload, or undefined.
   */
  async consumeSignal(
    run: string,
    name: string,
  ): Promise<Record<string, unknown> | undefined> {
    const [row] = await this.#sql<{ payload: Record<string, unknown> }[]>`
      update jobs.signals set consumed_at = now()
      where id = (select id from jobs.signals where run_id = ${run} and name = ${name}
        and consumed_at is null order by id for update skip locked limit 1)
      returning payload`;
    return row?.payload;
  }

  /**
   * Puts a run to sleep until a time.
   *
   * @param run The run id.
   * @param step The sleeping step.
   * @param until When it wakes.
   */
  async sleep(run: string, step: string, until: Date): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`insert into jobs.timers (run_id, step_name, fires_at) values (${run}, ${step}, ${until})`;
      await tx`update jobs.runs set status = 'sleeping' where id = ${run}`;
    });
  }

  /**
   * Fires the timers due by `now`: their runs become pending.
   *
   * @param now The time to compare with.
   * @returns The runs woken.
   */
  async fireTimers(now: Date): Promise<string[]> {
    return await this.#sql.begin(async (tx) => {
      const rows = await tx<{ run_id: string }[]>`
        update jobs.timers set fired = true
        where id in (select id from jobs.timers where not fired and fires_at <= ${now}
          for update skip locked)
        returning run_id`;
      const runs = [...new Set(rows.map((r) => r.run_id))];
      if (runs.length) {
        await tx`update jobs.runs set status = 'pending' where id = any(${runs}::uuid[])`;
      }
      return runs.sort();
    });
  }

  /**
   * Takes a lock with an expiry; an expired lock can be taken over.
   *
   * @param key The lock's key.
   * @param owner Who takes it.
   * @param ttlMs How long it holds.
   * @returns Whether `owner` holds it now.
   */
  async lock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const rows = await this.#sql`
      insert into jobs.locks (key, owner, expires_at)
      values (${key}, ${owner}, now() + ${ttlMs} * interval '1 millisecond')
      on conflict (key) do update set owner = excluded.owner, expires_at = excluded.expires_at
      where jobs.locks.expires_at < now() or jobs.locks.owner = excluded.owner
      returning owner`;
    return rows.length === 1;
  }

  /**
   * Releases a lock held by `owner`.
   *
   * @param key The lock's key.
   * @param owner Its holder.
   * @returns Whether it was held by `owner`.
   */
  async unlock(key: string, owner: string): Promise<boolean> {
    const done = await this
      .#sql`delete from jobs.locks where key = ${key} and owner = ${owner}`;
    return done.count === 1;
  }

  /**
   * Publishes up to `limit` outbox messages, oldest first.
   *
   * @param limit At most this many.
   * @returns Their topics and keys.
   */
  async publish(
    limit: number,
  ): Promise<{ topic: string; key: string | null }[]> {
    return [
      ...await this.#sql<{ topic: string; key: string | null }[]>`
      update jobs.outbox set published_at = now()
      where id in (select id from jobs.outbox where published_at is null order by id limit ${limit}
        for update skip locked)
      returning topic, key`,
    ];
  }

  /**
   * Cancels a run and its children.
   *
   * @param run The run id.
   * @param reason Why.
   * @returns How many runs were cancelled.
   */
  async cancel(run: string, reason: string): Promise<number> {
    return await this.#sql.begin(async (tx) => {
      const rows = await tx<{ id: string }[]>`
        with recursive tree(id) as (
          select ${run}::uuid union select r.id from jobs.runs r join tree t on r.parent_run_id = t.id
        )
        update jobs.runs set status = 'cancelled', finished_at = now()
        where id in (select id from tree) and status in ('pending', 'running', 'sleeping')
        returning id`;
      for (const r of rows) {
        await tx`insert into jobs.cancellations (run_id, reason, requested_by) values (${r.id}, ${reason}, 'api')`;
      }
      return rows.length;
    });
  }

  /**
   * @param tag A tag name.
   * @returns The number of runs by status with that tag.
   */
  async countByTag(tag: string): Promise<Record<string, number>> {
    const rows = await this.#sql<{ status: string; n: string }[]>`
      select r.status, count(*) as n from jobs.runs r
      join jobs.run_tags rt on rt.run_id = r.id join jobs.tags t on t.id = rt.tag_id
      where t.name = ${tag} group by r.status`;
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /**
   * Adds a cron schedule to a workflow.
   *
   * @param workflow The workflow's name.
   * @param cron The cron expression.
   * @param next When it first runs.
   */
  async schedule(workflow: string, cron: string, next: Date): Promise<void> {
    await this.#sql`insert into jobs.schedules (workflow_id, cron, next_run_at)
      select id, ${cron}, ${next} from jobs.workflows where name = ${workflow}`;
  }

  /**
   * The schedules due by `now`, advanced by a day each.
   *
   * @param now The time to compare with.
   * @returns The due workflows' names.
   */
  async dueSchedules(now: Date): Promise<string[]> {
    const rows = await this.#sql<{ name: string }[]>`
      update jobs.schedules s set next_run_at = s.next_run_at + interval '1 day'
      from jobs.workflows w
      where w.id = s.workflow_id and s.enabled and s.next_run_at <= ${now}
      returning w.name`;
    return rows.map((r) => r.name).sort();
  }

  /**
   * @returns Dead-lettered runs' reasons, oldest first.
   */
  async deadLetters(): Promise<string[]> {
    const rows = await this.#sql<{ reason: string }[]>`
      select reason from jobs.dead_letters order by id`;
    return rows.map((r) => r.reason);
  }

  /**
   * Pauses or resumes a queue.
   *
   * @param queue The queue's name.
   * @param paused Whether it is paused.
   */
  async pause(queue: string, paused: boolean): Promise<void> {
    await this
      .#sql`update jobs.queues set paused = ${paused} where name = ${queue}`;
  }
}

/**
 * The sync side: webhook events received from the payment provider, applied
 * to the local copies; cursors of the backfill; idempotency keys of the API;
 * currency conversion from the reference rates; the audit log.
 *
 * @module
 */

import type { Sql } from "./pool.ts";

/** A webhook event as the provider sends it. */
export interface WebhookEvent {
  id: string;
  type: string;
  data: { object: { id: string } & Record<string, unknown> };
}

/** Sync operations on the app's pool. */
export class Sync {
  #sql: Sql;

  /**
   * @param sql The app's pool.
   */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * Stores a received event; a repeated delivery is counted, not stored
   * twice.
   *
   * @param event The event.
   * @returns Whether it was new.
   */
  async receive(event: WebhookEvent): Promise<boolean> {
    const [row] = await this.#sql<{ fresh: boolean }[]>`
      insert into billing.webhook_events (id, type, object_id, payload)
      values (${event.id}, ${event.type}, ${event.data.object.id}, ${
      this.#sql.json(event as never)
    })
      on conflict (id) do update set attempts = billing.webhook_events.attempts + 1
      returning (xmax = 0) as fresh`;
    return row!.fresh;
  }

  /**
   * Applies the unprocessed events in order of receipt: customer and
   * product events upsert the local copies; others are only marked.
   *
   * @param limit At most this many.
   * @returns How many were applied.
   */
  async process(limit = 100): Promise<number> {
    return await this.#sql.begin(async (tx) => {
      const events = await tx<
        { id: string; type: string; payload: WebhookEvent }[]
      >`
        select id, type, payload from billing.webhook_events
        where processed_at is null order by received_at, id limit ${limit}
        for update skip locked`;
      for (const e of events) {
        const object = e.payload.data.object;
        if (e.type.startsWith("customer.") && e.type !== "customer.deleted") {
          await tx`insert into billing.customers (id, account_id, email, name)
            values (${object.id}, 'acct_default', ${
            (object.email as string) ?? null
          }, ${(object.name as string) ?? null})
            on conflict (id) do update set email = excluded.email, name = excluded.name`;
        } else if (e.type === "customer.deleted") {
          await tx`update billing.customers set deleted = true where id = ${object.id}`;
        } else if (e.type.startsWith("product.")) {
          await tx`insert into billing.products (id, account_id, name, active)
            values (${object.id}, 'acct_default', ${object.name as string}, ${
            (object.active as boolean) ?? true
          })
            on conflict (id) do update set name = excluded.name, active = excluded.active`;
        }
        await tx`update billing.webhook_events set processed_at = now() where id = ${e.id}`;
      }
      return events.length;
    });
  }

  /**
   * @returns How many events wait to be applied.
   */
  async backlog(): Promise<number> {
    const [row] = await this.#sql<{ n: string }[]>`
      select count(*) as n from billing.webhook_events where processed_at is null`;
    return Number(row!.n);
  }

  /**
   * Advances the backfill cursor of a resource; never moves it back.
   *
   * @param resource e.g. `customers`.
   * @param cursor The last id seen.
   * @param until The time synced up to.
   * @returns The cursor stored.
   */
  async advance(
    resource: string,
    cursor: string,
    until: Date,
  ): Promise<string> {
    const [row] = await this.#sql<{ cursor: string }[]>`
      insert into billing.sync_cursors (resource, cursor, synced_until)
      values (${resource}, ${cursor}, ${until})
      on conflict (resource) do update set
        cursor = case when excluded.synced_until > billing.sync_cursors.synced_until
          then excluded.cursor else billing.sync_cursors.cursor end,
        synced_until = greatest(excluded.synced_until, billing.sync_cursors.synced_until),
        updated = now()
      returning cursor`;
    return row!.cursor;
  }

  /**
   * Runs `handler` once per idempotency key: a repeated request with the
   * same body gets the stored response; with another body, an error.
   *
   * @param key The idempotency key.
   * @param body The request body.
   * @param handler Makes the response.
   * @returns The response.
   */
  async idempotent<T extends Record<string, unknown>>(
    key: string,
    body: Record<string, unknown>,
    handler: () => Promise<T>,
  ): Promise<T> {
    const hash = JSON.stringify(body);
    const [existing] = await this.#sql<
      { request_hash: string; response: T | null }[]
    >`select request_hash, response from billing.idempotency_keys where key = ${key}`;
    if (existing) {
      if (existing.request_hash !== hash) {
        throw new Error(`idempotency key ${key} reused with another request`);
      }
      return existing.response as T;
    }
    const response = await handler();
    await this
      .#sql`insert into billing.idempotency_keys (key, request_hash, response)
      values (${key}, ${hash}, ${this.#sql.json(response as never)})`;
    return response;
  }

  /**
   * Converts an amount with the rate of a day (the latest before it).
   *
   * @param amount Minor units of `from`.
   * @param from The currency.
   * @param to The target currency.
   * @param day The day.
   * @returns Minor units of `to`, rounded.
   */
  async convert(
    amount: number,
    from: string,
    to: string,
    day: string,
  ): Promise<number> {
    if (from === to) return amount;
    const [row] = await this.#sql<{ rate: string }[]>`
      select rate from billing.exchange_rates
      where base = ${from} and quote = ${to} and day <= ${day}::date
      order by day desc limit 1`;
    if (!row) throw new Error(`no rate ${from}/${to} on ${day}`);
    return Math.round(amount * Number(row.rate));
  }

  /**
   * @param region A region name.
   * @returns The countries of a region using `currency`.
   */
  async countries(region: string, currency: string): Promise<string[]> {
    const rows = await this.#sql<{ code: string }[]>`
      select code from billing.countries where region = ${region} and currency = ${currency}
      order by code`;
    return rows.map((r) => r.code);
  }

  /**
   * Appends to the audit log.
   *
   * @param actor Who.
   * @param action What.
   * @param subject On what.
   * @param details More.
   */
  async audit(
    actor: string,
    action: string,
    subject: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.#sql`insert into jobs.audit_log (actor, action, subject, details)
      values (${actor}, ${action}, ${subject}, ${
      this.#sql.json(details as never)
    })`;
  }

  /**
   * @param subject On what.
   * @returns The actions on it, oldest first.
   */
  async history(subject: string): Promise<string[]> {
    const rows = await this.#sql<{ action: string }[]>`
      select action from jobs.audit_log where subject = ${subject} order by id`;
    return rows.map((r) => r.action);
  }

  /**
   * Records an inbound message once.
   *
   * @param id The message id.
   * @param topic Its topic.
   * @param payload Its payload.
   * @returns Whether it was new.
   */
  async inbox(
    id: string,
    topic: string,
    payload: Record<string, unknown>,
  ): Promise<boolean> {
    const done = await this
      .#sql`insert into jobs.inbox (message_id, topic, payload)
      values (${id}, ${topic}, ${
      this.#sql.json(payload as never)
    }) on conflict do nothing`;
    return done.count === 1;
  }
}

// Internal: isolation "schema": a fresh schema per test, reached through the
// process's pool (every pooled connection starts with the process's schema
// slot as its whole search path, so that an unqualified name never reaches
// the rest of the database); migrated inline on one connection.

import { raceDeadline } from "../util/deadline.ts";
import { describe } from "../util/text.ts";
import { uniqueName } from "../run/naming.ts";
import {
  type Pg,
  SCHEMA_SLOT,
  type SharedPool,
  sharedPool,
} from "./_shared_pool.ts";
import { connectionSql, shared } from "./_connection.ts";
import { postgresOptions } from "./client.ts";
import {
  CANCEL_GRACE,
  cancelActive,
  onAbort,
  type Session,
  type SessionInput,
  trackSchema,
} from "./_session.ts";

let slotTaken = false;
/** Pools whose server ignores startup parameters (PGlite over a socket). */
const ignoresStartup = new WeakMap<SharedPool, boolean>();

/** Starts a schema-isolated session. */
export async function schemaSession(input: SessionInput): Promise<Session> {
  // One schema-isolated test at a time uses the slot; a concurrent one (two
  // standalone fixtures at once) gets a pool of its own.
  if (slotTaken) return await privateSchemaSession(input);
  slotTaken = true;
  const pool = sharedPool(input.factory, input.config);
  const unhold = pool.hold();
  try {
    return await start(pool, input, () => {
      unhold();
      slotTaken = false;
    });
  } catch (error) {
    unhold();
    slotTaken = false;
    throw error;
  }
}

/** Servers (host:port/database) whose slot schema the helper tracks. */
const trackedSlots = new Set<string>();

async function start(
  pool: SharedPool,
  input: SessionInput,
  done: () => void,
): Promise<Session> {
  const schema = SCHEMA_SLOT;
  // Dropped after each test; tracked once, before it is first created, so
  // that the helper drops it when a killed process leaves it behind.
  const key =
    `${input.config.host}:${input.config.port}/${input.config.database}`;
  if (!trackedSlots.has(key)) {
    trackedSlots.add(key);
    await trackSchema(input.config, schema);
  }
  const sql = pool.sql;
  await sql.unsafe(
    `drop schema if exists ${schema} cascade; create schema ${schema}`,
  );
  let bySql = ignoresStartup.get(pool);
  if (bySql === undefined) {
    const [row] = await sql<{ search_path: string }[]>`
      show search_path`;
    if (row === undefined) throw new Error("show search_path returned no row");
    const { search_path } = row;
    bySql = search_path !== schema;
    ignoresStartup.set(pool, bySql);
  }
  if (bySql) {
    await sql`select set_config('search_path', ${schema}, false)`;
  }
  const drop = async (): Promise<void> => {
    const dropped = await raceDeadline(
      // A late failure (cancelled below) is the retry's business.
      sql.unsafe(`drop schema if exists ${schema} cascade`).then(
        () => true,
        () => false,
      ),
      CANCEL_GRACE,
      () => false,
    );
    if (!dropped) {
      // A test's query holds a lock: end its connections, then drop.
      await cancelActive(pool);
      await sql.unsafe(`drop schema if exists ${schema} cascade`);
    }
    if (bySql) await sql`reset search_path`.catch(() => {});
  };
  if (input.migrate) {
    await migrateOnOne(sql, input, schema, async () => {
      await drop().catch(() => {});
    }, true);
  }
  const unsubscribe = onAbort(input.signal, () => void cancelActive(pool));
  const close = async (): Promise<void> => {
    unsubscribe();
    try {
      await drop();
    } finally {
      done();
    }
  };
  return {
    sql: shared(sql),
    config: input.config,
    schema,
    searchPath: schema,
    close,
  };
}

/** A schema and a pool of its own (a second concurrent schema test). */
async function privateSchemaSession(input: SessionInput): Promise<Session> {
  const schema = uniqueName("itkit", "_");
  const sql = input.factory(postgresOptions(input.config, {
    max: input.max,
    connection: { search_path: schema },
  })) as unknown as Pg;
  let created = false;
  const close = async (): Promise<void> => {
    try {
      if (created) {
        await raceDeadline(
          sql.unsafe(`drop schema if exists ${schema} cascade`),
          CANCEL_GRACE,
          () => undefined,
        );
      }
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
  try {
    await sql.unsafe(`create schema ${schema}`);
    created = true;
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  if (input.migrate) {
    await migrateOnOne(sql, input, schema, async () => {
      await close().catch(() => {});
    }, false);
  }
  return {
    sql,
    config: input.config,
    schema,
    searchPath: schema,
    close,
  };
}

/**
 * Runs `input`'s migration of `schema` on one reserved connection (so its own
 * transactions work); on failure rolls back (when asked), cleans up with
 * `undo`, and throws `migration failed: …`.
 */
async function migrateOnOne(
  sql: SharedPool["sql"],
  input: SessionInput,
  schema: string,
  undo: () => Promise<void>,
  rollback: boolean,
): Promise<void> {
  const conn = await sql.reserve();
  try {
    await input.migrate!(
      connectionSql(conn, {
        begin: "transaction",
        listenError: "Cannot listen() in a migration",
      }),
      { config: input.config, searchPath: schema },
    );
  } catch (error) {
    if (rollback) await conn.unsafe("rollback").catch(() => {});
    conn.release();
    await undo();
    throw new Error(`migration failed: ${describe(error)}`, { cause: error });
  }
  conn.release();
}

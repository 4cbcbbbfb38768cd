// Internal: isolation "database": a database per test, cloned ahead of time
// by the helper process from a template migrated once per test process
// (shared by its workers under `deno test --parallel`).

import { describe } from "../util/text.ts";
import { postgresOptions } from "./client.ts";
import { once } from "./_migrations.ts";
import type postgres from "npm:postgres@^4.2.0";
import type net from "node:net";
import { type PostgresConfig, postgresUrl } from "./config.ts";
import type { Pg } from "./_shared_pool.ts";
import { connectingSocket } from "./_socket.ts";
import {
  askTemplate,
  drop,
  nextHandedOver,
  startClonePool,
  take,
  takeReady,
  templateBuilt,
  warm,
} from "./_clone_pool.ts";
import { createDbError } from "./_errors.ts";
import type { Session, SessionInput } from "./_session.ts";

/** Clones kept ready per template: one per registered test, at most this. */
export const MAX_CLONES_READY = 64;

/** Declared database-isolated tests, by server and migration. */
const registered = new Map<string, number>();
/** Database-isolated sessions started, by server and migration. */
const started = new Map<string, number>();

function templateKey(config: PostgresConfig, key: string): string {
  return `${postgresUrl(config, true)}\n${key}`;
}

/**
 * Counts a declared database-isolated test: the ready pool of its server and
 * migration's template is sized from the count.
 */
export function registerDatabaseTest(
  config: PostgresConfig,
  key: string,
): void {
  const id = templateKey(config, key);
  registered.set(id, (registered.get(id) ?? 0) + 1);
}

/** The migrated template for `input`'s server and migration, built once. */
export function templateFor(input: SessionInput): Promise<string> {
  return once(
    input.config,
    "template",
    input.key,
    () => sharedTemplate(input, "database"),
  );
}

/**
 * The template of `input`'s migration on its server, shared by every worker
 * of the test process through the clone helper, which drops it when the
 * process has ended: built by the first worker that asks (in its test's
 * setup, with that test's permissions), while the others wait; if its build
 * fails (or its worker ends first), the next waiting worker builds it (a
 * failure is not shared: each test reports its own). `kind` keeps templates
 * apart that differ beyond the migration (`finish` runs after it).
 */
export async function sharedTemplate(
  input: SessionInput,
  kind: string,
  finish?: (sql: Pg) => Promise<unknown>,
): Promise<string> {
  startClonePool();
  const key = `${kind}\n${input.key}`;
  for (;;) {
    const answer = await askTemplate(input.config, key);
    if (answer.database !== undefined) return answer.database;
    if (answer.build === undefined) continue; // another build failed: again
    try {
      await buildTemplate(input, answer.build, finish);
    } catch (error) {
      templateBuilt(input.config, key, false);
      throw error;
    }
    templateBuilt(input.config, key, true);
    return answer.build;
  }
}

/** Starts a database-isolated session. */
export async function clonedSession(input: SessionInput): Promise<Session> {
  const template = await templateFor(input);
  const id = templateKey(input.config, input.key);
  const declared = registered.get(id) ?? 0;
  await once(input.config, "warm", template, async () => {
    await warm(
      input.config,
      template,
      Math.max(1, Math.min(declared || 4, MAX_CLONES_READY)),
      declared || undefined,
    );
    return template;
  });
  let database: string;
  try {
    database = await take(input.config, template, (handedOver) => {
      // While this (the module's first) test waits anyway: the next tests'
      // clients, so that their handout is the take alone.
      for (const name of handedOver) {
        const sql = client(input, { ...input.config, database: name });
        clients.set(name, { template, max: input.max, sql });
      }
    });
  } catch (error) {
    throw createDbError(input.config, error);
  }
  started.set(id, (started.get(id) ?? 0) + 1);
  const config = { ...input.config, database };
  const ahead = clients.get(database);
  clients.delete(database);
  // Made for the first test's pool size: another size gets its own client.
  const sql = ahead?.max === input.max ? ahead.sql : client(input, config);
  // postgres.js connects on the first query: nothing else to wait for.
  // (The template build checked that the server honours database names.)
  const known = arrayTypes.get(template);
  if (known) adoptArrayTypes(sql, known); // (done ahead for clients made ahead)
  // The tests left that may need a clone, if registered: once the clones
  // handed over cover them, there is nothing to ask the helper for.
  const left = (): number | undefined =>
    declared > 0 ? declared - (started.get(id) ?? 0) : undefined;
  // While this test's body waits on I/O, neither in its handout nor in its
  // release: take over the clones the helper has ready (a round trip to it,
  // when few are left here), and make the next test's client if its clone
  // came that way (0.5 ms for a postgres.js client of 4 connections). Not run
  // by the time the test ends: cancelled, and done then (or at the next
  // handout). A take-over started here is awaited at the end of the test.
  let takingOver: Promise<void> | undefined;
  const prepare = setTimeout(() => {
    takingOver = takeReady(input.config, template, left()).catch(() => {});
    const next = nextHandedOver(input.config, template);
    if (next === undefined || clients.has(next)) return;
    const ahead = client(input, { ...input.config, database: next });
    const types = arrayTypes.get(template);
    if (types) adoptArrayTypes(ahead, types);
    clients.set(next, { template, max: input.max, sql: ahead });
  }, 0);
  const close = async (): Promise<void> => {
    clearTimeout(prepare);
    try {
      if (!known) learnTypesOnce(template, sql);
      await sql.end({ timeout: 1 });
    } finally {
      await drop(input.config, database, (left() ?? 1) <= 0);
      await (takingOver ??
        takeReady(input.config, template, left()).catch(() => {}));
    }
  };
  return { sql, config, schema: "public", close };
}

/**
 * postgres.js clients made ahead for clones handed over, by database: no
 * connection until their first query, so nothing for a sanitizer to see.
 */
const clients = new Map<
  string,
  { template: string; max: number; sql: Pg }
>();

/**
 * Learns the array types of `template` from `sql` (its first clone's client)
 * and hands them to the clients made ahead for its clones: once, at the end
 * of the module's first test, instead of at each later handout.
 */
function learnTypesOnce(template: string, sql: Pg): void {
  if (arrayTypes.has(template)) return;
  learnArrayTypes(template, sql);
  const known = arrayTypes.get(template);
  if (!known) return;
  for (const ahead of clients.values()) {
    if (ahead.template === template) adoptArrayTypes(ahead.sql, known);
  }
}

/** A client of `config` (a clone) for a test: `input.max` connections. */
function client(input: SessionInput, config: PostgresConfig): Pg {
  return input.factory({
    ...postgresOptions(config, { max: input.max }),
    socket: () => closingSocket(config),
  } as postgres.Options<Record<string, postgres.PostgresType>>) as Pg;
}

/**
 * The array types postgres.js fetched on a clone's first connection (a query
 * per connection), by template: every clone of a template has the template's
 * catalog, so later clones' pools are handed them instead of fetching them.
 */
interface ArrayTypes {
  /** Element type oid to array type oid. */
  map: Record<string, number>;
  /** Parsers and serializers of the array types, by oid. */
  parsers: Record<string, unknown>;
  serializers: Record<string, unknown>;
}
const arrayTypes = new Map<string, ArrayTypes>();

/** What postgres.js keeps of its types on `sql.options` (3.x). */
interface TypeOptions {
  /** Read by each connection when it connects. */
  fetch_types?: boolean;
  shared?: { typeArrayMap?: Record<string, number> };
  parsers?: Record<string, unknown>;
  serializers?: Record<string, unknown>;
}

/** Remembers the array types `sql` fetched, if it connected. */
function learnArrayTypes(template: string, sql: Pg): void {
  const options = sql.options as unknown as TypeOptions;
  const map = options.shared?.typeArrayMap;
  if (!map || Object.keys(map).length === 0) return;
  const parsers: Record<string, unknown> = {};
  const serializers: Record<string, unknown> = {};
  for (const array of Object.values(map)) {
    parsers[array] = options.parsers?.[array];
    serializers[array] = options.serializers?.[array];
  }
  arrayTypes.set(template, { map: { ...map }, parsers, serializers });
}

/**
 * Gives `sql` the array types of an earlier clone of the same template, so
 * that its connections skip fetching them (where postgres.js keeps them as
 * expected; else they fetch them as usual).
 */
function adoptArrayTypes(sql: Pg, known: ArrayTypes): void {
  const options = sql.options as unknown as TypeOptions;
  const map = options.shared?.typeArrayMap;
  if (
    options.fetch_types !== true || !map || !options.parsers ||
    !options.serializers
  ) {
    return;
  }
  Object.assign(map, known.map);
  Object.assign(options.parsers, known.parsers);
  Object.assign(options.serializers, known.serializers);
  options.fetch_types = false;
}

/**
 * A socket to the server that closes as soon as postgres.js ends the
 * connection (`end()`, once no query is in flight), without sending its
 * Terminate: the database is dropped `with (force)` next, so nothing waits
 * for the server to end the backend (about 10 ms), nor for the Terminate to
 * be flushed before the socket closes (0.75 ms against 0.22 ms per release).
 */
function closingSocket(config: PostgresConfig): Promise<net.Socket> {
  // Handed over while it connects (see connectingSocket).
  const socket = connectingSocket(config);
  socket.end = (() => {
    socket.destroy();
    return socket;
  }) as typeof socket.end;
  return Promise.resolve(socket);
}

/**
 * Creates database `name` (the clone helper's: it drops it when the test
 * process has ended, also if this worker is killed right after CREATE
 * DATABASE) and migrates it on one connection, then runs `finish` there.
 */
async function buildTemplate(
  input: SessionInput,
  name: string,
  finish?: (sql: Pg) => Promise<unknown>,
): Promise<void> {
  const { factory, config } = input;
  // Not on the process's pool: a timed-out test cancels what that pool runs.
  const admin = factory(postgresOptions(config, { max: 1 }));
  try {
    try {
      await admin.unsafe(`create database ${name}`);
    } catch (error) {
      throw createDbError(config, error);
    }
    // One connection: a migration may use BEGIN … COMMIT or sql.begin().
    const sql = factory(
      postgresOptions({ ...config, database: name }, { max: 1 }),
    ) as unknown as Pg;
    try {
      await expectDatabase(sql, name);
      if (input.migrate) {
        try {
          await input.migrate(sql, { config: { ...config, database: name } });
        } catch (error) {
          throw new Error(
            finish === undefined
              ? `Cannot build template database "${name}": migration failed: ${
                describe(error)
              } (the template was dropped)`
              : `migration failed: ${
                describe(error)
              } (database "${name}" was dropped)`,
            { cause: error },
          );
        }
      }
      await finish?.(sql);
    } catch (error) {
      await sql.end({ timeout: 1 });
      await admin.unsafe(`drop database if exists ${name} with (force)`)
        .catch(() => {});
      throw error;
    }
    await sql.end({ timeout: 1 });
  } finally {
    await admin.end({ timeout: 1 });
  }
}

/** Fails unless `sql` is connected to `database` (PGlite ignores the name). */
async function expectDatabase(sql: Pg, database: string): Promise<void> {
  const [row] = await sql<{ current: string }[]>`
    select current_database() as current`;
  if (row === undefined) {
    throw new Error("select current_database() returned no row");
  }
  const { current } = row;
  if (current !== database) {
    throw new Error(
      `the server connected to database "${current}" instead of "${database}" (PGlite serves a single database): isolation "database" is not available there; use "truncate", "schema" or "transaction"`,
    );
  }
}

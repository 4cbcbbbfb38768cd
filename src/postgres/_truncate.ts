// Internal: isolation "truncate": one migrated database (or schema) per
// test file (a worker of the process under `deno test --parallel`), shared by
// its tests and reset to its migrated state after each (database_cleaner's
// strategy). Statement triggers record which
// tables changed; a server-side function empties those and the tables with
// migrated rows referencing them (DELETE, measured much cheaper than
// TRUNCATE for a test's few rows; TRUNCATE for tables with DELETE triggers of
// their own), restores the rows the migration inserted and the sequences, in
// one round trip.
//
// Where the file's copy lives (the substrate), decided once per server:
// - a database of its own (a clone of the process's template, migrated once
//   with the change tracking installed, see `sharedTemplate` in _cloned.ts;
//   or the database of a file that ended, handed on), when the helper runs
//   (--allow-run), the role may create databases and the server is not
//   PGlite (a single database);
// - else a schema of the configured database, migrated once, the whole
//   search path of a pool of its own, when the reaper or the helper drops
//   it at exit;
// - else (no --allow-run, a standalone fixture alone) a fresh schema per
//   test, as isolation "schema" makes it: nothing would drop a schema kept
//   for the process if the process were killed.
// The choice is printed once per process when it is not the database.

import { raceDeadline } from "../util/deadline.ts";
import { describe } from "../util/text.ts";
import { uniqueName } from "../run/naming.ts";
import { type PostgresConfig, postgresUrl } from "./config.ts";
import { postgresOptions } from "./client.ts";
import { once } from "./_migrations.ts";
import { type Pg, type SharedPool, sharedPool } from "./_shared_pool.ts";
import { sharedTemplate } from "./_cloned.ts";
import { clonePoolStarted, copy } from "./_clone_pool.ts";
import { createDbError } from "./_errors.ts";
import { shared } from "./_connection.ts";
import { schemaSession } from "./_schema.ts";
import {
  CANCEL_GRACE,
  cancelActive,
  canTrackSchemas,
  onAbort,
  type Session,
  type SessionInput,
  trackSchema,
} from "./_session.ts";

/**
 * The SQL that installs change tracking and the reset function in schema
 * `machinery`, for the tables and sequences of `schema` (the schema
 * substrate), else of the whole database but the system's and `machinery`.
 *
 * What the reset empties: the tables that changed, and the tables holding
 * migrated rows that reference them (their rows would block the DELETE, and
 * are put back with the others). A referencing table that holds no migrated
 * rows and did not change is empty: it is left alone (emptying it cost a
 * DELETE each; an app's tables mostly reference a few central ones). The
 * foreign keys and the order tables are emptied in (referencing tables
 * first) are read from the catalog once, here. Every sequence that moved is
 * set back, whatever moved it.
 */
export function installReset(machinery: string, schema?: string): string {
  const tables = schema === undefined
    ? `ns.nspname not in ('information_schema', '${machinery}')
      and ns.nspname not like 'pg\\_%'`
    : `ns.nspname = '${schema}'`;
  const sequences = schema === undefined
    ? `ns.nspname not like 'pg\\_%'
      and ns.nspname not in ('information_schema', '${machinery}')`
    : `ns.nspname = '${schema}'`;
  return `
create schema ${machinery};
create unlogged table ${machinery}.dirty (t regclass primary key);
create table ${machinery}.seed (t regclass primary key, cols text, rows jsonb);
create table ${machinery}.seq (s regclass primary key, last_value bigint, is_called boolean);
create table ${machinery}.truncate_only (t regclass primary key);
create table ${machinery}.rank (t regclass primary key, rank int not null);
create table ${machinery}.refs (parent regclass, child regclass, primary key (parent, child));
create sequence ${machinery}.epoch;
-- A session remembers (in a setting of its own) which tables it marked since
-- the last reset, whose epoch it notes: a table's later statements in that
-- session read two settings and a sequence instead of writing the mark again
-- (a rolled-back mark takes the setting with it).
create function ${machinery}.mark() returns trigger language plpgsql as $f$
declare
  epoch text := coalesce(pg_sequence_last_value('${machinery}.epoch'), 0)::text;
  marked text := 'itkit.marked_' || TG_RELID::oid;
begin
  if current_setting('itkit.resetting', true) is distinct from 'on'
    and current_setting(marked, true) is distinct from epoch then
    insert into ${machinery}.dirty values (TG_RELID) on conflict do nothing;
    perform set_config(marked, epoch, false);
  end if;
  return null;
end $f$;
do $d$
declare r record; n bigint; cols text;
begin
  for r in
    select c.oid::regclass as t from pg_class c
    join pg_namespace ns on ns.oid = c.relnamespace
    where c.relkind in ('r', 'p') and not c.relispartition
      and ${tables}
  loop
    -- A DELETE trigger of the app's (row or statement level) must not fire
    -- at the reset: such a table is truncated.
    if exists (
      select from pg_trigger g where g.tgrelid = r.t and not g.tgisinternal
        and g.tgtype & 8 = 8
    ) then
      insert into ${machinery}.truncate_only values (r.t);
    end if;
    execute format('create trigger itkit_mark after insert or update or delete or truncate on %s for each statement execute function ${machinery}.mark()', r.t);
    insert into ${machinery}.rank values (r.t, 0);
    execute format('select count(*) from %s', r.t) into n;
    if n > 0 then
      select string_agg(quote_ident(attname), ', ' order by attnum) into cols
      from pg_attribute where attrelid = r.t and attnum > 0
        and not attisdropped and attgenerated = '';
      execute format('insert into ${machinery}.seed select %L::regclass, %L, jsonb_agg(x) from %s x', r.t, cols, r.t);
    end if;
  end loop;
  -- A table's rank is above those of the tables referencing it: emptied in
  -- ascending rank, referencing tables go first (a cycle stops at the cap,
  -- and the reset falls back to retrying).
  for n in 1..(select count(*) from ${machinery}.rank) loop
    update ${machinery}.rank p set rank = sub.rank from (
      select c.confrelid::regclass as parent, max(k.rank) + 1 as rank
      from pg_constraint c join ${machinery}.rank k on k.t = c.conrelid::regclass
      where c.contype = 'f' and c.conrelid <> c.confrelid
      group by c.confrelid
    ) sub where p.t = sub.parent and p.rank < sub.rank;
    exit when not found;
  end loop;
  insert into ${machinery}.refs
    select distinct c.confrelid::regclass, c.conrelid::regclass
    from pg_constraint c join ${machinery}.seed s on s.t = c.conrelid::regclass
    where c.contype = 'f';
  for r in
    select c.oid::regclass as s from pg_class c
    join pg_namespace ns on ns.oid = c.relnamespace
    where c.relkind = 'S' and ${sequences}
  loop
    execute format('insert into ${machinery}.seq select %L::regclass, last_value, is_called from %s', r.s, r.s);
  end loop;
end $d$;
create function ${machinery}.reset() returns int language plpgsql as $f$
declare
  tables regclass[]; pending regclass[]; rel regclass; r record;
  progress boolean; truncated text;
begin
  -- Every sequence that moved (also by a nextval() or an insert that failed,
  -- which mark no table): one read of each.
  for r in select q.* from ${machinery}.seq q
    where pg_sequence_last_value(q.s) is distinct from
      case when q.is_called then q.last_value end
  loop
    perform setval(r.s, r.last_value, r.is_called);
  end loop;
  select array_agg(d.t) into tables from ${machinery}.dirty d;
  if tables is null then return 0; end if;
  -- What the sessions remember marking is forgotten.
  perform nextval('${machinery}.epoch');
  perform set_config('itkit.resetting', 'on', true);
  -- The changed tables and the tables with migrated rows referencing them.
  with recursive affected(t) as (
    select unnest(tables)
    union
    select f.child from ${machinery}.refs f join affected a on f.parent = a.t
  ) select array_agg(a.t) into tables from affected a;
  -- DELETE is far cheaper than TRUNCATE for a test's few rows; tables with
  -- DELETE triggers of their own are truncated (no trigger fires).
  select string_agg(x::text, ', ') into truncated from unnest(tables) x
  where x in (select o.t from ${machinery}.truncate_only o);
  if truncated is not null then
    execute 'truncate ' || truncated || ' cascade';
  end if;
  pending := array(
    select x from unnest(tables) x left join ${machinery}.rank k on k.t = x
    where x not in (select o.t from ${machinery}.truncate_only o)
    order by k.rank nulls first);
  begin
    -- Referencing tables first: one pass, in one subtransaction.
    foreach rel in array pending loop
      execute format('delete from %s', rel);
    end loop;
  exception when foreign_key_violation then
    -- An order the ranks did not foresee (a cycle): in passes.
    loop
      exit when cardinality(pending) = 0;
      progress := false;
      foreach rel in array pending loop
        begin
          execute format('delete from %s', rel);
          pending := array_remove(pending, rel);
          progress := true;
        exception when foreign_key_violation then
          null;
        end;
      end loop;
      if not progress then
        execute 'truncate ' || (select string_agg(x::text, ', ') from unnest(pending) x) || ' cascade';
        exit;
      end if;
    end loop;
  end;
  -- The migrated rows, referenced tables first (retried in passes).
  pending := array(
    select s.t from ${machinery}.seed s left join ${machinery}.rank k on k.t = s.t
    where s.t = any(tables) order by k.rank desc nulls last);
  loop
    exit when cardinality(pending) = 0;
    progress := false;
    foreach rel in array pending loop
      select * into r from ${machinery}.seed s where s.t = rel;
      begin
        execute format('insert into %s (%s) overriding system value select %s from jsonb_populate_recordset(null::%s, $1)', r.t, r.cols, r.cols, r.t) using r.rows;
        pending := array_remove(pending, rel);
        progress := true;
      exception when foreign_key_violation then
        null;
      end;
    end loop;
    if not progress then
      raise exception 'itkit: cannot restore the migrated rows of %', pending;
    end if;
  end loop;
  delete from ${machinery}.dirty;
  perform set_config('itkit.resetting', 'off', true);
  return cardinality(tables);
end $f$;
`;
}

/** The schema of the change tracking and the reset in a database of its own. */
const MACHINERY = "itkit_reset";

let busy = false;

/** Whether a declaration's helper process could not start (no --allow-run). */
let helperRefused = false;

/**
 * Notes that a declared truncate fixture could not start the clone helper
 * (the process may not run deno): its tests get a fresh schema each.
 */
export function noteHelperRefused(): void {
  helperRefused = true;
}

/** Where the process's migrated copy lives (see the top of this file). */
type Substrate = "database" | "schema" | "fresh";

/** Starts a truncate-isolated session. */
export async function truncateSession(input: SessionInput): Promise<Session> {
  const substrate = await once(
    input.config,
    "truncate substrate",
    "",
    () => decide(input),
  );
  if (substrate === "fresh") {
    try {
      return await schemaSession(input);
    } catch (error) {
      throw truncateError(error);
    }
  }
  if (busy) {
    throw new Error(
      'Cannot start a second isolation "truncate" fixture while one is in use in this process: its tests share one migrated copy and must run one at a time',
    );
  }
  busy = true;
  let unhold = (): void => {};
  const done = (): void => {
    unhold();
    busy = false;
  };
  try {
    if (substrate === "database") {
      const database = await once(
        input.config,
        "truncate database",
        input.key,
        () => databaseForProcess(input),
      );
      const config: PostgresConfig = { ...input.config, database };
      const pool = sharedPool(input.factory, config, false);
      unhold = pool.hold();
      return session(pool, input, {
        config,
        schema: "public",
        reset: `${MACHINERY}.reset()`,
        bySql: false,
      }, done);
    }
    const { schema, machinery } = await once(
      input.config,
      "truncate schema",
      input.key,
      () => schemaForProcess(input),
    );
    const pool = sharedPool(input.factory, input.config, schema);
    unhold = pool.hold();
    // A server that ignores startup parameters (PGlite over a socket: one
    // backend for every connection) gets the search path by SQL.
    let bySql = ignoresStartup.get(pool);
    if (bySql === undefined) {
      const [row] = await pool.sql<{ search_path: string }[]>`
        show search_path`;
      bySql = row?.search_path !== schema;
      ignoresStartup.set(pool, bySql);
    }
    if (bySql) {
      await pool.sql`select set_config('search_path', ${schema}, false)`;
    }
    return session(pool, input, {
      config: input.config,
      schema,
      searchPath: schema,
      reset: `${machinery}.reset()`,
      bySql,
    }, done);
  } catch (error) {
    done();
    throw truncateError(error);
  }
}

/** Pools whose server ignores startup parameters (PGlite over a socket). */
const ignoresStartup = new WeakMap<SharedPool, boolean>();

/** Where a session works, and how it resets. */
interface Place {
  config: PostgresConfig;
  schema: string;
  searchPath?: string;
  /** The call that resets what the test changed. */
  reset: string;
  /** Whether the search path is set by SQL (and reset after the test). */
  bySql: boolean;
}

function session(
  pool: SharedPool,
  input: SessionInput,
  place: Place,
  done: () => void,
): Session {
  // A session that starts after its test gave up (the signal aborted
  // already) has nothing of its own running to cancel: a cancel now would
  // only race the reset as the test's fixtures are disposed.
  const unsubscribe = input.signal?.aborted
    ? () => {}
    : onAbort(input.signal, () => void cancelActive(pool));
  const reset = `select ${place.reset}${
    place.bySql ? "; reset search_path" : ""
  }`;
  const close = async (): Promise<void> => {
    unsubscribe();
    try {
      const ok = await raceDeadline(
        pool.sql.unsafe(reset).then(() => true, () => false),
        CANCEL_GRACE,
        () => false,
      );
      if (!ok) {
        await cancelActive(pool);
        await pool.sql.unsafe(reset);
      }
    } finally {
      done();
    }
  };
  const { config, schema, searchPath } = place;
  return {
    sql: shared(pool.sql),
    config,
    schema,
    ...(searchPath ? { searchPath } : {}),
    close,
  };
}

/**
 * Decides the substrate for `input`'s server (once per process), and says so
 * when it is not a database of its own.
 */
async function decide(input: SessionInput): Promise<Substrate> {
  const { config } = input;
  const where = postgresUrl(config);
  if (!canTrackSchemas()) {
    const why = !helperRefused
      ? "a standalone fixture starts no helper process, and none runs, to drop a database or schema kept for the process if it were killed"
      : "the process may not run a helper (deno test without --allow-run) to drop a database or schema kept for the process if it were killed";
    console.error(
      `itkit: isolation "truncate" on ${where}: each test gets a fresh schema, migrated and dropped as in isolation "schema", because ${why}. Grant --allow-run to migrate once per process and reset after each test.`,
    );
    return "fresh";
  }
  const pool = sharedPool(input.factory, config);
  const unhold = pool.hold();
  let row: { pglite: boolean; createdb: boolean } | undefined;
  try {
    [row] = await pool.sql<{ pglite: boolean; createdb: boolean }[]>`
      select version() like '%PGlite%' as pglite, coalesce(
        (select rolcreatedb or rolsuper from pg_roles
         where rolname = current_user), false) as createdb`;
  } finally {
    unhold();
  }
  const reasons: string[] = [];
  if (row?.pglite) reasons.push("PGlite serves a single database");
  else if (!row?.createdb) {
    reasons.push(
      `the role "${config.user}" may not create databases (no CREATEDB)`,
    );
  }
  if (!clonePoolStarted()) {
    reasons.push(
      "the helper process that makes databases is not running (a standalone fixture starts none)",
    );
  }
  if (reasons.length === 0) return "database";
  console.error(
    `itkit: isolation "truncate" on ${where}: a schema of the database, migrated once and reset after each test, instead of a database of its own, because ${
      reasons.join("; ")
    }. Schema-qualified names reach the database's other schemas.`,
  );
  return "schema";
}

/**
 * The worker's database: a copy of the test process's template (migrated
 * once, with the change tracking and the reset installed, shared by the
 * process's workers: see _cloned.ts), from the clone helper, which keeps it
 * for the next worker when this one ends (and drops it when the process
 * ends). A copy another worker used is reset first: that worker may have
 * died in the middle of a test.
 */
async function databaseForProcess(input: SessionInput): Promise<string> {
  const template = await sharedTemplate(
    input,
    "truncate",
    (sql) => sql.unsafe(installReset(MACHINERY)),
  );
  let given: { database: string; reused: boolean };
  try {
    given = await copy(input.config, template);
  } catch (error) {
    throw createDbError(input.config, error);
  }
  if (given.reused) {
    const pool = sharedPool(input.factory, {
      ...input.config,
      database: given.database,
    }, false);
    const unhold = pool.hold();
    try {
      await pool.sql.unsafe(`select ${MACHINERY}.reset()`);
    } finally {
      unhold();
    }
  }
  return given.database;
}

/**
 * The process's schema of the configured database, migrated on one
 * connection (its whole search path), and a second schema for the change
 * tracking and the reset, both dropped when the process ends (by the reaper,
 * else the clone helper).
 */
async function schemaForProcess(
  input: SessionInput,
): Promise<{ schema: string; machinery: string }> {
  const { config } = input;
  const schema = uniqueName("itkit", "_");
  const machinery = uniqueName("itkit", "_");
  // Tracked before they exist: a process killed right after still has them
  // dropped.
  await trackSchema(config, schema);
  await trackSchema(config, machinery);
  const sql = input.factory(postgresOptions(config, {
    max: 1,
    connection: { search_path: schema },
  })) as unknown as Pg;
  try {
    await sql.unsafe(`create schema ${schema}; set search_path to ${schema}`);
    if (input.migrate) {
      try {
        await input.migrate(sql, { config, searchPath: schema });
      } catch (error) {
        throw new Error(
          `migration failed: ${
            describe(error)
          } (schema "${schema}" was dropped)`,
          { cause: error },
        );
      }
    }
    // Back to the default: PGlite's one backend keeps what is set here.
    await sql.unsafe(`${installReset(machinery, schema)}; reset search_path`);
  } catch (error) {
    await sql.unsafe(
      `rollback; reset search_path; drop schema if exists ${schema}, ${machinery} cascade`,
    ).catch(() => {});
    throw error;
  } finally {
    await sql.end({ timeout: 1 });
  }
  return { schema, machinery };
}

/** A failure to prepare the process's copy, naming the level. */
function truncateError(error: unknown): unknown {
  const message = describe(error);
  if (
    /^(migration failed|Cannot create a database|the database helper)/.test(
      message,
    )
  ) {
    return new Error(
      `Cannot prepare isolation "truncate": ${
        message.replace(/^Cannot c/, "c")
      }`,
      { cause: error },
    );
  }
  return error;
}

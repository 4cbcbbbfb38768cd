// Internal: isolation "truncate": one migrated database per process, shared
// by the process's tests and reset to its migrated state after each
// (database_cleaner's strategy). Statement triggers record which tables
// changed; a server-side function empties those and the tables referencing
// them (DELETE, measured much cheaper than TRUNCATE for a test's few rows;
// TRUNCATE for tables with DELETE triggers of their own), restores the rows
// the migration inserted and the sequences, in one round trip.

import { raceDeadline } from "../util/deadline.ts";
import type { PostgresConfig } from "./config.ts";
import { once } from "./_migrations.ts";
import { type SharedPool, sharedPool } from "./_shared_pool.ts";
import { buildTemplate } from "./_cloned.ts";
import { shared } from "./_connection.ts";
import {
  CANCEL_GRACE,
  cancelActive,
  onAbort,
  type Session,
  type SessionInput,
} from "./_session.ts";

/** The SQL that installs change tracking and the reset function. */
export const INSTALL_RESET = `
create schema itkit_reset;
create unlogged table itkit_reset.dirty (t regclass primary key);
create table itkit_reset.seed (t regclass primary key, cols text, rows jsonb);
create table itkit_reset.seq (s regclass primary key, last_value bigint, is_called boolean);
create table itkit_reset.truncate_only (t regclass primary key);
create function itkit_reset.mark() returns trigger language plpgsql as $f$
begin
  if current_setting('itkit.resetting', true) is distinct from 'on' then
    insert into itkit_reset.dirty values (TG_RELID) on conflict do nothing;
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
      and ns.nspname not in ('information_schema', 'itkit_reset')
      and ns.nspname not like 'pg\\_%'
  loop
    if exists (
      select from pg_trigger g where g.tgrelid = r.t and not g.tgisinternal
        and g.tgtype & 1 = 1 and g.tgtype & 8 = 8
    ) then
      insert into itkit_reset.truncate_only values (r.t);
    end if;
    execute format('create trigger itkit_mark after insert or update or delete or truncate on %s for each statement execute function itkit_reset.mark()', r.t);
    execute format('select count(*) from %s', r.t) into n;
    if n > 0 then
      select string_agg(quote_ident(attname), ', ' order by attnum) into cols
      from pg_attribute where attrelid = r.t and attnum > 0
        and not attisdropped and attgenerated = '';
      execute format('insert into itkit_reset.seed select %L::regclass, %L, jsonb_agg(x) from %s x', r.t, cols, r.t);
    end if;
  end loop;
  for r in
    select c.oid::regclass as s from pg_class c
    join pg_namespace ns on ns.oid = c.relnamespace
    where c.relkind = 'S' and ns.nspname not like 'pg\\_%'
      and ns.nspname <> 'information_schema'
  loop
    execute format('insert into itkit_reset.seq select %L::regclass, last_value, is_called from %s', r.s, r.s);
  end loop;
end $d$;
create function itkit_reset.reset() returns int language plpgsql as $f$
declare
  tables regclass[]; pending regclass[]; t regclass; r record;
  progress boolean; truncated text;
begin
  select array_agg(d.t) into tables from itkit_reset.dirty d;
  if tables is null then return 0; end if;
  perform set_config('itkit.resetting', 'on', true);
  -- The changed tables and those referencing them (what TRUNCATE CASCADE
  -- would empty too).
  with recursive affected(t) as (
    select unnest(tables)
    union
    select c.conrelid::regclass from pg_constraint c
    join affected a on c.confrelid = a.t where c.contype = 'f'
  ) select array_agg(distinct a.t) into tables from affected a;
  -- DELETE is far cheaper than TRUNCATE for a test's few rows; tables with
  -- row triggers of their own on DELETE are truncated (no trigger fires).
  -- Referenced tables are emptied after those referencing them.
  select string_agg(x::text, ', ') into truncated from unnest(tables) x
  where x in (select o.t from itkit_reset.truncate_only o);
  if truncated is not null then
    execute 'truncate ' || truncated || ' cascade';
  end if;
  select coalesce(array_agg(x), '{}') into pending from unnest(tables) x
  where x not in (select o.t from itkit_reset.truncate_only o);
  loop
    exit when cardinality(pending) = 0;
    progress := false;
    foreach t in array pending loop
      begin
        execute format('delete from %s', t);
        pending := array_remove(pending, t);
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
  -- The migrated rows, referenced tables first (retried in passes).
  pending := array(select s.t from itkit_reset.seed s where s.t = any(tables));
  loop
    exit when cardinality(pending) = 0;
    progress := false;
    for r in select * from itkit_reset.seed s where s.t = any(pending) loop
      begin
        execute format('insert into %s (%s) overriding system value select %s from jsonb_populate_recordset(null::%s, $1)', r.t, r.cols, r.cols, r.t) using r.rows;
        pending := array_remove(pending, r.t);
        progress := true;
      exception when foreign_key_violation then
        null;
      end;
    end loop;
    if not progress then
      raise exception 'itkit: cannot restore the migrated rows of %', pending;
    end if;
  end loop;
  for r in select q.* from itkit_reset.seq q
    join pg_depend d on d.objid = q.s and d.deptype in ('a', 'i')
    where d.refobjid = any(tables::oid[])
  loop
    perform setval(r.s, r.last_value, r.is_called);
  end loop;
  delete from itkit_reset.dirty;
  perform set_config('itkit.resetting', 'off', true);
  return cardinality(tables);
end $f$;
`;

let busy = false;

/** Starts a truncate-isolated session. */
export async function truncateSession(input: SessionInput): Promise<Session> {
  if (busy) {
    throw new Error(
      'Cannot start a second isolation "truncate" database while one is in use in this process: its tests share one database and must run one at a time',
    );
  }
  busy = true;
  let unhold = (): void => {};
  try {
    const database = await once(
      input.config,
      "truncate database",
      input.key,
      () => cloneForProcess(input),
    );
    const config: PostgresConfig = { ...input.config, database };
    const pool = sharedPool(input.factory, config, false);
    unhold = pool.hold();
    return session(pool, config, input, () => {
      unhold();
      busy = false;
    });
  } catch (error) {
    unhold();
    busy = false;
    throw error;
  }
}

function session(
  pool: SharedPool,
  config: PostgresConfig,
  input: SessionInput,
  done: () => void,
): Session {
  const unsubscribe = onAbort(input.signal, () => void cancelActive(pool));
  const close = async (): Promise<void> => {
    unsubscribe();
    try {
      const reset = await raceDeadline(
        pool.sql`select itkit_reset.reset()`.then(() => true, () => false),
        CANCEL_GRACE,
        () => false,
      );
      if (!reset) {
        await cancelActive(pool);
        await pool.sql`select itkit_reset.reset()`;
      }
    } finally {
      done();
    }
  };
  return { sql: shared(pool.sql), config, schema: "public", close };
}

/**
 * The process's database, migrated, with the reset installed. (Made directly
 * rather than cloned: a process needs one, and a template would be its own.)
 */
async function cloneForProcess(input: SessionInput): Promise<string> {
  const database = await buildTemplate(input, "itkit");
  const pool = sharedPool(input.factory, { ...input.config, database }, false);
  const unhold = pool.hold();
  try {
    await pool.sql.unsafe(INSTALL_RESET);
  } finally {
    unhold();
  }
  return database;
}

// Isolation "truncate" on tables that reference a table the tests change:
// one holds migrated rows (emptied and put back with it), the others hold
// none (left alone: they are empty); the app logs deletions with
// statement-level DELETE triggers, which must never fire at the reset (a
// log row written then would outlive it). Each test starts from exactly the
// migrated state, sequences included, whatever the one before it did.
import assert from "node:assert/strict";
import { integration } from "../../../mod.ts";
import { postgresDatabase, type PostgresSql } from "../../../postgres.ts";

async function migrate(sql: PostgresSql): Promise<void> {
  await sql.unsafe(`
    create table teams (id serial primary key, name text not null);
    create table team_badges (team integer not null references teams (id), badge text);
    create table notes (id serial primary key, team integer references teams (id), body text);
    create table note_likes (note integer not null references notes (id));
    create table log (what text);
    create function log_delete() returns trigger language plpgsql as $$
      begin insert into log values (tg_table_name || ' deleted'); return null; end $$;
    create trigger log_delete after delete on notes
      for each statement execute function log_delete();
    create trigger log_delete after delete on team_badges
      for each statement execute function log_delete();
    insert into teams (name) values ('red'), ('blue');
    insert into team_badges values (2, 'gold');
  `);
}

async function state(sql: PostgresSql): Promise<string> {
  const [row] = await sql`
    select
      (select string_agg(id || ':' || name, ',' order by id) from teams) as teams,
      (select string_agg(team || ':' || badge, ',') from team_badges) as badges,
      (select count(*) from notes)::int as notes,
      (select count(*) from note_likes)::int as likes,
      (select string_agg(what, ',') from log) as log`;
  const { next_note } = (
    await sql`select nextval('notes_id_seq') as next_note`
  )[0]!;
  return JSON.stringify({ ...row, next_note });
}

const MIGRATED = JSON.stringify({
  teams: "1:red,2:blue",
  badges: "2:gold",
  notes: 0,
  likes: 0,
  log: null,
  next_note: "1",
});

const WRITES: ((sql: PostgresSql) => Promise<unknown>)[] = [
  // The referenced table alone: its referencing tables did not change.
  (sql) => sql`update teams set name = 'crimson' where id = 1`,
  // No table changed, but a sequence moved: an insert that failed.
  async (sql) => {
    await sql`insert into notes (team, body) values (99, 'no such team')`
      .then(() => assert.fail("inserted"), () => {});
  },
  // The referencing tables, and the row that references the other team.
  async (sql) => {
    const [note] = await sql`
      insert into notes (team, body) values (2, 'hi') returning id`;
    await sql`insert into note_likes values (${note!.id})`;
    await sql`delete from team_badges`;
  },
  // Both, and the rows of a team that others reference.
  async (sql) => {
    await sql`insert into notes (team, body) values (1, 'bye')`;
    await sql`delete from team_badges`;
    await sql`delete from teams where id = 2`;
  },
  // The same table on the same connections, test after test: each test's
  // change is seen (a connection remembers what it marked only until the
  // reset).
  (sql) => sql`insert into notes (team, body) values (1, 'again')`,
  (sql) => sql`insert into notes (team, body) values (1, 'again')`,
  // The last test checks what the one before it left.
  () => Promise.resolve(),
];

WRITES.forEach((write, round) => {
  integration(`truncate references round ${round + 1}`, {
    fixtures: {
      db: postgresDatabase.fixture({ isolation: "truncate", migrate }),
    },
  }, async (_t, { db }) => {
    assert.equal(await state(db.sql), MIGRATED);
    await write(db.sql);
  });
});

// Isolation "truncate" with foreign keys, migrated rows, sequences and a
// table with a DELETE trigger of its own: each test starts from exactly the
// migrated state, whatever the one before it did.
import assert from "node:assert/strict";
import { integration } from "../../../mod.ts";
import { postgresDatabase, type PostgresSql } from "../../../postgres.ts";

async function migrate(sql: PostgresSql): Promise<void> {
  await sql.unsafe(`
    create table teams (id serial primary key, name text not null);
    create table players (
      id integer generated always as identity primary key,
      team integer not null references teams (id),
      name text not null
    );
    create table audit (what text);
    create table audited (x int);
    create function audit_delete() returns trigger language plpgsql as $$
      begin insert into audit values ('deleted'); return old; end $$;
    create trigger audit_delete after delete on audited
      for each row execute function audit_delete();
    insert into teams (name) values ('red'), ('blue');
    insert into players (team, name) values (1, 'ada');
  `);
}

async function state(sql: PostgresSql): Promise<string> {
  const [row] = await sql`
    select
      (select string_agg(id || ':' || name, ',' order by id) from teams) as teams,
      (select string_agg(id || ':' || team || ':' || name, ',' order by id) from players) as players,
      (select count(*) from audit)::int as audit,
      (select count(*) from audited)::int as audited`;
  const { next_team } = (
    await sql`select nextval('teams_id_seq') as next_team`
  )[0]!;
  return JSON.stringify({ ...row, next_team });
}

const MIGRATED = JSON.stringify({
  teams: "1:red,2:blue",
  players: "1:1:ada",
  audit: 0,
  audited: 0,
  next_team: "3",
});

for (const round of [1, 2, 3]) {
  integration(`truncate round ${round}`, {
    fixtures: {
      db: postgresDatabase.fixture({ isolation: "truncate", migrate }),
    },
  }, async (_t, { db }) => {
    assert.equal(await state(db.sql), MIGRATED);
    // Writes everywhere, in a committed transaction of the test's own.
    await db.sql.begin(async (tx) => {
      const { id } = (
        await tx`insert into teams (name) values ('green') returning id`
      )[0]!;
      await tx`insert into players (team, name) values (${id}, 'grace')`;
      await tx`delete from players where name = 'ada'`;
      await tx`update teams set name = 'crimson' where id = 1`;
      await tx`insert into audited values (1)`;
    });
    await db.sql`delete from audited`;
    console.log(`TRUNCATE db=${db.database} schema=${db.schema}`);
  });
}

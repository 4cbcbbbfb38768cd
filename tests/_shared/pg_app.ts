// A small application under test: it builds its own postgres.js pool from
// DATABASE_URL (as a real app would) and commits what it writes.
import postgres from "postgres";

/** The app's store. */
export interface Store extends AsyncDisposable {
  /** Adds a user in a transaction of the app's own. */
  addUser(name: string): Promise<number>;
  /** The users' names, in id order. */
  names(): Promise<string[]>;
}

/** Opens the store from `env.DATABASE_URL`. */
export function openStore(env: Record<string, string>): Store {
  const sql = postgres(env.DATABASE_URL!, { max: 2, onnotice: () => {} });
  return {
    async addUser(name: string): Promise<number> {
      return await sql.begin(async (tx) => {
        const { id } = (await tx<{ id: number }[]>`
          insert into users (name) values (${name}) returning id`)[0]!;
        return id;
      });
    },
    async names(): Promise<string[]> {
      const rows = await sql<{ name: string }[]>`
        select name from users order by id`;
      return rows.map((r) => r.name);
    },
    [Symbol.asyncDispose]: () => sql.end(),
  };
}

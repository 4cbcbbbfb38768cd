/**
 * The code under test in the postgres.js example: a store with a postgres.js
 * 4 pool of its own, opened from a connection string, as an app opens it
 * from `DATABASE_URL`.
 *
 * @module
 */

import postgres from "postgres";

/** Users, in a table `users (id serial, name text)`. */
export class UserStore implements AsyncDisposable {
  readonly #sql: postgres.Sql;

  /** @param url A PostgreSQL connection string. */
  constructor(url: string) {
    this.#sql = postgres(url, { max: 2, onnotice: false });
  }

  /** Adds a user; returns its id. */
  async add(name: string): Promise<number> {
    const [row] = await this.#sql<{ id: number }[]>`
      insert into users (name) values (${name}) returning id`;
    return row!.id;
  }

  /** Every user's name, in order. */
  async names(): Promise<string[]> {
    const rows = await this.#sql<{ name: string }[]>`
      select name from users order by name`;
    return rows.map((row) => row.name);
  }

  /** Closes the pool. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#sql.end();
  }
}

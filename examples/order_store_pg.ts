/**
 * The code under test in the node-postgres example: a store with a `pg`
 * pool of its own, opened from a connection string.
 *
 * @module
 */

// pg ships no types: they come from @types/pg.
// @ts-types="@types/pg"
import pg from "pg";

/** Orders, in a table `orders (id serial, item text, quantity int)`. */
export class OrderStore implements AsyncDisposable {
  readonly #pool: pg.Pool;

  /** @param url A PostgreSQL connection string. */
  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 2 });
  }

  /** Places an order; returns its id. */
  async place(item: string, quantity: number): Promise<number> {
    const result = await this.#pool.query<{ id: number }>(
      "insert into orders (item, quantity) values ($1, $2) returning id",
      [item, quantity],
    );
    return result.rows[0]!.id;
  }

  /** How many of `item` were ordered in all. */
  async quantity(item: string): Promise<number> {
    const result = await this.#pool.query<{ total: number }>(
      "select coalesce(sum(quantity), 0)::int as total from orders where item = $1",
      [item],
    );
    return result.rows[0]!.total;
  }

  /** Closes the pool. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#pool.end();
  }
}

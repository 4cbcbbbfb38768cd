/**
 * Customers: the records synced from the payment provider, with their
 * addresses, payment methods, tax ids and balance.
 *
 * @module
 */

import type { Sql } from "./pool.ts";
import { newId } from "./ids.ts";

/** A customer row. */
export interface Customer {
  id: string;
  account_id: string;
  email: string | null;
  name: string | null;
  currency: string | null;
  balance: string;
  delinquent: boolean;
  deleted: boolean;
  tax_exempt: string;
  metadata: Record<string, string>;
}

/** What {@linkcode Customers.create} takes. */
export interface NewCustomer {
  email: string;
  name?: string;
  currency?: string;
  account?: string;
  metadata?: Record<string, string>;
}

/** Customer operations on the app's pool. */
export class Customers {
  #sql: Sql;

  /**
   * @param sql The app's pool.
   */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * Creates a customer; its email must be unused in the account.
   *
   * @param input The customer's fields.
   * @returns The stored customer.
   * @throws {Error} When the email is taken.
   */
  async create(input: NewCustomer): Promise<Customer> {
    const account = input.account ?? "acct_default";
    return await this.#sql.begin(async (tx) => {
      const [taken] = await tx`
        select id from billing.customers
        where account_id = ${account} and lower(email) = lower(${input.email})
          and not deleted
        for update`;
      if (taken) throw new Error(`email ${input.email} is taken`);
      const [row] = await tx<Customer[]>`
        insert into billing.customers (id, account_id, email, name, currency, metadata)
        values (${newId("cus")}, ${account}, ${input.email}, ${
        input.name ?? null
      }, ${input.currency ?? null}, ${tx.json(input.metadata ?? {})})
        returning *`;
      return row!;
    });
  }

  /**
   * @param id The customer id.
   * @returns The customer, or undefined.
   */
  async get(id: string): Promise<Customer | undefined> {
    const [row] = await this.#sql<Customer[]>`
      select * from billing.customers where id = ${id}`;
    return row;
  }

  /**
   * @param email An email, any case.
   * @returns The live customers with that email.
   */
  async findByEmail(email: string): Promise<Customer[]> {
    return [
      ...await this.#sql<Customer[]>`
      select * from billing.customers
      where lower(email) = lower(${email}) and not deleted
      order by created`,
    ];
  }

  /**
   * @param key A metadata key.
   * @param value Its value.
   * @returns The customers whose metadata has it.
   */
  async findByMetadata(key: string, value: string): Promise<Customer[]> {
    return [
      ...await this.#sql<Customer[]>`
      select * from billing.customers
      where metadata @> ${this.#sql.json({ [key]: value })}
      order by id`,
    ];
  }

  /**
   * Updates name, email or tax status.
   *
   * @param id The customer id.
   * @param changes The fields to change.
   * @returns The updated customer.
   */
  async update(
    id: string,
    changes: { name?: string; email?: string; tax_exempt?: string },
  ): Promise<Customer> {
    const [row] = await this.#sql<Customer[]>`
      update billing.customers set
        name = coalesce(${changes.name ?? null}, name),
        email = coalesce(${changes.email ?? null}, email),
        tax_exempt = coalesce(${changes.tax_exempt ?? null}, tax_exempt)
      where id = ${id}
      returning *`;
    if (!row) throw new Error(`no customer ${id}`);
    return row;
  }

  /**
   * Marks a customer deleted and detaches its payment methods.
   *
   * @param id The customer id.
   */
  async remove(id: string): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`update billing.payment_methods set customer_id = null, is_default = false
        where customer_id = ${id}`;
      await tx`update billing.customers set deleted = true where id = ${id}`;
    });
  }

  /**
   * A page of the account's customers, newest first.
   *
   * @param account The account.
   * @param limit Page size.
   * @param before A customer id to page after.
   * @returns The page.
   */
  async list(
    account: string,
    limit: number,
    before?: string,
  ): Promise<Customer[]> {
    return [
      ...await this.#sql<Customer[]>`
      select * from billing.customers
      where account_id = ${account} and not deleted ${
        before
          ? this
            .#sql`and (created, id) < (select created, id from billing.customers where id = ${before})`
          : this.#sql``
      }
      order by created desc, id desc
      limit ${limit}`,
    ];
  }

  /**
   * Sets the billing or shipping address (one of each).
   *
   * @param id The customer id.
   * @param kind `billing` or `shipping`.
   * @param address The address.
   */
  async setAddress(
    id: string,
    kind: "billing" | "shipping",
    address: {
      line1: string;
      city: string;
      postal_code: string;
      country: string;
    },
  ): Promise<void> {
    await this.#sql`
      insert into billing.customer_addresses (customer_id, kind, line1, city, postal_code, country)
      values (${id}, ${kind}, ${address.line1}, ${address.city}, ${address.postal_code}, ${address.country})
      on conflict (customer_id, kind) do update set
        line1 = excluded.line1, city = excluded.city,
        postal_code = excluded.postal_code, country = excluded.country`;
  }

  /**
   * @param id The customer id.
   * @returns Its addresses with their country's region and EU flag.
   */
  async addresses(
    id: string,
  ): Promise<
    {
      kind: string;
      city: string;
      country: string;
      region: string;
      eu: boolean;
    }[]
  > {
    return [
      ...await this.#sql<
        {
          kind: string;
          city: string;
          country: string;
          region: string;
          eu: boolean;
        }[]
      >`
      select a.kind, a.city, a.country, c.region, c.eu
      from billing.customer_addresses a join billing.countries c on c.code = a.country
      where a.customer_id = ${id} order by a.kind`,
    ];
  }

  /**
   * Attaches a card; the first one becomes the default.
   *
   * @param id The customer id.
   * @param card The card's details.
   * @returns The payment method id.
   */
  async attachCard(
    id: string,
    card: { brand: string; last4: string; exp_month: number; exp_year: number },
  ): Promise<string> {
    const pm = newId("pm");
    await this.#sql`
      insert into billing.payment_methods (id, customer_id, type, brand, last4, exp_month, exp_year, is_default)
      values (${pm}, ${id}, 'card', ${card.brand}, ${card.last4}, ${card.exp_month}, ${card.exp_year},
        not exists (select from billing.payment_methods where customer_id = ${id} and is_default))`;
    return pm;
  }

  /**
   * Makes a payment method the customer's default.
   *
   * @param id The customer id.
   * @param pm The payment method id.
   */
  async setDefaultPaymentMethod(id: string, pm: string): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`update billing.payment_methods set is_default = false
        where customer_id = ${id} and is_default`;
      const done = await tx`update billing.payment_methods set is_default = true
        where customer_id = ${id} and id = ${pm}`;
      if (done.count !== 1) throw new Error(`no payment method ${pm} on ${id}`);
    });
  }

  /**
   * @param id The customer id.
   * @returns Its payment methods, default first.
   */
  async paymentMethods(
    id: string,
  ): Promise<
    { id: string; brand: string; last4: string; is_default: boolean }[]
  > {
    return [
      ...await this.#sql<
        { id: string; brand: string; last4: string; is_default: boolean }[]
      >`
      select id, brand, last4, is_default from billing.payment_methods
      where customer_id = ${id} order by is_default desc, created, id`,
    ];
  }

  /**
   * Adds a tax id.
   *
   * @param id The customer id.
   * @param type e.g. `eu_vat`.
   * @param value The number.
   */
  async addTaxId(id: string, type: string, value: string): Promise<void> {
    await this.#sql`
      insert into billing.tax_ids (id, customer_id, type, value)
      values (${newId("txi")}, ${id}, ${type}, ${value})`;
  }

  /**
   * @param id The customer id.
   * @returns Its tax ids.
   */
  async taxIds(id: string): Promise<{ type: string; value: string }[]> {
    return [
      ...await this.#sql<{ type: string; value: string }[]>`
      select type, value from billing.tax_ids where customer_id = ${id} order by type, value`,
    ];
  }

  /**
   * Adjusts the customer's credit balance, recording the transaction.
   *
   * @param id The customer id.
   * @param amount Minor units (negative: a credit).
   * @param type Why.
   * @returns The new balance.
   */
  async adjustBalance(
    id: string,
    amount: number,
    type: string,
  ): Promise<number> {
    return await this.#sql.begin(async (tx) => {
      const [row] = await tx<{ balance: string }[]>`
        update billing.customers set balance = balance + ${amount}
        where id = ${id} returning balance`;
      if (!row) throw new Error(`no customer ${id}`);
      await tx`insert into billing.customer_balance_transactions (customer_id, amount, ending_balance, type)
        values (${id}, ${amount}, ${row.balance}, ${type})`;
      return Number(row.balance);
    });
  }

  /**
   * @param id The customer id.
   * @returns Its balance transactions, oldest first.
   */
  async balanceHistory(
    id: string,
  ): Promise<{ amount: number; ending_balance: number; type: string }[]> {
    const rows = await this.#sql<
      { amount: string; ending_balance: string; type: string }[]
    >`
      select amount, ending_balance, type from billing.customer_balance_transactions
      where customer_id = ${id} order by id`;
    return rows.map((r) => ({
      amount: Number(r.amount),
      ending_balance: Number(r.ending_balance),
      type: r.type,
    }));
  }

  /**
   * Grants a feature from now on.
   *
   * @param id The customer id.
   * @param lookupKey The feature's lookup key.
   */
  async grant(id: string, lookupKey: string): Promise<void> {
    await this.#sql`
      insert into billing.entitlements (customer_id, feature_id)
      select ${id}, f.id from billing.features f where f.lookup_key = ${lookupKey}`;
  }

  /**
   * @param id The customer id.
   * @returns The lookup keys of its active features.
   */
  async features(id: string): Promise<string[]> {
    const rows = await this.#sql<{ lookup_key: string }[]>`
      select distinct f.lookup_key from billing.entitlements e
      join billing.features f on f.id = e.feature_id
      where e.customer_id = ${id} and e.active_from <= now()
        and (e.active_until is null or e.active_until > now())
      order by f.lookup_key`;
    return rows.map((r) => r.lookup_key);
  }
}

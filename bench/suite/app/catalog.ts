/**
 * Products, prices, subscriptions, coupons and metered usage.
 *
 * @module
 */

import type { Sql } from "./pool.ts";
import { newId } from "./ids.ts";

/** A subscription row. */
export interface Subscription {
  id: string;
  customer_id: string;
  status: string;
  current_period_start: Date;
  current_period_end: Date;
  cancel_at_period_end: boolean;
  canceled_at: Date | null;
  trial_end: Date | null;
}

const DAY = 86_400_000;

/** Catalog and subscription operations on the app's pool. */
export class Catalog {
  #sql: Sql;

  /**
   * @param sql The app's pool.
   */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * Creates a product with one monthly price.
   *
   * @param name The product's name.
   * @param unitAmount The monthly price in minor units.
   * @param currency The price's currency.
   * @returns The product and price ids.
   */
  async createProduct(
    name: string,
    unitAmount: number,
    currency = "usd",
  ): Promise<{ product: string; price: string }> {
    const product = newId("prod");
    const price = newId("price");
    await this.#sql.begin(async (tx) => {
      await tx`insert into billing.products (id, account_id, name)
        values (${product}, 'acct_default', ${name})`;
      await tx`insert into billing.prices (id, product_id, currency, unit_amount, recurring_interval)
        values (${price}, ${product}, ${currency}, ${unitAmount}, 'month')`;
    });
    return { product, price };
  }

  /**
   * Adds a metered price to a product.
   *
   * @param product The product id.
   * @param unitAmount Per unit, minor units.
   * @returns The price id.
   */
  async addMeteredPrice(product: string, unitAmount: number): Promise<string> {
    const price = newId("price");
    await this.#sql`insert into billing.prices
      (id, product_id, currency, unit_amount, recurring_interval, usage_type)
      values (${price}, ${product}, 'usd', ${unitAmount}, 'month', 'metered')`;
    return price;
  }

  /**
   * Archives a product and its prices.
   *
   * @param product The product id.
   */
  async archive(product: string): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`update billing.products set active = false where id = ${product}`;
      await tx`update billing.prices set active = false where product_id = ${product}`;
    });
  }

  /**
   * @returns The names of active products with their active price count.
   */
  async activeProducts(): Promise<{ name: string; prices: number }[]> {
    const rows = await this.#sql<{ name: string; prices: string }[]>`
      select p.name, count(pr.id) as prices from billing.products p
      left join billing.prices pr on pr.product_id = p.id and pr.active
      where p.active group by p.id, p.name order by p.name`;
    return rows.map((r) => ({ name: r.name, prices: Number(r.prices) }));
  }

  /**
   * Subscribes a customer to prices, with an optional trial.
   *
   * @param customer The customer id.
   * @param items The prices and quantities.
   * @param trialDays Days of trial (status `trialing`), 0 for none.
   * @returns The subscription.
   */
  async subscribe(
    customer: string,
    items: { price: string; quantity?: number }[],
    trialDays = 0,
  ): Promise<Subscription> {
    const now = Date.now();
    return await this.#sql.begin(async (tx) => {
      const [pm] = await tx<{ id: string }[]>`
        select id from billing.payment_methods where customer_id = ${customer} and is_default`;
      const [sub] = await tx<Subscription[]>`
        insert into billing.subscriptions (id, customer_id, status, current_period_start,
          current_period_end, trial_end, default_payment_method)
        values (${newId("sub")}, ${customer}, ${
        trialDays ? "trialing" : "active"
      },
          ${new Date(now)}, ${new Date(now + 30 * DAY)},
          ${trialDays ? new Date(now + trialDays * DAY) : null}, ${
        pm?.id ?? null
      })
        returning *`;
      for (const item of items) {
        await tx`insert into billing.subscription_items (id, subscription_id, price_id, quantity)
          values (${newId("si")}, ${sub!.id}, ${item.price}, ${
          item.quantity ?? 1
        })`;
      }
      return sub!;
    });
  }

  /**
   * @param id The subscription id.
   * @returns The subscription, or undefined.
   */
  async subscription(id: string): Promise<Subscription | undefined> {
    const [row] = await this.#sql<Subscription[]>`
      select * from billing.subscriptions where id = ${id}`;
    return row;
  }

  /**
   * The monthly amount of a subscription, after its discounts.
   *
   * @param id The subscription id.
   * @returns Minor units.
   */
  async monthlyAmount(id: string): Promise<number> {
    const [row] = await this.#sql<{ amount: string }[]>`
      with gross as (
        select coalesce(sum(si.quantity * p.unit_amount), 0) as amount
        from billing.subscription_items si
        join billing.prices p on p.id = si.price_id
        where si.subscription_id = ${id} and p.usage_type = 'licensed'
      ), off as (
        select c.percent_off, c.amount_off from billing.discounts d
        join billing.coupons c on c.id = d.coupon_id
        where d.subscription_id = ${id} and (d.end_at is null or d.end_at > now())
        limit 1
      )
      select greatest(0, round(gross.amount * (1 - coalesce((select percent_off from off), 0) / 100.0))
        - coalesce((select amount_off from off), 0))::bigint as amount
      from gross`;
    return Number(row!.amount);
  }

  /**
   * Changes the quantity of one item (an upgrade or downgrade).
   *
   * @param id The subscription id.
   * @param price The item's price.
   * @param quantity The new quantity.
   */
  async setQuantity(
    id: string,
    price: string,
    quantity: number,
  ): Promise<void> {
    const done = await this.#sql`
      update billing.subscription_items set quantity = ${quantity}
      where subscription_id = ${id} and price_id = ${price}`;
    if (done.count !== 1) throw new Error(`no item ${price} on ${id}`);
  }

  /**
   * Swaps one item's price for another, in one transaction.
   *
   * @param id The subscription id.
   * @param from The old price.
   * @param to The new price.
   */
  async swapPrice(id: string, from: string, to: string): Promise<void> {
    await this.#sql.begin(async (tx) => {
      const [old] = await tx<{ quantity: number }[]>`
        delete from billing.subscription_items
        where subscription_id = ${id} and price_id = ${from} returning quantity`;
      if (!old) throw new Error(`no item ${from} on ${id}`);
      await tx`insert into billing.subscription_items (id, subscription_id, price_id, quantity)
        values (${newId("si")}, ${id}, ${to}, ${old.quantity})`;
      await tx`update billing.subscriptions set updated = now() where id = ${id}`;
    });
  }

  /**
   * Cancels now, or at the period's end.
   *
   * @param id The subscription id.
   * @param atPeriodEnd Keep it until the period ends.
   * @returns The subscription.
   */
  async cancel(id: string, atPeriodEnd: boolean): Promise<Subscription> {
    const [row] = await this.#sql<Subscription[]>`
      update billing.subscriptions set
        cancel_at_period_end = ${atPeriodEnd},
        status = case when ${atPeriodEnd} then status else 'canceled' end,
        canceled_at = now(),
        ended_at = case when ${atPeriodEnd} then null else now() end
      where id = ${id} returning *`;
    if (!row) throw new Error(`no subscription ${id}`);
    return row;
  }

  /**
   * Ends the trials that are over: `trialing` becomes `active`.
   *
   * @param now The time to compare with.
   * @returns How many ended.
   */
  async endTrials(now: Date): Promise<number> {
    const done = await this.#sql`
      update billing.subscriptions set status = 'active', trial_end = null
      where status = 'trialing' and trial_end <= ${now}`;
    return done.count;
  }

  /**
   * @param customer The customer id.
   * @returns Its subscriptions' ids and statuses, oldest first.
   */
  async subscriptionsOf(
    customer: string,
  ): Promise<{ id: string; status: string }[]> {
    return [
      ...await this.#sql<{ id: string; status: string }[]>`
      select id, status from billing.subscriptions where customer_id = ${customer}
      order by created, id`,
    ];
  }

  /**
   * Creates a coupon.
   *
   * @param off `{ percent }` or `{ amount }` off.
   * @param maxRedemptions At most this many uses, if given.
   * @returns The coupon id.
   */
  async createCoupon(
    off: { percent: number } | { amount: number },
    maxRedemptions?: number,
  ): Promise<string> {
    const id = newId("coupon");
    await this.#sql`insert into billing.coupons
      (id, percent_off, amount_off, currency, duration, max_redemptions)
      values (${id}, ${"percent" in off ? off.percent : null},
        ${"amount" in off ? off.amount : null}, ${
      "amount" in off ? "usd" : null
    },
        'forever', ${maxRedemptions ?? null})`;
    return id;
  }

  /**
   * Applies a coupon to a subscription, counting the redemption.
   *
   * @param subscription The subscription id.
   * @param coupon The coupon id.
   * @throws {Error} When the coupon is used up or invalid.
   */
  async applyCoupon(subscription: string, coupon: string): Promise<void> {
    await this.#sql.begin(async (tx) => {
      const [c] = await tx<{ ok: boolean }[]>`
        update billing.coupons set times_redeemed = times_redeemed + 1
        where id = ${coupon} and valid
          and (max_redemptions is null or times_redeemed < max_redemptions)
        returning true as ok`;
      if (!c) throw new Error(`coupon ${coupon} cannot be redeemed`);
      const [sub] = await tx<{ customer_id: string }[]>`
        select customer_id from billing.subscriptions where id = ${subscription}`;
      await tx`insert into billing.discounts (id, coupon_id, customer_id, subscription_id)
        values (${newId("di")}, ${coupon}, ${
        sub!.customer_id
      }, ${subscription})`;
    });
  }

  /**
   * Creates a promotion code for a coupon.
   *
   * @param coupon The coupon id.
   * @param code The customer-facing code.
   */
  async createPromotionCode(coupon: string, code: string): Promise<void> {
    await this.#sql`insert into billing.promotion_codes (id, coupon_id, code)
      values (${newId("promo")}, ${coupon}, ${code})`;
  }

  /**
   * @param code A customer-facing code, any case.
   * @returns Its coupon id if the code is active.
   */
  async couponFor(code: string): Promise<string | undefined> {
    const [row] = await this.#sql<{ coupon_id: string }[]>`
      select coupon_id from billing.promotion_codes
      where upper(code) = upper(${code}) and active
        and (expires_at is null or expires_at > now())`;
    return row?.coupon_id;
  }

  /**
   * Records usage of a metered item.
   *
   * @param item The subscription item id.
   * @param quantity The usage.
   */
  async recordUsage(item: string, quantity: number): Promise<void> {
    await this
      .#sql`insert into billing.usage_records (subscription_item_id, quantity)
      values (${item}, ${quantity})`;
  }

  /**
   * @param subscription The subscription id.
   * @returns Its items' ids by price id.
   */
  async items(subscription: string): Promise<Map<string, string>> {
    const rows = await this.#sql<{ id: string; price_id: string }[]>`
      select id, price_id from billing.subscription_items where subscription_id = ${subscription}`;
    return new Map(rows.map((r) => [r.price_id, r.id]));
  }

  /**
   * @param item The subscription item id.
   * @returns Its total usage.
   */
  async usage(item: string): Promise<number> {
    const [row] = await this.#sql<{ total: string }[]>`
      select coalesce(sum(quantity), 0) as total from billing.usage_records
      where subscription_item_id = ${item}`;
    return Number(row!.total);
  }

  /**
   * Records meter events; a repeated identifier is ignored.
   *
   * @param customer The customer id.
   * @param events The events.
   * @returns How many were new.
   */
  async meter(
    customer: string,
    events: { meter: string; value: number; identifier: string }[],
  ): Promise<number> {
    const rows = events.map((e) => ({
      meter_id: e.meter,
      customer_id: customer,
      value: e.value,
      identifier: e.identifier,
    }));
    const done = await this.#sql`
      insert into billing.meter_events ${
      this.#sql(rows, "meter_id", "customer_id", "value", "identifier")
    }
      on conflict (meter_id, identifier) do nothing`;
    return done.count;
  }

  /**
   * @param customer The customer id.
   * @returns The sum of its meter events, by meter event name.
   */
  async meterTotals(customer: string): Promise<Record<string, number>> {
    const rows = await this.#sql<{ event_name: string; total: string }[]>`
      select m.event_name, sum(e.value) as total from billing.meter_events e
      join billing.meters m on m.id = e.meter_id
      where e.customer_id = ${customer} group by m.event_name`;
    return Object.fromEntries(rows.map((r) => [r.event_name, Number(r.total)]));
  }

  /**
   * @returns The seeded plans, cheapest first.
   */
  async plans(): Promise<{ id: string; amount: number; trial_days: number }[]> {
    const rows = await this.#sql<
      { id: string; amount: string; trial_days: number }[]
    >`select id, amount, trial_days from billing.plans order by amount, id`;
    return rows.map((r) => ({ ...r, amount: Number(r.amount) }));
  }
}

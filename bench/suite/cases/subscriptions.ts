/**
 * Cases of `subscriptions_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { App } from "../app/mod.ts";
import type { Case } from "./case.ts";

/** A customer with a default card, and a product with a monthly price. */
async function setup(
  app: App,
  amount = 1000,
): Promise<{ customer: string; product: string; price: string }> {
  const c = await app.customers.create({
    email: `sub-${crypto.randomUUID()}@x.test`,
  });
  await app.customers.attachCard(c.id, {
    brand: "visa",
    last4: "4242",
    exp_month: 12,
    exp_year: 2030,
  });
  const { product, price } = await app.catalog.createProduct("Seat", amount);
  return { customer: c.id, product, price };
}

/** 20 cases on the catalog and subscriptions. */
export const cases: Case[] = [
  {
    name: "a product is created with its price",
    async run(app): Promise<void> {
      await app.catalog.createProduct("Basic", 500);
      await app.catalog.createProduct("Team", 1500);
      assert.deepEqual(await app.catalog.activeProducts(), [
        { name: "Basic", prices: 1 },
        { name: "Team", prices: 1 },
      ]);
    },
  },
  {
    name: "an archived product is no longer listed",
    async run(app): Promise<void> {
      const { product } = await app.catalog.createProduct("Legacy", 100);
      await app.catalog.createProduct("Current", 200);
      await app.catalog.archive(product);
      assert.deepEqual(
        (await app.catalog.activeProducts()).map((p) => p.name),
        ["Current"],
      );
    },
  },
  {
    name: "a subscription uses the customer's default card",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app);
      const sub = await app.catalog.subscribe(customer, [{ price }]);
      assert.equal(sub.status, "active");
      const [row] = await app.sql<{ default_payment_method: string | null }[]>`
        select default_payment_method from billing.subscriptions where id = ${sub.id}`;
      assert.ok(row?.default_payment_method?.startsWith("pm_"));
    },
  },
  {
    name: "the monthly amount is the sum of licensed items",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app, 1000);
      const other = await app.catalog.createProduct("Support", 2500);
      const sub = await app.catalog.subscribe(customer, [
        { price, quantity: 3 },
        { price: other.price },
      ]);
      assert.equal(await app.catalog.monthlyAmount(sub.id), 5500);
    },
  },
  {
    name: "a trial subscription starts trialing and ends its trial",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app);
      const sub = await app.catalog.subscribe(customer, [{ price }], 14);
      assert.equal(sub.status, "trialing");
      assert.equal(await app.catalog.endTrials(new Date()), 0);
      assert.equal(
        await app.catalog.endTrials(new Date(Date.now() + 15 * 86_400_000)),
        1,
      );
      assert.equal((await app.catalog.subscription(sub.id))?.status, "active");
    },
  },
  {
    name: "changing the quantity changes the monthly amount",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app, 700);
      const sub = await app.catalog.subscribe(customer, [{
        price,
        quantity: 2,
      }]);
      await app.catalog.setQuantity(sub.id, price, 5);
      assert.equal(await app.catalog.monthlyAmount(sub.id), 3500);
    },
  },
  {
    name: "a negative quantity is refused",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app);
      const sub = await app.catalog.subscribe(customer, [{ price }]);
      await assert.rejects(
        () => app.catalog.setQuantity(sub.id, price, -1),
        /check constraint/,
      );
      assert.equal(await app.catalog.monthlyAmount(sub.id), 1000);
    },
  },
  {
    name: "swapping a price keeps the quantity",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app, 1000);
      const pro = await app.catalog.createProduct("Seat Pro", 3000);
      const sub = await app.catalog.subscribe(customer, [{
        price,
        quantity: 4,
      }]);
      await app.catalog.swapPrice(sub.id, price, pro.price);
      assert.equal(await app.catalog.monthlyAmount(sub.id), 12000);
      assert.deepEqual([...(await app.catalog.items(sub.id)).keys()], [
        pro.price,
      ]);
    },
  },
  {
    name: "swapping a price the subscription does not have changes nothing",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app, 1000);
      const other = await app.catalog.createProduct("Other", 9000);
      const sub = await app.catalog.subscribe(customer, [{ price }]);
      await assert.rejects(
        () => app.catalog.swapPrice(sub.id, other.price, price),
        /no item/,
      );
      assert.equal(await app.catalog.monthlyAmount(sub.id), 1000);
    },
  },
  {
    name: "cancelling at the period's end keeps the subscription active",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app);
      const sub = await app.catalog.subscribe(customer, [{ price }]);
      const cancelled = await app.catalog.cancel(sub.id, true);
      assert.equal(cancelled.status, "active");
      assert.equal(cancelled.cancel_at_period_end, true);
      assert.ok(cancelled.canceled_at);
    },
  },
  {
    name: "cancelling now ends the subscription",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app);
      const sub = await app.catalog.subscribe(customer, [{ price }]);
      await app.catalog.subscribe(customer, [{ price }]);
      await app.catalog.cancel(sub.id, false);
      assert.deepEqual(
        (await app.catalog.subscriptionsOf(customer)).map((s) => s.status)
          .sort(),
        ["active", "canceled"],
      );
    },
  },
  {
    name: "a percent coupon discounts the monthly amount",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app, 2000);
      const sub = await app.catalog.subscribe(customer, [{ price }]);
      const coupon = await app.catalog.createCoupon({ percent: 25 });
      await app.catalog.applyCoupon(sub.id, coupon);
      assert.equal(await app.catalog.monthlyAmount(sub.id), 1500);
    },
  },
  {
    name: "an amount coupon never makes the amount negative",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app, 300);
      const sub = await app.catalog.subscribe(customer, [{ price }]);
      const coupon = await app.catalog.createCoupon({ amount: 500 });
      await app.catalog.applyCoupon(sub.id, coupon);
      assert.equal(await app.catalog.monthlyAmount(sub.id), 0);
    },
  },
  {
    name: "a coupon is redeemed at most its maximum",
    async run(app): Promise<void> {
      const coupon = await app.catalog.createCoupon({ percent: 10 }, 2);
      const subs: { id: string }[] = [];
      for (let i = 0; i < 3; i++) {
        const { customer, price } = await setup(app);
        subs.push(await app.catalog.subscribe(customer, [{ price }]));
      }
      await app.catalog.applyCoupon(subs[0]!.id, coupon);
      await app.catalog.applyCoupon(subs[1]!.id, coupon);
      await assert.rejects(
        () => app.catalog.applyCoupon(subs[2]!.id, coupon),
        /cannot be redeemed/,
      );
      const [row] = await app.sql<{ times_redeemed: number }[]>`
        select times_redeemed from billing.coupons where id = ${coupon}`;
      assert.equal(row?.times_redeemed, 2);
    },
  },
  {
    name: "a coupon needs exactly one of percent or amount off",
    async run(app): Promise<void> {
      await assert.rejects(
        () =>
          app
            .sql`insert into billing.coupons (id, percent_off, amount_off, duration)
            values ('coupon_bad', 10, 100, 'once')`,
        /check constraint/,
      );
      const [row] = await app.sql<
        { n: string }[]
      >`select count(*) as n from billing.coupons`;
      assert.equal(row?.n, "0");
    },
  },
  {
    name: "a promotion code finds its coupon in any case",
    async run(app): Promise<void> {
      const coupon = await app.catalog.createCoupon({ percent: 15 });
      await app.catalog.createPromotionCode(coupon, "SPRING15");
      assert.equal(await app.catalog.couponFor("spring15"), coupon);
      assert.equal(await app.catalog.couponFor("SUMMER"), undefined);
    },
  },
  {
    name: "metered usage adds up per item",
    async run(app): Promise<void> {
      const { customer, product, price } = await setup(app);
      const metered = await app.catalog.addMeteredPrice(product, 2);
      const sub = await app.catalog.subscribe(customer, [{ price }, {
        price: metered,
      }]);
      const items = await app.catalog.items(sub.id);
      for (const q of [10, 25, 5]) {
        await app.catalog.recordUsage(items.get(metered)!, q);
      }
      assert.equal(await app.catalog.usage(items.get(metered)!), 40);
      assert.equal(await app.catalog.monthlyAmount(sub.id), 1000);
    },
  },
  {
    name: "meter events are counted once per identifier",
    async run(app): Promise<void> {
      const { customer } = await setup(app);
      const fresh = await app.catalog.meter(customer, [
        { meter: "mtr_api_calls", value: 3, identifier: "req-1" },
        { meter: "mtr_api_calls", value: 4, identifier: "req-2" },
        { meter: "mtr_storage", value: 10, identifier: "day-1" },
      ]);
      const again = await app.catalog.meter(customer, [
        { meter: "mtr_api_calls", value: 3, identifier: "req-1" },
      ]);
      assert.equal(fresh, 3);
      assert.equal(again, 0);
      assert.deepEqual(await app.catalog.meterTotals(customer), {
        api_call: 7,
        storage_gb: 10,
      });
    },
  },
  {
    name: "the seeded plans are listed cheapest first",
    async run(app): Promise<void> {
      const plans = await app.catalog.plans();
      assert.deepEqual(plans.map((p) => p.id), [
        "plan_free",
        "plan_starter",
        "plan_pro",
        "plan_pro_year",
        "plan_enterprise",
      ]);
      assert.equal(plans.find((p) => p.id === "plan_pro")?.trial_days, 14);
    },
  },
  {
    name: "a customer's subscriptions are listed oldest first",
    async run(app): Promise<void> {
      const { customer, price } = await setup(app);
      const a = await app.catalog.subscribe(customer, [{ price }]);
      const b = await app.catalog.subscribe(customer, [{ price }], 7);
      const listed = await app.catalog.subscriptionsOf(customer);
      assert.deepEqual(new Set(listed.map((s) => s.id)), new Set([a.id, b.id]));
      assert.equal(listed.length, 2);
    },
  },
];

/**
 * Cases of `invoices_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { App } from "../app/mod.ts";
import type { Case } from "./case.ts";

/** A customer with a default card. */
async function customer(app: App): Promise<string> {
  const c = await app.customers.create({
    email: `inv-${crypto.randomUUID()}@x.test`,
  });
  await app.customers.attachCard(c.id, {
    brand: "visa",
    last4: "4242",
    exp_month: 12,
    exp_year: 2030,
  });
  return c.id;
}

/** An open invoice of `amount` for a new customer, and its customer. */
async function openInvoice(
  app: App,
  amount: number,
): Promise<{ customer: string; invoice: string }> {
  const c = await customer(app);
  const invoice = await app.invoices.draft(c, [{
    description: "Service",
    unit_amount: amount,
  }]);
  await app.invoices.finalize(invoice);
  return { customer: c, invoice };
}

/** 20 cases on invoices and payments. */
export const cases: Case[] = [
  {
    name: "a draft has its lines and no totals yet",
    async run(app): Promise<void> {
      const c = await customer(app);
      const id = await app.invoices.draft(c, [
        { description: "A", unit_amount: 1000, quantity: 2 },
        { description: "B", unit_amount: 250 },
      ]);
      const invoice = await app.invoices.get(id);
      assert.equal(invoice?.status, "draft");
      assert.equal(invoice?.total, 0);
      const [row] = await app.sql<{ sum: string }[]>`
        select sum(amount) as sum from billing.invoice_lines where invoice_id = ${id}`;
      assert.equal(row?.sum, "2250");
    },
  },
  {
    name: "finalizing totals the lines and numbers the invoice",
    async run(app): Promise<void> {
      const c = await customer(app);
      const id = await app.invoices.draft(c, [
        { description: "A", unit_amount: 1000, quantity: 2 },
        { description: "B", unit_amount: 250 },
      ]);
      const invoice = await app.invoices.finalize(id);
      assert.equal(invoice.status, "open");
      assert.equal(invoice.total, 2250);
      assert.equal(invoice.amount_remaining, 2250);
      assert.equal(invoice.number, "INV-000001");
    },
  },
  {
    name: "exclusive tax is added to the total",
    async run(app): Promise<void> {
      const c = await customer(app);
      const id = await app.invoices.draft(c, [
        { description: "CA", unit_amount: 10000, tax_rate: "txr_us_ca" },
      ]);
      const invoice = await app.invoices.finalize(id);
      assert.equal(invoice.tax, 725);
      assert.equal(invoice.total, 10725);
    },
  },
  {
    name: "inclusive tax is contained in the total",
    async run(app): Promise<void> {
      const c = await customer(app);
      const id = await app.invoices.draft(c, [
        { description: "DE", unit_amount: 11900, tax_rate: "txr_de_vat" },
      ], "eur");
      const invoice = await app.invoices.finalize(id);
      assert.equal(invoice.tax, 1900);
      assert.equal(invoice.total, 11900);
    },
  },
  {
    name: "an invoice is finalized once",
    async run(app): Promise<void> {
      const { invoice } = await openInvoice(app, 500);
      await assert.rejects(() => app.invoices.finalize(invoice), /not a draft/);
      assert.equal((await app.invoices.get(invoice))?.number, "INV-000001");
    },
  },
  {
    name: "invoice numbers follow each other",
    async run(app): Promise<void> {
      const numbers: (string | null | undefined)[] = [];
      for (let i = 0; i < 3; i++) {
        const { invoice } = await openInvoice(app, 100 * (i + 1));
        numbers.push((await app.invoices.get(invoice))?.number);
      }
      assert.deepEqual(numbers, ["INV-000001", "INV-000002", "INV-000003"]);
    },
  },
  {
    name: "paying an invoice charges the default card and records the fee",
    async run(app): Promise<void> {
      const { invoice } = await openInvoice(app, 10000);
      const charge = await app.invoices.pay(invoice);
      assert.ok(charge?.startsWith("ch_"));
      const paid = await app.invoices.get(invoice);
      assert.equal(paid?.status, "paid");
      assert.equal(paid?.amount_paid, 10000);
      assert.deepEqual(await app.invoices.netBalance(), {
        usd: 10000 - 290 - 30,
      });
    },
  },
  {
    name: "a declined card leaves the invoice open for a retry",
    async run(app): Promise<void> {
      const { invoice } = await openInvoice(app, 4000);
      assert.equal(await app.invoices.pay(invoice, true), undefined);
      const open = await app.invoices.get(invoice);
      assert.equal(open?.status, "open");
      assert.equal(open?.attempt_count, 1);
      assert.deepEqual(await app.invoices.dueForRetry(new Date()), []);
      assert.deepEqual(
        await app.invoices.dueForRetry(new Date(Date.now() + 4 * 86_400_000)),
        [invoice],
      );
    },
  },
  {
    name: "a retry after a decline pays the invoice",
    async run(app): Promise<void> {
      const { invoice } = await openInvoice(app, 4000);
      await app.invoices.pay(invoice, true);
      await app.invoices.pay(invoice);
      const paid = await app.invoices.get(invoice);
      assert.equal(paid?.status, "paid");
      assert.equal(paid?.attempt_count, 2);
      const [row] = await app.sql<{ n: string }[]>`
        select count(*) as n from billing.charges where invoice_id = ${invoice}`;
      assert.equal(row?.n, "2");
    },
  },
  {
    name: "a paid invoice cannot be paid again",
    async run(app): Promise<void> {
      const { invoice } = await openInvoice(app, 1000);
      await app.invoices.pay(invoice);
      await assert.rejects(() => app.invoices.pay(invoice), /not open/);
    },
  },
  {
    name: "a partial refund leaves the rest refundable",
    async run(app): Promise<void> {
      const { invoice } = await openInvoice(app, 5000);
      const charge = (await app.invoices.pay(invoice))!;
      await app.invoices.refund(charge, 2000);
      await app.invoices.refund(charge);
      await assert.rejects(
        () => app.invoices.refund(charge, 1),
        /cannot refund/,
      );
      const [row] = await app.sql<{ amount_refunded: string }[]>`
        select amount_refunded from billing.charges where id = ${charge}`;
      assert.equal(row?.amount_refunded, "5000");
    },
  },
  {
    name: "a refund lowers the net balance",
    async run(app): Promise<void> {
      const { invoice } = await openInvoice(app, 10000);
      const charge = (await app.invoices.pay(invoice))!;
      await app.invoices.refund(charge, 1000);
      assert.deepEqual(await app.invoices.netBalance(), { usd: 9680 - 1000 });
    },
  },
  {
    name: "credit notes are numbered after their invoice",
    async run(app): Promise<void> {
      const { invoice } = await openInvoice(app, 3000);
      const first = await app.invoices.creditNote(invoice, 500, "duplicate");
      const second = await app.invoices.creditNote(invoice, 250, "goodwill");
      assert.deepEqual([first, second], ["INV-000001-CN1", "INV-000001-CN2"]);
      assert.equal(await app.invoices.credited(invoice), 750);
    },
  },
  {
    name: "a dispute opens a review, closing it closes the review",
    async run(app): Promise<void> {
      const { invoice } = await openInvoice(app, 2500);
      const charge = (await app.invoices.pay(invoice))!;
      const dispute = await app.invoices.dispute(charge, "fraudulent");
      assert.equal(await app.invoices.openReviews(charge), 1);
      await app.invoices.closeDispute(dispute, true, { receipt: "file_1" });
      assert.equal(await app.invoices.openReviews(charge), 0);
    },
  },
  {
    name: "a voided invoice owes nothing",
    async run(app): Promise<void> {
      const { customer: c, invoice } = await openInvoice(app, 800);
      await app.invoices.void(invoice);
      assert.deepEqual(await app.invoices.totalsByStatus(c), { void: 800 });
      await assert.rejects(() => app.invoices.void(invoice), /not open/);
    },
  },
  {
    name: "a subscription's invoice bills its licensed items",
    async run(app): Promise<void> {
      const c = await customer(app);
      const seat = await app.catalog.createProduct("Seat", 1200);
      const sub = await app.catalog.subscribe(c, [{
        price: seat.price,
        quantity: 3,
      }]);
      const invoice = await app.invoices.draftForSubscription(sub.id);
      assert.equal((await app.invoices.finalize(invoice)).total, 3600);
    },
  },
  {
    name: "a payout takes the available balance once",
    async run(app): Promise<void> {
      for (const amount of [1000, 2000]) {
        const { invoice } = await openInvoice(app, amount);
        await app.invoices.pay(invoice);
      }
      const first = await app.invoices.payout();
      assert.equal(first, 1000 - 59 + 2000 - 88);
      assert.equal(await app.invoices.payout(), 0);
    },
  },
  {
    name: "totals by status add up a customer's invoices",
    async run(app): Promise<void> {
      const c = await customer(app);
      for (const amount of [100, 200, 300]) {
        const id = await app.invoices.draft(c, [{
          description: "x",
          unit_amount: amount,
        }]);
        await app.invoices.finalize(id);
        if (amount !== 200) await app.invoices.pay(id);
      }
      assert.deepEqual(await app.invoices.totalsByStatus(c), {
        paid: 400,
        open: 200,
      });
    },
  },
  {
    name:
      "a line's amount is quantity times unit amount, computed by the database",
    async run(app): Promise<void> {
      const c = await customer(app);
      const id = await app.invoices.draft(c, [{
        description: "x",
        unit_amount: 333,
        quantity: 3,
      }]);
      const [row] = await app.sql<{ amount: string }[]>`
        select amount from billing.invoice_lines where invoice_id = ${id}`;
      assert.equal(row?.amount, "999");
    },
  },
  {
    name: "an invoice for an unknown customer is refused and leaves nothing",
    async run(app): Promise<void> {
      await assert.rejects(
        () =>
          app.invoices.draft("cus_missing", [{
            description: "x",
            unit_amount: 1,
          }]),
        /foreign key/,
      );
      const [row] = await app.sql<{ n: string }[]>`
        select (select count(*) from billing.invoices) + (select count(*) from billing.invoice_lines) as n`;
      assert.equal(row?.n, "0");
    },
  },
];

/**
 * Invoices and money movement: lines, finalization with tax, payment,
 * refunds, credit notes, disputes, payouts.
 *
 * @module
 */

import type { Sql } from "./pool.ts";
import { newId } from "./ids.ts";

/** An invoice row (amounts as numbers). */
export interface Invoice {
  id: string;
  customer_id: string;
  number: string | null;
  status: string;
  currency: string;
  subtotal: number;
  tax: number;
  total: number;
  amount_paid: number;
  amount_remaining: number;
  attempt_count: number;
}

/** A line of a new invoice. */
export interface NewLine {
  description: string;
  unit_amount: number;
  quantity?: number;
  tax_rate?: string;
  price?: string;
}

function toInvoice(row: Record<string, unknown>): Invoice {
  return {
    id: row.id as string,
    customer_id: row.customer_id as string,
    number: row.number as string | null,
    status: row.status as string,
    currency: (row.currency as string).trim(),
    subtotal: Number(row.subtotal),
    tax: Number(row.tax),
    total: Number(row.total),
    amount_paid: Number(row.amount_paid),
    amount_remaining: Number(row.amount_remaining),
    attempt_count: Number(row.attempt_count),
  };
}

/** Invoice operations on the app's pool. */
export class Invoices {
  #sql: Sql;

  /**
   * @param sql The app's pool.
   */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * Creates a draft invoice with its lines.
   *
   * @param customer The customer id.
   * @param lines The lines.
   * @param currency The currency.
   * @returns The invoice id.
   */
  async draft(
    customer: string,
    lines: NewLine[],
    currency = "usd",
  ): Promise<string> {
    const id = newId("in");
    await this.#sql.begin(async (tx) => {
      await tx`insert into billing.invoices (id, customer_id, currency)
        values (${id}, ${customer}, ${currency})`;
      const rows = lines.map((l) => ({
        invoice_id: id,
        description: l.description,
        quantity: l.quantity ?? 1,
        unit_amount: l.unit_amount,
        tax_rate_id: l.tax_rate ?? null,
        price_id: l.price ?? null,
      }));
      if (rows.length) {
        await tx`insert into billing.invoice_lines ${
          tx(
            rows,
            "invoice_id",
            "description",
            "quantity",
            "unit_amount",
            "tax_rate_id",
            "price_id",
          )
        }`;
      }
    });
    return id;
  }

  /**
   * Drafts an invoice for a subscription's licensed items.
   *
   * @param subscription The subscription id.
   * @returns The invoice id.
   */
  async draftForSubscription(subscription: string): Promise<string> {
    const id = newId("in");
    await this.#sql.begin(async (tx) => {
      const [sub] = await tx<{ customer_id: string }[]>`
        select customer_id from billing.subscriptions where id = ${subscription}`;
      if (!sub) throw new Error(`no subscription ${subscription}`);
      await tx`insert into billing.invoices (id, customer_id, subscription_id, currency)
        values (${id}, ${sub.customer_id}, ${subscription}, 'usd')`;
      await tx`insert into billing.invoice_lines (invoice_id, price_id, description, quantity, unit_amount)
        select ${id}, p.id, pr.name, si.quantity, p.unit_amount
        from billing.subscription_items si
        join billing.prices p on p.id = si.price_id
        join billing.products pr on pr.id = p.product_id
        where si.subscription_id = ${subscription} and p.usage_type = 'licensed'`;
    });
    return id;
  }

  /**
   * Finalizes a draft: totals with tax (exclusive rates add, inclusive
   * rates are contained), a number, status `open`.
   *
   * @param id The invoice id.
   * @returns The invoice.
   */
  async finalize(id: string): Promise<Invoice> {
    return await this.#sql.begin(async (tx) => {
      const [row] = await tx`
        with lines as (
          select l.amount, coalesce(t.percentage, 0) as pct, coalesce(t.inclusive, false) as inclusive
          from billing.invoice_lines l left join billing.tax_rates t on t.id = l.tax_rate_id
          where l.invoice_id = ${id}
        ), sums as (
          select coalesce(sum(amount), 0) as subtotal,
            coalesce(sum(case when inclusive then round(amount - amount / (1 + pct / 100))
              else round(amount * pct / 100) end), 0)::bigint as tax,
            coalesce(sum(case when inclusive then 0 else round(amount * pct / 100) end), 0)::bigint as extra
          from lines
        )
        update billing.invoices i set
          status = 'open', finalized_at = now(),
          number = 'INV-' || lpad((select count(*) + 1 from billing.invoices where number is not null)::text, 6, '0'),
          subtotal = s.subtotal, tax = s.tax, total = s.subtotal + s.extra,
          amount_remaining = s.subtotal + s.extra
        from sums s
        where i.id = ${id} and i.status = 'draft'
        returning i.*`;
      if (!row) throw new Error(`invoice ${id} is not a draft`);
      return toInvoice(row);
    });
  }

  /**
   * @param id The invoice id.
   * @returns The invoice, or undefined.
   */
  async get(id: string): Promise<Invoice | undefined> {
    const [row] = await this
      .#sql`select * from billing.invoices where id = ${id}`;
    return row ? toInvoice(row) : undefined;
  }

  /**
   * Pays an open invoice with the customer's default card: a payment
   * intent, a charge, a balance transaction (2.9 % + 30 fee), the invoice
   * payment; a declined card counts an attempt instead.
   *
   * @param id The invoice id.
   * @param decline Simulate a declined card.
   * @returns The charge id, or undefined when declined.
   */
  async pay(id: string, decline = false): Promise<string | undefined> {
    return await this.#sql.begin(async (tx) => {
      const [inv] = await tx<
        { customer_id: string; amount_remaining: string; currency: string }[]
      >`select customer_id, amount_remaining, currency from billing.invoices
        where id = ${id} and status = 'open' for update`;
      if (!inv) throw new Error(`invoice ${id} is not open`);
      const amount = Number(inv.amount_remaining);
      const [pm] = await tx<{ id: string }[]>`
        select id from billing.payment_methods where customer_id = ${inv.customer_id} and is_default`;
      const pi = newId("pi");
      await tx`insert into billing.payment_intents (id, customer_id, invoice_id, amount, currency, status, payment_method_id)
        values (${pi}, ${inv.customer_id}, ${id}, ${amount}, ${inv.currency},
          ${decline ? "requires_payment_method" : "succeeded"}, ${
        pm?.id ?? null
      })`;
      const charge = newId("ch");
      await tx`insert into billing.charges (id, payment_intent_id, customer_id, invoice_id, amount, currency, status, paid, failure_code)
        values (${charge}, ${pi}, ${inv.customer_id}, ${id}, ${amount}, ${inv.currency},
          ${decline ? "failed" : "succeeded"}, ${!decline}, ${
        decline ? "card_declined" : null
      })`;
      if (decline) {
        await tx`update billing.invoices set attempt_count = attempt_count + 1,
          next_payment_attempt = now() + interval '3 days' where id = ${id}`;
        return undefined;
      }
      const fee = Math.round(amount * 0.029) + 30;
      await tx`insert into billing.balance_transactions (id, source_id, type, amount, fee, net, currency)
        values (${newId("txn")}, ${charge}, 'charge', ${amount}, ${fee}, ${
        amount - fee
      }, ${inv.currency})`;
      await tx`insert into billing.invoice_payments (invoice_id, charge_id, amount)
        values (${id}, ${charge}, ${amount})`;
      await tx`update billing.invoices set status = 'paid', paid_at = now(),
        amount_paid = amount_paid + ${amount}, amount_remaining = 0,
        attempt_count = attempt_count + 1, next_payment_attempt = null
        where id = ${id}`;
      return charge;
    });
  }

  /**
   * Refunds part or all of a charge.
   *
   * @param charge The charge id.
   * @param amount Minor units; the rest of the charge by default.
   * @returns The refund id.
   * @throws {Error} When more than the charge's remainder is asked.
   */
  async refund(charge: string, amount?: number): Promise<string> {
    return await this.#sql.begin(async (tx) => {
      const [ch] = await tx<
        { amount: string; amount_refunded: string; currency: string }[]
      >`select amount, amount_refunded, currency from billing.charges
        where id = ${charge} and paid for update`;
      if (!ch) throw new Error(`charge ${charge} is not paid`);
      const left = Number(ch.amount) - Number(ch.amount_refunded);
      const value = amount ?? left;
      if (value <= 0 || value > left) {
        throw new Error(`cannot refund ${value} of ${left} left on ${charge}`);
      }
      const id = newId("re");
      await tx`insert into billing.refunds (id, charge_id, amount) values (${id}, ${charge}, ${value})`;
      await tx`update billing.charges set amount_refunded = amount_refunded + ${value} where id = ${charge}`;
      await tx`insert into billing.balance_transactions (id, source_id, type, amount, net, currency)
        values (${
        newId("txn")
      }, ${id}, 'refund', ${-value}, ${-value}, ${ch.currency})`;
      return id;
    });
  }

  /**
   * Issues a credit note against an invoice's lines.
   *
   * @param invoice The invoice id.
   * @param amount Minor units.
   * @param reason Why.
   * @returns The credit note's number.
   */
  async creditNote(
    invoice: string,
    amount: number,
    reason: string,
  ): Promise<string> {
    return await this.#sql.begin(async (tx) => {
      const id = newId("cn");
      const [n] = await tx<{ n: string }[]>`
        select count(*) + 1 as n from billing.credit_notes where invoice_id = ${invoice}`;
      const [inv] = await tx<{ number: string }[]>`
        select number from billing.invoices where id = ${invoice}`;
      const number = `${inv!.number}-CN${n!.n}`;
      await tx`insert into billing.credit_notes (id, invoice_id, number, amount, reason)
        values (${id}, ${invoice}, ${number}, ${amount}, ${reason})`;
      const [line] = await tx<{ id: string }[]>`
        select id from billing.invoice_lines where invoice_id = ${invoice} order by amount desc limit 1`;
      await tx`insert into billing.credit_note_lines (credit_note_id, invoice_line_id, amount, description)
        values (${id}, ${line?.id ?? null}, ${amount}, ${reason})`;
      return number;
    });
  }

  /**
   * @param invoice The invoice id.
   * @returns The total credited on it.
   */
  async credited(invoice: string): Promise<number> {
    const [row] = await this.#sql<{ total: string }[]>`
      select coalesce(sum(amount), 0) as total from billing.credit_notes
      where invoice_id = ${invoice} and status = 'issued'`;
    return Number(row!.total);
  }

  /**
   * Opens a dispute on a charge and flags it for review.
   *
   * @param charge The charge id.
   * @param reason Why.
   * @returns The dispute id.
   */
  async dispute(charge: string, reason: string): Promise<string> {
    const id = newId("dp");
    await this.#sql.begin(async (tx) => {
      const [ch] = await tx<{ amount: string }[]>`
        select amount from billing.charges where id = ${charge}`;
      await tx`insert into billing.disputes (id, charge_id, amount, reason)
        values (${id}, ${charge}, ${ch!.amount}, ${reason})`;
      await tx`insert into billing.reviews (id, charge_id, reason)
        values (${newId("prv")}, ${charge}, 'disputed')`;
    });
    return id;
  }

  /**
   * Submits evidence and closes a dispute.
   *
   * @param id The dispute id.
   * @param won Whether the dispute was won.
   * @param evidence What was submitted.
   */
  async closeDispute(
    id: string,
    won: boolean,
    evidence: Record<string, string>,
  ): Promise<void> {
    await this.#sql.begin(async (tx) => {
      const [d] = await tx<{ charge_id: string }[]>`
        update billing.disputes set status = ${won ? "won" : "lost"},
          evidence = ${tx.json(evidence)}
        where id = ${id} returning charge_id`;
      await tx`update billing.reviews set open = false where charge_id = ${
        d!.charge_id
      }`;
    });
  }

  /**
   * @param charge The charge id.
   * @returns Its open reviews.
   */
  async openReviews(charge: string): Promise<number> {
    const [row] = await this.#sql<{ n: string }[]>`
      select count(*) as n from billing.reviews where charge_id = ${charge} and open`;
    return Number(row!.n);
  }

  /**
   * Voids an open invoice.
   *
   * @param id The invoice id.
   */
  async void(id: string): Promise<void> {
    const done = await this
      .#sql`update billing.invoices set status = 'void', amount_remaining = 0
      where id = ${id} and status = 'open'`;
    if (done.count !== 1) throw new Error(`invoice ${id} is not open`);
  }

  /**
   * The net balance available by day, from balance transactions.
   *
   * @returns Net minor units by currency.
   */
  async netBalance(): Promise<Record<string, number>> {
    const rows = await this.#sql<{ currency: string; net: string }[]>`
      select currency, sum(net) as net from billing.balance_transactions group by currency`;
    return Object.fromEntries(
      rows.map((r) => [r.currency.trim(), Number(r.net)]),
    );
  }

  /**
   * Pays out the available balance of the default account.
   *
   * @returns The payout's amount, 0 when there is nothing.
   */
  async payout(): Promise<number> {
    return await this.#sql.begin(async (tx) => {
      const [row] = await tx<{ net: string }[]>`
        select coalesce(sum(net), 0) as net from billing.balance_transactions
        where currency = 'usd' and available_on <= current_date`;
      const [paid] = await tx<{ paid: string }[]>`
        select coalesce(sum(amount), 0) as paid from billing.payouts where account_id = 'acct_default'`;
      const amount = Number(row!.net) - Number(paid!.paid);
      if (amount <= 0) return 0;
      await tx`insert into billing.payouts (id, account_id, amount, currency, arrival_date)
        values (${
        newId("po")
      }, 'acct_default', ${amount}, 'usd', current_date + 2)`;
      return amount;
    });
  }

  /**
   * The open invoices whose next payment attempt is due.
   *
   * @param now The time to compare with.
   * @returns Their ids.
   */
  async dueForRetry(now: Date): Promise<string[]> {
    const rows = await this.#sql<{ id: string }[]>`
      select id from billing.invoices
      where status = 'open' and next_payment_attempt <= ${now} order by next_payment_attempt`;
    return rows.map((r) => r.id);
  }

  /**
   * @param customer The customer id.
   * @returns Totals of its invoices by status.
   */
  async totalsByStatus(customer: string): Promise<Record<string, number>> {
    const rows = await this.#sql<{ status: string; total: string }[]>`
      select status, sum(total) as total from billing.invoices
      where customer_id = ${customer} group by status`;
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.total)]));
  }
}

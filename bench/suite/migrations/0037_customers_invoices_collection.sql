alter table billing.customers add column tax_exempt text not null default 'none'
  check (tax_exempt in ('none', 'exempt', 'reverse'));
alter table billing.customers add column invoice_prefix text;
create unique index customers_invoice_prefix on billing.customers (invoice_prefix) where invoice_prefix is not null;

alter table billing.invoices add column collection_method text not null default 'charge_automatically';
alter table billing.invoices add column attempt_count int not null default 0;
alter table billing.invoices add column next_payment_attempt timestamptz;
create index invoices_next_attempt on billing.invoices (next_payment_attempt) where status = 'open';

create table billing.payment_intents (
  id text primary key,
  customer_id text references billing.customers (id),
  invoice_id text references billing.invoices (id),
  amount bigint not null check (amount > 0),
  currency char(3) not null references billing.currencies (code),
  status text not null default 'requires_payment_method',
  payment_method_id text references billing.payment_methods (id),
  capture_method text not null default 'automatic',
  metadata jsonb not null default '{}',
  created timestamptz not null default now()
);
create index payment_intents_customer on billing.payment_intents (customer_id);
create table billing.charges (
  id text primary key,
  payment_intent_id text references billing.payment_intents (id),
  customer_id text references billing.customers (id),
  invoice_id text references billing.invoices (id),
  amount bigint not null,
  amount_refunded bigint not null default 0,
  currency char(3) not null references billing.currencies (code),
  status text not null check (status in ('pending', 'succeeded', 'failed')),
  paid boolean not null default false,
  failure_code text,
  created timestamptz not null default now()
);
create index charges_customer on billing.charges (customer_id, created desc);
create index charges_invoice on billing.charges (invoice_id);

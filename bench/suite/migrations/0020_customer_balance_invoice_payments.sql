create table billing.customer_balance_transactions (
  id bigserial primary key,
  customer_id text not null references billing.customers (id) on delete cascade,
  amount bigint not null,
  ending_balance bigint not null,
  type text not null,
  invoice_id text references billing.invoices (id),
  created timestamptz not null default now()
);
create index customer_balance_transactions_customer on billing.customer_balance_transactions (customer_id, id);
create table billing.invoice_payments (
  id bigserial primary key,
  invoice_id text not null references billing.invoices (id) on delete cascade,
  charge_id text references billing.charges (id),
  amount bigint not null,
  created timestamptz not null default now()
);

create table billing.invoices (
  id text primary key,
  customer_id text not null references billing.customers (id),
  subscription_id text references billing.subscriptions (id),
  number text unique,
  status text not null default 'draft' check (status in ('draft', 'open', 'paid', 'uncollectible', 'void')),
  currency char(3) not null references billing.currencies (code),
  subtotal bigint not null default 0,
  tax bigint not null default 0,
  total bigint not null default 0,
  amount_paid bigint not null default 0,
  amount_remaining bigint not null default 0,
  due_date timestamptz,
  finalized_at timestamptz,
  paid_at timestamptz,
  metadata jsonb not null default '{}',
  created timestamptz not null default now()
);
create index invoices_customer_created on billing.invoices (customer_id, created desc);
create index invoices_status on billing.invoices (status) where status in ('open', 'draft');
create table billing.invoice_lines (
  id bigserial primary key,
  invoice_id text not null references billing.invoices (id) on delete cascade,
  price_id text references billing.prices (id),
  description text not null,
  quantity int not null default 1,
  unit_amount bigint not null,
  amount bigint generated always as (quantity * unit_amount) stored,
  tax_rate_id text references billing.tax_rates (id),
  period_start timestamptz,
  period_end timestamptz
);
create index invoice_lines_invoice on billing.invoice_lines (invoice_id);

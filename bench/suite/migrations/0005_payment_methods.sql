create table billing.payment_methods (
  id text primary key,
  customer_id text references billing.customers (id) on delete set null,
  type text not null,
  brand text,
  last4 char(4),
  exp_month smallint,
  exp_year smallint,
  fingerprint text,
  is_default boolean not null default false,
  metadata jsonb not null default '{}',
  created timestamptz not null default now()
);
create index payment_methods_customer on billing.payment_methods (customer_id);
create unique index payment_methods_one_default on billing.payment_methods (customer_id) where is_default;
create table billing.tax_ids (
  id text primary key,
  customer_id text not null references billing.customers (id) on delete cascade,
  type text not null,
  value text not null,
  verified boolean not null default false,
  created timestamptz not null default now(),
  unique (customer_id, type, value)
);

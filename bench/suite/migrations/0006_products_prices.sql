create table billing.products (
  id text primary key,
  account_id text not null references billing.accounts (id),
  name text not null,
  description text,
  active boolean not null default true,
  unit_label text,
  metadata jsonb not null default '{}',
  created timestamptz not null default now(),
  updated timestamptz not null default now()
);
create index products_active on billing.products (account_id) where active;
create table billing.prices (
  id text primary key,
  product_id text not null references billing.products (id),
  currency char(3) not null references billing.currencies (code),
  unit_amount bigint,
  billing_scheme text not null default 'per_unit',
  recurring_interval text check (recurring_interval in ('day', 'week', 'month', 'year')),
  recurring_interval_count int not null default 1,
  usage_type text not null default 'licensed',
  active boolean not null default true,
  lookup_key text unique,
  metadata jsonb not null default '{}',
  created timestamptz not null default now()
);
create index prices_product on billing.prices (product_id);

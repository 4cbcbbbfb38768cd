create table billing.customers (
  id text primary key,
  account_id text not null references billing.accounts (id),
  email text,
  name text,
  description text,
  phone text,
  currency char(3) references billing.currencies (code),
  balance bigint not null default 0,
  delinquent boolean not null default false,
  deleted boolean not null default false,
  metadata jsonb not null default '{}',
  created timestamptz not null default now(),
  updated timestamptz not null default now()
);
create index customers_email on billing.customers (lower(email));
create index customers_account_created on billing.customers (account_id, created desc);
create index customers_metadata on billing.customers using gin (metadata);
create table billing.customer_addresses (
  id bigserial primary key,
  customer_id text not null references billing.customers (id) on delete cascade,
  kind text not null check (kind in ('billing', 'shipping')),
  line1 text not null,
  line2 text,
  city text not null,
  postal_code text,
  country char(2) not null references billing.countries (code),
  unique (customer_id, kind)
);

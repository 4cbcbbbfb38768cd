create table billing.quotes (
  id text primary key,
  customer_id text not null references billing.customers (id),
  status text not null default 'draft',
  amount_total bigint not null default 0,
  expires_at timestamptz,
  created timestamptz not null default now()
);
create table billing.quote_lines (
  id bigserial primary key,
  quote_id text not null references billing.quotes (id) on delete cascade,
  price_id text not null references billing.prices (id),
  quantity int not null default 1
);

create table billing.refunds (
  id text primary key,
  charge_id text not null references billing.charges (id),
  amount bigint not null check (amount > 0),
  reason text,
  status text not null default 'succeeded',
  created timestamptz not null default now()
);
create index refunds_charge on billing.refunds (charge_id);
create table billing.balance_transactions (
  id text primary key,
  source_id text not null,
  type text not null,
  amount bigint not null,
  fee bigint not null default 0,
  net bigint not null,
  currency char(3) not null references billing.currencies (code),
  available_on date not null default current_date,
  created timestamptz not null default now()
);
create index balance_transactions_source on billing.balance_transactions (source_id);
create index balance_transactions_available on billing.balance_transactions (available_on);

create table billing.payouts (
  id text primary key,
  account_id text not null references billing.accounts (id),
  amount bigint not null,
  currency char(3) not null references billing.currencies (code),
  arrival_date date not null,
  status text not null default 'pending',
  created timestamptz not null default now()
);
create index payouts_account_arrival on billing.payouts (account_id, arrival_date);
create table billing.transfers (
  id text primary key,
  destination text not null,
  amount bigint not null,
  currency char(3) not null references billing.currencies (code),
  source_charge_id text references billing.charges (id),
  reversed boolean not null default false,
  created timestamptz not null default now()
);

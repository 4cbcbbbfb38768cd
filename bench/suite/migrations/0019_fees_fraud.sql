create table billing.application_fees (
  id text primary key,
  charge_id text not null references billing.charges (id),
  amount bigint not null,
  amount_refunded bigint not null default 0,
  created timestamptz not null default now()
);
create table billing.early_fraud_warnings (
  id text primary key,
  charge_id text not null references billing.charges (id),
  fraud_type text not null,
  actionable boolean not null default true,
  created timestamptz not null default now()
);

create table billing.setup_intents (
  id text primary key,
  customer_id text references billing.customers (id),
  payment_method_id text references billing.payment_methods (id),
  status text not null default 'requires_payment_method',
  usage text not null default 'off_session',
  created timestamptz not null default now()
);
create table billing.checkout_sessions (
  id text primary key,
  customer_id text references billing.customers (id),
  mode text not null check (mode in ('payment', 'setup', 'subscription')),
  status text not null default 'open',
  success_url text not null,
  amount_total bigint,
  expires_at timestamptz not null default now() + interval '24 hours',
  created timestamptz not null default now()
);
create index checkout_sessions_open on billing.checkout_sessions (expires_at) where status = 'open';

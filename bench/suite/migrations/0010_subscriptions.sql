create table billing.subscriptions (
  id text primary key,
  customer_id text not null references billing.customers (id),
  status text not null check (status in ('incomplete', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
  current_period_start timestamptz not null,
  current_period_end timestamptz not null,
  cancel_at_period_end boolean not null default false,
  canceled_at timestamptz,
  ended_at timestamptz,
  trial_end timestamptz,
  default_payment_method text references billing.payment_methods (id),
  metadata jsonb not null default '{}',
  created timestamptz not null default now(),
  updated timestamptz not null default now()
);
create index subscriptions_customer on billing.subscriptions (customer_id);
create index subscriptions_status on billing.subscriptions (status, current_period_end);
create table billing.subscription_items (
  id text primary key,
  subscription_id text not null references billing.subscriptions (id) on delete cascade,
  price_id text not null references billing.prices (id),
  quantity int not null default 1 check (quantity >= 0),
  created timestamptz not null default now(),
  unique (subscription_id, price_id)
);

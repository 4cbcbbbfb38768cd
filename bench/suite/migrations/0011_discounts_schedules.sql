create table billing.discounts (
  id text primary key,
  coupon_id text not null references billing.coupons (id),
  customer_id text references billing.customers (id) on delete cascade,
  subscription_id text references billing.subscriptions (id) on delete cascade,
  promotion_code_id text references billing.promotion_codes (id),
  start_at timestamptz not null default now(),
  end_at timestamptz
);
create index discounts_customer on billing.discounts (customer_id);
create index discounts_subscription on billing.discounts (subscription_id);
create table billing.schedules (
  id text primary key,
  customer_id text not null references billing.customers (id),
  subscription_id text references billing.subscriptions (id),
  status text not null default 'not_started',
  end_behavior text not null default 'release',
  created timestamptz not null default now()
);

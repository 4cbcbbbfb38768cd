create table billing.coupons (
  id text primary key,
  name text,
  percent_off numeric(5, 2),
  amount_off bigint,
  currency char(3) references billing.currencies (code),
  duration text not null check (duration in ('once', 'repeating', 'forever')),
  duration_in_months int,
  max_redemptions int,
  times_redeemed int not null default 0,
  valid boolean not null default true,
  created timestamptz not null default now(),
  check ((percent_off is null) <> (amount_off is null))
);
create table billing.promotion_codes (
  id text primary key,
  coupon_id text not null references billing.coupons (id),
  code text not null unique,
  active boolean not null default true,
  expires_at timestamptz,
  created timestamptz not null default now()
);

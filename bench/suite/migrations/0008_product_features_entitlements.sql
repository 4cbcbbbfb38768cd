create table billing.product_features (
  product_id text not null references billing.products (id) on delete cascade,
  feature_id text not null references billing.features (id) on delete cascade,
  primary key (product_id, feature_id)
);
create table billing.entitlements (
  id bigserial primary key,
  customer_id text not null references billing.customers (id) on delete cascade,
  feature_id text not null references billing.features (id),
  active_from timestamptz not null default now(),
  active_until timestamptz,
  unique (customer_id, feature_id, active_from)
);
create index entitlements_feature on billing.entitlements (feature_id);

create table billing.meters (
  id text primary key,
  event_name text not null unique,
  display_name text not null,
  aggregation text not null default 'sum',
  created timestamptz not null default now()
);
create table billing.meter_events (
  id bigserial primary key,
  meter_id text not null references billing.meters (id),
  customer_id text not null references billing.customers (id) on delete cascade,
  value bigint not null,
  identifier text not null,
  occurred_at timestamptz not null default now(),
  unique (meter_id, identifier)
);
create index meter_events_customer_time on billing.meter_events (customer_id, occurred_at);

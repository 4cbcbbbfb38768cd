create table billing.schedule_phases (
  id bigserial primary key,
  schedule_id text not null references billing.schedules (id) on delete cascade,
  position int not null,
  price_id text not null references billing.prices (id),
  quantity int not null default 1,
  start_at timestamptz not null,
  end_at timestamptz,
  unique (schedule_id, position)
);
create table billing.usage_records (
  id bigserial primary key,
  subscription_item_id text not null references billing.subscription_items (id) on delete cascade,
  quantity bigint not null,
  action text not null default 'increment',
  recorded_at timestamptz not null default now()
);
create index usage_records_item_time on billing.usage_records (subscription_item_id, recorded_at);

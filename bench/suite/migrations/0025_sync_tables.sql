create table billing.webhook_events (
  id text primary key,
  type text not null,
  api_version text,
  object_id text not null,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  attempts int not null default 0,
  error text
);
create index webhook_events_unprocessed on billing.webhook_events (received_at) where processed_at is null;
create index webhook_events_object on billing.webhook_events (object_id);
create table billing.sync_cursors (
  resource text primary key,
  cursor text,
  synced_until timestamptz,
  updated timestamptz not null default now()
);
create table billing.idempotency_keys (
  key text primary key,
  request_hash text not null,
  response jsonb,
  locked_at timestamptz,
  created timestamptz not null default now()
);

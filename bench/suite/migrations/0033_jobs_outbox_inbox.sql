create table jobs.outbox (
  id bigserial primary key,
  topic text not null,
  key text,
  payload jsonb not null,
  published_at timestamptz,
  created timestamptz not null default now()
);
create index outbox_unpublished on jobs.outbox (id) where published_at is null;
create table jobs.inbox (
  message_id text primary key,
  topic text not null,
  payload jsonb not null,
  handled_at timestamptz,
  created timestamptz not null default now()
);
create table jobs.dead_letters (
  id bigserial primary key,
  run_id uuid references jobs.runs (id) on delete set null,
  reason text not null,
  payload jsonb,
  created timestamptz not null default now()
);

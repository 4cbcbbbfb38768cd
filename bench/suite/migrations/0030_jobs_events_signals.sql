create table jobs.events (
  id bigserial primary key,
  run_id uuid references jobs.runs (id) on delete cascade,
  type text not null,
  data jsonb not null default '{}',
  created timestamptz not null default now()
);
create index events_run on jobs.events (run_id, id);
create table jobs.signals (
  id bigserial primary key,
  run_id uuid not null references jobs.runs (id) on delete cascade,
  name text not null,
  payload jsonb,
  consumed_at timestamptz,
  created timestamptz not null default now()
);
create index signals_pending on jobs.signals (run_id, name) where consumed_at is null;

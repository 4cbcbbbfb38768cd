create table jobs.workers (
  id uuid primary key default gen_random_uuid(),
  hostname text not null,
  queues text[] not null,
  started_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);
create table jobs.heartbeats (
  worker_id uuid not null references jobs.workers (id) on delete cascade,
  run_id uuid not null references jobs.runs (id) on delete cascade,
  beat_at timestamptz not null default now(),
  primary key (worker_id, run_id)
);
create table jobs.locks (
  key text primary key,
  owner text not null,
  expires_at timestamptz not null
);

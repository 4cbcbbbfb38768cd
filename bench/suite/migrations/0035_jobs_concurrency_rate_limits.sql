create table jobs.concurrency_keys (
  key text not null,
  run_id uuid not null references jobs.runs (id) on delete cascade,
  acquired_at timestamptz not null default now(),
  primary key (key, run_id)
);
create table jobs.rate_limits (
  key text primary key,
  tokens numeric not null,
  capacity numeric not null,
  refill_per_second numeric not null,
  updated timestamptz not null default now()
);
create table jobs.cancellations (
  run_id uuid primary key references jobs.runs (id) on delete cascade,
  reason text,
  requested_by text,
  created timestamptz not null default now()
);

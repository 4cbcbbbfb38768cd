create table jobs.runs (
  id uuid primary key default gen_random_uuid(),
  workflow_version_id bigint not null references jobs.workflow_versions (id),
  queue_id int not null references jobs.queues (id),
  status text not null default 'pending' check (status in ('pending', 'running', 'sleeping', 'completed', 'failed', 'cancelled')),
  priority int not null default 0,
  parent_run_id uuid references jobs.runs (id),
  idempotency_key text,
  scheduled_for timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  created timestamptz not null default now()
);
create index runs_ready on jobs.runs (queue_id, priority desc, scheduled_for) where status = 'pending';
create index runs_parent on jobs.runs (parent_run_id);
create unique index runs_idempotency on jobs.runs (workflow_version_id, idempotency_key) where idempotency_key is not null;
create table jobs.run_inputs (
  run_id uuid primary key references jobs.runs (id) on delete cascade,
  input jsonb not null
);

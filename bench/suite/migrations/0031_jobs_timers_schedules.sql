create table jobs.timers (
  id bigserial primary key,
  run_id uuid not null references jobs.runs (id) on delete cascade,
  step_name text not null,
  fires_at timestamptz not null,
  fired boolean not null default false
);
create index timers_due on jobs.timers (fires_at) where not fired;
create table jobs.schedules (
  id bigserial primary key,
  workflow_id bigint not null references jobs.workflows (id) on delete cascade,
  cron text not null,
  timezone text not null default 'UTC',
  next_run_at timestamptz not null,
  enabled boolean not null default true
);
create index schedules_next on jobs.schedules (next_run_at) where enabled;

create table jobs.steps (
  id bigserial primary key,
  run_id uuid not null references jobs.runs (id) on delete cascade,
  name text not null,
  position int not null,
  status text not null default 'pending',
  output jsonb,
  started_at timestamptz,
  finished_at timestamptz,
  unique (run_id, name)
);
create table jobs.step_attempts (
  id bigserial primary key,
  step_id bigint not null references jobs.steps (id) on delete cascade,
  attempt int not null,
  error text,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  unique (step_id, attempt)
);

create table jobs.run_outputs (
  run_id uuid primary key references jobs.runs (id) on delete cascade,
  output jsonb,
  error jsonb
);
create table jobs.step_logs (
  id bigserial primary key,
  step_id bigint not null references jobs.steps (id) on delete cascade,
  level text not null default 'info',
  message text not null,
  created timestamptz not null default now()
);
create index step_logs_step on jobs.step_logs (step_id, id);

create table jobs.tags (
  id serial primary key,
  name text not null unique
);
create table jobs.run_tags (
  run_id uuid not null references jobs.runs (id) on delete cascade,
  tag_id int not null references jobs.tags (id) on delete cascade,
  primary key (run_id, tag_id)
);
create index run_tags_tag on jobs.run_tags (tag_id);
create table jobs.retry_policies (
  id serial primary key,
  workflow_id bigint not null references jobs.workflows (id) on delete cascade,
  max_attempts int not null default 3,
  backoff interval not null default interval '1 second',
  factor numeric(4, 2) not null default 2
);

create table jobs.workflows (
  id bigserial primary key,
  namespace_id int not null references jobs.namespaces (id),
  name text not null,
  description text,
  created timestamptz not null default now(),
  unique (namespace_id, name)
);
create table jobs.workflow_versions (
  id bigserial primary key,
  workflow_id bigint not null references jobs.workflows (id) on delete cascade,
  version int not null,
  definition jsonb not null,
  checksum text not null,
  created timestamptz not null default now(),
  unique (workflow_id, version)
);

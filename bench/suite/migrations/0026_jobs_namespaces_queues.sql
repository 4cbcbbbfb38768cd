create table jobs.namespaces (
  id serial primary key,
  name text not null unique,
  retention interval not null default interval '7 days',
  created timestamptz not null default now()
);
create table jobs.queues (
  id serial primary key,
  namespace_id int not null references jobs.namespaces (id),
  name text not null,
  concurrency int not null default 10,
  paused boolean not null default false,
  unique (namespace_id, name)
);

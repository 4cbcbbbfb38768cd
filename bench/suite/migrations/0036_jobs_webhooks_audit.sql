create table jobs.secrets (
  id serial primary key,
  namespace_id int not null references jobs.namespaces (id),
  name text not null,
  ciphertext bytea not null,
  unique (namespace_id, name)
);
create table jobs.webhooks (
  id serial primary key,
  namespace_id int not null references jobs.namespaces (id),
  url text not null,
  events text[] not null,
  active boolean not null default true
);
create table jobs.webhook_deliveries (
  id bigserial primary key,
  webhook_id int not null references jobs.webhooks (id) on delete cascade,
  event_id bigint references jobs.events (id) on delete set null,
  status int,
  attempt int not null default 1,
  created timestamptz not null default now()
);
create table jobs.audit_log (
  id bigserial primary key,
  actor text not null,
  action text not null,
  subject text not null,
  details jsonb not null default '{}',
  created timestamptz not null default now()
);
create index audit_log_subject on jobs.audit_log (subject, id);

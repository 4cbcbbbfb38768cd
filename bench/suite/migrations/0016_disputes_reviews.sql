create table billing.disputes (
  id text primary key,
  charge_id text not null references billing.charges (id),
  amount bigint not null,
  reason text not null,
  status text not null default 'needs_response',
  evidence jsonb not null default '{}',
  created timestamptz not null default now()
);
create index disputes_charge on billing.disputes (charge_id);
create table billing.reviews (
  id text primary key,
  charge_id text references billing.charges (id),
  reason text not null,
  open boolean not null default true,
  created timestamptz not null default now()
);

create table billing.plans (
  id text primary key,
  name text not null,
  amount bigint not null,
  currency char(3) not null references billing.currencies (code),
  interval text not null,
  trial_days int not null default 0
);
create table billing.features (
  id text primary key,
  lookup_key text not null unique,
  name text not null,
  created timestamptz not null default now()
);

create table billing.files (
  id text primary key,
  purpose text not null,
  filename text not null,
  size bigint not null,
  sha256 text,
  created timestamptz not null default now()
);
create table billing.file_links (
  id text primary key,
  file_id text not null references billing.files (id) on delete cascade,
  expires_at timestamptz,
  url text not null
);
create table billing.exchange_rates (
  day date not null,
  base char(3) not null references billing.currencies (code),
  quote char(3) not null references billing.currencies (code),
  rate numeric(18, 8) not null,
  primary key (day, base, quote)
);
create index exchange_rates_pair on billing.exchange_rates (base, quote, day desc);

create table billing.accounts (
  id text primary key,
  business_name text not null,
  country char(2) not null references billing.countries (code),
  default_currency char(3) not null references billing.currencies (code),
  charges_enabled boolean not null default true,
  payouts_enabled boolean not null default true,
  metadata jsonb not null default '{}',
  created timestamptz not null default now()
);
create table billing.tax_rates (
  id text primary key,
  display_name text not null,
  percentage numeric(6, 4) not null check (percentage >= 0),
  inclusive boolean not null default false,
  country char(2) references billing.countries (code),
  jurisdiction text,
  active boolean not null default true,
  created timestamptz not null default now()
);
create index tax_rates_country on billing.tax_rates (country) where active;

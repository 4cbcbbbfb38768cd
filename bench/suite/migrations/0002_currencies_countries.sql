create table billing.currencies (
  code char(3) primary key,
  name text not null,
  minor_units smallint not null default 2,
  symbol text
);
create table billing.countries (
  code char(2) primary key,
  name text not null,
  currency char(3) references billing.currencies (code),
  region text not null,
  eu boolean not null default false
);
create index countries_currency on billing.countries (currency);

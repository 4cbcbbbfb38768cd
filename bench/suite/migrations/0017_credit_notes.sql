create table billing.credit_notes (
  id text primary key,
  invoice_id text not null references billing.invoices (id),
  number text not null unique,
  amount bigint not null,
  reason text,
  status text not null default 'issued',
  created timestamptz not null default now()
);
create table billing.credit_note_lines (
  id bigserial primary key,
  credit_note_id text not null references billing.credit_notes (id) on delete cascade,
  invoice_line_id bigint references billing.invoice_lines (id),
  amount bigint not null,
  description text
);
create index credit_note_lines_note on billing.credit_note_lines (credit_note_id);

alter table jobs.runs add column attempt int not null default 1;
alter table jobs.runs add column timeout_at timestamptz;
alter table jobs.runs add column worker_id uuid references jobs.workers (id) on delete set null;
create index runs_timeout on jobs.runs (timeout_at) where status = 'running';
create or replace function jobs.touch_updated() returns trigger language plpgsql as $$
begin
  new.updated := now();
  return new;
end $$;
create trigger customers_touch before update on billing.customers
  for each row execute function jobs.touch_updated();
create trigger products_touch before update on billing.products
  for each row execute function jobs.touch_updated();

insert into billing.accounts (id, business_name, country, default_currency)
  values ('acct_default', 'Bench Inc.', 'US', 'usd'), ('acct_eu', 'Bench GmbH', 'DE', 'eur');
insert into billing.tax_rates (id, display_name, percentage, inclusive, country, jurisdiction) values
  ('txr_us_ca', 'CA sales tax', 7.25, false, 'US', 'CA'),
  ('txr_us_ny', 'NY sales tax', 8.875, false, 'US', 'NY'),
  ('txr_de_vat', 'VAT', 19, true, 'DE', null),
  ('txr_fr_vat', 'TVA', 20, true, 'FR', null),
  ('txr_gb_vat', 'VAT', 20, true, 'GB', null);
insert into billing.plans (id, name, amount, currency, interval, trial_days) values
  ('plan_free', 'Free', 0, 'usd', 'month', 0),
  ('plan_starter', 'Starter', 900, 'usd', 'month', 14),
  ('plan_pro', 'Pro', 2900, 'usd', 'month', 14),
  ('plan_pro_year', 'Pro (yearly)', 29000, 'usd', 'year', 14),
  ('plan_enterprise', 'Enterprise', 99000, 'usd', 'month', 30);
insert into billing.features (id, lookup_key, name) values
  ('feat_api', 'api', 'API access'), ('feat_sso', 'sso', 'Single sign-on'),
  ('feat_audit', 'audit', 'Audit log'), ('feat_export', 'export', 'Data export');
insert into billing.meters (id, event_name, display_name) values
  ('mtr_api_calls', 'api_call', 'API calls'), ('mtr_storage', 'storage_gb', 'Storage');
insert into jobs.namespaces (name) values ('default'), ('billing');
insert into jobs.queues (namespace_id, name, concurrency) values
  (1, 'default', 10), (1, 'critical', 2), (2, 'invoices', 5);
insert into jobs.tags (name) values ('nightly'), ('manual'), ('backfill');

// The 100 cases in one module (as a suite with one large test file): what
// `bench/database_isolation.ts` runs to see the clone pipeline keep up, or
// not, with many quick tests.
import { cases as customers } from "../cases/customers.ts";
import { cases as subscriptions } from "../cases/subscriptions.ts";
import { cases as invoices } from "../cases/invoices.ts";
import { cases as workflows } from "../cases/workflows.ts";
import { cases as sync } from "../cases/sync.ts";
import { itkitSuite } from "../itkit/_suite.ts";

itkitSuite("all", [
  ...customers,
  ...subscriptions,
  ...invoices,
  ...workflows,
  ...sync,
]);

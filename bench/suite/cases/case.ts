/**
 * A test case of the suite: a name and a body run against the app. Every
 * kind of suite (itkit, hand-written, vitest-style) registers the same cases,
 * so that they differ only in how the database is provided and reset.
 *
 * @module
 */

import type { App } from "../app/mod.ts";

/** One test: its name and its body. */
export interface Case {
  /** The test's name. */
  name: string;
  /** The body: it starts on the migrated database and may commit anything. */
  run(app: App): Promise<void>;
}

/** The test files of the suite, by name: their cases. */
export type Area =
  | "customers"
  | "subscriptions"
  | "invoices"
  | "workflows"
  | "sync"
  | "all";

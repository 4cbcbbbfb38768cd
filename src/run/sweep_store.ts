// Internal: what each store's part of a sweep hands the sweep
// (src/services/sweep.ts): what it found, and which runs it sees alive.
// Listing comes first, liveness after: every resource listed was made after
// its run's lease was visible (postgres/_lease.ts, s3/_lease.ts), so a run
// that is alive when the liveness is read is seen alive, and a dead one
// cannot come back.

/** A resource a sweep found, named by a fixture of run `runId`. */
export interface SweepCandidate {
  /** For the report: `bucket itkit-…`, `schema app.itkit_…`, `dir /tmp/…`. */
  what: string;
  /** The run whose fixture named it. */
  runId: string;
  /** When the run started (read from the name). */
  created: Date;
  /**
   * Removes it; one already gone (its owner, or another sweep, removed it
   * meanwhile) is no failure.
   *
   * @returns Whether this call removed it (`false`: it was gone already).
   * @throws {InUseError} When another session holds it (the sweep waits for
   *   no lock): it is left for a later sweep.
   */
  remove(): Promise<boolean>;
}

/** One store's part of a sweep, once it has listed what it holds. */
export interface StoreSweep {
  /** What it found, in the order to remove it. */
  candidates: SweepCandidate[];
  /**
   * Which of `runIds` this store sees alive, read after the listing.
   *
   * @param runIds The runs the sweep found anywhere.
   * @returns The live ones.
   */
  live(runIds: ReadonlySet<string>): Promise<Set<string>>;
  /** Closes its connections. */
  close(): Promise<void>;
}

/** A removal the store refused because something else holds the resource. */
export class InUseError extends Error {}

/**
 * What every probe takes and returns.
 *
 * @module
 */

/** What a probe found. */
export interface ProbeResult {
  /** Whether the service is usable. */
  readonly ok: boolean;
  /** The probe's kind or name (`http`, `tcp`, `s3`, `postgres`, ...). */
  readonly name: string;
  /** What was probed (`127.0.0.1:9000`, `http://localhost:8080/health`). */
  readonly target: string;
  /** Why it is not usable (`connection refused 127.0.0.1:9000`); `"ok"` when it is. */
  readonly reason: string;
  /** How long the probe took, in milliseconds. */
  readonly durationMs: number;
}

/** Options every probe takes. */
export interface ProbeOptions {
  /**
   * How long the probe may take before it reports `timed out after N ms`.
   *
   * @default {10000}
   */
  timeout?: number;
  /** Aborts the probe early; the result's reason is then `aborted`. */
  signal?: AbortSignal;
}

// Internal: a run's lease on an S3 store. S3 has no locks: the holder (the
// reaper, which lives as long as the test process and on while it removes
// what the process left) rewrites a small object every ttl/6; a sweep on any
// host reads its Last-Modified and the store's own clock (the `Date` of the
// same response, never the sweeper's clock), and counts the run alive while
// the object is younger than the ttl written with it (`x-amz-meta-itkit-ttl`,
// in milliseconds). Where: in a store of own buckets, the bucket
// `itkit-<run id>-0` (named like the run's buckets, counted from 1), object
// `lease`; in a shared bucket, `itkit-<run id>-0/lease`. Created before the
// run's first resource on the store, deleted after its last.

import type { LeaseResource } from "../run/lease.ts";
import {
  LEASE_OBJECT,
  leaseBucket,
  leasePrefix,
  runIdOf,
} from "../run/naming.ts";
import { DEFAULT_LEASE_TTL, leaseTtl } from "../run/settings.ts";
import { withSignalDeadline } from "../util/deadline.ts";
import { s3Client, type S3ClientLike } from "./client.ts";
import { loadS3Sdk } from "./_sdk.ts";
import type { S3Config } from "./config.ts";

/** A lease as the reaper holds it (see src/run/lease.ts). */
export interface S3Lease extends LeaseResource {
  /** The store, as JSON (`endpoint` a string). */
  config: Omit<S3Config, "endpoint"> & { endpoint: string };
  /** The shared bucket it is kept in, or `""` in a store of own buckets. */
  bucket: string;
}

/** Where a run's lease object is: its bucket and key. */
export function leaseLocation(
  runId: string,
  sharedBucket: string,
): { Bucket: string; Key: string } {
  return sharedBucket === ""
    ? { Bucket: leaseBucket(runId), Key: LEASE_OBJECT }
    : { Bucket: sharedBucket, Key: `${leasePrefix(runId)}${LEASE_OBJECT}` };
}

interface Holder {
  client: S3ClientLike;
  timer: ReturnType<typeof setInterval> | undefined;
  beating?: Promise<void> | undefined;
}

/** A lease being held: once visible to a sweep, and once written. */
interface Holding {
  /**
   * The lease counts: its own bucket exists (a sweep counts a lease bucket
   * younger than the default ttl as alive until its object is written), or
   * its object is written.
   */
  visible: Promise<void>;
  /** Its object is written, and refreshed from now on. */
  held: Promise<Holder>;
}

/** Leases held, by store, bucket and run. */
const holders = new Map<string, Holding>();

function holderKey(
  config: S3Lease["config"],
  bucket: string,
  runId: string,
): string {
  return `${new URL(config.endpoint).href} ${bucket} ${runId}`;
}

/**
 * How long one lease request may take: a store that never answers must not
 * hold the reaper (which then cannot exit) or a sweep for ever. A lease that
 * cannot be written leaves the run protected by the age of its names.
 */
const REQUEST_MS = 10_000;

/** Runs one request with an abort signal that fires after REQUEST_MS. */
function bounded<T>(send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withSignalDeadline(
    REQUEST_MS,
    () => new Error(`the S3 store did not answer within ${REQUEST_MS} ms`),
    send,
  );
}

/**
 * Holds run `runId`'s lease on the store (in `bucket`, or in a bucket of its
 * own when `bucket` is `""`) until {@linkcode release}: resolves once a sweep
 * sees it.
 *
 * @param config The store.
 * @param bucket The shared bucket, or `""`.
 * @param runId The run.
 * @throws When the store refuses (the bucket cannot be created, the object
 *   cannot be written).
 */
export function hold(
  config: S3Lease["config"],
  bucket: string,
  runId: string,
): Promise<void> {
  const key = holderKey(config, bucket, runId);
  let holding = holders.get(key);
  if (!holding) {
    holding = start(config, bucket, runId);
    holders.set(key, holding);
    holding.held.catch(() => holders.delete(key));
  }
  return holding.visible;
}

function start(
  config: S3Lease["config"],
  bucket: string,
  runId: string,
): Holding {
  const { Bucket, Key } = leaseLocation(runId, bucket);
  const ttl = leaseTtl();
  let hostname = "";
  try {
    hostname = Deno.hostname();
  } catch { /* not allowed: the pid says enough */ }
  const body = JSON.stringify({ run: runId, hostname, pid: Deno.pid, ttl });
  const ready = (async () => {
    const sdk = await loadS3Sdk();
    const client = await s3Client({
      ...config,
      endpoint: new URL(config.endpoint),
    } as S3Config);
    return { sdk, client };
  })();
  const createBucket = async (): Promise<void> => {
    const { sdk, client } = await ready;
    try {
      await bounded((abortSignal) =>
        client.send(new sdk.CreateBucketCommand({ Bucket }), { abortSignal })
      );
    } catch (error) {
      const name = (error as Error).name;
      if (
        name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists"
      ) {
        throw error;
      }
    }
  };
  const put = async (): Promise<void> => {
    const { sdk, client } = await ready;
    await bounded((abortSignal) =>
      client.send(
        new sdk.PutObjectCommand({
          Bucket,
          Key,
          Body: body,
          ContentType: "application/json",
          Metadata: { "itkit-ttl": String(ttl) },
        }),
        { abortSignal },
      )
    );
  };
  const beat = async (): Promise<void> => {
    try {
      await put();
    } catch (error) {
      // Its bucket removed under it (a sweep saw it without its object for
      // longer than a ttl): made again.
      if (bucket !== "" || (error as Error).name !== "NoSuchBucket") {
        throw error;
      }
      await createBucket();
      await put();
    }
  };
  const visible = bucket === "" ? createBucket() : beat();
  const held = (async (): Promise<Holder> => {
    const { sdk, client } = await ready;
    try {
      await visible;
      if (bucket === "") await beat();
    } catch (error) {
      if (bucket === "") {
        await bounded((abortSignal) =>
          client.send(new sdk.DeleteBucketCommand({ Bucket }), { abortSignal })
        ).catch(() => {});
      }
      client.destroy();
      throw error;
    }
    const holder: Holder = { client, timer: undefined };
    holder.timer = setInterval(() => {
      // One beat at a time; a failed one is the next one's business.
      holder.beating ??= beat().catch(() => {}).finally(() => {
        holder.beating = undefined;
      });
    }, Math.max(200, Math.floor(ttl / 6)));
    holder.timer.unref(); // never what keeps this process alive
    return holder;
  })();
  held.catch(() => {}); // its failure is `visible`'s, or the next beat's
  return { visible, held };
}

/**
 * Stops refreshing run `runId`'s lease and deletes it (its bucket too, in a
 * store of own buckets).
 *
 * @param config The store.
 * @param bucket The shared bucket, or `""`.
 * @param runId The run.
 */
export async function release(
  config: S3Lease["config"],
  bucket: string,
  runId: string,
): Promise<void> {
  const key = holderKey(config, bucket, runId);
  const holder = await holders.get(key)?.held.catch(() => undefined);
  holders.delete(key);
  if (!holder) return;
  clearInterval(holder.timer);
  await holder.beating;
  const sdk = await loadS3Sdk();
  const { Bucket, Key } = leaseLocation(runId, bucket);
  try {
    await bounded((abortSignal) =>
      holder.client.send(new sdk.DeleteObjectCommand({ Bucket, Key }), {
        abortSignal,
      })
    );
    if (bucket === "") {
      await bounded((abortSignal) =>
        holder.client.send(new sdk.DeleteBucketCommand({ Bucket }), {
          abortSignal,
        })
      );
    }
  } catch (error) {
    if ((error as Error).name !== "NoSuchBucket") throw error;
  } finally {
    holder.client.destroy();
  }
}

/**
 * For the reaper: takes the lease (see src/run/lease.ts).
 *
 * @param resource The lease.
 */
export async function create(resource: S3Lease): Promise<void> {
  const { config, bucket, runId } = resource;
  await hold(config, bucket, runId);
}

/**
 * For the reaper: lets go of the lease, once the run's resources are gone.
 *
 * @param resource The lease.
 */
export async function reap(resource: S3Lease): Promise<void> {
  const { config, bucket, runId } = resource;
  await release(config, bucket, runId);
}

/**
 * For the reaper's creation of a bucket ahead: the lease of the bucket's run
 * first (the test process asked for it before any bucket; whichever of the
 * two creations comes first takes it). A lease that cannot be held is no
 * reason not to create the bucket: it is then protected by its age alone.
 *
 * @param config The store.
 * @param name The bucket about to be created.
 */
export async function holdBefore(
  config: S3Lease["config"],
  name: string,
): Promise<void> {
  const runId = runIdOf(name, "bucket");
  if (runId !== undefined) await hold(config, "", runId).catch(() => {});
}

/**
 * Whether a run's lease is alive: its object is younger than its ttl by the
 * store's clock. One HEAD request; waits for nothing else.
 *
 * @param client A client of the store.
 * @param runId The run.
 * @param sharedBucket The shared bucket it would be in, or `""`.
 * @returns `true` alive, `false` expired, `undefined` no lease there.
 */
export async function leaseAlive(
  client: S3ClientLike,
  runId: string,
  sharedBucket: string,
): Promise<boolean | undefined> {
  const sdk = await loadS3Sdk();
  const command = new sdk.HeadObjectCommand(
    leaseLocation(runId, sharedBucket),
  );
  const date = storeClock(command);
  let head;
  try {
    head = await bounded((abortSignal) =>
      client.send(command, { abortSignal })
    );
  } catch (error) {
    const e = error as {
      name?: string;
      $metadata?: { httpStatusCode?: number };
    };
    if (
      e.$metadata?.httpStatusCode === 404 || e.name === "NotFound" ||
      e.name === "NoSuchKey" || e.name === "NoSuchBucket"
    ) return undefined;
    throw error;
  }
  // A store that keeps no metadata: the default ttl.
  const written = Number(head.Metadata?.["itkit-ttl"]);
  const ttl = Number.isFinite(written) && written > 0
    ? written
    : DEFAULT_LEASE_TTL;
  const modified = head.LastModified?.getTime();
  const now = date();
  // No clock of the store's to compare with: alive, to be safe.
  if (modified === undefined || now === undefined) return true;
  return now - modified <= ttl;
}

/** A command, as far as {@linkcode storeClock} needs it. */
interface WithMiddleware {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<{ response: unknown }>,
      ) => (args: unknown) => Promise<{ response: unknown }>,
      options: { step: "deserialize"; name: string },
    ): void;
  };
}

/**
 * The store's clock, read from the `Date` header of `command`'s response
 * (never this machine's clock): call the returned function once it was sent.
 *
 * @param command An SDK command, before it is sent.
 * @returns The time the store answered, in milliseconds (`undefined`: no
 *   answer, or no `Date` in it).
 */
export function storeClock(command: unknown): () => number | undefined {
  let date: string | undefined;
  (command as WithMiddleware).middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string> })
        ?.headers ?? {};
      date = headers.date ?? headers.Date;
      return result;
    },
    { step: "deserialize", name: "itkitStoreClock" },
  );
  return () => {
    const time = date === undefined ? NaN : Date.parse(date);
    return Number.isNaN(time) ? undefined : time;
  };
}

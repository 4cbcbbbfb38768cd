// Internal: the clone helper's protocol, between each worker of the test
// process (_clone_pool.ts) and the clone helper (_clone_pool_main.ts): one
// JSON message per line, over the spawning worker's stdin and stdout or
// another worker's socket connection (util/_helper_workers.ts). A request
// that expects a reply carries an `id` (the worker's own), which the reply,
// with the same `op`, repeats. Both sides import these types; each side reads
// what the other wrote with the reader here, which checks the op and its
// fields.
//
// Besides these messages, released clones come as lines (one name each, `*`
// once the module's last database test ended) appended to the worker's drops
// file, which the helper reads every 50 ms once told it is there.

import type { PostgresConfig } from "./config.ts";
import { MessageFields } from "../util/protocol.ts";

/** What a worker asks of the clone helper. */
export type CloneRequest =
  /**
   * First, from a worker that connected to the socket, with its run id:
   * answered `hello`.
   */
  | { op: "hello"; runId: string }
  /** The spawning worker's drops file is there: read it from now on. */
  | { op: "drops" }
  /** The spawning worker could not create its drops file: not ours. */
  | { op: "no-drops" }
  /** Drops `database` when the worker ends. */
  | { op: "track"; config: PostgresConfig; database: string }
  /** Drops `schema` (of `config.database`) when the worker ends. */
  | { op: "track"; config: PostgresConfig; schema: string }
  /**
   * Keeps `size` clones of `template` ready, making none beyond the `total`
   * the worker will take.
   */
  | {
    op: "warm";
    config: PostgresConfig;
    template: string;
    size: number;
    total?: number;
  }
  /**
   * Hands out a clone of `template` (with `fill`, once the ready pool is
   * full): answered `take`.
   */
  | {
    op: "take";
    id: number;
    config: PostgresConfig;
    template: string;
    fill: boolean;
  }
  /** Hands over the clones of `template` ready now: answered `ready`. */
  | { op: "ready"; id: number; config: PostgresConfig; template: string }
  /**
   * The worker's copy of `template` for isolation "truncate": one a worker
   * that ended left (`reused`: reset it before use), else a new clone; kept
   * when the worker ends, for the next one: answered `copy`.
   */
  | { op: "copy"; id: number; config: PostgresConfig; template: string }
  /**
   * The worker is done with clone `database` (`last`: its module's last
   * database test ended). Only when it has no drops file.
   */
  | { op: "drop"; config: PostgresConfig; database: string; last: boolean }
  /** Holds the run's lease on the server: answered `lease`. */
  | { op: "lease"; id: number; config: PostgresConfig }
  /**
   * The template of migration `key` on the server, shared by the process's
   * workers: answered `template`.
   */
  | { op: "template"; id: number; config: PostgresConfig; key: string }
  /** How this worker's build of the template of `key` went. */
  | { op: "template-built"; config: PostgresConfig; key: string; ok: boolean };

/** What the clone helper answers. */
export type CloneReply =
  /**
   * To a worker's `hello`: the helper's pid, and the drops file it made for
   * the worker (`null`: none, its releases are `drop` requests).
   */
  | { op: "hello"; pid: number; drops: string | null }
  /** A clone, and the other ready ones handed over with it. */
  | { op: "take"; id: number; database: string; more: string[] }
  /** No clone: why (and PostgreSQL's error code, if any). */
  | { op: "take"; id: number; error: string; code?: string }
  /** The clones ready now, handed over (maybe none). */
  | { op: "ready"; id: number; more: string[] }
  /** The worker's copy, and whether another worker used it before. */
  | { op: "copy"; id: number; database: string; reused: boolean }
  /** No copy: why (and PostgreSQL's error code, if any). */
  | { op: "copy"; id: number; error: string; code?: string }
  /** Whether the helper holds the run's lease. */
  | { op: "lease"; id: number; held: boolean }
  /** The template, built. */
  | { op: "template"; id: number; database: string }
  /** The name this worker builds the template under. */
  | { op: "template"; id: number; build: string }
  /** Its build failed and nobody builds it now: ask again. */
  | { op: "template"; id: number; retry: true };

/** The requests answered by a reply of the same op. */
export type CloneQuestion = Extract<CloneRequest, { id: number }>;

/** The reply to a question of op `Op`. */
export type CloneAnswer<Op extends CloneQuestion["op"]> = Extract<
  CloneReply,
  { op: Op }
>;

/**
 * Reads a worker's request.
 *
 * @throws A ProtocolError for a line that is not one.
 */
export function readCloneRequest(line: string): CloneRequest {
  const m = new MessageFields("clone helper request", line);
  const op = m.op as CloneRequest["op"];
  switch (op) {
    case "hello":
      return { op, runId: m.string("runId") };
    case "drops":
    case "no-drops":
      return { op };
    case "track":
      return m.has("schema")
        ? { op, config: configOf(m), schema: m.string("schema") }
        : { op, config: configOf(m), database: m.string("database") };
    case "warm": {
      const total = m.optionalInt("total");
      return {
        op,
        config: configOf(m),
        template: m.string("template"),
        size: m.int("size"),
        ...(total === undefined ? {} : { total }),
      };
    }
    case "take":
      return {
        op,
        id: m.int("id"),
        config: configOf(m),
        template: m.string("template"),
        fill: m.boolean("fill"),
      };
    case "ready":
    case "copy":
      return {
        op,
        id: m.int("id"),
        config: configOf(m),
        template: m.string("template"),
      };
    case "drop":
      return {
        op,
        config: configOf(m),
        database: m.string("database"),
        last: m.boolean("last"),
      };
    case "lease":
      return { op, id: m.int("id"), config: configOf(m) };
    case "template":
      return {
        op,
        id: m.int("id"),
        config: configOf(m),
        key: m.string("key"),
      };
    case "template-built":
      return {
        op,
        config: configOf(m),
        key: m.string("key"),
        ok: m.boolean("ok"),
      };
    default:
      throw m.unknownOp(op);
  }
}

/**
 * Reads the clone helper's reply.
 *
 * @throws A ProtocolError for a line that is not one.
 */
export function readCloneReply(line: string): CloneReply {
  const m = new MessageFields("clone helper reply", line);
  const op = m.op as CloneReply["op"];
  switch (op) {
    case "hello":
      return { op, pid: m.int("pid"), drops: m.stringOrNull("drops") };
    case "take": {
      const failed = failureOf(m);
      if (failed) return { op, ...failed };
      return {
        op,
        id: m.int("id"),
        database: m.string("database"),
        more: m.strings("more"),
      };
    }
    case "copy": {
      const failed = failureOf(m);
      if (failed) return { op, ...failed };
      return {
        op,
        id: m.int("id"),
        database: m.string("database"),
        reused: m.boolean("reused"),
      };
    }
    case "ready":
      return { op, id: m.int("id"), more: m.strings("more") };
    case "lease":
      return { op, id: m.int("id"), held: m.boolean("held") };
    case "template":
      if (m.has("database")) {
        return { op, id: m.int("id"), database: m.string("database") };
      }
      if (m.has("build")) {
        return { op, id: m.int("id"), build: m.string("build") };
      }
      return { op, id: m.int("id"), retry: m.yes("retry") };
    default:
      throw m.unknownOp(op);
  }
}

/** A `take` or `copy` reply's failure fields, if it is one. */
function failureOf(
  m: MessageFields,
): { id: number; error: string; code?: string } | undefined {
  if (!m.has("error")) return undefined;
  const code = m.optionalString("code");
  return {
    id: m.int("id"),
    error: m.string("error"),
    ...(code === undefined ? {} : { code }),
  };
}

/** The request's server: a config with its connection fields. */
function configOf(m: MessageFields): PostgresConfig {
  return m.record<PostgresConfig>("config", {
    strings: ["host", "user", "password", "database"],
    ints: ["port"],
  });
}

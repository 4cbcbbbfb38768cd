// Internal: the reaper's protocol, between each worker of the test process
// (reaper.ts) and the reaper (_reaper_main.ts): one JSON message per line,
// over the spawning worker's stdin and stdout or another worker's socket
// connection (util/_helper_workers.ts). Ids are the worker's own. Both sides
// import these types; each side reads what the other wrote with the reader
// here, which checks the op and its fields.
//
// Besides these messages the reaper appends the id of each resource it made
// ahead to the worker's ready file (one per line), which the worker reads
// synchronously, without a round trip.

import { MessageFields } from "../util/protocol.ts";

/**
 * A resource the reaper can remove: a plain JSON record, with whatever its
 * remover needs (names, configs) in fields of the remover's own shape
 * (`ReapedDir`, `ReapedSchema`, …, declared beside each remover).
 */
export interface ReapedResource {
  /**
   * The URL of a module exporting `reap(resource): Promise<void>`, and
   * `create(resource, signal)` for what the reaper makes ahead.
   */
  remover: string;
  /** What it is, for the log: `bucket itkit-…`, `dir /tmp/itkit-…`. */
  what: string;
  /**
   * The store's config, when it has one: creations ahead are told apart by
   * remover and config (a store that refuses one is not asked again).
   */
  config?: unknown;
}

/** What a worker asks of the reaper. */
export type ReaperRequest =
  /**
   * Registers `resource` as `id`: removed when the worker ends, unless
   * handed off or forgotten first. With `create`, the reaper also makes it
   * now (its remover's `create`) and notes `id` in the worker's ready file.
   */
  | { op: "add"; id: number; resource: ReapedResource; create?: true }
  /** Whether the resource made ahead as `id` exists: answered `take`. */
  | { op: "take"; id: number }
  /** Removes `id` now (handed off), off the test's path. */
  | { op: "remove"; id: number }
  /** Forgets `id`: the worker removed it itself. */
  | { op: "forget"; id: number }
  /** Waits, before exiting, for helper process `pid` (the clone helper). */
  | { op: "helper"; pid: number }
  /** The spawning worker could not create its ready file: not ours. */
  | { op: "no-ready" }
  /**
   * First, from a worker that connected to the socket, with its run id:
   * answered `hello`.
   */
  | { op: "hello"; runId: string };

/** What the reaper answers. */
export type ReaperReply =
  /** Whether the resource made ahead as `id` exists, once made or not. */
  | { op: "take"; id: number; ok: boolean }
  /**
   * To a worker's `hello`: the reaper's pid, and the ready file it made for
   * the worker (`null`: none, the worker asks with `take` instead).
   */
  | { op: "hello"; pid: number; ready: string | null };

/**
 * Reads a worker's request.
 *
 * @throws A ProtocolError for a line that is not one.
 */
export function readReaperRequest(line: string): ReaperRequest {
  const m = new MessageFields("reaper request", line);
  const op = m.op as ReaperRequest["op"];
  switch (op) {
    case "add": {
      const resource = m.record<ReapedResource>("resource", {
        strings: ["remover", "what"],
      });
      const create = m.has("create") && m.boolean("create");
      return create
        ? { op, id: m.int("id"), resource, create }
        : { op, id: m.int("id"), resource };
    }
    case "take":
    case "remove":
    case "forget":
      return { op, id: m.int("id") };
    case "helper":
      return { op, pid: m.int("pid") };
    case "no-ready":
      return { op };
    case "hello":
      return { op, runId: m.string("runId") };
    default:
      throw m.unknownOp(op);
  }
}

/**
 * Reads the reaper's reply.
 *
 * @throws A ProtocolError for a line that is not one.
 */
export function readReaperReply(line: string): ReaperReply {
  const m = new MessageFields("reaper reply", line);
  const op = m.op as ReaperReply["op"];
  switch (op) {
    case "take":
      return { op, id: m.int("id"), ok: m.boolean("ok") };
    case "hello":
      return { op, pid: m.int("pid"), ready: m.stringOrNull("ready") };
    default:
      throw m.unknownOp(op);
  }
}

// Section `probe` of `deno task bench`: what a probe costs, and that tests
// sharing a target share one probe.
import { probeTcp } from "../../mod.ts";
import { median } from "../_measure.ts";
import type { Row } from "../_results.ts";

/**
 * 3. A probe of a refused port, of an open one (first call, then cached),
 * and the connections 500 tests sharing one target make.
 *
 * @returns Its rows.
 */
export async function probe(): Promise<Row[]> {
  const rows: Row[] = [];
  const refused: number[] = [];
  for (let i = 0; i < 30; i++) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const t0 = performance.now();
    await probeTcp("127.0.0.1", port);
    refused.push(performance.now() - t0);
  }
  rows.push({
    name: "probe: refused port",
    value: median(refused),
    unit: "ms",
    target: "<= 2 ms",
    met: median(refused) <= 2,
  });

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close();
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  const t0 = performance.now();
  await probeTcp("127.0.0.1", port);
  const open = performance.now() - t0;
  rows.push({ name: "probe: open port (first call)", value: open, unit: "ms" });
  const cached: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await probeTcp("127.0.0.1", port);
    cached.push(performance.now() - t);
  }
  rows.push({
    name: "probe: cached result",
    value: median(cached) * 1000,
    unit: "us",
  });
  // 500 tests sharing one probe: how many connections reach the server?
  await Promise.all(
    Array.from({ length: 500 }, () => probeTcp("127.0.0.1", port)),
  );
  await new Promise((r) => setTimeout(r, 50));
  rows.push({
    name: "probe: network probes for 500 tests sharing one target",
    value: accepted,
    unit: "connections",
    target: "1",
    met: accepted === 1,
  });
  listener.close();
  await loop;
  return rows;
}

// Internal: the statistics and machine facts the suite benches share.

/**
 * @param xs Samples.
 * @returns Their median (NaN for none).
 */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2
    ? s[(s.length - 1) / 2]!
    : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * @param xs Samples.
 * @returns Their 95th percentile (nearest rank; NaN for none).
 */
export function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] ?? NaN;
}

/**
 * @param xs Samples.
 * @returns Their mean (NaN for none).
 */
export function mean(xs: number[]): number {
  return xs.length ? sum(xs) / xs.length : NaN;
}

/**
 * @param xs Samples.
 * @returns Their sum.
 */
export function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** @returns The machine's 1-minute load average. */
export function loadAverage(): number {
  return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
}

/**
 * @param path A directory.
 * @returns The type of the file system it is on (`tmpfs`, `ext4`), from
 *   /proc/mounts.
 */
export function fileSystemOf(path: string): string {
  let best = { at: "", type: "?" };
  for (const line of Deno.readTextFileSync("/proc/mounts").split("\n")) {
    const [, at, type] = line.split(" ");
    if (
      at && type &&
      (path === at || path.startsWith(at.endsWith("/") ? at : `${at}/`)) &&
      at.length > best.at.length
    ) {
      best = { at, type };
    }
  }
  return best.type;
}

/** What a bench records of the machine it ran on. */
export interface Machine {
  date: string;
  deno: string;
  os: string;
  cpus: number;
  memoryGiB: number;
}

/** @returns The date, Deno's version, the OS, the CPUs and the memory. */
export function machineFacts(): Machine {
  return {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    cpus: navigator.hardwareConcurrency,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
  };
}

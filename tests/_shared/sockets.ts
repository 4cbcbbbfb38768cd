// The sockets this process holds, by inode (Linux: /proc/self/fd): what a
// fixture that listened must no longer hold once disposed. Unlike connecting
// to its port (another process may have taken it) or reading the machine's
// socket table (a child another thread forked holds a copy of every fd until
// it execs), it is what the fixture promises: this process let go of it.
// Deno lets only code with all permissions read /proc: a plain test of a
// project run with -A, not an integration test.

/** The inodes of the sockets this process holds (empty where there is no /proc). */
export function heldSockets(): Set<string> {
  const held = new Set<string>();
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc/self/fd")];
  } catch {
    return held;
  }
  for (const fd of entries) {
    let target = "";
    try {
      target = Deno.readLinkSync(`/proc/self/fd/${fd.name}`);
    } catch {
      continue; // closed meanwhile (the fd of the listing itself)
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) held.add(inode);
  }
  return held;
}

/**
 * The inodes of the TCP sockets this process holds that listen on `port`
 * (/proc/net/tcp and tcp6, state 0A).
 */
export function listenersHere(port: number): string[] {
  const held = heldSockets();
  const inodes: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1]?.split(":")[1];
      // State 0A is LISTEN; field 9 is the socket's inode.
      if (
        local && parseInt(local, 16) === port && fields[3] === "0A" &&
        held.has(fields[9]!)
      ) {
        inodes.push(fields[9]!);
      }
    }
  }
  return inodes;
}

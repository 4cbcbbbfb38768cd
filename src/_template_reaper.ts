// Internal: template databases built for `isolation: "database"` live as long
// as the test process. Deno has no asynchronous exit hook, so a small helper
// process is told each template's name on its stdin; when our process ends
// (normally, by a crash or by SIGKILL) its stdin reaches end-of-file and it
// drops them.

import type { PostgresConfig } from "./postgres_config.ts";

let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;

/**
 * Starts the helper process once. Must run where the process may spawn Deno
 * (at module load for declared fixtures).
 */
export function startTemplateReaper(): void {
  if (writer) return;
  const postgresModule = import.meta.resolve("postgres");
  const code = `
    const { default: postgres } = await import(${
    JSON.stringify(postgresModule)
  });
    const text = await new Response(Deno.stdin.readable).text();
    for (const line of text.split("\\n")) {
      if (!line.trim()) continue;
      const { config, template } = JSON.parse(line);
      const sql = postgres({ ...config, pass: config.password, max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        await sql\`drop database if exists \${sql(template)} with (force)\`;
      } catch (error) {
        console.error("itkit: could not drop template database", template, String(error));
      } finally {
        await sql.end({ timeout: 1 });
      }
    }
  `;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", code],
      stdin: "piped",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    throw new Error(
      `Cannot prepare isolation "database": starting the helper that drops template databases at exit failed (${error}); run deno test with --allow-run (or -A), or use isolation "schema"`,
      { cause: error },
    );
  }
  child.unref();
  writer = child.stdin.getWriter();
}

/** Tells the helper to drop `template` on `config`'s server when we exit. */
export async function reapAtExit(
  config: PostgresConfig,
  template: string,
): Promise<void> {
  if (!writer) startTemplateReaper();
  const line = JSON.stringify({
    config: {
      host: config.host,
      port: config.port,
      user: config.user,
      password: config.password,
      database: config.database,
    },
    template,
  }) + "\n";
  await writer!.write(new TextEncoder().encode(line));
}

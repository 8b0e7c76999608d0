/** `fixg sessions --engine PATH`: the sessions of a running gateway, as its library endpoint lists them. */
import type { Command } from "@commander-js/extra-typings";
import { ConfigError } from "../src/errors.ts";
import { connectEngine, type EngineLibrary, type SessionInfo } from "../src/engine/library_client.ts";

/** Flags every engine client command takes. */
export interface EngineFlags {
  engine?: string;
  secretEnv?: string;
}

/** Connects to `--engine PATH` (secret from `--secret-env VAR`), without reconnecting. */
export async function openEngine(flags: EngineFlags, name: string): Promise<EngineLibrary> {
  if (flags.engine === undefined || flags.engine === "") {
    throw new ConfigError("give --engine PATH: the Unix socket of a running fixg run (engine.socket)");
  }
  let secret: string | undefined;
  if (flags.secretEnv !== undefined) {
    secret = Deno.env.get(flags.secretEnv);
    if (secret === undefined || secret === "") {
      throw new ConfigError(`--secret-env: environment variable ${flags.secretEnv} is not set`);
    }
  }
  return await connectEngine({
    socket: flags.engine,
    name,
    reconnect: false,
    ...(secret !== undefined ? { secret } : {}),
  });
}

/** The sessions as a table. */
export function sessionsTable(list: SessionInfo[]): string {
  const rows = [["SESSION", "NAME", "ROLE", "STATE", "OUT-SEQ", "IN-SEQ", "CLAIMED-BY"]];
  for (const s of list) {
    rows.push([
      s.key,
      s.name || "-",
      s.role,
      s.loggedOn ? "logged-on" : s.connected ? `connected (${s.phase})` : s.phase,
      String(s.nextSenderSeq),
      String(s.nextTargetSeq),
      s.claimedBy || "engine",
    ]);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(w[i]!)).join("  ")).join("\n");
}

export function registerSessions(program: Command): void {
  program.command("sessions")
    .description(
      "list the sessions of a running gateway (fixg run with engine.socket): state, sequence numbers (next out, " +
        "next in), which library holds each. Exit 0 listed, 1 engine unreachable or refused, 2 usage",
    )
    .option("--engine <path>", "the engine's Unix socket (engine.socket of its fixg.yaml)")
    .option("--secret-env <var>", "environment variable holding the engine's shared secret")
    .option("--json", "print a JSON array", false)
    .action(async (opts) => {
      const lib = await openEngine(opts, "fixg-sessions");
      try {
        const list = await lib.sessions();
        console.log(opts.json ? JSON.stringify(list, null, 2) : sessionsTable(list));
      } finally {
        await lib.close();
      }
    });
}

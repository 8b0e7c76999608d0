/** `fixg sessions --engine PATH`: the sessions of a running gateway, as its library endpoint lists them. */
import type { Command } from "@commander-js/extra-typings";
import { ConfigError, FixgError } from "../src/errors.ts";
import { MAX_SET_SEQ } from "../src/engine/boundary.ts";
import {
  connectEngine,
  EngineError,
  type EngineLibrary,
  type SessionInfo,
} from "../src/engine/library_client.ts";
import { ERROR_NAMES } from "../src/engine/protocol.ts";

/** Flags every engine client command takes. */
export interface EngineFlags {
  engine?: string;
  secretEnv?: string;
}

/** The engine's shared secret from the environment variable `--secret-env VAR` names, if given. */
export function engineSecret(flags: EngineFlags): string | undefined {
  if (flags.secretEnv === undefined) return undefined;
  const secret = Deno.env.get(flags.secretEnv);
  if (secret === undefined || secret === "") {
    throw new ConfigError(`--secret-env: environment variable ${flags.secretEnv} is not set`);
  }
  return secret;
}

/** Connects to `--engine PATH` (secret from `--secret-env VAR`), without reconnecting. */
export async function openEngine(flags: EngineFlags, name: string): Promise<EngineLibrary> {
  if (flags.engine === undefined || flags.engine === "") {
    throw new ConfigError("give --engine PATH: the Unix socket of a running fixg run (engine.socket)");
  }
  const secret = engineSecret(flags);
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

/** A sequence number flag: a whole number from 1 to 2^31, else a usage error. */
function seqFlag(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || !(n >= 1 && n <= MAX_SET_SEQ)) {
    throw new ConfigError(`${flag}: not a sequence number from 1 to ${MAX_SET_SEQ}: "${v}"`);
  }
  return n;
}

/**
 * `--reset` / `--next-sender-seq` / `--next-target-seq` on `--session`: RESET or SET_SEQ as a short-lived
 * library (claim, command, release: an engine-managed session only); exit 1 when refused.
 */
async function sequenceCommand(
  lib: EngineLibrary,
  key: string,
  reset: boolean,
  sender: number | undefined,
  target: number | undefined,
  json: boolean,
): Promise<void> {
  const list = await lib.sessions();
  const found = list.find((s) => s.key === key) ?? list.find((s) => s.name === key);
  if (found === undefined) {
    throw new FixgError(
      "ENGINE_SESSION",
      `no session "${key}" in the engine (it has: ${list.map((s) => s.key).join(", ") || "none"})`,
      { exitCode: 2 },
    );
  }
  const command = reset ? "reset" : "set-seq";
  let session;
  try {
    session = await lib.claim(found.key, {});
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    // The same result object as a refused command, so that a script reading --json sees every refusal.
    if (json) {
      console.log(JSON.stringify({
        session: found.key,
        command,
        result: "refused",
        code: e.errorCode,
        reason: e.message,
        nextSenderSeq: found.nextSenderSeq,
        nextTargetSeq: found.nextTargetSeq,
      }));
    }
    throw new FixgError("ENGINE_REFUSED", `${command} of ${found.key}: claim refused: ${e.message}`, {
      exitCode: 1,
    });
  }
  const o = reset ? await session.resetSequence() : await session.setSequence(sender, target);
  await lib.release(found.key).catch(() => {});
  const numbers = `next out ${o.nextSenderSeq}, next in ${o.nextTargetSeq}`;
  if (json) {
    console.log(JSON.stringify({
      session: found.key,
      command,
      result: o.kind,
      code: o.kind === "done" ? 0 : o.code,
      reason: o.kind === "done" ? "" : o.reason,
      nextSenderSeq: o.nextSenderSeq,
      nextTargetSeq: o.nextTargetSeq,
    }));
  } else if (o.kind === "done") console.log(`${command} ${found.key}: ${numbers}`);
  if (o.kind === "refused") {
    throw new FixgError(
      "ENGINE_REFUSED",
      `${command} of ${found.key} refused: ${ERROR_NAMES[o.code] ?? o.code}: ${o.reason}`,
      { exitCode: 1 },
    );
  }
}

export function registerSessions(program: Command): void {
  program.command("sessions")
    .description(
      "list the sessions of a running gateway (fixg run with engine.socket): state, sequence numbers (next out, " +
        "next in), which library holds each; or reset / set the sequence numbers of one (--session with " +
        "--reset or --next-sender-seq/--next-target-seq: RESET, SET_SEQ). Exit 0 listed or done, 1 engine " +
        "unreachable or refused, 2 usage",
    )
    .option("--engine <path>", "the engine's Unix socket (engine.socket of its fixg.yaml)")
    .option("--secret-env <var>", "environment variable holding the engine's shared secret")
    .option("--json", "print a JSON array (the command's result as one JSON object)", false)
    .option("--session <key>", "session key (FIX.4.4:CLIENT->LP) or configured name, for the options below")
    .option("--reset", "reset both sequence numbers to 1 (Logon 141=Y when logged on)", false)
    .option("--next-sender-seq <n>", "set the next MsgSeqNum sent (never below the session's: refused)")
    .option("--next-target-seq <n>", "set the next MsgSeqNum expected")
    .action(async (opts) => {
      const sender = seqFlag("--next-sender-seq", opts.nextSenderSeq);
      const target = seqFlag("--next-target-seq", opts.nextTargetSeq);
      const acting = opts.reset || sender !== undefined || target !== undefined;
      if (opts.reset && (sender !== undefined || target !== undefined)) {
        throw new ConfigError("--reset and --next-sender-seq/--next-target-seq: give one or the other");
      }
      if (acting && (opts.session === undefined || opts.session === "")) {
        throw new ConfigError("give --session KEY for --reset, --next-sender-seq or --next-target-seq");
      }
      if (!acting && opts.session !== undefined) {
        throw new ConfigError("--session: give --reset, --next-sender-seq or --next-target-seq with it");
      }
      const lib = await openEngine(opts, "fixg-sessions");
      try {
        if (acting) return await sequenceCommand(lib, opts.session!, opts.reset, sender, target, opts.json);
        const list = await lib.sessions();
        console.log(opts.json ? JSON.stringify(list, null, 2) : sessionsTable(list));
      } finally {
        await lib.close();
      }
    });
}

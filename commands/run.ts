/** `fixg run`: run gateway sessions from a YAML config and/or flags until SIGINT/SIGTERM. */
import type { Command } from "@commander-js/extra-typings";
import * as jsyaml from "js-yaml";
import { buildGateway, loggerFor } from "../src/engine/build.ts";
import { checkConfig, type FixgConfig, JOURNAL_ROOT, loadConfig } from "../src/engine/config.ts";
import { ConfigError, EnvironmentError } from "../src/errors.ts";
import { parseSegmentFileName } from "../src/store/format.ts";
import { JournalReader } from "../src/store/reader.ts";
import { probeKnobs, redactedConfig } from "../src/ops/effective.ts";
import { Operations } from "../src/ops/operations.ts";
import { engineServerFor } from "../src/engine/library_config.ts";

/** Flags of `fixg run` that describe a session or override the file. */
export interface RunFlags {
  config?: string;
  acceptor?: boolean;
  initiator?: boolean;
  host?: string;
  port?: string;
  senderCompId?: string;
  targetCompId?: string;
  beginString?: string;
  app?: string;
  resetOnLogon?: boolean;
  heartbeat?: string;
  dict?: string;
  store?: string;
  fsync?: string;
  logFormat?: string;
  logLevel?: string;
  verbose?: boolean;
  adminPort?: string;
  adminHost?: string;
  pidFile?: string;
  engineSocket?: string;
}

/**
 * The flags that describe one session: [RunFlags key, flag, config key]. With a config file they override
 * its session when it has exactly one, and are refused when it has more (which one would they mean?).
 */
const SESSION_FLAGS: ReadonlyArray<readonly [keyof RunFlags, string, string]> = [
  ["acceptor", "--acceptor", "role"],
  ["initiator", "--initiator", "role"],
  ["host", "--host", "host or bindHost"],
  ["port", "--port", "port"],
  ["senderCompId", "--sender-comp-id", "senderCompId"],
  ["targetCompId", "--target-comp-id", "targetCompId"],
  ["beginString", "--begin-string", "beginString"],
  ["app", "--app", "app"],
  ["resetOnLogon", "--reset-on-logon", "resetOnLogon"],
  ["heartbeat", "--heartbeat", "heartbeatIntervalSec"],
  ["dict", "--dict", "dictionary"],
];

/**
 * Builds the effective config: the file (if any) with flags on top, or one session from flags alone. The
 * session flags override the session of a file that has one, and are a usage error with a file of more.
 */
export async function effectiveConfig(flags: RunFlags): Promise<FixgConfig> {
  const base: Record<string, unknown> = flags.config ? (await loadConfig(flags.config)).raw : {};
  const doc = structuredClone(base) as Record<string, unknown>;
  const session: Record<string, unknown> = {};
  if (flags.acceptor && flags.initiator) {
    throw new ConfigError("--acceptor and --initiator cannot both be given");
  }
  if (flags.acceptor) session.role = "acceptor";
  if (flags.initiator) session.role = "initiator";
  // --host is where an initiator connects and where an acceptor binds: decided per session below.
  const hostKey = (role: unknown) => role === "acceptor" ? "bindHost" : "host";
  if (flags.port !== undefined) session.port = flags.port;
  if (flags.senderCompId !== undefined) session.senderCompId = flags.senderCompId;
  if (flags.targetCompId !== undefined) session.targetCompId = flags.targetCompId;
  if (flags.beginString !== undefined) session.beginString = flags.beginString;
  if (flags.app !== undefined) session.app = flags.app;
  if (flags.resetOnLogon) session.resetOnLogon = "true";
  if (flags.heartbeat !== undefined) session.heartbeatIntervalSec = flags.heartbeat;
  if (flags.dict !== undefined) session.dictionary = flags.dict;
  const sessions = (doc.sessions as Record<string, unknown>[] | undefined) ?? [];
  if (sessions.length === 0) {
    if (Object.keys(session).length === 0 && flags.config !== undefined) {
      throw new ConfigError(`${flags.config}: sessions: none to run (the list is empty or missing)`);
    }
    if (Object.keys(session).length === 0) {
      throw new ConfigError(
        "nothing to run: give --config FILE or --acceptor/--initiator with --port, --sender-comp-id and --target-comp-id",
      );
    }
    if (!session.role) throw new ConfigError("give --acceptor or --initiator");
    if (flags.host !== undefined) session[hostKey(session.role)] = flags.host;
    // An acceptor for any client ('*') without --begin-string serves every FIX 4.x version on its port.
    doc.sessions =
      session.role === "acceptor" && session.targetCompId === "*" && flags.beginString === undefined
        ? ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4"].map((beginString) => ({
          ...session,
          beginString,
        }))
        : [session];
  } else {
    const given = SESSION_FLAGS.filter(([flag]) => flags[flag] !== undefined && flags[flag] !== false);
    if (sessions.length > 1 && given.length > 0) {
      // Which session a flag means is not said: it used to go to every one (--port 9999: all on one port,
      // --initiator: every role flipped). Only a file of one session takes them.
      const names = given.map(([, name]) => name);
      const keys = [...new Set(given.map(([, , key]) => key))];
      throw new ConfigError(
        `${names.join(", ")}: ${flags.config} has ${sessions.length} sessions and ${
          names.length === 1 ? "this flag sets" : "these flags set"
        } one session's ${keys.join(", ")}; set ${
          keys.length === 1 ? "it" : "them"
        } in the file (on the session, or under defaults: for every session)`,
      );
    }
    const defaultRole = (doc.defaults as Record<string, unknown> | undefined)?.role;
    doc.sessions = sessions.map((s) => {
      const merged: Record<string, unknown> = { ...s, ...session };
      if (flags.host !== undefined) merged[hostKey(merged.role ?? defaultRole)] = flags.host;
      return merged;
    });
  }
  const store = { ...(doc.store as Record<string, unknown> | undefined) };
  if (flags.store !== undefined) {
    // A URL is not a directory: it would become one, its password in the path (never echoed here).
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(flags.store)) {
      throw new ConfigError(
        "--store takes memory or a journal directory; a PostgreSQL store goes in the config: " +
          "store: { type: postgres, url: ... } (docs/ha.md)",
      );
    }
    if (flags.store === "memory") store.type = "memory";
    else {
      store.type = "file";
      store.dir = flags.store;
    }
  }
  if (flags.fsync !== undefined) store.fsync = flags.fsync;
  if (Object.keys(store).length > 0) doc.store = store;
  const log = { ...(doc.log as Record<string, unknown> | undefined) };
  if (flags.logFormat !== undefined) log.format = flags.logFormat;
  if (flags.logLevel !== undefined) log.level = flags.logLevel;
  if (flags.verbose) log.verbose = "true";
  if (Object.keys(log).length > 0) doc.log = log;
  if (flags.adminPort !== undefined || flags.adminHost !== undefined) {
    const admin = { ...(doc.admin as Record<string, unknown> | undefined) };
    if (flags.adminPort !== undefined) admin.port = flags.adminPort;
    if (flags.adminHost !== undefined) admin.host = flags.adminHost;
    doc.admin = admin;
  }
  if (flags.engineSocket !== undefined) {
    doc.engine = { ...(doc.engine as Record<string, unknown> | undefined), socket: flags.engineSocket };
  }
  return checkConfig(doc, flags.config ?? "(command line)");
}

/** Registers `fixg run`. */
export function registerRun(program: Command): void {
  program.command("run")
    .description(
      "run FIX sessions (initiator and/or acceptor) from a YAML config or from flags, until SIGINT/SIGTERM",
    )
    .option("-c, --config <file>", "YAML config (docs/configuration.md)")
    .option("--acceptor", "one acceptor session from flags")
    .option("--initiator", "one initiator session from flags")
    .option("--host <host>", "initiator: host to connect to; acceptor: address to bind")
    .option("--port <port>", "port to connect to or listen on")
    .option("--sender-comp-id <id>", "our SenderCompID (49)")
    .option("--target-comp-id <id>", "their CompID (56); '*' on an acceptor accepts any client")
    .option("--begin-string <v>", "FIX.4.2, FIX.4.4, FIXT.1.1 ... (default FIX.4.4)")
    .option("--app <name>", "echo | log | none: what answers application messages")
    .option("--reset-on-logon", "send 141=Y and start at 1 on every logon")
    .option("--heartbeat <sec>", "HeartBtInt (108) in seconds")
    .option("--dict <path>", "data dictionary (QuickFIX XML); 'none' turns validation off")
    .option("--store <memory|DIR>", "message store: memory, or a journal directory")
    .option("--fsync <policy>", "journal durability: always | batch | none")
    .option("--log-format <fmt>", "text | json")
    .option("--log-level <level>", "debug | info | warn | error")
    .option("-v, --verbose", "log every message decoded (secrets redacted)")
    .option(
      "--admin-port <port>",
      "serve /metrics, /health, /ready and operator actions on this port (0: any free port)",
    )
    .option("--admin-host <host>", "address the admin endpoint binds (default 127.0.0.1)")
    .option(
      "--pid-file <file>",
      "write the process id here while running (default: next to the journal, e.g. ./fixg-journal/ISLD-TW.pid)",
    )
    .option(
      "--engine-socket <path>",
      "serve the library protocol on this Unix socket (engine.socket; docs/library_protocol.md)",
    )
    .option("--print-effective-config", "print the merged config and what each tuning knob did, then exit")
    .option("--json", "with --print-effective-config: JSON instead of YAML")
    .action(async (flags) => {
      if (flags.json && !flags.printEffectiveConfig) {
        throw new ConfigError(
          "--json goes with --print-effective-config (JSON log lines: --log-format json)",
        );
      }
      const config = await effectiveConfig(flags);
      if (flags.printEffectiveConfig) {
        const out = { config: redactedConfig(config), tuning: await probeKnobs(config) };
        console.log(
          flags.json
            ? JSON.stringify(out, null, 2)
            : jsyaml.dump(out, { lineWidth: 120, noRefs: true }).trimEnd(),
        );
        return;
      }
      const logger = loggerFor(config);
      const explicitDir = flags.store !== undefined ||
        (config.raw.store as { dir?: unknown } | undefined)?.dir !== undefined;
      if (config.store.type === "file" && !explicitDir && legacyJournalServes(config)) {
        // A journal an older fixg wrote at the old default place for these sessions: keep using it
        // (their sequence numbers); another gateway's sessions still get a directory of their own.
        logger.warn(
          "journal",
          `${JOURNAL_ROOT} holds a journal (the old default directory): using it; move it to ${config.store.dir} or set --store/store.dir so gateways started here do not share it`,
        );
        config.store.dir = JOURNAL_ROOT;
      }
      const pidFile = flags.pidFile ??
        (config.store.type === "file" ? `${config.store.dir.replace(/\/+$/, "")}.pid` : undefined);
      if (flags.pidFile !== undefined) checkWritable(flags.pidFile);
      const engine = engineServerFor(config, logger);
      let gw;
      try {
        gw = await buildGateway(config, { logger, ...(engine ? { app: engine.app } : {}) });
      } catch (e) {
        if (e instanceof EnvironmentError && / is held by a live /.test(e.message)) {
          throw new EnvironmentError(
            `${e.message}, or give this gateway a journal of its own: --store DIR (store.dir in the config)`,
            { cause: e },
          );
        }
        throw e;
      }
      engine?.attach(gw);
      await gw.start();
      await engine?.start();
      const ops = await Operations.start(gw, {
        config,
        logger,
        ...(flags.config ? { load: () => effectiveConfig(flags) } : {}),
      });
      let stopping: Promise<void> | undefined;
      const stop = () => {
        if (stopping) return;
        logger.info("shutdown", "signal received: logging out every session");
        engine?.stop();
        stopping = ops.stop().then(() => gw.stop()).then(() => {
          if (pidFile !== undefined) removePidFile(pidFile);
          logger.files?.close();
          logger.info("shutdown", "stopped cleanly");
          Deno.exit(0);
        });
      };
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
      // Written once signals are handled (a script may signal as soon as it sees the file); the journal
      // is ours (locked), so the default pid file next to it belongs to no other live gateway.
      if (pidFile !== undefined) writePidFile(pidFile);
      // Keep running until a signal arrives.
      await new Promise<never>(() => {});
    });
}

/**
 * True when `root` (the old default journal directory, ./fixg-journal) itself holds a journal with one
 * of the config's sessions (same SenderCompID and TargetCompID; any TargetCompID for a '*' acceptor).
 */
export function legacyJournalServes(config: FixgConfig, root = JOURNAL_ROOT): boolean {
  let found = false;
  try {
    for (const e of Deno.readDirSync(root)) {
      if (e.isFile && parseSegmentFileName(e.name) !== undefined) found = true;
    }
  } catch {
    return false; // No such directory.
  }
  if (!found) return false;
  const pairs: [string, string][] = [];
  try {
    // Every segment a gateway starts begins with its session table.
    JournalReader.open(root).forEach((r) => {
      if (r.type !== "session-open") return false;
      const m = /^[^:]*:([^/]+?)(?:\/[^>]*)?->([^/#]+)/.exec(r.sessionKey);
      if (m !== null) pairs.push([m[1]!, m[2]!]);
    });
  } catch {
    return false; // Unreadable: not ours to guess about.
  }
  return config.sessions.some((s) =>
    pairs.some(([sender, target]) =>
      sender === s.senderCompId && (s.targetCompId === "*" || target === s.targetCompId)
    )
  );
}

/** Fails early (exit 2, naming the flag) when the pid file cannot be written. */
function checkWritable(path: string): void {
  try {
    Deno.writeTextFileSync(path, "", { append: true });
  } catch (e) {
    throw new ConfigError(`--pid-file: cannot write "${path}": ${e instanceof Error ? e.message : e}`);
  }
}

/** Writes our pid (for `kill -USR1 $(cat FILE)`); the directory is created like the journal's. */
function writePidFile(path: string): void {
  try {
    const slash = path.lastIndexOf("/");
    if (slash > 0) Deno.mkdirSync(path.slice(0, slash), { recursive: true });
    Deno.writeTextFileSync(path, `${Deno.pid}\n`);
  } catch (e) {
    throw new EnvironmentError(`Cannot write pid file "${path}": ${e instanceof Error ? e.message : e}`);
  }
}

/** Removes the pid file at a clean exit, if it is still ours. */
function removePidFile(path: string): void {
  try {
    if (Deno.readTextFileSync(path).trim() === String(Deno.pid)) Deno.removeSync(path);
  } catch {
    // Already gone.
  }
}

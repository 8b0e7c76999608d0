/**
 * fixg.yaml: the gateway configuration, documented key by key in docs/configuration.md.
 * Loading substitutes `${ENV_VAR}`, rejects unknown keys and bad values with file, key and reason
 * (ConfigError, exit code 2), and applies `defaults:` to every session. The keys and their checks are
 * config_schema.ts's.
 */
import * as jsyaml from "js-yaml";
import { ConfigError } from "../errors.ts";
import { sessionIdOf, sessionKey } from "../session/session_id.ts";
import { checkValue, type Schema, substituteEnv } from "../config/schema.ts";
import { CONFIG_SCHEMA } from "./config_schema.ts";

/** A session entry after defaults are applied. */
export type SessionEntry = Record<string, unknown> & {
  role: "initiator" | "acceptor";
  senderCompId: string;
  targetCompId: string;
  beginString: string;
};

/** The parsed configuration. */
export interface FixgConfig {
  file: string;
  store: {
    type: "file" | "memory" | "postgres";
    dir: string;
    /** PostgreSQL store: the URL (may name several hosts) and the schema (default "fixg"). */
    url?: string;
    schema?: string;
    /** PostgreSQL store: connections in the pool, group statements in flight, per-session pipelining. */
    maxConnections?: number;
    pipeline?: number;
    pipelineSessions?: boolean;
    fsync: "always" | "batch" | "none";
    batchMessages?: number;
    batchMicros?: number;
    segmentBytes?: number;
    retentionDays?: number;
    retentionBytes?: number;
  };
  log: {
    level: "debug" | "info" | "warn" | "error";
    format: "text" | "json";
    verbose: boolean;
    maskTags?: string[];
    truncateTags?: string[];
    truncateTo?: number;
    /** Per-session messages and events logs in this directory (src/engine/log_files.ts). */
    dir?: string;
    rotateBytes?: number;
    rotateDaily?: boolean;
    keepFiles?: number;
  };
  sessions: SessionEntry[];
  /** The admin endpoint; absent when not configured (host defaults to 127.0.0.1). */
  admin?: { host: string; port?: number; token?: string; allowedHosts?: string[] };
  /** Users for Logon authentication: name -> PBKDF2 hash. */
  users: Record<string, { passwordHash: string }>;
  /** Performance knobs (cpus parsed into a list). */
  tuning: {
    cpus?: number[];
    allThreads?: boolean;
    lockBuffers?: boolean;
    noDelay?: boolean;
    rcvBufBytes?: number;
    sndBufBytes?: number;
    busyPollUs?: number;
    readSpinUs?: number;
  };
  /** Pre-logon limits as configured (`limits:`); defaults apply to what is absent. */
  limits: {
    handshakeTimeoutSec?: number;
    logonTimeoutSec?: number;
    maxPendingConnections?: number;
    maxPendingPerAddress?: number;
    acceptWatchdogSec?: number;
    authFreeFailures?: number;
    authMaxPenaltySec?: number;
    maxConcurrentHashes?: number;
  };
  /** Hot reload: watch the file for changes (default true; SIGHUP works either way). */
  reload: { watch: boolean };
  /** Sessions shared by several gateways over the PostgreSQL store (docs/ha.md). */
  cluster?: { nodeId: string; leaseMs?: number };
  /** The checked tree as read (sections added by other features live here). */
  raw: Record<string, unknown>;
}

/** Parses YAML text into a checked config. `file` names the source in errors. */
export function parseConfig(
  text: string,
  file: string,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  schema: Schema = CONFIG_SCHEMA,
): FixgConfig {
  let doc: unknown;
  try {
    doc = jsyaml.load(text, { schema: jsyaml.FAILSAFE_SCHEMA, filename: file });
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new ConfigError(`${file}: not valid YAML: ${msg}`);
  }
  return checkConfig(doc ?? {}, file, env, schema);
}

/** Checks a parsed config tree (from YAML or built from command-line flags). */
export function checkConfig(
  doc: unknown,
  file: string,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  schema: Schema = CONFIG_SCHEMA,
): FixgConfig {
  doc = substituteEnv(doc, "", file, env);
  const checked = checkValue(schema, doc, "", file) as Record<string, unknown>;
  const defaults = (checked.defaults ?? {}) as Record<string, unknown>;
  const sessions = ((checked.sessions ?? []) as Record<string, unknown>[]).map((s, i) => {
    const merged = { beginString: "FIX.4.4", ...defaults, ...s } as Record<string, unknown>;
    // Mappings (validation, reconnect, schedule, tls, throttle, outbound) merge key by key with defaults.
    for (const [k, v] of Object.entries(s)) {
      const d = defaults[k];
      if (isMapping(v) && isMapping(d)) merged[k] = { ...d, ...v };
    }
    if (isMapping(merged.schedule)) {
      for (const k of ["start", "end"]) {
        if ((merged.schedule as Record<string, unknown>)[k] === undefined) {
          const inDefaults = isMapping(defaults.schedule) && !isMapping(s.schedule);
          throw new ConfigError(
            `${file}: ${inDefaults ? "defaults" : `sessions[${i}]`}.schedule.${k}: required key missing`,
          );
        }
      }
    }
    for (const k of ["role", "senderCompId", "targetCompId"]) {
      if (merged[k] === undefined) {
        throw new ConfigError(`${file}: sessions[${i}].${k}: required key missing`);
      }
    }
    if (merged.role === "initiator" && merged.host === undefined && merged.hosts === undefined) {
      throw new ConfigError(`${file}: sessions[${i}].host: an initiator needs host and port (or hosts)`);
    }
    if (merged.role === "initiator" && merged.hosts === undefined && merged.port === undefined) {
      throw new ConfigError(`${file}: sessions[${i}].port: an initiator needs a port`);
    }
    if (merged.role === "acceptor" && merged.port === undefined) {
      throw new ConfigError(`${file}: sessions[${i}].port: an acceptor needs a port`);
    }
    for (const [j, h] of ((merged.hosts ?? []) as string[]).entries()) {
      if (!/^[^:\s]+:\d{1,5}$/.test(h)) {
        throw new ConfigError(`${file}: sessions[${i}].hosts[${j}]: "${h}" is not host:port`);
      }
    }
    return merged as SessionEntry;
  });
  const seen = new Map<string, number>();
  for (const [i, s] of sessions.entries()) {
    const k = sessionKey(sessionIdOf(s));
    const j = seen.get(k);
    if (j !== undefined) {
      throw new ConfigError(
        `${file}: sessions[${i}]: same session as sessions[${j}] (${k}); add a qualifier to tell them apart`,
      );
    }
    seen.set(k, i);
    if (s.role === "acceptor" && s.targetCompId !== "*") {
      // The qualifier is not on the wire: a Logon finds an acceptor session by CompIDs and sub IDs only.
      const wire = sessionKey({ ...sessionIdOf(s), qualifier: "" });
      const twin = sessions.findIndex((o, n) =>
        n < i && o.role === "acceptor" && sessionKey({ ...sessionIdOf(o), qualifier: "" }) === wire
      );
      if (twin >= 0) {
        throw new ConfigError(
          `${file}: sessions[${i}]: an acceptor with the same CompIDs and sub IDs as sessions[${twin}] (${k}); a qualifier is not on the wire, so a Logon could not tell them apart`,
        );
      }
    }
    if (typeof s.name === "string") {
      const dup = sessions.findIndex((o, n) => n < i && o.name === s.name);
      if (dup >= 0) {
        throw new ConfigError(
          `${file}: sessions[${i}].name: "${s.name}" is also the name of sessions[${dup}]`,
        );
      }
    }
    if (s.authentication === "users" && s.role !== "acceptor") {
      throw new ConfigError(
        `${file}: sessions[${i}].authentication: only an acceptor checks Logon credentials`,
      );
    }
    if (Array.isArray(s.allowedUsers)) {
      for (const u of s.allowedUsers as string[]) {
        if (!(u in ((checked.users ?? {}) as Record<string, unknown>))) {
          throw new ConfigError(`${file}: sessions[${i}].allowedUsers: "${u}" is not in users`);
        }
      }
    }
    const tls = s.tls as Record<string, unknown> | undefined;
    if (tls?.requireClientCert === true && s.role !== "acceptor") {
      throw new ConfigError(
        `${file}: sessions[${i}].tls.requireClientCert: only an acceptor requires client certificates (an initiator presents cert and key)`,
      );
    }
  }
  const store = (checked.store ?? {}) as FixgConfig["store"];
  if (store.type === "postgres" && store.url === undefined) {
    throw new ConfigError(`${file}: store.url: required with store.type postgres`);
  }
  for (const k of ["maxConnections", "pipeline", "pipelineSessions"] as const) {
    if (store[k] !== undefined && store.type !== "postgres") {
      throw new ConfigError(`${file}: store.${k}: only for store.type postgres`);
    }
  }
  if (store.pipeline !== undefined && store.pipeline > (store.maxConnections ?? 4) - 1) {
    throw new ConfigError(
      `${file}: store.pipeline: at most store.maxConnections - 1 (${
        (store.maxConnections ?? 4) - 1
      }): one connection stays free for the barriers and reads`,
    );
  }
  const cluster = checked.cluster as { nodeId?: string; leaseMs?: number } | undefined;
  if (cluster !== undefined) {
    if (store.type !== "postgres") {
      throw new ConfigError(`${file}: cluster: needs store.type postgres (the sessions' leases live there)`);
    }
    if (cluster.nodeId === undefined || cluster.nodeId === "") {
      throw new ConfigError(`${file}: cluster.nodeId: required (a name unique to this gateway)`);
    }
  }
  const log = (checked.log ?? {}) as FixgConfig["log"];
  const out: FixgConfig = {
    file,
    store: {
      ...store,
      type: store.type ?? "file",
      dir: store.dir ?? defaultJournalDir(sessions, file),
      fsync: store.fsync ?? "batch",
    },
    log: { ...log, level: log.level ?? "info", format: log.format ?? "text", verbose: log.verbose ?? false },
    sessions,
    users: (checked.users ?? {}) as FixgConfig["users"],
    tuning: tuningOf(checked.tuning as Record<string, unknown> | undefined, file),
    reload: { watch: ((checked.reload as { watch?: boolean } | undefined)?.watch) ?? true },
    limits: (checked.limits ?? {}) as FixgConfig["limits"],
    raw: checked,
  };
  if (cluster !== undefined) out.cluster = cluster as { nodeId: string; leaseMs?: number };
  const admin = checked.admin as
    | { host?: string; port?: number; token?: string; allowedHosts?: string[] }
    | undefined;
  if (admin !== undefined) {
    out.admin = { ...admin, host: admin.host ?? "127.0.0.1" };
    if (admin.token !== undefined && admin.token.length < 16) {
      throw new ConfigError(
        `${file}: admin.token: use at least 16 characters (e.g. from "openssl rand -hex 24")`,
      );
    }
  }
  for (const [name, u] of Object.entries(out.users)) {
    if (!/^pbkdf2-sha256\$\d+\$[^$]+\$[^$]+$/.test(u.passwordHash)) {
      throw new ConfigError(
        `${file}: users.${name}.passwordHash: not a fixg password hash (make one with "fixg config hash-password")`,
      );
    }
  }
  return out;
}

/** Parent of the default journal directories. */
export const JOURNAL_ROOT = "./fixg-journal";

/**
 * The journal directory without `store.dir`, one per session set so gateways started from one
 * directory do not share (and lock each other out of) a journal: for a config file, its name
 * (`fixg.yaml` -> `./fixg-journal/fixg`: adding a session to the file keeps the journal); for sessions
 * from flags, their CompIDs (`./fixg-journal/ISLD-TW`; several pairs joined with `+`, long sets
 * shortened with a hash).
 */
export function defaultJournalDir(
  sessions: readonly { senderCompId: string; targetCompId: string }[],
  file = "(command line)",
): string {
  const clean = (id: string) => id === "*" ? "any" : id.replace(/[^A-Za-z0-9._-]/g, "_");
  if (file !== "(command line)") {
    const base = clean(file.slice(file.lastIndexOf("/") + 1).replace(/\.(ya?ml|json)$/i, ""));
    if (base !== "" && base !== "." && base !== "..") return `${JOURNAL_ROOT}/${base}`;
  }
  const pairs = [...new Set(sessions.map((s) => `${clean(s.senderCompId)}-${clean(s.targetCompId)}`))];
  if (pairs.length === 0) return JOURNAL_ROOT;
  let name = pairs.join("+");
  if (name.length > 80) {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    name = `${pairs[0]!.slice(0, 60)}+${pairs.length - 1}-more-${(h >>> 0).toString(16).padStart(8, "0")}`;
  }
  return `${JOURNAL_ROOT}/${name}`;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function tuningOf(t: Record<string, unknown> | undefined, file: string): FixgConfig["tuning"] {
  if (!t) return {};
  const { cpus, ...rest } = t;
  const out = { ...rest } as FixgConfig["tuning"];
  if (Array.isArray(cpus)) {
    const list: number[] = [];
    for (const part of cpus as string[]) {
      for (const piece of part.split(",")) {
        const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(piece);
        if (!m) {
          throw new ConfigError(`${file}: tuning.cpus: "${part}" is not a CPU list (e.g. 0, 0-3 or 0,2)`);
        }
        const from = Number(m[1]), to = Number(m[2] ?? m[1]);
        if (to < from || to > 1023) {
          throw new ConfigError(`${file}: tuning.cpus: bad range "${piece.trim()}"`);
        }
        for (let c = from; c <= to; c++) list.push(c);
      }
    }
    out.cpus = [...new Set(list)].sort((a, b) => a - b);
  }
  return out;
}

/** Reads and parses a config file; a missing or unreadable file is a ConfigError naming it. */
export async function loadConfig(path: string, schema?: Schema): Promise<FixgConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(`Cannot read config "${path}": ${e instanceof Error ? e.message : e}`);
  }
  return parseConfig(text, path, undefined, schema);
}

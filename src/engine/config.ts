/**
 * fixg.yaml: the gateway configuration, documented key by key in docs/configuration.md.
 * Loading substitutes `${ENV_VAR}`, rejects unknown keys and bad values with file, key and reason
 * (ConfigError, exit code 2), and applies `defaults:` to every session.
 */
import * as jsyaml from "js-yaml";
import { ConfigError } from "../errors.ts";
import { checkValue, type Schema, substituteEnv } from "./schema.ts";

const fsyncEnum = ["always", "batch", "none"] as const;

/** Keys a session may have (also allowed under `defaults:`). */
export const SESSION_FIELDS: Record<string, Schema> = {
  name: { type: "string" },
  role: { type: "string", enum: ["initiator", "acceptor"] },
  beginString: { type: "string", enum: ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1"] },
  senderCompId: { type: "string" },
  targetCompId: { type: "string" },
  senderSubId: { type: "string" },
  targetSubId: { type: "string" },
  qualifier: { type: "string" },
  host: { type: "string" },
  port: { type: "int", min: 0, max: 65535 },
  hosts: { type: "strings" },
  bindHost: { type: "string" },
  heartbeatIntervalSec: { type: "int", min: 1, max: 3600 },
  resetOnLogon: { type: "bool" },
  resetOnLogout: { type: "bool" },
  resetOnDisconnect: { type: "bool" },
  refreshOnLogon: { type: "bool" },
  sendRedundantResendRequests: { type: "bool" },
  resendRequestChunkSize: { type: "int", min: 0 },
  checkLatency: { type: "bool" },
  maxLatencySec: { type: "int", min: 1 },
  checkCompId: { type: "bool" },
  logonTimeoutSec: { type: "number", min: 0.01 },
  logoutTimeoutSec: { type: "number", min: 0.01 },
  testRequestDelayFactor: { type: "number", min: 1, max: 10 },
  timestampPrecision: { type: "string", enum: ["s", "ms", "us", "ns"] },
  enableNextExpectedMsgSeqNum: { type: "bool" },
  username: { type: "string" },
  password: { type: "string" },
  defaultApplVerId: { type: "string" },
  dictionary: { type: "string" },
  appDictionary: { type: "string" },
  validation: {
    type: "object",
    fields: {
      enabled: { type: "bool" },
      rejectUndefinedTags: { type: "bool" },
      rejectTagsNotInMessage: { type: "bool" },
      validateUserDefinedFields: { type: "bool" },
      checkRequiredFields: { type: "bool" },
      checkFieldsHaveValues: { type: "bool" },
      checkEnumValues: { type: "bool" },
      checkDataFormat: { type: "bool" },
      checkFieldOrder: { type: "bool" },
      checkRepeatedTags: { type: "bool" },
      checkGroups: { type: "bool" },
      checkMsgType: { type: "bool" },
    },
  },
  supportedMsgTypes: { type: "strings" },
  app: { type: "string", enum: ["echo", "log", "none"] },
  enabled: { type: "bool" },
  allowedAddresses: { type: "strings" },
  reconnect: {
    type: "object",
    fields: {
      initialMs: { type: "int", min: 0 },
      maxMs: { type: "int", min: 0 },
      factor: { type: "number", min: 1 },
      jitter: { type: "number", min: 0, max: 1 },
      attempts: { type: "int", min: 0 },
    },
  },
  schedule: {
    type: "object",
    fields: {
      start: { type: "string" },
      end: { type: "string" },
      days: { type: "strings" },
      timezone: { type: "string" },
    },
    required: ["start", "end"],
  },
  tls: {
    type: "object",
    fields: {
      cert: { type: "string" },
      key: { type: "string" },
      ca: { type: "string" },
      serverName: { type: "string" },
    },
  },
};

/** The whole file. Sections other helpers' features add (admin, tuning...) are listed here too. */
export const CONFIG_SCHEMA: Schema = {
  type: "object",
  fields: {
    store: {
      type: "object",
      fields: {
        type: { type: "string", enum: ["file", "memory"] },
        dir: { type: "string" },
        fsync: { type: "string", enum: fsyncEnum },
        batchMessages: { type: "int", min: 1 },
        batchMicros: { type: "int", min: 1 },
        segmentBytes: { type: "int", min: 4096 },
        retentionDays: { type: "number", min: 0 },
        retentionBytes: { type: "int", min: 0 },
      },
    },
    log: {
      type: "object",
      fields: {
        level: { type: "string", enum: ["debug", "info", "warn", "error"] },
        format: { type: "string", enum: ["text", "json"] },
        verbose: { type: "bool" },
        maskTags: { type: "strings" },
        truncateTags: { type: "strings" },
        truncateTo: { type: "int", min: 0 },
      },
    },
    defaults: { type: "object", fields: SESSION_FIELDS },
    sessions: { type: "array", of: { type: "object", fields: SESSION_FIELDS } },
  },
};

/** A session entry after defaults are applied. */
export type SessionEntry = Record<string, unknown> & { role: "initiator" | "acceptor"; senderCompId: string; targetCompId: string; beginString: string };

/** The parsed configuration. */
export interface FixgConfig {
  file: string;
  store: { type: "file" | "memory"; dir: string; fsync: "always" | "batch" | "none"; batchMessages?: number; batchMicros?: number; segmentBytes?: number; retentionDays?: number; retentionBytes?: number };
  log: { level: "debug" | "info" | "warn" | "error"; format: "text" | "json"; verbose: boolean; maskTags?: string[]; truncateTags?: string[]; truncateTo?: number };
  sessions: SessionEntry[];
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
    for (const k of ["role", "senderCompId", "targetCompId"]) {
      if (merged[k] === undefined) throw new ConfigError(`${file}: sessions[${i}].${k}: required key missing`);
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
      if (!/^[^:\s]+:\d{1,5}$/.test(h)) throw new ConfigError(`${file}: sessions[${i}].hosts[${j}]: "${h}" is not host:port`);
    }
    return merged as SessionEntry;
  });
  const store = (checked.store ?? {}) as FixgConfig["store"];
  const log = (checked.log ?? {}) as FixgConfig["log"];
  return {
    file,
    store: { ...store, type: store.type ?? "file", dir: store.dir ?? "./fixg-journal", fsync: store.fsync ?? "batch" },
    log: { ...log, level: log.level ?? "info", format: log.format ?? "text", verbose: log.verbose ?? false },
    sessions,
    raw: checked,
  };
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

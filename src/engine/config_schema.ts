/**
 * fixg.yaml's schema: every key of the gateway configuration with its type, range and check, documented key
 * by key in docs/configuration.md. Loading and the checks across keys are in config.ts.
 */
import { RISK_FIELDS } from "../app/orders/risk.ts";
import type { Schema } from "../config/schema.ts";
import { IDENT } from "../store/postgres_schema.ts";

const fsyncEnum = ["always", "batch", "none"] as const;

/**
 * Session keys of identity and address (in the order of docs/configuration.md): a change to any needs
 * a restart (ops/reload.ts), and `fixg import-quickfix` writes them first (ops/quickfix_format.ts).
 */
export const SESSION_ADDRESS_KEYS = [
  "role",
  "beginString",
  "senderCompId",
  "targetCompId",
  "senderSubId",
  "targetSubId",
  "qualifier",
  "host",
  "port",
  "hosts",
  "bindHost",
] as const;

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
  owner: { type: "string" },
  resendMaxAgeSec: { type: "number", min: 0 },
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
  credentialsEncoding: { type: "string", enum: ["utf8", "latin1"] },
  defaultApplVerId: { type: "string" },
  dictionary: { type: "string" },
  appDictionary: { type: "string" },
  /** FIXT 1.1: application dictionary by version (QuickFIX AppDataDictionary.<version>): a file or "builtin". */
  appDictionaries: {
    type: "object",
    fields: Object.fromEntries(
      ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIX.5.0", "FIX.5.0SP1", "FIX.5.0SP2"].map(
        (v) => [v, { type: "string" } as Schema],
      ),
    ),
  },
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
  maxHeartBtIntSec: { type: "int", min: 1 },
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
      startDay: { type: "string" },
      endDay: { type: "string" },
      timezone: { type: "string" },
    },
    // start and end are required of the merged schedule (defaults.schedule + the session's), below.
  },
  tls: {
    type: "object",
    fields: {
      cert: { type: "string" },
      key: { type: "string" },
      ca: { type: "string" },
      serverName: { type: "string" },
      requireClientCert: { type: "bool" },
      allowedClientNames: { type: "strings" },
    },
  },
  throttle: {
    type: "object",
    fields: {
      inboundPerSec: { type: "number", min: 0.001 },
      inboundBurst: { type: "int", min: 1 },
      inboundAction: { type: "string", enum: ["reject", "logout"] },
      outboundPerSec: { type: "number", min: 0.001 },
      outboundBurst: { type: "int", min: 1 },
    },
  },
  outbound: {
    type: "object",
    fields: {
      priorities: { type: "map", of: { type: "string", enum: ["critical", "high", "normal", "low"] } },
      starvationMs: { type: "int", min: 1 },
      maxBufferBytes: { type: "int", min: 4096 },
      writeTimeoutSec: { type: "number", min: 0 },
    },
  },
  authentication: { type: "string", enum: ["none", "users"] },
  allowedUsers: { type: "strings" },
  /** Pre-send risk limits of the session's order entry (docs/configuration.md, `risk`); hot-reloadable. */
  risk: {
    type: "object",
    fields: {
      // The library's risk keys (app/orders/risk.ts), but priceCollar: the gateway has no reference price.
      allowedSymbols: RISK_FIELDS.allowedSymbols!,
      maxOrderQty: RISK_FIELDS.maxOrderQty!,
      maxNotional: RISK_FIELDS.maxNotional!,
      maxOpenOrders: RISK_FIELDS.maxOpenOrders!,
      ordersPerSecond: RISK_FIELDS.ordersPerSecond!,
      burst: RISK_FIELDS.burst!,
      tradingHours: RISK_FIELDS.tradingHours!,
      // `enabled: false` where the library says null.
      circuitBreaker: {
        type: "object",
        fields: {
          enabled: { type: "bool" },
          maxRejects: { type: "int", min: 0 },
          windowMs: { type: "int", min: 1 },
        },
      },
    },
  },
};

/** The `admin:` section: the HTTP endpoint for metrics, health and operator actions. */
export const ADMIN_FIELDS: Record<string, Schema> = {
  host: { type: "string" },
  port: { type: "int", min: 0, max: 65535 },
  token: { type: "string" },
  allowedHosts: { type: "strings" },
};

/** The `tuning:` section: process and socket knobs, each reporting whether it took effect. */
export const TUNING_FIELDS: Record<string, Schema> = {
  cpus: { type: "strings" },
  allThreads: { type: "bool" },
  lockBuffers: { type: "bool" },
  noDelay: { type: "bool" },
  rcvBufBytes: { type: "int", min: 1, max: 1073741823 },
  sndBufBytes: { type: "int", min: 1, max: 1073741823 },
  busyPollUs: { type: "int", min: 0, max: 2147483647 },
  readSpinUs: { type: "int", min: 0, max: 10000000 },
};

/** The `limits:` section: what a connection that has not logged on may cost (docs/configuration.md). */
export const LIMITS_FIELDS: Record<string, Schema> = {
  handshakeTimeoutSec: { type: "number", min: 0.01, max: 3600 },
  logonTimeoutSec: { type: "number", min: 0.01, max: 3600 },
  maxPendingConnections: { type: "int", min: 1 },
  maxPendingPerAddress: { type: "int", min: 1 },
  acceptWatchdogSec: { type: "number", min: 0, max: 3600 },
  authFreeFailures: { type: "int", min: 0 },
  authMaxPenaltySec: { type: "number", min: 0 },
  maxConcurrentHashes: { type: "int", min: 1, max: 64 },
};

/** The whole file. Sections other helpers' features add (admin, tuning...) are listed here too. */
export const CONFIG_SCHEMA: Schema = {
  type: "object",
  fields: {
    store: {
      type: "object",
      fields: {
        type: { type: "string", enum: ["file", "memory", "postgres"] },
        dir: { type: "string" },
        // Checked here so that `fixg config check` refuses what opening the store would (the URL never echoed).
        url: {
          type: "string",
          check: (u) =>
            /^postgres(ql)?:\/\//.test(u)
              ? postgresPortProblem(u)
              : "must be a postgres:// (or postgresql://) URL",
        },
        schema: {
          type: "string",
          check: (v) => IDENT.test(v) ? undefined : `"${v}" is not a plain lower-case SQL identifier`,
        },
        maxConnections: { type: "int", min: 2, max: 64 },
        pipeline: { type: "int", min: 1, max: 63 },
        pipelineSessions: { type: "bool" },
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
        dir: { type: "string" },
        rotateBytes: { type: "int", min: 0 },
        rotateDaily: { type: "bool" },
        keepFiles: { type: "int", min: 0 },
      },
    },
    defaults: { type: "object", fields: SESSION_FIELDS },
    sessions: { type: "array", of: { type: "object", fields: SESSION_FIELDS } },
    admin: { type: "object", fields: ADMIN_FIELDS },
    users: {
      type: "map",
      of: { type: "object", fields: { passwordHash: { type: "string" } }, required: ["passwordHash"] },
    },
    tuning: { type: "object", fields: TUNING_FIELDS },
    reload: { type: "object", fields: { watch: { type: "bool" } } },
    limits: { type: "object", fields: LIMITS_FIELDS },
    engine: {
      type: "object",
      fields: { socket: { type: "string" }, secret: { type: "string" }, secretEnv: { type: "string" } },
    },
    cluster: {
      type: "object",
      fields: { nodeId: { type: "string" }, leaseMs: { type: "int", min: 100, max: 600_000 } },
    },
  },
};

/**
 * Why a PostgreSQL URL's hosts cannot be connected to, split as the client (npm postgres) splits them: the
 * authority up to the first / or ?, after its last @, hosts by comma, each `host[:port]` or
 * `[v6]:port`: a port that is not 1..65535. The URL itself is never quoted (it may carry the password).
 */
function postgresPortProblem(u: string): string | undefined {
  const rest = u.slice(u.indexOf("://") + 3);
  const end = rest.search(/[/?]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  for (const h of authority.slice(authority.lastIndexOf("@") + 1).split(",").filter(Boolean)) {
    const m = /^\[[^\]]*\](?::(\d*))?$/.exec(h) ?? /^[^:]*(?::(\d*))?$/.exec(h);
    const port = m
      ? m[1] ?? ""
      : h.startsWith("[")
      ? h.slice(h.indexOf("]") + 2)
      : h.slice(h.indexOf(":") + 1);
    if (port === "") continue;
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      return `"${port}" is not a port (1-65535)`;
    }
  }
  return undefined;
}

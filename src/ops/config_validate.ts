/**
 * `fixg config check`: everything `fixg run` would refuse, found without starting anything: the
 * schema, then each session built in full (dictionaries loaded, schedules, TLS files read, users'
 * hashes parsed, acceptor ports' TLS settings consistent). The journal is not opened.
 */
import { acceptorHostWarning, buildGateway } from "../engine/build.ts";
import { type FixgConfig, loadConfig } from "../engine/config.ts";
import { engineEndpointOf } from "../engine/library_config.ts";
import { Logger } from "../engine/log.ts";
import { ConfigError } from "../errors.ts";
import { sessionIdOf, sessionKey } from "../session/session_id.ts";
import { MemoryMessageStore } from "../store/memory_store.ts";
import { certificateInfo, expiryWarning } from "../transport/tls.ts";

/** A valid config: what it holds, and advice that does not make it invalid. */
export interface ConfigCheckResult {
  file: string;
  sessions: Array<{ id: string; name: string | null; role: string }>;
  warnings: string[];
}

/** A config error split into file, key and reason where its message allows. */
export interface ConfigProblem {
  file: string;
  key: string | null;
  reason: string;
}

/** Checks a config file; throws ConfigError (exit 2) naming file, key and reason. */
export async function checkConfigFile(path: string): Promise<ConfigCheckResult> {
  const config = await loadConfig(path);
  return await checkLoadedConfig(config);
}

/** Checks a parsed config in depth (builds, never starts, the gateway). */
export async function checkLoadedConfig(config: FixgConfig, nowMs = Date.now()): Promise<ConfigCheckResult> {
  await buildGateway(config, {
    logger: new Logger({ level: "error", sink: () => {} }),
    store: new MemoryMessageStore(),
  });
  // The engine endpoint's section (secret length, secretEnv set), as fixg run checks it at start.
  engineEndpointOf(config);
  const warnings: string[] = [];
  if (config.sessions.length === 0) warnings.push("no sessions: fixg run would have nothing to run");
  if (config.admin?.port !== undefined && config.admin.token === undefined) {
    warnings.push("admin.token is not set: operator actions (logout, reset, kill switch) are off");
  }
  if (config.admin && !["127.0.0.1", "::1", "localhost"].includes(config.admin.host)) {
    warnings.push(
      `admin.host ${config.admin.host}: the admin endpoint is reachable from other hosts; keep it behind a firewall`,
    );
  }
  for (const [i, s] of config.sessions.entries()) {
    const cert = (s.tls as { cert?: string } | undefined)?.cert;
    if (cert !== undefined) {
      // buildGateway above has read it: it exists and is PEM.
      const info = certificateInfo(await Deno.readTextFile(cert));
      const w = info && expiryWarning(info, nowMs);
      if (w) warnings.push(`sessions[${i}].tls.cert: ${w}`);
    }
    if (s.role === "acceptor" && s.authentication === "users" && s.allowedUsers === undefined) {
      warnings.push(
        `sessions[${i}]: authentication: users without allowedUsers: ANY of the ${
          Object.keys(config.users).length
        } users can log on as ${
          s.targetCompId === "*" ? "any client CompID" : s.targetCompId
        }; list who may in allowedUsers`,
      );
    }
    const ignored = acceptorHostWarning(s, i);
    if (ignored !== undefined) warnings.push(ignored);
    if (
      s.role === "acceptor" && s.authentication !== "users" && s.allowedAddresses === undefined &&
      !(s.tls as { requireClientCert?: boolean } | undefined)?.requireClientCert
    ) {
      warnings.push(
        `sessions[${i}]: any host can log on as ${s.targetCompId} (no allowedAddresses, authentication or client certificates)`,
      );
    }
  }
  return {
    file: config.file,
    sessions: config.sessions.map((s) => ({
      id: sessionKey(sessionIdOf(s)),
      name: typeof s.name === "string" ? s.name : null,
      role: s.role,
    })),
    warnings,
  };
}

/** Splits "file: key: reason" (the shape of every ConfigError about a config file). */
export function describeProblem(e: ConfigError, file: string): ConfigProblem {
  let msg = e.message;
  if (msg.startsWith(`${file}: `)) msg = msg.slice(file.length + 2);
  else if (msg.startsWith(`${file}:`)) msg = msg.slice(file.length + 1);
  else return { file, key: null, reason: msg };
  const m = /^([A-Za-z0-9_.[\]*-]+|\(top level\)): ([\s\S]*)$/.exec(msg);
  if (m) return { file, key: m[1]!, reason: m[2]! };
  return { file, key: null, reason: msg };
}

/**
 * Hot reload: a new config is checked and built in full first (dictionaries, TLS files, users); any
 * error rejects it whole and the running config stays. Then what can change safely is applied (log
 * level and redaction, users, schedules, throttles, priorities, enabling and disabling sessions,
 * reconnect policy, session settings for the next logon, socket knobs for new connections, renewed
 * certificate files) and what cannot (ports, hosts, CompIDs, TLS settings, store, engine, admin endpoint,
 * process knobs, adding or removing sessions) is reported as "needs restart" and left as it was.
 */
import {
  type BuildOptions,
  limitsFor,
  loggerFor,
  sessionSpecFor,
  socketTuningFor,
  tlsFor,
} from "../engine/build.ts";
import { type FixgConfig, type SessionEntry } from "../engine/config.ts";
import { SESSION_ADDRESS_KEYS } from "../engine/config_schema.ts";
import type { Gateway, GatewaySession } from "../engine/gateway.ts";
import type { Logger } from "../engine/log.ts";
import { sessionIdOf, sessionKey } from "../session/session_id.ts";
import type { TlsMaterial } from "../transport/tls.ts";
import { UserDirectory } from "../engine/auth/users.ts";
import { type Scheduler, systemScheduler, type Timer } from "../clock.ts";

/** What a reload did. */
export interface ReloadOutcome {
  ok: boolean;
  /** Changes applied, one line each ("sessions[0] (FIX.4.4:GW->TW): throttle"). */
  applied: string[];
  /** Changes left as they were until a restart, with the reason. */
  needsRestart: string[];
  /** Why the whole new config was rejected (ok false). */
  error?: string;
  /** The config in force after the reload (the new one with restart-only changes left out). */
  config: FixgConfig;
}

/** Session keys whose change needs a restart: they decide sockets, identity or the application. */
const RESTART_KEYS = [
  ...SESSION_ADDRESS_KEYS,
  "owner",
  "tls",
  "app",
] as const;

function keyOf(e: SessionEntry): string {
  return sessionKey(sessionIdOf(e));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Names of the keys that differ between two objects. */
function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !same(a[k], b[k])).sort();
}

/**
 * Applies `next` to a running gateway built from `current`. Never throws for a bad config: the
 * outcome says why it was rejected.
 */
export async function reloadGateway(
  gw: Gateway,
  current: FixgConfig,
  next: FixgConfig,
  logger: Logger,
  options: BuildOptions = {},
): Promise<ReloadOutcome> {
  const applied: string[] = [];
  const needsRestart: string[] = [];
  try {
    // 1. Work out the effective new config: restart-only values stay as they are.
    const effective: FixgConfig = structuredClone({ ...next, raw: {} }) as FixgConfig;
    effective.raw = next.raw;
    if (!same(current.store, next.store)) {
      needsRestart.push(`store: ${changedKeys(current.store, next.store).join(", ")} changed`);
      effective.store = current.store;
    }
    if (!same(current.cluster, next.cluster)) {
      needsRestart.push("cluster: changed");
      if (current.cluster) effective.cluster = current.cluster;
      else delete effective.cluster;
    }
    const adminWhere = (c: FixgConfig) => ({ host: c.admin?.host, port: c.admin?.port });
    if (!same(adminWhere(current), adminWhere(next))) {
      needsRestart.push("admin: host/port changed");
      if (current.admin) {
        effective.admin = {
          ...(next.admin ?? {}),
          host: current.admin.host,
          ...(current.admin.port !== undefined ? { port: current.admin.port } : {}),
        };
      } else delete effective.admin;
    }
    if (current.admin?.token !== next.admin?.token) applied.push("admin.token");
    if (!same(current.admin?.allowedHosts, next.admin?.allowedHosts)) applied.push("admin.allowedHosts");
    const processKnobs = (c: FixgConfig) => ({
      cpus: c.tuning.cpus,
      allThreads: c.tuning.allThreads,
      lockBuffers: c.tuning.lockBuffers,
    });
    if (!same(processKnobs(current), processKnobs(next))) {
      needsRestart.push("tuning: cpus/allThreads/lockBuffers changed");
      Object.assign(effective.tuning, processKnobs(current));
    }
    if (!same(socketTuningFor(current), socketTuningFor(next))) {
      applied.push("tuning: socket knobs (new connections)");
    }
    // The library endpoint (engine.socket, its secret) is opened at start (configuration.md: not hot-reloaded).
    if (!same(current.raw.engine, next.raw.engine)) {
      needsRestart.push("engine: changed");
      const { engine: _next, ...raw } = next.raw;
      effective.raw = current.raw.engine === undefined ? raw : { ...raw, engine: current.raw.engine };
    }
    if (current.reload.watch !== next.reload.watch) {
      needsRestart.push("reload.watch changed");
      effective.reload = current.reload;
    }
    // Parsed here so a bad hash rejects the reload before anything is applied.
    new UserDirectory(next.users, `${next.file}: users`);
    if (!same(current.users, next.users)) applied.push("users");
    // The log files (log.dir and its rotation) are opened at start: a change waits for a restart.
    const fileKeys = ["dir", "rotateBytes", "rotateDaily", "keepFiles"] as const;
    const logFiles = (c: FixgConfig) => fileKeys.map((k) => c.log[k]);
    if (!same(logFiles(current), logFiles(next))) {
      needsRestart.push("log: dir/rotateBytes/rotateDaily/keepFiles changed");
      for (const k of fileKeys) {
        if (current.log[k] === undefined) delete effective.log[k];
        else (effective.log as Record<string, unknown>)[k] = current.log[k];
      }
    }
    if (!same(current.log, effective.log)) {
      applied.push(`log: ${changedKeys(current.log, effective.log).join(", ")}`);
    }

    // 2. Sessions, matched by session key.
    const oldByKey = new Map(current.sessions.map((e, i) => [keyOf(e), { e, i }]));
    const newKeys = new Set(next.sessions.map(keyOf));
    const sessions: SessionEntry[] = [];
    const updates: Array<{ where: string; spec: GatewaySession; changed: string[] }> = [];
    const tlsUpdates: Array<{ key: string; m: TlsMaterial }> = [];
    for (const [i, n] of next.sessions.entries()) {
      const k = keyOf(n);
      const old = oldByKey.get(k);
      if (!old) {
        const renamed = typeof n.name === "string"
          ? current.sessions.find((o) => o.name === n.name)
          : undefined;
        needsRestart.push(
          renamed
            ? `sessions[${i}] "${n.name}": identity changed (${keyOf(renamed)} -> ${k})`
            : `sessions[${i}] (${k}): new session`,
        );
        continue;
      }
      const merged = { ...n } as SessionEntry;
      const restart: string[] = [];
      for (const rk of RESTART_KEYS) {
        if (!same(old.e[rk], n[rk])) {
          restart.push(rk);
          if (old.e[rk] === undefined) delete (merged as Record<string, unknown>)[rk];
          else (merged as Record<string, unknown>)[rk] = old.e[rk];
        }
      }
      if (restart.length > 0) needsRestart.push(`sessions[${i}] (${k}): ${restart.join(", ")} changed`);
      sessions.push(merged);
      const changed = changedKeys(old.e, merged);
      const where = `sessions[${i}] (${k})`;
      const probe: FixgConfig = { ...effective, sessions: [merged] };
      // Certificate files renewed in place: new material for new connections.
      const tls = await tlsFor(merged, `${next.file}: sessions[${i}]`);
      if (tls) tlsUpdates.push({ key: k, m: tls });
      if (changed.length > 0) {
        updates.push({ where, spec: await sessionSpecFor(probe, 0, logger, options), changed });
      }
    }
    for (const [k, { i }] of oldByKey) {
      if (!newKeys.has(k)) {
        needsRestart.push(
          `sessions[${i}] (${k}): removed (set enabled: false to stop a session without a restart)`,
        );
        sessions.push(current.sessions[i]!);
      }
    }
    effective.sessions = sessions;

    // 3. Everything checked and built: apply.
    const nextLogger = loggerFor(effective);
    logger.configure({ level: nextLogger.level, format: nextLogger.format, redaction: nextLogger.redaction });
    gw.users?.replace(next.users, `${next.file}: users`);
    gw.setSocketTuning(socketTuningFor(effective));
    gw.setLimits(limitsFor(effective));
    if (!same(current.limits, next.limits)) applied.push("limits (new connections)");
    for (const u of updates) {
      gw.updateSession(u.spec);
      applied.push(`${u.where}: ${u.changed.join(", ")}`);
    }
    for (const t of tlsUpdates) {
      if (gw.setTlsMaterial(t.key, t.m)) {
        applied.push(`${t.key}: TLS certificate files reloaded (new connections)`);
      }
    }
    return { ok: true, applied, needsRestart, config: effective };
  } catch (e) {
    return {
      ok: false,
      applied: [],
      needsRestart: [],
      error: e instanceof Error ? e.message : String(e),
      config: current,
    };
  }
}

/** Logs a reload outcome: applied changes at info, restart-only ones and rejections at warn/error. */
export function logReload(logger: Logger, o: ReloadOutcome, trigger: string): void {
  if (!o.ok) {
    logger.error("reload-rejected", `new config rejected (${trigger}); the running config stays: ${o.error}`);
    return;
  }
  if (o.applied.length === 0 && o.needsRestart.length === 0) {
    logger.info("reload", `config reloaded (${trigger}): no changes`);
    return;
  }
  for (const a of o.applied) logger.info("reload", `applied: ${a}`, undefined, { trigger });
  for (const r of o.needsRestart) {
    logger.warn("reload", `needs restart (left as it was): ${r}`, undefined, { trigger });
  }
}

/**
 * Triggers reloads on SIGHUP and, when `watch` is on, on changes of the config file or the TLS
 * files (editors replace files: the directories are watched and events filtered by name). Reloads
 * never overlap; changes during one cause one more afterwards. The debounce runs on `scheduler`
 * (src/clock.ts; default the system's): a test moves a ManualScheduler instead of waiting.
 */
export class ReloadTrigger {
  #running = false;
  #again: string | undefined;
  #watchers: Deno.FsWatcher[] = [];
  #timer: Timer | undefined;
  #signal: (() => void) | undefined;
  #stopped = false;

  constructor(
    readonly reload: (trigger: string) => Promise<void>,
    readonly scheduler: Scheduler = systemScheduler,
  ) {}

  /** Calls reload on SIGHUP. */
  listenSignal(): void {
    this.#signal = () => this.fire("SIGHUP");
    Deno.addSignalListener("SIGHUP", this.#signal);
  }

  /** Watches these files (debounced by `debounceMs`). */
  watch(files: string[], debounceMs = 250): void {
    const byDir = new Map<string, Set<string>>();
    for (const f of files) {
      const abs = f.startsWith("/") ? f : `${Deno.cwd()}/${f}`;
      const dir = abs.slice(0, abs.lastIndexOf("/")) || "/";
      const set = byDir.get(dir) ?? new Set<string>();
      set.add(abs.slice(abs.lastIndexOf("/") + 1));
      byDir.set(dir, set);
    }
    for (const [dir, names] of byDir) {
      const w = Deno.watchFs(dir, { recursive: false });
      this.#watchers.push(w);
      (async () => {
        try {
          for await (const ev of w) {
            if (ev.kind === "access") continue;
            if (!ev.paths.some((p) => names.has(p.slice(p.lastIndexOf("/") + 1)))) continue;
            this.changed(debounceMs);
          }
        } catch {
          // The watcher was closed.
        }
      })();
    }
  }

  /** A watched file changed: a reload `debounceMs` after the last change of a burst. */
  changed(debounceMs = 250): void {
    if (this.#stopped) return;
    this.#timer?.cancel();
    this.#timer = this.scheduler.after(debounceMs, () => {
      this.#timer = undefined;
      this.fire("file change");
    });
  }

  /** Runs a reload now (or right after the one running). */
  fire(trigger: string): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = trigger;
      return;
    }
    this.#running = true;
    this.reload(trigger).finally(() => {
      this.#running = false;
      const again = this.#again;
      this.#again = undefined;
      if (again !== undefined) this.fire(again);
    });
  }

  /** Stops watching and listening. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#signal) Deno.removeSignalListener("SIGHUP", this.#signal);
    for (const w of this.#watchers) {
      try {
        w.close();
      } catch {
        // Already closed.
      }
    }
    this.#watchers = [];
  }
}

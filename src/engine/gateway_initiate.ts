/**
 * The gateway's initiator side: each initiator session connects to its hosts in turn, logs on, and
 * when the connection ends waits an exponential backoff with jitter before the next attempt; it waits
 * for its schedule window, for an operator to release it, for the session to be enabled, or (in a
 * cluster) for this gateway to own it. Every wait is a timer of the gateway's scheduler that
 * `Sleeper.wakeAll()` ends early (operator logon, stop).
 */
import type { Scheduler, Timer } from "../clock.ts";
import { sessionKey } from "../session/types.ts";
import { connectTcp } from "../transport/tcp.ts";
import { connectTlsNode } from "../transport/tls.ts";
import type { Connection } from "../transport/types.ts";
import {
  backoffDelayMs,
  DEFAULT_RECONNECT,
  type GatewayEntry,
  type GatewaySession,
} from "./gateway_types.ts";
import type { Logger } from "./log.ts";
import { inWindow, nextWindowStart } from "./schedule.ts";

/** Waits on the scheduler that can all be ended at once; none is left pending after `wakeAll()`. */
export class Sleeper {
  readonly #scheduler: Scheduler;
  #waiting = new Set<() => void>();

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  /** Resolves after `ms` on the scheduler, or at the next `wakeAll()`. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        timer.cancel();
        this.#waiting.delete(done);
        resolve();
      };
      this.#waiting.add(done);
      const timer: Timer = this.#scheduler.after(ms, done);
    });
  }

  /** Ends every wait now (their timers cancelled). */
  wakeAll(): void {
    const all = [...this.#waiting];
    this.#waiting.clear();
    for (const w of all) w();
  }
}

/** What an initiator loop needs of the gateway. */
export interface InitiateHost {
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly sleeper: Sleeper;
  /** Source of the reconnect jitter, in [0, 1). */
  readonly random: () => number;
  /** Opens connections instead of TCP/TLS (GatewayOptions.connect). */
  readonly connect?: ((host: string, port: number) => Promise<Connection>) | undefined;
  stopping(): boolean;
  entry(key: string): GatewayEntry | undefined;
  /** The schedule's reset, when due, before the Logon goes out (numbers of an earlier window start at 1). */
  windowReset(entry: GatewayEntry): Promise<void>;
  tune(conn: Connection, key: string): Connection;
}

/** Connects, logs on and reconnects one initiator session until the gateway stops (or it gives up). */
export async function runInitiator(host: InitiateHost, spec: GatewaySession): Promise<void> {
  const { logger, scheduler, sleeper } = host;
  const key = sessionKey(spec.config.id);
  let entry = host.entry(key);
  // Cluster: a session owned elsewhere waits for this gateway to win its lease.
  while (entry === undefined && !host.stopping()) {
    await sleeper.sleep(1000);
    entry = host.entry(key);
  }
  if (entry === undefined) return;
  let r = entry.runner;
  const policy = spec.reconnect ?? DEFAULT_RECONNECT;
  const hosts = spec.hosts ?? [];
  let attempt = 0;
  let hostIdx = 0;
  let first = true;
  /** The window start the last "outside its schedule window" line named (said once per closed period). */
  let waitLogged: number | undefined | null = null;
  while (!host.stopping()) {
    const curEntry = host.entry(key);
    if (curEntry === undefined) {
      // Cluster: the lease was lost; connect again once this gateway owns the session again.
      await sleeper.sleep(1000);
      continue;
    }
    if (curEntry.runner !== r) {
      r = curEntry.runner;
      first = true;
      attempt = 0;
    }
    const cur = curEntry.spec;
    if (cur.enabled === false || curEntry.held) {
      await sleeper.sleep(1000);
      continue;
    }
    if (cur.schedule && !inWindow(cur.schedule, scheduler.nowMs())) {
      const next = nextWindowStart(cur.schedule, scheduler.nowMs());
      if (next !== waitLogged) {
        waitLogged = next;
        logger.info(
          "schedule",
          `outside its schedule window: not connecting until ${
            next === undefined ? "a window opens (none within 8 days)" : new Date(next).toISOString()
          }`,
          r.key,
        );
      }
      await sleeper.sleep(Math.min(60_000, Math.max(100, (next ?? Infinity) - scheduler.nowMs())));
      continue;
    }
    if (!first) {
      const delay = backoffDelayMs(cur.reconnect ?? policy, attempt, host.random);
      logger.info("reconnect-wait", `reconnecting in ${delay} ms (attempt ${attempt + 1})`, r.key);
      await sleeper.sleep(delay);
      if (host.stopping()) break;
      r.counters.reconnects++;
    }
    first = false;
    const h = hosts[hostIdx % Math.max(1, hosts.length)];
    if (!h) {
      logger.error("config", "initiator has no hosts", r.key);
      return;
    }
    let conn: Connection;
    try {
      conn = host.connect
        ? await host.connect(h.host, h.port)
        : cur.tlsMaterial
        ? await connectTlsNode(h.host, h.port, cur.tlsMaterial, undefined, host.scheduler)
        : await connectTcp(h.host, h.port, cur.tls);
    } catch (e) {
      logger.warn("connect-failed", `${h.host}:${h.port}: ${e instanceof Error ? e.message : e}`, r.key);
      attempt++;
      hostIdx++;
      const limit = (cur.reconnect ?? policy).attempts;
      if (limit > 0 && attempt >= limit) {
        logger.error("gave-up", `no connection after ${attempt} attempts`, r.key);
        return;
      }
      continue;
    }
    if (host.stopping()) {
      conn.close();
      break;
    }
    // The schedule's reset, when due, before the Logon goes out (numbers of an earlier window start at 1).
    const before = host.entry(key);
    if (before !== undefined && before.runner === r) await host.windowReset(before);
    // While connecting, the session may have been released (cluster lease lost), handed over (operator
    // move) or reopened with a new runner: never attach to a runner this gateway no longer runs.
    const now = host.entry(key);
    if (now === undefined || now.runner !== r || now.held) {
      logger.info("connect-dropped", `${h.host}:${h.port}: the session changed while connecting`, r.key);
      conn.close();
      continue;
    }
    logger.info("connect", `connected to ${h.host}:${h.port}`, r.key);
    conn = host.tune(conn, r.key);
    const loggedOn = await r.attach(conn);
    logger.info("disconnect", `disconnected from ${h.host}:${h.port}`, r.key);
    if (loggedOn) attempt = 0;
    else {
      // A connection closed before logon (refused Logon, failed TLS client verification) counts as a failed attempt,
      // and the next attempt goes to the next address: a gateway of a cluster that does not own the session
      // refuses its Logon so that the counterparty moves on (docs/ha.md).
      attempt++;
      hostIdx++;
      const limit = (cur.reconnect ?? policy).attempts;
      if (limit > 0 && attempt >= limit) {
        logger.error("gave-up", `not logged on after ${attempt} attempts`, r.key);
        return;
      }
    }
  }
}

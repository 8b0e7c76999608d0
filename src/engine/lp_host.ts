/**
 * Hosts the pure LP simulator core (src/app/lp) on the engine: forwards logons, disconnects and
 * application messages to it, sends what it answers (at once or when due), arms one timer for its
 * next deadline, and carries out its fault-injection effects on the session runners.
 */
import type { MessageView } from "../codec/mod.ts";
import { type LpConfig, type LpEffect, type LpOutput, LpSimulator } from "../app/lp/mod.ts";
import { FileJournal } from "../store/journal.ts";
import { MemoryMessageStore } from "../store/memory_store.ts";
import type { MessageStore } from "../store/types.ts";
import { sessionConfigFor } from "./build.ts";
import type { SessionEntry } from "./config.ts";
import { Gateway, type GatewaySession } from "./gateway.ts";
import type { Application, SessionHandle } from "./application.ts";
import { asScheduler, type Clock, type Scheduler, systemScheduler, type Timer } from "../clock.ts";
import { Logger } from "./log.ts";
import type { SessionRunner } from "./session_runner.ts";

/** Finds the runner of a session key (the gateway's). */
export type RunnerLookup = (sessionKey: string) => SessionRunner | undefined;

/** The Application that connects an LpSimulator to a gateway. */
export class LpHost implements Application {
  readonly #sim: LpSimulator;
  readonly #lookup: RunnerLookup;
  readonly #clock: Scheduler;
  readonly #logger: Logger | undefined;
  /** Outputs not yet due, in due order (stable for equal times). */
  #pending: LpOutput[] = [];
  /** Messages a session could not take (back-pressure), per session, in order. */
  #blocked = new Map<string, LpOutput[]>();
  #timer: Timer | undefined;
  #timerAtMs = Infinity;
  #stopped = false;

  /**
   * `scheduler`: time and the one timer (default the system scheduler); a bare `clock` (older form) gives
   * the time, with the system's timers. An inbound message is handled at its session's time
   * (`SessionHandle.nowMs`, the read's), so the sessions' gateway must run on the same scheduler (as
   * `startSimulator`'s does).
   */
  constructor(
    sim: LpSimulator,
    lookup: RunnerLookup,
    options: { scheduler?: Scheduler; clock?: Clock; logger?: Logger } = {},
  ) {
    this.#sim = sim;
    this.#lookup = lookup;
    this.#clock = options.scheduler ?? asScheduler(options.clock);
    this.#logger = options.logger;
  }

  /** Starts the market-data clock (price steps publish to subscribers even without inbound traffic). */
  start(): void {
    this.#arm();
  }

  /** Stops the timer; outputs still pending are dropped. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  onLogon(s: SessionHandle): void {
    this.#run(this.#sim.onLogon(s.key, s.id.targetCompId, this.#clock.nowMs(), s.id.beginString));
  }

  onLogout(s: SessionHandle): void {
    this.#blocked.delete(s.key);
    this.#pending = this.#pending.filter((o) => o.sessionKey !== s.key);
    this.#run(this.#sim.onDisconnect(s.key, this.#clock.nowMs()));
  }

  onMessage(view: MessageView, s: SessionHandle): void {
    // The session's time (the read's: no clock read per message; SendingTime and TransactTime agree).
    const now = s.nowMs !== undefined ? s.nowMs() : this.#clock.nowMs();
    this.#run(this.#sim.onMessage(s.key, view, now), now);
  }

  #run(outputs: LpOutput[], now = this.#clock.nowMs()): void {
    for (let i = 0; i < outputs.length; i++) {
      const o = outputs[i]!;
      if (o.dueMs <= now && this.#pending.length === 0) this.#apply(o);
      else this.#insert(o);
    }
    this.#drainDue(now);
    this.#arm();
  }

  #insert(o: LpOutput): void {
    let i = this.#pending.length;
    while (i > 0 && this.#pending[i - 1]!.dueMs > o.dueMs) i--;
    this.#pending.splice(i, 0, o);
  }

  #drainDue(now: number): void {
    let k = 0;
    while (k < this.#pending.length && this.#pending[k]!.dueMs <= now) k++;
    if (k === 0) return;
    const due = this.#pending.splice(0, k);
    for (const o of due) this.#apply(o);
  }

  #apply(o: LpOutput): void {
    const r = this.#lookup(o.sessionKey);
    if (!r) return;
    if ("effect" in o) {
      this.#effect(r, o.effect);
      return;
    }
    const queued = this.#blocked.get(o.sessionKey);
    if (queued) {
      queued.push(o);
      return;
    }
    if (r.send(o.message).kind === "back-pressure") {
      this.#blocked.set(o.sessionKey, [o]);
      void r.whenWritable().then(() => this.#unblock(o.sessionKey));
    }
  }

  #unblock(key: string): void {
    const q = this.#blocked.get(key);
    this.#blocked.delete(key);
    if (q) { for (const o of q) this.#apply(o); }
  }

  #effect(r: SessionRunner, e: LpEffect): void {
    this.#logger?.info("lp-behaviour", `${e.kind}${"active" in e ? (e.active ? " on" : " off") : ""}`, r.key);
    switch (e.kind) {
      case "disconnect":
        r.disconnect(e.reason);
        break;
      case "skip-seq":
        r.skipSenderSeq(e.count);
        break;
      case "sequence-reset":
        r.sequenceResetJump(e.jump);
        break;
      case "drop-heartbeats":
        r.faults.dropHeartbeats = e.active;
        break;
      case "silence":
        r.faults.silent = e.active;
        break;
      case "slow-reader":
        r.faults.readDelayMs = e.delayMs;
        break;
    }
  }

  #arm(): void {
    if (this.#stopped) return;
    const simNext = this.#sim.nextTimerMs() ?? Infinity;
    const pendNext = this.#pending[0]?.dueMs ?? Infinity;
    const at = Math.min(simNext, pendNext);
    if (at === Infinity || at >= this.#timerAtMs) return;
    this.#timer?.cancel();
    this.#timerAtMs = at;
    this.#timer = this.#clock.at(at, () => this.#onTimer());
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
    if (this.#stopped) return;
    const now = this.#clock.nowMs();
    this.#drainDue(now);
    this.#run(this.#sim.onTimer(now));
  }
}

/** Message types the simulator answers; others get BusinessMessageReject 380=3. */
export const LP_MSG_TYPES: ReadonlySet<string> = new Set(["D", "F", "G", "H", "AF", "V", "R", "j"]);

/** Options of a running simulator. */
export interface SimulatorOptions {
  port: number;
  host: string;
  senderCompId: string;
  targetCompId: string;
  beginString: string;
  store: string;
  config: LpConfig;
  logger: Logger;
  heartbeatIntervalSec?: number;
  /** Spin each read for up to this many µs before parking (src/engine/read_spin.ts); 0 or absent: off. */
  readSpinUs?: number;
  /** Time and timers of the simulator, its gateway and sessions (default the system scheduler). */
  scheduler?: Scheduler;
}

/** A running simulator: the gateway, the core, and a stop function. */
export interface RunningSimulator {
  gateway: Gateway;
  simulator: LpSimulator;
  port: number;
  stop(): Promise<void>;
}

/**
 * An in-process simulator for benchmarks and tests: acceptor LP for any client CompID on a free loopback
 * port, FIX 4.4, memory store, logging errors only; `overrides` change any of these.
 */
export function startLoopbackSimulator(
  config: LpConfig,
  overrides: Partial<SimulatorOptions> = {},
): Promise<RunningSimulator> {
  return startSimulator({
    port: 0,
    host: "127.0.0.1",
    senderCompId: "LP",
    targetCompId: "*",
    beginString: "FIX.4.4",
    store: "memory",
    config,
    logger: new Logger({ level: "error" }),
    ...overrides,
  });
}

/** Starts the simulator (used by the command and by `fixg bench` in-process tests). */
export async function startSimulator(o: SimulatorOptions): Promise<RunningSimulator> {
  const scheduler = o.scheduler ?? systemScheduler;
  const store: MessageStore = o.store === "memory" ? new MemoryMessageStore() : await FileJournal.open({
    dir: o.store,
    fsync: "batch",
    onWarning: (m: string) => o.logger.warn("journal", m),
    scheduler,
  });
  const sim = new LpSimulator(o.config, scheduler.nowMs());
  // The host needs the gateway's runners and the gateway needs the host: tie the knot through a holder.
  const ref: { gateway: Gateway | undefined } = { gateway: undefined };
  const host = new LpHost(sim, (k) => ref.gateway?.runner(k), { logger: o.logger, scheduler });
  const gw = new Gateway({
    store,
    app: host,
    logger: o.logger,
    scheduler,
    ...(o.readSpinUs !== undefined && o.readSpinUs > 0 ? { socketTuning: { readSpinUs: o.readSpinUs } } : {}),
  });
  ref.gateway = gw;
  const pairs = o.config.sessions.length > 0
    ? o.config.sessions
    : [{ senderCompId: o.senderCompId, targetCompId: o.targetCompId }];
  const sessions: GatewaySession[] = [];
  const templates: GatewaySession[] = [];
  for (const [i, p] of pairs.entries()) {
    const entry = {
      role: "acceptor",
      beginString: o.beginString,
      senderCompId: p.senderCompId,
      targetCompId: p.targetCompId,
    } as SessionEntry;
    if (o.heartbeatIntervalSec !== undefined) entry.heartbeatIntervalSec = o.heartbeatIntervalSec;
    const config = await sessionConfigFor(entry, `simulator sessions[${i}]`, undefined);
    config.supportedMsgTypes = LP_MSG_TYPES;
    (p.targetCompId === "*" ? templates : sessions).push({ config });
  }
  gw.addAcceptor({ host: o.host, port: o.port, sessions, templates });
  await gw.start();
  host.start();
  const g = gw;
  return {
    gateway: g,
    simulator: sim,
    port: g.ports[0]!,
    async stop() {
      host.stop();
      await g.stop();
    },
  };
}

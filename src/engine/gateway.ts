/**
 * The gateway: acceptors (one port, many sessions, dispatched by the CompIDs of the Logon) and
 * initiators (connect, log on, reconnect with backoff and jitter across a list of hosts), each
 * session a SessionRunner over a shared MessageStore.
 *
 * This file keeps the session table (static sessions, dynamic ones from templates, cluster
 * acquire/release), schedules, operator actions, the kill switch, hot reload of a session's settings
 * and start/stop. The rest lives beside it: src/engine/gateway_types.ts (the public types, re-exported
 * here), gateway_accept.ts (ports, pre-logon limits, Logon authentication), gateway_initiate.ts
 * (connect, reconnect, backoff), gateway_certs.ts (TLS material and certificate expiry),
 * gateway_tune.ts (socket knobs) and gateway_settings.ts (a session's settings applied to its runner, at
 * creation and at hot reload). Every timer runs on the gateway's Scheduler (option `scheduler`),
 * passed down to the sessions it creates; `stop()` cancels every timer it set.
 */
import { asScheduler, type Scheduler, type Timer } from "../clock.ts";
import { templateMaking } from "../session/session_id.ts";
import { sessionKey } from "../session/types.ts";
import type { MessageStore } from "../store/types.ts";
import type { SocketTuning } from "../sys/socket.ts";
import type { EffectReport } from "../sys/types.ts";
import type { CertificateInfo, TlsMaterial } from "../transport/tls.ts";
import type { UserDirectory } from "./auth/users.ts";
import { Acceptors } from "./gateway_accept.ts";
import { Certificates } from "./gateway_certs.ts";
import { stopRunners } from "./gateway_stop.ts";
import { runInitiator, Sleeper } from "./gateway_initiate.ts";
import { ConnectionTuner } from "./gateway_tune.ts";
import {
  type AcceptorSpec,
  DEFAULT_PRELOGON_LIMITS,
  type GatewayEntry as Entry,
  type GatewayOptions,
  type GatewaySession,
  type GatewaySessionStatus,
  type HealthProblem,
  type KillSwitchResult,
  type KillSwitchState,
  type PreLogonLimits,
  type RefusalReason,
} from "./gateway_types.ts";
import { Logger } from "./log.ts";
import { inWindow } from "./schedule.ts";
import { checkSchedules, windowReset } from "./gateway_schedule.ts";
import { sessionRunnerOf, updateSession } from "./gateway_settings.ts";
import { CarriedOrders, reportNotCommitted } from "./send_failed.ts";
import type { SessionRunner } from "./session_runner.ts";

export * from "./gateway_types.ts";

/** Runs acceptors and initiators until `stop()`. */
export class Gateway {
  readonly logger: Logger;
  /** Time and timers of the gateway and of every session it creates. */
  readonly scheduler: Scheduler;
  readonly startedAtMs: number;
  readonly #opts: GatewayOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #opening = new Map<string, Promise<Entry>>();
  readonly #initiators: GatewaySession[] = [];
  readonly #initiatorTasks: Promise<void>[] = [];
  readonly #acceptors: Acceptors;
  readonly #certs: Certificates;
  readonly #tuner: ConnectionTuner;
  readonly #sleeper: Sleeper;
  /** Orders of sessions closed on a lost lease before they were numbered: sent when reopened here. */
  readonly #carried: CarriedOrders;
  #stopping = false;
  #scheduleTimer: Timer | undefined;
  #kill: KillSwitchState = { engaged: false, reason: undefined, sinceMs: undefined };
  readonly #problems = new Map<string, HealthProblem>();

  constructor(options: GatewayOptions) {
    this.#opts = options;
    this.logger = options.logger ?? new Logger();
    this.scheduler = options.scheduler ?? asScheduler(options.clock);
    this.startedAtMs = this.scheduler.nowMs();
    this.#tuner = new ConnectionTuner(this.logger, options.socketTuning);
    this.#sleeper = new Sleeper(this.scheduler);
    this.#carried = new CarriedOrders(this.logger, this.scheduler);
    const limits: PreLogonLimits = {
      ...DEFAULT_PRELOGON_LIMITS,
      ...(options.firstLogonTimeoutMs !== undefined ? { logonTimeoutMs: options.firstLogonTimeoutMs } : {}),
      ...options.limits,
    };
    const tune = (conn: Parameters<ConnectionTuner["tune"]>[0], key: string) => this.#tuner.tune(conn, key);
    this.#acceptors = new Acceptors({
      logger: this.logger,
      scheduler: this.scheduler,
      users: options.users,
      clustered: options.cluster !== undefined,
      stopping: () => this.#stopping,
      entries: () => this.#entries.values(),
      entry: (key) => this.#entries.get(key),
      open: (spec) => this.#openForLogon(spec),
      claim: (key) => this.#opts.cluster?.claim?.(key) ?? Promise.resolve(true),
      windowReset: (e) => this.#windowReset(e),
      configuredSessions: () => this.configuredSessions(),
      tune,
      raise: (what, text) => this.#raise(what, text),
      clear: (what, text) => this.#clear(what, text),
    }, limits);
    this.#certs = new Certificates(this.logger, this.scheduler);
  }

  /** The pre-logon limits in force. */
  get limits(): PreLogonLimits {
    return this.#acceptors.limits;
  }

  /** New pre-logon limits (hot reload): new connections get them (the TLS handshake timeout at restart). */
  setLimits(l: Partial<PreLogonLimits>): void {
    this.#acceptors.setLimits(l);
  }

  /** Connections accepted that have not logged on (or been closed) yet, TLS handshakes included. */
  get preLogonConnections(): number {
    return this.#acceptors.preLogonConnections;
  }

  /** Accepted connections still being handled (before logon or in their session). */
  get connectionsHandled(): number {
    return this.#acceptors.connTasks.size;
  }

  /** Accept failures (too many open files...) since start. */
  get acceptErrors(): number {
    return this.#acceptors.acceptErrors;
  }

  /** What keeps the gateway from working as it should now (empty when healthy). */
  problems(): HealthProblem[] {
    // A session whose store failed (a full disk) stopped sending for good: the gateway needs an operator.
    const stopped = this.runners().filter((r) => r.counters.storeErrors > 0).length;
    if (stopped > 0) {
      this.#raise(
        "store",
        `journal write failed: ${stopped} session${
          stopped === 1 ? "" : "s"
        } stopped sending (see the store-error log line); free the disk and restart the gateway`,
      );
    }
    return [...this.#problems.values()];
  }

  #raise(what: string, text: string): void {
    const p = this.#problems.get(what);
    if (p) p.text = text;
    else this.#problems.set(what, { what, text, sinceMs: this.scheduler.nowMs() });
  }

  #clear(what: string, text: string): void {
    if (this.#problems.delete(what)) this.logger.info("accept", text);
  }

  /** The users sessions with `authentication: users` are checked against. */
  get users(): UserDirectory | undefined {
    return this.#opts.users;
  }

  /** The message store (instrumented stores expose statistics). */
  get store(): MessageStore {
    return this.#opts.store;
  }

  /** Finds a session by key or configured name. */
  find(idOrName: string): SessionRunner | undefined {
    const byKey = this.#entries.get(idOrName);
    if (byKey) return byKey.runner;
    for (const e of this.#entries.values()) if (e.spec.name === idOrName) return e.runner;
    return undefined;
  }

  /** The configured name of a session, if any. */
  sessionName(key: string): string | undefined {
    return this.#entries.get(key)?.spec.name;
  }

  /** Status of one session (runner status plus name, role, enabled, held, schedule). */
  sessionStatus(key: string): GatewaySessionStatus | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    return {
      ...e.runner.status(),
      name: e.spec.name,
      role: e.spec.config.role,
      enabled: e.spec.enabled !== false,
      held: e.held,
      inWindow: inWindow(e.spec.schedule, this.scheduler.nowMs()),
    };
  }

  /** Status of every session. */
  statuses(): GatewaySessionStatus[] {
    return [...this.#entries.keys()].map((k) => this.sessionStatus(k)!);
  }

  /** Connections refused before a session took them, by reason (aggregate: no peer or session detail). */
  refusals(): Map<RefusalReason, number> {
    return this.#acceptors.refusals();
  }

  /** The latest report of each socket knob, from the most recent connection. */
  tuningReports(): EffectReport[] {
    return this.#tuner.reports();
  }

  /** Replaces the socket knobs applied to new connections. */
  setSocketTuning(t: SocketTuning | undefined): void {
    this.#tuner.set(t);
  }

  /** Operator: log a session out and keep it down (no reconnect, logons refused) until `operatorLogon`. */
  operatorLogout(key: string, text = "Logout by operator"): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    e.held = true;
    this.logger.warn("operator", "logout requested: session held down until an operator logs it on", key);
    if (e.runner.connected) e.runner.logout(text);
    return true;
  }

  /** Operator: release a held session; an initiator connects at once. */
  operatorLogon(key: string): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    e.held = false;
    this.logger.info("operator", "logon requested: session released", key);
    this.#sleeper.wakeAll();
    return true;
  }

  /** The kill switch state. */
  get killSwitch(): KillSwitchState {
    return { ...this.#kill };
  }

  /**
   * Kill switch: every session refuses new orders and cancels every open order it knows
   * (OrderCancelRequest at critical priority); it stays engaged until `releaseKillSwitch()`.
   */
  engageKillSwitch(reason: string): KillSwitchResult {
    if (!this.#kill.engaged) this.#kill = { engaged: true, reason, sinceMs: this.scheduler.nowMs() };
    const sessions = this.runners().map((r) => ({ key: r.key, ...r.engageKillSwitch(reason) }));
    const cancels = sessions.reduce((n, s) => n + s.cancels, 0);
    this.logger.error(
      "kill-switch",
      `ENGAGED (${reason}): ${cancels} cancels sent; order entry blocked until reset`,
    );
    return { sessions, cancels };
  }

  /** Lifts the kill switch on every session; also closes every tripped risk circuit breaker. */
  releaseKillSwitch(): void {
    if (!this.#kill.engaged) {
      for (const r of this.runners()) r.resetRiskBreaker();
      return;
    }
    this.#kill = { engaged: false, reason: undefined, sinceMs: undefined };
    for (const r of this.runners()) r.releaseKillSwitch();
    this.logger.warn("kill-switch", "released: order entry allowed again");
  }

  /**
   * New TLS material for the acceptor port serving `key` (or the initiator session `key`): new
   * connections use it, live sessions keep theirs. Returns false when nothing changed.
   */
  setTlsMaterial(key: string, m: TlsMaterial): boolean {
    const e = this.#entries.get(key);
    return e !== undefined && this.#certs.setMaterial(e, m, this.#acceptors);
  }

  /** Our certificates (acceptor ports and initiator sessions) with their end of validity. */
  certificates(): Array<{ acceptor?: string; session?: string; info: CertificateInfo }> {
    return this.#certs.list(this.#acceptors, this.#initiators, (key) => this.#entries.get(key)?.spec);
  }

  /** Adds an acceptor port (before or after start). */
  addAcceptor(spec: AcceptorSpec): void {
    this.#acceptors.specs.push(spec);
  }

  /** Adds an initiator session. */
  addInitiator(spec: GatewaySession): void {
    this.#initiators.push(spec);
  }

  /** All session runners, static and dynamic. */
  runners(): SessionRunner[] {
    return [...this.#entries.values()].map((e) => e.runner);
  }

  /** The runner of a session key, if any. */
  runner(key: string): SessionRunner | undefined {
    return this.#entries.get(key)?.runner;
  }

  /** The configured spec of a session. */
  sessionSpec(key: string): GatewaySession | undefined {
    return this.#entries.get(key)?.spec;
  }

  /** Ports the acceptors listen on (after start), in the order added. */
  get ports(): number[] {
    return this.#acceptors.listeners.map((l) => l.port);
  }

  /** Opens stores, binds ports and starts initiators. */
  async start(): Promise<void> {
    await this.#opts.cluster?.start?.(this);
    const owned = (s: GatewaySession) => this.#opts.cluster?.owns(sessionKey(s.config.id)) ?? true;
    for (const a of this.#acceptors.specs) {
      for (const s of a.sessions) if (owned(s)) await this.#open(s);
    }
    for (const s of this.#initiators) if (owned(s)) await this.#open(s);
    await this.#acceptors.listen();
    this.#certs.warnAll(this.#acceptors, this.#initiators);
    const host = {
      logger: this.logger,
      scheduler: this.scheduler,
      sleeper: this.#sleeper,
      random: this.#opts.random ?? Math.random,
      connect: this.#opts.connect,
      stopping: () => this.#stopping,
      entry: (key: string) => this.#entries.get(key),
      windowReset: (e: Entry) => this.#windowReset(e),
      tune: (conn: Parameters<ConnectionTuner["tune"]>[0], key: string) => this.#tuner.tune(conn, key),
    };
    for (const s of this.#initiators) this.#initiatorTasks.push(runInitiator(host, s));
    this.#armScheduleCheck();
  }

  /** Every second: schedules checked (a timer of the scheduler, re-armed until stop). */
  #armScheduleCheck(): void {
    if (this.#stopping) return;
    this.#scheduleTimer = this.scheduler.after(1000, () => {
      this.#scheduleTimer = undefined;
      this.#checkSchedules();
      this.#armScheduleCheck();
    });
  }

  /** Configured (static) sessions by key: initiators and acceptors. */
  configuredSessions(): Map<string, GatewaySession> {
    const out = new Map<string, GatewaySession>();
    for (const a of this.#acceptors.specs) for (const s of a.sessions) out.set(sessionKey(s.config.id), s);
    for (const s of this.#initiators) out.set(sessionKey(s.config.id), s);
    return out;
  }

  /**
   * Cluster: this gateway won the session's lease; opens it (its store and numbers from the committed
   * tail). `fromTemplate`: a dynamic session moved here by an operator, opened from the template that
   * makes it (an acceptor: it waits for its counterparty's Logon, as a configured one does).
   */
  async acquireSession(key: string, fromTemplate = false): Promise<void> {
    const spec = this.configuredSessions().get(key) ?? (fromTemplate ? this.#templateSpec(key) : undefined);
    if (spec === undefined || this.#stopping) return;
    if (fromTemplate && !this.#entries.has(key)) {
      this.logger.info("session-created", `dynamic session ${key} from template (moved here)`, key);
    }
    const had = this.#entries.has(key);
    const e = await this.#open(spec);
    if (this.#stopping && !had && this.#entries.get(key) === e) {
      return await this.#closeOpenedWhileStopping(key, e);
    }
    this.#sleeper.wakeAll();
  }

  /**
   * Acceptors: opens the session a Logon asks for (a dynamic one from its template). Undefined once the
   * gateway is stopping: a session that finished opening after stop() began is stopped and forgotten
   * here, not left as an idle runner nobody stops.
   */
  async #openForLogon(spec: GatewaySession): Promise<Entry | undefined> {
    if (this.#stopping) return undefined;
    const key = sessionKey(spec.config.id);
    const had = this.#entries.has(key);
    const e = await this.#open(spec);
    if (!this.#stopping) return e;
    if (!had && this.#entries.get(key) === e) await this.#closeOpenedWhileStopping(key, e);
    return undefined;
  }

  /**
   * A session that finished opening after the gateway began stopping: stop() took its list of runners
   * before this one existed. Stopped here and forgotten, its store closed; what it was handed to send
   * (orders held from a lost lease) is reported (at once once stop() reported the held orders, else by it).
   */
  async #closeOpenedWhileStopping(key: string, e: Entry): Promise<void> {
    this.#entries.delete(key);
    await e.runner.stop().catch(() => {});
    this.#carried.hold(
      key,
      e.runner.withdrawQueued(),
      "the gateway stopped",
      e.spec.app ?? this.#opts.app,
      e.runner,
    );
    await e.store.close().catch(() => {});
  }

  /** Cluster: the keys of this gateway's acceptor templates (`FIX.4.4:GW->*`). */
  templateKeys(): string[] {
    return this.#acceptors.specs.flatMap((a) => (a.templates ?? []).map((t) => sessionKey(t.config.id)));
  }

  /** Cluster: a template of this gateway's acceptors makes the dynamic session `key`. */
  hasTemplateFor(key: string): boolean {
    return this.#templateSpec(key) !== undefined;
  }

  /** The spec of the dynamic session `key` from the first acceptor template that makes it. */
  #templateSpec(key: string): GatewaySession | undefined {
    const templates = this.#acceptors.specs.flatMap((a) => a.templates ?? []);
    const found = templateMaking(templates, (t) => t.config.id, key);
    if (found === undefined) return undefined;
    return { ...found.template, config: { ...found.template.config, id: found.id } };
  }

  /** Cluster: the lease is lost; closes the session's socket at once and forgets the session. */
  async releaseSession(key: string, reason: string): Promise<void> {
    // A session still opening (its store's statements waiting on a slow database) is released once open:
    // left, it would stay open under no lease and be reused, with its old epoch, at the next lease here.
    const e = this.#entries.get(key) ?? await this.#opening.get(key)?.catch(() => undefined);
    if (e === undefined || this.#entries.get(key) !== e) return;
    this.#entries.delete(key);
    this.logger.warn("lease-lost", `${reason}; closing the session's connection`, key);
    e.runner.disconnect(reason);
    let t: Timer | undefined;
    await Promise.race([
      e.runner.whenDisconnected(),
      new Promise<void>((r) => (t = this.scheduler.after(5000, r))),
    ]);
    t?.cancel();
    // Orders handed over but not numbered yet: sent when the session opens here again, else reported.
    this.#carried.hold(key, e.runner.withdrawQueued(), reason, e.spec.app ?? this.#opts.app, e.runner);
    await e.store.close().catch(() => {});
  }

  /**
   * Cluster, operator move: logs the session out cleanly (what was queued goes first, then Logout; the
   * peer's Logout awaited up to the logout timeout), waits for its commits, closes its store and forgets
   * it. The entry is held first, so the initiator does not reconnect and an acceptor refuses Logons.
   */
  async handOverSession(key: string, reason: string): Promise<void> {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    e.held = true;
    this.logger.warn("session-move", `${reason}: logging out`, key);
    try {
      await e.runner.stop();
    } finally {
      if (this.#entries.get(key) === e) this.#entries.delete(key);
      this.#carried.hold(key, e.runner.withdrawQueued(), reason, e.spec.app ?? this.#opts.app, e.runner);
      await e.store.close();
    }
  }

  /** Cluster: another gateway owns the session now: orders held for it here are reported not sent. */
  ownedElsewhere(key: string): void {
    this.#carried.report(key, "another gateway owns the session now");
  }

  /** Opens a session once, even when two connections ask for the same new session at the same time. */
  #open(spec: GatewaySession): Promise<Entry> {
    const key = sessionKey(spec.config.id);
    const existing = this.#entries.get(key);
    if (existing) return Promise.resolve(existing);
    let p = this.#opening.get(key);
    if (!p) {
      p = this.#create(spec).finally(() => this.#opening.delete(key));
      this.#opening.set(key, p);
    }
    return p;
  }

  async #create(spec: GatewaySession): Promise<Entry> {
    const key = sessionKey(spec.config.id);
    const app = spec.app ?? this.#opts.app;
    const raw = await this.#opts.store.openSession(key, this.scheduler.nowMs());
    const { runner, store } = sessionRunnerOf(spec, app, raw, this.#opts, this.logger, this.scheduler);
    if (this.#kill.engaged) runner.engageKillSwitch(this.#kill.reason ?? "kill switch");
    reportNotCommitted(raw, app, runner, this.logger, key);
    const entry: Entry = {
      spec,
      runner,
      store,
      windowReset: undefined,
      windowLogoutMs: undefined,
      windowKeptMs: undefined,
      held: false,
    };
    this.#entries.set(key, entry);
    this.#carried.sendHeld(key, runner);
    return entry;
  }

  /** Every second (gateway_schedule.ts): window ends log out, new windows reset numbers. */
  #checkSchedules(): void {
    checkSchedules(this.#entries.values(), this.scheduler.nowMs(), this.logger);
  }

  /** The schedule's reset of a session, when due, before a connection is attached (gateway_schedule.ts). */
  #windowReset(e: Entry): Promise<void> {
    return windowReset(e, this.scheduler.nowMs(), this.logger);
  }

  /**
   * Replaces a session's hot-reloadable settings (schedule, reconnect, enabled, session settings,
   * throttles, priorities, authentication), or a template's (gateway_settings.ts). Transport settings
   * (hosts, TLS material) are kept as they were: TLS material changes through `setTlsMaterial`.
   */
  updateSession(spec: GatewaySession): boolean {
    return updateSession({
      entries: this.#entries,
      acceptors: this.#acceptors.specs,
      nowMs: () => this.scheduler.nowMs(),
      wake: () => this.#sleeper.wakeAll(),
    }, spec);
  }

  /**
   * Graceful stop: Logout on every session, wait for acknowledgements, close ports, flush and close the
   * store; every timer the gateway set is cancelled, and the per-session log files (`log.dir`) closed.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#scheduleTimer?.cancel();
    this.#scheduleTimer = undefined;
    this.#acceptors.close();
    this.#sleeper.wakeAll();
    // Every runner is stopped and the store closed (its lock released) even when a runner's stop fails,
    // e.g. its final flush after a journal write failure; the first failure is reported afterwards. A store
    // that cannot confirm the last flushes is closed after the Logouts' time (gateway_stop.ts).
    const stopped = await stopRunners(this.runners(), this.#opts.store, this.scheduler);
    this.#carried.reportAll("the gateway stopped");
    // Cluster: the leases are handed back once the sessions are logged out.
    await this.#opts.cluster?.stop?.().catch(() => {});
    this.#sleeper.wakeAll();
    await Promise.allSettled([
      ...this.#acceptors.loops,
      ...this.#initiatorTasks,
      ...this.#acceptors.connTasks,
    ]);
    await this.#opts.store.close();
    // The sessions' log files: written until the last runner stopped (they reopen if written again).
    this.logger.files?.close();
    const failed = stopped.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }
}

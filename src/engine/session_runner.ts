/**
 * Runs one session: the facade applications, the gateway and operators use (`SessionRunner`, a
 * SessionHandle). It binds a connection, whose read loop (frames into the session's mailbox) is
 * session_reader.ts's, and hands everything else to the parts under src/engine/session/ and
 * src/engine/flow/:
 *
 * - session/actor.ts: the mailbox, the step loop and the connection's lifecycle (the machine's state is
 *   the only copy of sequence numbers and the logged-on flag); session/execute.ts, the action executor;
 *   session/read_bound.ts, the read loop's bound;
 * - session/sender.ts, writer.ts: application sends (fast path, priority queues, back-pressure) and the
 *   outbound buffer (one write in flight, write timeout, durable writes);
 * - session/resend_stream.ts, commit.ts, admin.ts, delivery.ts, timers.ts, counters.ts;
 * - flow/: the filters (kill switch and risk limits, order tracking, throttles, fault injection).
 *
 * Inputs are processed strictly one after another. While a resend is being answered, later inputs
 * wait in the mailbox (views copied), so the machine sees them in arrival order. A resend streams: the
 * range is read from the store in chunks as the socket drains, so the session's outbound buffer stays
 * under `maxOutboundBufferBytes` however large the range and however slow the peer.
 */
import type { RiskLimits } from "../app/orders/risk.ts";
import type { FixMessage } from "../codec/mod.ts";
import { createValidator, validationOptions, type Validator } from "../dictionary/validate.ts";
import { asScheduler, type Clock, type Scheduler, type Timer } from "../clock.ts";
import { createSession, type SessionState } from "../session/mod.ts";
import type { SessionConfig, SessionId } from "../session/types.ts";
import { sessionKey } from "../session/types.ts";
import type { SessionStore } from "../store/types.ts";
import type { Connection } from "../transport/types.ts";
import type { Application, SendResult, SessionHandle } from "./application.ts";
import { Faults } from "./flow/faults.ts";
import type { FlowContext, InboundFilter, OutboundFilter } from "./flow/filter.ts";
import type { OpenOrders } from "./flow/open_orders.ts";
import { OutboundQueue, type OutboundQueueOptions, type Priority } from "./flow/outbound_queue.ts";
import { Pipeline } from "./flow/pipeline.ts";
import type { ThrottleSettings } from "./flow/throttle.ts";
import { Logger } from "./log.ts";
import { SessionActor } from "./session/actor.ts";
import { SessionCounters } from "./session/counters.ts";
import { SessionReader } from "./session_reader.ts";
import type { Sender } from "./session/sender.ts";
import { TurnClock } from "./session/turn_clock.ts";
import {
  applicationSink,
  type SequenceControl,
  sequenceDone,
  type SequenceOutcome,
  setSequenceRefusal,
} from "./boundary.ts";
import {
  DEFAULT_MAX_OUTBOUND_BUFFER_BYTES,
  DEFAULT_WRITE_TIMEOUT_MS,
  OutboundWriter,
} from "./session/writer.ts";

export { SessionCounters } from "./session/counters.ts";
export { ORDER_ENTRY_MSG_TYPES } from "./flow/risk_gate.ts";
export type { ThrottleSettings } from "./flow/throttle.ts";
export type { FlowContext, InboundFilter, OutboundFilter } from "./flow/filter.ts";
export { DEFAULT_MAX_OUTBOUND_BUFFER_BYTES, DEFAULT_WRITE_TIMEOUT_MS } from "./session/writer.ts";

/** Options of a runner beyond the session config. */
export interface RunnerOptions {
  logger?: Logger;
  /**
   * Time and timers of the session (heartbeats, timeouts, throttle waits, write stalls, the read-delay
   * fault); default the system scheduler. A ManualScheduler drives a session with no real time.
   */
  scheduler?: Scheduler;
  /** Older form of `scheduler`: a Scheduler is used as one; a bare Clock keeps the system timers. */
  clock?: Clock;
  /** Outbound bytes buffered before `send` answers "back-pressure". Default 8 MiB. */
  highWaterMarkBytes?: number;
  /**
   * The session's outbound buffer bound, bytes (wins over highWaterMarkBytes): `send` answers
   * "back-pressure" above it, and a resend reads its next chunk from the store only while less than
   * half of it is buffered. Default 8 MiB.
   */
  maxOutboundBufferBytes?: number;
  /**
   * A write the peer has not taken after this long (it does not read) disconnects the session with an
   * error log line, ms; 0 turns it off. Default 30 s.
   */
  writeTimeoutMs?: number;
  /** Kept for compatibility: every message is logged decoded whenever the logger is at DEBUG. */
  verbose?: boolean;
  /** Inbound and outbound message rate limits. */
  throttle?: ThrottleSettings;
  /** Outbound priority table and starvation guard. */
  outbound?: OutboundQueueOptions;
  /** Largest batch written at once, bytes (default 256 KiB): later messages wait, higher priorities first. */
  maxBatchBytes?: number;
  /**
   * Track open orders (default true): what the kill switch cancels, the open-order count of
   * `status()` and the order-to-ack latency metrics. A load generator that keeps its own book
   * (fixg bench) turns it off: with many resting orders the tracking is a large part of its cost.
   */
  trackOrders?: boolean;
  /** Pre-send risk limits of order entry (NewOrderSingle, replace); none when absent. */
  risk?: RiskLimits;
  /**
   * Filters added after the session's own (kill switch and risk, order tracking, inbound throttle):
   * outbound ones see every application send, inbound ones every in-sequence application message.
   */
  filters?: { inbound?: InboundFilter[]; outbound?: OutboundFilter[] };
}

/** Status of a session for health endpoints and tools. */
export interface SessionStatus {
  key: string;
  connected: boolean;
  loggedOn: boolean;
  phase: string;
  nextSenderSeq: number;
  nextTargetSeq: number;
  lastReceivedMs: number;
  lastSentMs: number;
  lastError: string | undefined;
  remoteAddr: string | undefined;
  /** When the last Heartbeat came in / went out, epoch ms (0 = never). */
  lastHeartbeatInMs: number;
  lastHeartbeatOutMs: number;
  /** When the current logon began, epoch ms (0 while not logged on). */
  loggedOnSinceMs: number;
  /** No gap outstanding: no ResendRequest of ours unanswered and no message held beyond a gap. */
  inSync: boolean;
  /** Application messages waiting in the outbound priority queues. */
  queued: number;
  /** Orders acknowledged and not done. */
  openOrders: number;
  /** Why order entry is blocked (kill switch), or undefined. */
  ordersBlocked: string | undefined;
}

/** One session bound to a store and, while connected, a connection. */
export class SessionRunner implements SessionHandle, SequenceControl {
  readonly key: string;
  readonly id: SessionId;
  readonly counters = new SessionCounters();
  /**
   * Fault injection (the LP simulator's behaviours): drop outbound heartbeats, send nothing at all
   * (messages are still numbered and stored), or wait before each read (a slow reader).
   */
  readonly faults = new Faults();
  readonly logger: Logger;
  #config: SessionConfig;
  readonly #actor: SessionActor;
  readonly #sender: Sender;
  readonly #pipeline: Pipeline;
  readonly #ctx: FlowContext;
  readonly #reader: SessionReader;

  private constructor(config: SessionConfig, store: SessionStore, app: Application, options: RunnerOptions) {
    this.#config = config;
    this.id = config.id;
    this.key = sessionKey(config.id);
    this.logger = options.logger ?? new Logger();
    const scheduler = options.scheduler ?? asScheduler(options.clock);
    const clock = new TurnClock(scheduler);
    const queue = new OutboundQueue(options.outbound);
    const defaultHwm = options.highWaterMarkBytes ?? DEFAULT_MAX_OUTBOUND_BUFFER_BYTES;
    const a = this.#actor = new SessionActor({
      key: this.key,
      handle: this,
      app,
      store,
      state: createSession(config, store.seqNums(), scheduler.nowMs()),
      logger: this.logger,
      counters: this.counters,
      clock,
      queue,
      faults: this.faults,
      writer: (host) =>
        new OutboundWriter(host, defaultHwm, options.maxOutboundBufferBytes, options.writeTimeoutMs),
      maxBatchBytes: options.maxBatchBytes ?? 256 * 1024,
    });
    this.#ctx = {
      key: this.key,
      logger: this.logger,
      counters: this.counters,
      nowMs: () => clock.now(),
      get readAtPerfMs() {
        return clock.readAtPerfMs;
      },
      get fix42Plus() {
        return a.state.fix42Plus;
      },
      get active() {
        return a.state.phase === "active";
      },
      enqueue: (message, priority) => queue.push(message, true, priority, performance.now()),
      logout: (text) => a.input({ kind: "logout", text }),
    };
    this.#pipeline = a.pipeline = new Pipeline(queue, this.#ctx, options, scheduler.nowMs());
    this.#sender = a.sender;
    this.#reader = new SessionReader(a, this.counters, this.faults, this.logger, this.key);
  }

  /** Creates a runner for a session whose store is open. */
  static create(
    config: SessionConfig,
    store: SessionStore,
    app: Application,
    options: RunnerOptions = {},
  ): SessionRunner {
    const r = new SessionRunner(config, store, app, options);
    if (app.onCreate !== undefined) applicationSink(app, r).emit({ type: "create", key: r.key });
    return r;
  }

  /** The session config in force. */
  get config(): SessionConfig {
    return this.#config;
  }

  /** The validator in force (replaced by updateConfig); undefined when the session has no dictionary. */
  get validator(): Validator | undefined {
    return this.#actor.state.validator;
  }

  /**
   * Replaces settings that can change without a restart (hot reload); the session keeps running.
   * Heartbeat and logon settings apply from the next logon; validation switches at once.
   */
  updateConfig(config: SessionConfig): void {
    this.#config = config;
    const s = this.#actor.state;
    (s as { config: SessionConfig }).config = config;
    // A new validator from the new dictionaries and switches (never the old objects changed in place);
    // a FIXT DefaultApplVerID the counterparty's Logon named carries over.
    const state = s as { validation: unknown; validator: unknown };
    const old = s.validator;
    const validator = createValidator(config);
    if (validator !== undefined) validator.logonDefaultApplVerId = old?.logonDefaultApplVerId;
    state.validator = validator;
    state.validation = validationOptions(config.validation ?? {});
  }

  /** Sets (or removes, with {}) the inbound and outbound throttles; tokens earned so far are kept. */
  setThrottle(t: ThrottleSettings): void {
    this.#pipeline.setThrottle(t, this.#actor.scheduler.nowMs());
    this.#actor.writer.scheduleFlush();
  }

  /** The throttles in force (rates per second), for status and tests. */
  get throttle(): { inboundPerSec: number | undefined; outboundPerSec: number | undefined } {
    return this.#pipeline.throttles.rates;
  }

  /**
   * Sets the outbound buffer bound and the write timeout (hot reload); undefined restores the default.
   * A resend in progress reads its next chunk under the new bound.
   */
  setOutboundLimits(maxOutboundBufferBytes: number | undefined, writeTimeoutMs: number | undefined): void {
    const w = this.#actor.writer;
    w.hwm = maxOutboundBufferBytes ?? w.defaultHwm;
    w.writeTimeoutMs = writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
  }

  /** The outbound buffer bound (bytes) and the write timeout (ms, 0 = off) in force. */
  get outboundLimits(): { maxOutboundBufferBytes: number; writeTimeoutMs: number } {
    const w = this.#actor.writer;
    return { maxOutboundBufferBytes: w.hwm, writeTimeoutMs: w.writeTimeoutMs };
  }

  /** Changes the outbound priority table and starvation guard (hot reload). */
  configureOutbound(options: OutboundQueueOptions): void {
    this.#actor.queue.configure(options);
  }

  /** The outbound priority queues (depths and wait histograms for metrics). */
  get outbound(): OutboundQueue {
    return this.#actor.queue;
  }

  /** Orders sent on this session and their state (open orders, ack latency). */
  get orders(): OpenOrders {
    return this.#pipeline.orders;
  }

  /** Outbound bytes buffered in the session: accumulating plus the write in flight. */
  get outboundBufferedBytes(): number {
    return this.#actor.writer.buffered;
  }

  /**
   * Bytes of inbound messages held: waiting to be processed (copied while a resend streams) or for the
   * store's commit before delivery (durableBeforeDeliver).
   */
  get inboundHeldBytes(): number {
    return this.#actor.bound.inboundHeldBytes;
  }

  /** Long-lived I/O buffers (the read buffer and both write buffers) for memory locking. */
  ioBuffers(): Uint8Array<ArrayBuffer>[] {
    return [this.#reader.buffer, ...this.#actor.writer.buffers()];
  }

  /** Why order entry is refused now (kill switch), or undefined. */
  get ordersBlocked(): string | undefined {
    return this.#pipeline.gate.ordersBlocked;
  }

  /**
   * Kill switch: refuses new orders from now on, withdraws orders still queued, and queues an
   * OrderCancelRequest (critical priority) for every open order; orders acknowledged later are
   * cancelled as their acknowledgement arrives. Returns the counts.
   */
  engageKillSwitch(reason: string): { cancels: number; withdrawn: number } {
    const r = this.#pipeline.gate.engage(reason, this.#ctx);
    this.#actor.writer.scheduleFlush();
    return r;
  }

  /** Lifts the kill switch: order entry allowed again. Also closes a tripped risk circuit breaker. */
  releaseKillSwitch(): void {
    this.#pipeline.gate.release(this.#ctx);
  }

  /**
   * Sets the pre-send risk limits (undefined: none). New limits start a new gate (its rate bucket full,
   * its circuit breaker closed); the same limits again keep the running gate and its state.
   */
  setRiskLimits(limits: RiskLimits | undefined): void {
    this.#pipeline.setRiskLimits(limits);
  }

  /** The risk limits in force, or undefined. */
  get riskLimits(): RiskLimits | undefined {
    return this.#pipeline.gate.riskLimits;
  }

  /** Closes a tripped risk circuit breaker (orders may be sent again). */
  resetRiskBreaker(): void {
    this.#pipeline.gate.resetBreaker(this.#ctx);
  }

  /**
   * performance.now() when the bytes being handled were read (one clock read per read, not per
   * message: every message of one read arrived together). Latency measurement uses it.
   */
  get readAtPerfMs(): number {
    return this.#actor.clock.readAtPerfMs;
  }

  /** The session's time: the read's while a read is handled (SessionHandle.nowMs). */
  nowMs(): number {
    return this.#actor.clock.now();
  }

  /** True while the session is logged on (the machine says so and the connection is there). */
  get loggedOn(): boolean {
    return this.#actor.conn !== undefined && this.#actor.state.loggedOn;
  }

  /** True while a connection is attached. */
  get connected(): boolean {
    return this.#actor.conn !== undefined;
  }

  /** The machine's state (read-only use: tests and status). */
  get state(): SessionState {
    return this.#actor.state;
  }

  /** Status for health endpoints. */
  status(): SessionStatus {
    const a = this.#actor;
    const s = a.state;
    return {
      key: this.key,
      connected: this.connected,
      loggedOn: this.loggedOn,
      phase: s.phase,
      nextSenderSeq: s.nextSenderSeq,
      nextTargetSeq: s.nextTargetSeq,
      lastReceivedMs: a.lastReceivedMs,
      lastSentMs: a.writer.lastSentMs,
      lastError: a.lastError,
      remoteAddr: a.conn?.remoteAddr,
      lastHeartbeatInMs: this.counters.lastHeartbeatInMs,
      lastHeartbeatOutMs: this.counters.lastHeartbeatOutMs,
      loggedOnSinceMs: this.counters.loggedOnSinceMs,
      inSync: s.resendRequested === undefined && s.inboundQueue.size === 0 && s.pendingResend === undefined,
      queued: a.queue.length,
      openOrders: this.#pipeline.orders.open().length,
      ordersBlocked: this.#pipeline.gate.ordersBlocked,
    };
  }

  /**
   * Binds a connection and runs its read loop until it closes. `prefix` holds bytes already read
   * (the acceptor reads the Logon to find the session). Resolves when the connection is gone, with
   * whether the session logged on over it.
   */
  async attach(conn: Connection, prefix?: Uint8Array): Promise<boolean> {
    const a = this.#actor;
    if (this.connected) throw new Error(`Session ${this.key} already has a connection`);
    a.connect(conn);
    if (this.#config.refreshOnLogon) {
      // RefreshOnLogon: another process may have moved the numbers (shared store); start from the store's.
      const s = a.store.seqNums();
      a.input({ kind: "set-seq", nextSenderSeq: s.nextSenderSeq, nextTargetSeq: s.nextTargetSeq });
    }
    a.input({ kind: "connected" });
    return await this.#reader.run(conn, prefix);
  }

  /**
   * Takes every application message still waiting to be numbered out of the queue (the gateway closes
   * the session for good: a cluster lease lost) and returns them, so they can be reported as not sent.
   */
  withdrawQueued(): FixMessage[] {
    return this.#actor.queue.remove(() => true).map((m) => m.message);
  }

  /** Resolves when the current connection (if any) is gone. */
  whenDisconnected(): Promise<void> {
    return this.#actor.whenDisconnected();
  }

  /**
   * Sends an application message. When the socket is free and nothing waits, it is numbered and
   * written at once: `{ kind: "sent", seq }`. Otherwise (a write in flight, messages waiting, not logged
   * on, the outbound throttle, or a callback whose step still has messages to write) it waits in its
   * priority queue (by MsgType, or `options.priority`) and gets its MsgSeqNum when it leaves, highest
   * priority first: `{ kind: "queued" }`. `{ kind: "back-pressure" }` when more than the high-water mark
   * waits; `{ kind: "refused", reason, cause }` when a filter refuses it (order entry while the kill switch
   * blocks orders, a risk limit) or the store failed. Never throws for these; a number that is not finite
   * in a field is a RangeError, before anything is numbered or queued.
   */
  send(message: FixMessage, options?: { resend?: boolean; priority?: Priority }): SendResult {
    // A builder's message was checked when built; a field list is checked here, before it takes a
    // MsgSeqNum or a place in the queue (the encoder would throw later: a gap, or a queue that fails to drain).
    if (message.writeBody === undefined) checkFiniteNumbers(message);
    return this.#sender.send(message, options);
  }

  whenWritable(): Promise<void> {
    return this.#actor.writer.whenWritable();
  }

  /**
   * Starts the Logout handshake. What the application queued before goes out before the Logout. Asked
   * from a callback, it runs after the step that called it (as every command below).
   */
  logout(text?: string): void {
    this.#command(() =>
      this.#actor.input(text === undefined ? { kind: "logout" } : { kind: "logout", text })
    );
  }

  /**
   * Operator (RESET, boundary.ts): reset both sequence numbers (Logon 141=Y when logged on); resolves
   * with the numbers after it.
   */
  resetSequence(): Promise<SequenceOutcome> {
    return new Promise((done) =>
      this.#command(() => {
        const a = this.#actor;
        a.input({ kind: "reset" });
        a.command(() => done(sequenceDone(a.state)));
      })
    );
  }

  /**
   * Operator (SET_SEQ, boundary.ts): set the next sequence numbers, after what was queued before it;
   * refused, nothing changed, by setSequenceRefusal against the numbers of that moment (never a next
   * sender number below one already used).
   */
  setSequence(nextSenderSeq?: number, nextTargetSeq?: number): Promise<SequenceOutcome> {
    return new Promise((done) =>
      this.#command(() => {
        const a = this.#actor;
        const refused = setSequenceRefusal(a.state, nextSenderSeq, nextTargetSeq);
        if (refused !== undefined) return done(refused);
        a.input({
          kind: "set-seq",
          ...(nextSenderSeq !== undefined ? { nextSenderSeq } : {}),
          ...(nextTargetSeq !== undefined ? { nextTargetSeq } : {}),
        });
        a.command(() => done(sequenceDone(a.state)));
      })
    );
  }

  /** Closes the connection after writing what is already queued (no Logout): fault injection and operators. */
  disconnect(reason: string): void {
    if (!this.#actor.conn) return;
    this.#command(() => {
      if (this.#actor.conn) this.#actor.closeAfterFlush = reason;
    });
  }

  /** Fault injection: leaves `count` outbound MsgSeqNums unused after what is already queued (a gap the peer sees). */
  skipSenderSeq(count: number): void {
    this.#command(() =>
      this.#actor.input({ kind: "set-seq", nextSenderSeq: this.#actor.state.nextSenderSeq + count })
    );
  }

  /** Moves our next MsgSeqNum `jump` numbers past what is already queued, with a SequenceReset-Reset. */
  sequenceResetJump(jump: number): void {
    this.#command(() =>
      this.#actor.input({ kind: "sequence-reset", newSeqNo: this.#actor.state.nextSenderSeq + jump })
    );
  }

  /** Moves our next MsgSeqNum to `newSeqNo` with a SequenceReset-Reset (35=4, 36=newSeqNo) when logged on. */
  sendSequenceReset(newSeqNo: number): void {
    this.#command(() => this.#actor.input({ kind: "sequence-reset", newSeqNo }));
  }

  /** A command through the mailbox: the queued application messages go first, then `run`, then a flush. */
  #command(run: () => void): void {
    const a = this.#actor;
    a.command(() => {
      a.sender.drain(true);
      run();
      a.writer.scheduleFlush();
    });
  }

  /** Logs out, waits for the peer's Logout (or the timeout) and the disconnect, flushes the store. */
  async stop(): Promise<void> {
    const a = this.#actor;
    if (a.conn) {
      const gone = a.whenDisconnected();
      if (this.loggedOn) this.logout("Session stopped");
      else a.detach("stopped before logon");
      const limit = this.#config.logoutTimeoutMs + 1000;
      let t: Timer | undefined;
      await Promise.race([gone, new Promise<void>((r) => (t = a.scheduler.after(limit, r)))]);
      t?.cancel();
      if (a.conn) a.detach("logout timed out");
    }
    a.cancelTimers();
    await a.store.flush();
    // Inbound messages committed by now are handed over before stop() returns.
    if (a.commits !== undefined) await a.commits.settled;
  }
}

/** Throws a RangeError naming the tag when a field of `message` is a number that is not finite. */
function checkFiniteNumbers(message: FixMessage): void {
  const f = message.fields;
  for (let i = 0; i < f.length; i++) {
    const v = f[i]![1];
    if (typeof v === "number" && v - v !== 0) {
      throw new RangeError(
        `35=${message.msgType}: tag ${
          f[i]![0]
        } is ${v}, not a finite number: nothing sent (give a finite number, or the value as text)`,
      );
    }
  }
}

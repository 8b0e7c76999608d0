/**
 * Runs one session: feeds the pure machine (src/session) with inbound frames, timer ticks and
 * application sends, and carries out the actions it returns: writes batched per read, store appends,
 * deliveries, resends from the store, timers, disconnects. Only this layer awaits.
 *
 * Inputs are processed strictly one after another. While a resend is being answered, later inputs
 * wait in a backlog (views copied), so the machine sees them in arrival order. A resend streams: the
 * range is read from the store in chunks as the socket drains, so the session's outbound buffer stays
 * under `maxOutboundBufferBytes` however large the range and however slow the peer.
 */
import type { RiskLimits } from "../app/orders/risk.ts";
import { ADMIN_MSG_TYPES, type FixMessage, Framer, MessageView, Tag } from "../codec/mod.ts";
import { setImmediate } from "node:timers";
import { createValidator, validationOptions, type Validator } from "../dictionary/validate.ts";
import { FixgError } from "../errors.ts";
import { Faults } from "./flow/faults.ts";
import type { FlowContext, InboundFilter, OutboundFilter } from "./flow/filter.ts";
import { OpenOrders } from "./flow/open_orders.ts";
import { OrderTracking } from "./flow/order_tracking.ts";
import { OutboundQueue, type OutboundQueueOptions, type Priority } from "./flow/outbound_queue.ts";
import { OrderGate } from "./flow/risk_gate.ts";
import { type ThrottleSettings, Throttles } from "./flow/throttle.ts";
import { countEvent, countType, SessionCounters } from "./session/counters.ts";
import { createSession, type SessionState, step } from "../session/mod.ts";
import { stepInto } from "../session/machine.ts";
import { sendAppNow } from "../session/outbound.ts";
import { onResendMessages } from "../session/resend.ts";
import { isResendable } from "../session/state.ts";
import type { Action, Input, SessionConfig, SessionId } from "../session/types.ts";
import { sessionKey } from "../session/types.ts";
import type { SessionStore, StoredMessage } from "../store/types.ts";
import type { Connection } from "../transport/types.ts";
import { isAdminMsgType, OutgoingAdminMessage, RecentSends, rejectedMessage } from "./admin_hooks.ts";
import type { Application, SendResult, SessionHandle } from "./application.ts";
import { type Clock, type Scheduler, systemClock, systemScheduler, type Timer } from "../clock.ts";
import { Logger } from "./log.ts";

export { SessionCounters } from "./session/counters.ts";
export { ORDER_ENTRY_MSG_TYPES } from "./flow/risk_gate.ts";
export type { ThrottleSettings } from "./flow/throttle.ts";
export type { FlowContext, InboundFilter, OutboundFilter } from "./flow/filter.ts";

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

/** A send the runner refuses for a reason the application must see (orders blocked by the kill switch). */
export class SendRefusedError extends FixgError {
  constructor(message: string) {
    super("SEND_REFUSED", message);
  }
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

const READ_BUFFER_BYTES = 64 * 1024;

/** One session bound to a store and, while connected, a connection. */
export class SessionRunner implements SessionHandle {
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
  #state: SessionState;
  readonly #store: SessionStore;
  readonly #app: Application;
  readonly #clock: Scheduler;
  #hwm: number;
  /** The bound when no maxOutboundBufferBytes is set (highWaterMarkBytes or the default). */
  readonly #defaultHwm: number;
  #conn: Connection | undefined;
  #framer: Framer;
  #view = new MessageView();
  #loggedOn = false;
  #loggedOnThisConnection = false;
  // Outbound batching: one write in flight, the next batch accumulating.
  #out = new Uint8Array(64 * 1024);
  #spare = new Uint8Array(64 * 1024);
  #outLen = 0;
  #inFlight = 0;
  #writing = false;
  #flushScheduled = false;
  #closeAfterFlush: string | undefined;
  #needDurable = false;
  #writableWaiters: Array<() => void> = [];
  // Input serialisation around async store reads.
  #blocked = false;
  #backlog: Input[] = [];
  /** The resend being streamed (inputs wait in the backlog meanwhile). */
  #resend: ResendStream | undefined;
  /** Backlogged ResendRequests whose range the resend in progress covers, with that range. */
  readonly #coveredResends = new WeakMap<Input, { begin: number; end: number }>();
  /** Set while the backlogged input of a covered ResendRequest runs: its resend is not sent again. */
  #skipResend: { begin: number; end: number } | undefined;
  /** The last resend that ended, while its bytes are not all written: a request it covers is not resent. */
  #recentResend: { begin: number; end: number; endBytesOut: number } | undefined;
  #writeTimeoutMs: number;
  #writeStartedMs = 0;
  #stallTimer: Timer | undefined;
  #timer: Timer | undefined;
  #readAtPerfMs = 0;
  /** Parses stored messages of a resend chunk (their types and numbers). */
  readonly #resendView = new MessageView();
  readonly #messageInput: Input & { kind: "message" } = { kind: "message", view: this.#view };
  /** Clock reads shared by a synchronous run of sends outside a read (#turnClock). */
  #turnNowMs = 0;
  #turnPerfMs = 0;
  #turnUses = 0;
  #turnResetQueued = false;
  /** The clock read when the bytes being handled were read; -1 outside the handling of a read. */
  #readNowMs = -1;
  /** The connection and durability wait of the write in flight (read by the two handlers below). */
  #writeConn: Connection | undefined;
  #writeDurable = false;
  /** A batch reached the socket: write what accumulated meanwhile (one handler for every write). */
  readonly #onWritten = (): void => {
    this.#writing = false;
    this.#inFlight = 0;
    if (this.#writableWaiters.length > 0 && this.#outLen + this.#queue.bytes <= this.#hwm / 2) {
      for (const f of this.#writableWaiters.splice(0)) f();
    }
    this.#flushNow();
    const r = this.#resend;
    if (r !== undefined && r.waiting && this.#outLen + this.#inFlight <= this.#hwm / 2) {
      r.waiting = false;
      this.#pumpResend();
    }
  };
  readonly #onWriteFailed = (e: unknown): void => {
    this.#writing = false;
    this.#inFlight = 0;
    if (this.#conn === this.#writeConn) {
      if (this.#writeDurable && !(e instanceof Deno.errors.BrokenPipe)) this.#onStoreError(e);
      else this.#detach(`write failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  /** The kill switch and risk limits (an outbound and inbound filter). */
  readonly #gate: OrderGate;
  /** Open-order tracking, unless turned off (trackOrders: false). */
  readonly #tracking: OrderTracking | undefined;
  readonly #throttles = new Throttles();
  /** Filters of the options, after the session's own. */
  readonly #extraIn: InboundFilter[];
  readonly #extraOut: OutboundFilter[];
  /** The composed pipeline (#compose): checks of sends, observers of leaving messages, inbound filters. */
  #checks: OutboundFilter[] = [];
  #leaving: OutboundFilter[] = [];
  #inbound: InboundFilter[] = [];
  /** What the filters see of the session. */
  readonly #ctx: FlowContext;
  /** Depth of nested #input calls: queued messages are drained when the outermost step is done. */
  #depth = 0;
  /** Action lists reused by #input, by nesting depth. */
  readonly #actionLists: Action[][] = [];
  #draining = false;
  /** A callback runs while its step still has messages to write: sends from it wait for those. */
  #deferSends = false;
  #timerAtMs = Infinity;
  #disconnectWaiters: Array<() => void> = [];
  #lastError: string | undefined;
  #lastReceivedMs = 0;
  #lastSentMs = 0;
  #nextSenderSeq: number;
  #nextTargetSeq: number;
  #storeError: Error | undefined;
  readonly #readBuf = new Uint8Array(READ_BUFFER_BYTES);
  readonly #queue: OutboundQueue;
  readonly #orders = new OpenOrders();
  #maxBatchBytes: number;
  #throttleTimer: Timer | undefined;
  /** The application has fromAdmin or onReject: inbound admin messages are handed over. */
  readonly #adminIn: boolean;
  /** Inbound admin messages handed to the application so far (fromAdmin/onReject). */
  #adminInCount = 0;
  /** The recent sends a Reject is matched with (only when the application has onReject). */
  readonly #recent: RecentSends | undefined;
  /**
   * The store's `durableBeforeDeliver` (PostgreSQL): inbound messages reach the application only after
   * the store's commit of them (see #afterCommit). False for the file and memory stores: delivery is
   * immediate and none of the fields below is used.
   */
  readonly #commitBeforeDeliver: boolean;
  /** Callbacks of inbound messages appended since the last commit was asked for, in order. */
  #uncommitted: AfterCommit[] = [];
  /** Callbacks queued or waiting for their commit: a later callback of any kind waits behind them. */
  #awaitingCommit = 0;
  #commitAsked = false;
  /** The commits asked for, in order: each batch runs after the ones before it. */
  #commitChain: Promise<void> = Promise.resolve();
  /** A commit failed: no later inbound message is delivered either. */
  #commitFailed = false;
  /** The last inbound message appended (durableBeforeDeliver): its number and the store's promise of its commit. */
  #lastAppendSeq = 0;
  #lastAppend: void | Promise<void> = undefined;

  private constructor(config: SessionConfig, store: SessionStore, app: Application, options: RunnerOptions) {
    this.#config = config;
    this.id = config.id;
    this.key = sessionKey(config.id);
    this.#store = store;
    this.#app = app;
    this.#adminIn = app.fromAdmin !== undefined || app.onReject !== undefined;
    this.#recent = app.onReject !== undefined ? new RecentSends() : undefined;
    this.#commitBeforeDeliver = store.durableBeforeDeliver === true;
    this.#clock = schedulerOf(options);
    this.logger = options.logger ?? new Logger();
    this.#defaultHwm = options.highWaterMarkBytes ?? DEFAULT_MAX_OUTBOUND_BUFFER_BYTES;
    this.#hwm = options.maxOutboundBufferBytes ?? this.#defaultHwm;
    this.#writeTimeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    const seq = store.seqNums();
    this.#nextSenderSeq = seq.nextSenderSeq;
    this.#nextTargetSeq = seq.nextTargetSeq;
    this.#state = createSession(config, seq, this.#clock.nowMs());
    this.#framer = this.#newFramer();
    this.#queue = new OutboundQueue(options.outbound);
    this.#maxBatchBytes = options.maxBatchBytes ?? 256 * 1024;
    const tracking = options.trackOrders !== false;
    this.#gate = new OrderGate(this.#orders, tracking, this.#queue);
    this.#tracking = tracking ? new OrderTracking(this.#orders, this.#gate) : undefined;
    this.#extraIn = options.filters?.inbound ?? [];
    this.#extraOut = options.filters?.outbound ?? [];
    // deno-lint-ignore no-this-alias
    const self = this;
    this.#ctx = {
      key: this.key,
      logger: this.logger,
      counters: this.counters,
      nowMs: () => self.#now(),
      get readAtPerfMs() {
        return self.#readAtPerfMs;
      },
      get fix42Plus() {
        return self.#state.fix42Plus;
      },
      get active() {
        return self.#state.phase === "active";
      },
      enqueue: (message, priority) => self.#queue.push(message, true, priority, performance.now()),
      logout: (text) => self.#input({ kind: "logout", text }),
    };
    this.setRiskLimits(options.risk);
    if (options.throttle) this.setThrottle(options.throttle);
    else this.#compose();
  }

  /** Composes the filter pipeline: the session's own filters in force, then those of the options. */
  #compose(): void {
    const t = this.#tracking;
    this.#checks = [this.#gate, ...this.#extraOut.filter((f) => f.check !== undefined)];
    this.#leaving = [...(t ? [t] : []), ...this.#extraOut.filter((f) => f.onLeave !== undefined)];
    const inThrottle = this.#throttles.inbound;
    this.#inbound = [this.#gate, ...(t ? [t] : []), ...(inThrottle ? [inThrottle] : []), ...this.#extraIn];
  }

  /** Creates a runner for a session whose store is open. */
  static create(
    config: SessionConfig,
    store: SessionStore,
    app: Application,
    options: RunnerOptions = {},
  ): SessionRunner {
    const r = new SessionRunner(config, store, app, options);
    app.onCreate?.(r);
    return r;
  }

  #newFramer(): Framer {
    return new Framer({
      onFrame: (buf, start, end) => {
        this.counters.messagesIn++;
        this.counters.bytesIn += end - start;
        const now = this.#now();
        this.#lastReceivedMs = now;
        const v = this.#view.parseInto(buf, start, end);
        const t = v.msgType;
        if (this.logger.enabled("debug")) {
          this.logger.debug("in", this.logger.loggedMessage(v), this.key, {
            dir: "in",
            seq: v.seqNum,
            msgType: t,
          });
        }
        countType(this.counters.inByType, t);
        if (t === "0") this.counters.lastHeartbeatInMs = now;
        else if (t === "2") this.counters.resendRequestsReceived++;
        // One input object for every message (the machine keeps no input, and copies views it keeps).
        const input = this.#messageInput;
        input.view = v;
        this.#input(input);
      },
      onGarbled: (g) => {
        this.counters.garbled++;
        this.#input({ kind: "garbled", reason: g.reason, offset: g.offset });
      },
    });
  }

  /** The session config in force. */
  get config(): SessionConfig {
    return this.#config;
  }

  /** The validator in force (replaced by updateConfig); undefined when the session has no dictionary. */
  get validator(): Validator | undefined {
    return this.#state.validator;
  }

  /**
   * Replaces settings that can change without a restart (hot reload); the session keeps running.
   * Heartbeat and logon settings apply from the next logon; validation switches at once.
   */
  updateConfig(config: SessionConfig): void {
    this.#config = config;
    (this.#state as { config: SessionConfig }).config = config;
    // A new validator from the new dictionaries and switches (never the old objects changed in place);
    // a FIXT DefaultApplVerID the counterparty's Logon named carries over.
    const state = this.#state as { validation: unknown; validator: unknown };
    const old = this.#state.validator;
    const validator = createValidator(config);
    if (validator !== undefined) validator.logonDefaultApplVerId = old?.logonDefaultApplVerId;
    state.validator = validator;
    state.validation = validationOptions(config.validation ?? {});
  }

  /** Sets (or removes, with {}) the inbound and outbound throttles; tokens earned so far are kept. */
  setThrottle(t: ThrottleSettings): void {
    this.#throttles.configure(t, this.#clock.nowMs());
    this.#compose();
    this.#scheduleFlush();
  }

  /** The throttles in force (rates per second), for status and tests. */
  get throttle(): { inboundPerSec: number | undefined; outboundPerSec: number | undefined } {
    return this.#throttles.rates;
  }

  /**
   * Sets the outbound buffer bound and the write timeout (hot reload); undefined restores the default.
   * A resend in progress reads its next chunk under the new bound.
   */
  setOutboundLimits(maxOutboundBufferBytes: number | undefined, writeTimeoutMs: number | undefined): void {
    this.#hwm = maxOutboundBufferBytes ?? this.#defaultHwm;
    this.#writeTimeoutMs = writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
  }

  /** The outbound buffer bound (bytes) and the write timeout (ms, 0 = off) in force. */
  get outboundLimits(): { maxOutboundBufferBytes: number; writeTimeoutMs: number } {
    return { maxOutboundBufferBytes: this.#hwm, writeTimeoutMs: this.#writeTimeoutMs };
  }

  /** Changes the outbound priority table and starvation guard (hot reload). */
  configureOutbound(options: OutboundQueueOptions): void {
    this.#queue.configure(options);
  }

  /** The outbound priority queues (depths and wait histograms for metrics). */
  get outbound(): OutboundQueue {
    return this.#queue;
  }

  /** Orders sent on this session and their state (open orders, ack latency). */
  get orders(): OpenOrders {
    return this.#orders;
  }

  /** Outbound bytes buffered in the session: accumulating plus the write in flight. */
  get outboundBufferedBytes(): number {
    return this.#outLen + this.#inFlight;
  }

  /** Long-lived I/O buffers (the read buffer and both write buffers) for memory locking. */
  ioBuffers(): Uint8Array<ArrayBuffer>[] {
    return [this.#readBuf, this.#out, this.#spare];
  }

  /** Why order entry is refused now (kill switch), or undefined. */
  get ordersBlocked(): string | undefined {
    return this.#gate.ordersBlocked;
  }

  /**
   * Kill switch: refuses new orders from now on, withdraws orders still queued, and queues an
   * OrderCancelRequest (critical priority) for every open order; orders acknowledged later are
   * cancelled as their acknowledgement arrives. Returns the counts.
   */
  engageKillSwitch(reason: string): { cancels: number; withdrawn: number } {
    const r = this.#gate.engage(reason, this.#ctx);
    this.#scheduleFlush();
    return r;
  }

  /** Lifts the kill switch: order entry allowed again. Also closes a tripped risk circuit breaker. */
  releaseKillSwitch(): void {
    this.#gate.release(this.#ctx);
  }

  /**
   * Sets the pre-send risk limits (undefined: none). New limits start a new gate (its rate bucket full,
   * its circuit breaker closed); the same limits again keep the running gate and its state.
   */
  setRiskLimits(limits: RiskLimits | undefined): void {
    this.#gate.setRiskLimits(limits);
  }

  /** The risk limits in force, or undefined. */
  get riskLimits(): RiskLimits | undefined {
    return this.#gate.riskLimits;
  }

  /** Closes a tripped risk circuit breaker (orders may be sent again). */
  resetRiskBreaker(): void {
    this.#gate.resetBreaker(this.#ctx);
  }

  /**
   * performance.now() when the bytes being handled were read (one clock read per read, not per
   * message: every message of one read arrived together). Latency measurement uses it.
   */
  get readAtPerfMs(): number {
    return this.#readAtPerfMs;
  }

  /** True while the session is logged on. */
  get loggedOn(): boolean {
    return this.#loggedOn;
  }

  /** True while a connection is attached. */
  get connected(): boolean {
    return this.#conn !== undefined;
  }

  /** The machine's state (read-only use: tests and status). */
  get state(): SessionState {
    return this.#state;
  }

  /** Status for health endpoints. */
  status(): SessionStatus {
    return {
      key: this.key,
      connected: this.connected,
      loggedOn: this.#loggedOn,
      phase: this.#state.phase,
      nextSenderSeq: this.#nextSenderSeq,
      nextTargetSeq: this.#nextTargetSeq,
      lastReceivedMs: this.#lastReceivedMs,
      lastSentMs: this.#lastSentMs,
      lastError: this.#lastError,
      remoteAddr: this.#conn?.remoteAddr,
      lastHeartbeatInMs: this.counters.lastHeartbeatInMs,
      lastHeartbeatOutMs: this.counters.lastHeartbeatOutMs,
      loggedOnSinceMs: this.counters.loggedOnSinceMs,
      inSync: this.#state.resendRequested === undefined && this.#state.inboundQueue.size === 0 &&
        this.#state.pendingResend === undefined,
      queued: this.#queue.length,
      openOrders: this.#orders.open().length,
      ordersBlocked: this.#gate.ordersBlocked,
    };
  }

  /**
   * Binds a connection and runs its read loop until it closes. `prefix` holds bytes already read
   * (the acceptor reads the Logon to find the session). Resolves when the connection is gone, with
   * whether the session logged on over it.
   */
  async attach(conn: Connection, prefix?: Uint8Array): Promise<boolean> {
    if (this.#conn) throw new Error(`Session ${this.key} already has a connection`);
    this.#conn = conn;
    this.#loggedOnThisConnection = false;
    this.#framer.reset();
    this.#outLen = 0;
    this.#closeAfterFlush = undefined;
    this.#lastReceivedMs = this.#clock.nowMs();
    if (this.#config.refreshOnLogon) {
      // RefreshOnLogon: another process may have moved the numbers (shared store); start from the store's.
      const s = this.#store.seqNums();
      this.#input({ kind: "set-seq", nextSenderSeq: s.nextSenderSeq, nextTargetSeq: s.nextTargetSeq });
    }
    this.#input({ kind: "connected" });
    this.#readAtPerfMs = performance.now();
    if (prefix && prefix.length > 0) this.#framer.push(prefix);
    this.#scheduleFlush();
    const buf = this.#readBuf;
    try {
      while (this.#conn === conn) {
        if (this.faults.readDelayMs > 0) {
          await new Promise<void>((r) => this.#clock.after(this.faults.readDelayMs, r));
        }
        const n = await conn.read(buf);
        if (n === null) break;
        this.#readAtPerfMs = performance.now();
        // One wall-clock read for everything this read brings (the messages arrived together):
        // each message and each answer sent while handling them uses it.
        this.#readNowMs = this.#clock.nowMs();
        try {
          this.#framer.push(buf.subarray(0, n));
        } finally {
          this.#readNowMs = -1;
        }
        this.#flushNow();
      }
    } catch (e) {
      this.#lastError = e instanceof Error ? e.message : String(e);
    }
    this.#detach(this.#closeAfterFlush ?? "connection closed by peer");
    return this.#loggedOnThisConnection;
  }

  #detach(reason: string): void {
    const conn = this.#conn;
    if (!conn) return;
    this.#conn = undefined;
    conn.close();
    this.#outLen = 0;
    this.#recentResend = undefined;
    this.#cancelTimers();
    // A resend waiting for the socket to drain ends now (its read, if one is running, ends it).
    if (this.#resend !== undefined && !this.#resend.reading) queueMicrotask(this.#pumpResend);
    this.counters.disconnects++;
    this.#input({ kind: "disconnected", reason });
    if (this.#loggedOn) {
      this.#loggedOn = false;
      this.counters.loggedOnSinceMs = 0;
      this.#inOrder(() => this.#guard("onLogout", () => this.#app.onLogout?.(this, reason)));
    }
    const w = this.#disconnectWaiters;
    this.#disconnectWaiters = [];
    for (const f of w) f();
    for (const f of this.#writableWaiters.splice(0)) f();
  }

  /**
   * Takes every application message still waiting to be numbered out of the queue (the gateway closes
   * the session for good: a cluster lease lost) and returns them, so they can be reported as not sent.
   */
  withdrawQueued(): FixMessage[] {
    return this.#queue.remove(() => true).map((m) => m.message);
  }

  /** Resolves when the current connection (if any) is gone. */
  whenDisconnected(): Promise<void> {
    if (!this.#conn) return Promise.resolve();
    return new Promise((r) => this.#disconnectWaiters.push(r));
  }

  /**
   * Sends an application message. When the socket is free and nothing waits, it is numbered and
   * written at once and this returns its MsgSeqNum. Otherwise (a write in flight, messages waiting,
   * not logged on, the outbound throttle, or a callback whose step still has messages to write) it
   * waits in its priority queue (by MsgType, or `options.priority`) and gets its MsgSeqNum when it
   * leaves, highest priority first; this then returns 0. "back-pressure" when more than the
   * high-water mark waits. Throws SendRefusedError for order entry (D, G, ...) while the kill switch
   * blocks orders.
   */
  send(message: FixMessage, options?: { resend?: boolean; priority?: Priority }): SendResult {
    if (this.#storeError) throw this.#storeError;
    const checks = this.#checks;
    for (let i = 0; i < checks.length; i++) {
      const refused = checks[i]!.check!(message, this.#ctx);
      if (refused !== undefined) {
        throw new SendRefusedError(`35=${message.msgType} refused on ${this.key}: ${refused}`);
      }
    }
    if (this.#outLen + this.#inFlight + this.#queue.bytes > this.#hwm) {
      this.counters.backPressureEvents++;
      return "back-pressure";
    }
    const resend = options?.resend !== false;
    if (this.#canSendNow()) {
      if (this.#leaving.length > 0) this.#leave(message, performance.now());
      const before = this.#nextSenderSeq;
      const seq = this.#sendDirect(message, resend, this.#now());
      if (seq > 0) {
        this.#scheduleFlush();
        return seq;
      }
      this.#input(resend ? { kind: "send", message } : { kind: "send", message, resend: false });
      this.#scheduleFlush();
      return this.#nextSenderSeq > before ? this.#nextSenderSeq - 1 : 0;
    }
    const p = options?.priority ?? this.#queue.priorityOf(message.msgType);
    this.#queue.push(message, resend, p, this.#perfNow());
    if (this.#depth === 0) this.#scheduleFlush();
    return 0;
  }

  /** True when a message can be numbered and written now without overtaking anything. */
  #canSendNow(): boolean {
    if (
      !this.#loggedOn || !this.#conn || this.#writing || this.#blocked || this.#draining || this.#deferSends
    ) return false;
    if (this.#queue.length > 0 || this.#storeError !== undefined || this.#closeAfterFlush !== undefined) {
      return false;
    }
    const limit = this.#throttles.outbound;
    return limit === undefined || limit.tryTake(this.#clock.nowMs());
  }

  /** A message leaves the queue for the machine: the filters that watch (order tracking) see it. */
  #leave(message: FixMessage, perfMs: number): void {
    const l = this.#leaving;
    for (let i = 0; i < l.length; i++) l[i]!.onLeave!(message, perfMs);
  }

  whenWritable(): Promise<void> {
    if (this.#outLen + this.#inFlight + this.#queue.bytes <= this.#hwm / 2) return Promise.resolve();
    return new Promise((r) => this.#writableWaiters.push(r));
  }

  logout(text?: string): void {
    // What the application queued before asking for the Logout goes out before it.
    this.#drain(true);
    this.#input(text === undefined ? { kind: "logout" } : { kind: "logout", text });
    this.#scheduleFlush();
  }

  /** Operator: reset both sequence numbers (Logon 141=Y when logged on). */
  resetSequence(): void {
    this.#drain(true);
    this.#input({ kind: "reset" });
    this.#scheduleFlush();
  }

  /** Operator: set the next sequence numbers. */
  setSequence(nextSenderSeq?: number, nextTargetSeq?: number): void {
    this.#drain(true);
    const i: Input = { kind: "set-seq" };
    if (nextSenderSeq !== undefined) i.nextSenderSeq = nextSenderSeq;
    if (nextTargetSeq !== undefined) i.nextTargetSeq = nextTargetSeq;
    this.#input(i);
    this.#scheduleFlush();
  }

  /** Closes the connection after writing what is already queued (no Logout): fault injection and operators. */
  disconnect(reason: string): void {
    if (!this.#conn) return;
    this.#drain(true);
    this.#closeAfterFlush = reason;
    this.#scheduleFlush();
  }

  /** Fault injection: leaves `count` outbound MsgSeqNums unused after what is already queued (a gap the peer sees). */
  skipSenderSeq(count: number): void {
    this.#drain(true);
    this.#input({ kind: "set-seq", nextSenderSeq: this.#nextSenderSeq + count });
    this.#scheduleFlush();
  }

  /** Moves our next MsgSeqNum `jump` numbers past what is already queued, with a SequenceReset-Reset. */
  sequenceResetJump(jump: number): void {
    this.#drain(true);
    this.sendSequenceReset(this.#nextSenderSeq + jump);
  }

  /** Moves our next MsgSeqNum to `newSeqNo` with a SequenceReset-Reset (35=4, 36=newSeqNo) when logged on. */
  sendSequenceReset(newSeqNo: number): void {
    this.#drain(true);
    this.#input({ kind: "sequence-reset", newSeqNo });
    this.#scheduleFlush();
  }

  /** Logs out, waits for the peer's Logout (or the timeout) and the disconnect, flushes the store. */
  async stop(): Promise<void> {
    if (this.#conn) {
      const gone = this.whenDisconnected();
      if (this.#loggedOn) this.logout("Session stopped");
      else this.#closeNow("stopped before logon");
      const limit = this.#config.logoutTimeoutMs + 1000;
      let t: Timer | undefined;
      await Promise.race([gone, new Promise<void>((r) => (t = this.#clock.after(limit, r)))]);
      t?.cancel();
      if (this.#conn) this.#closeNow("logout timed out");
    }
    this.#cancelTimers();
    await this.#store.flush();
    // Inbound messages committed by now are handed over before stop() returns.
    if (this.#commitBeforeDeliver) await this.#commitChain;
  }

  /** Drops the connection at once (tests, kill switch of a transport). */
  #closeNow(reason: string): void {
    this.#detach(reason);
  }

  /** performance.now(), or the read's while a read is handled (queue wait times need no finer grain). */
  #perfNow(): number {
    if (this.#readNowMs >= 0) return this.#readAtPerfMs;
    return this.#turnClock() ? this.#turnPerfMs : performance.now();
  }

  /** The time: the read's during the handling of a read, else the clock's. */
  #now(): number {
    if (this.#readNowMs >= 0) return this.#readNowMs;
    return this.#turnClock() ? this.#turnNowMs : this.#clock.nowMs();
  }

  /**
   * Outside a read, the sends of one synchronous run (a load generator's batch) share clock reads:
   * read again every TURN_CLOCK_USES uses and after the run (a microtask), so a time is at most a few
   * sends old. Only with the system clock (a test's manual clock is read every time).
   */
  #turnClock(): boolean {
    if (this.#clock !== systemScheduler) return false;
    if (this.#turnUses === 0 || this.#turnUses >= TURN_CLOCK_USES) {
      this.#turnNowMs = this.#clock.nowMs();
      this.#turnPerfMs = performance.now();
      this.#turnUses = 0;
      if (!this.#turnResetQueued) {
        this.#turnResetQueued = true;
        queueMicrotask(this.#resetTurnClock);
      }
    }
    this.#turnUses++;
    return true;
  }

  readonly #resetTurnClock = (): void => {
    this.#turnUses = 0;
    this.#turnResetQueued = false;
  };

  /** Feeds one input to the machine and carries out the actions. */
  #input(input: Input): void {
    if (this.#blocked) {
      if (input.kind !== "message") {
        this.#backlog.push(input);
        return;
      }
      const kept: Input = { kind: "message", view: input.view.copy() };
      this.#backlog.push(kept);
      if (this.#resend !== undefined && input.view.msgType === "2") this.#markCovered(kept, input.view);
      return;
    }
    const adminBefore = this.#adminInCount;
    const rejectsBefore = this.counters.rejectsSent;
    const depth = this.#depth++;
    // One reusable action list per nesting depth (an application callback run by an action of this
    // step sends through a nested step): no list allocated per message.
    const out = this.#actionLists[depth] ?? (this.#actionLists[depth] = []);
    try {
      const next = stepInto(this.#state, input, this.#now(), out);
      this.#execute(out);
      if (next !== undefined) this.#armTimer(next);
    } finally {
      // pop() keeps the list's backing store; `length = 0` would drop it, and the next step's first
      // push would allocate a new one (about 150 bytes per message, measured).
      while (out.length > 0) out.pop();
      this.#depth--;
    }
    if (input.kind === "message" && this.#adminIn && this.counters.rejectsSent === rejectsBefore) {
      this.#afterAdminInput(input.view, adminBefore);
    }
    // What the application sent during the step follows the step's own messages on the wire. While
    // a write is in flight it waits, so a later higher-priority message can still go first.
    if (this.#depth === 0 && !this.#draining && !this.#writing && this.#queue.length > 0) this.#drain(false);
  }

  #execute(actions: Action[]): void {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      switch (a.kind) {
        case "send": {
          const bytes = this.#app.toAdmin !== undefined && isAdminMsgType(a.msgType)
            ? this.#toAdmin(a.bytes)
            : a.bytes;
          if (a.persist) this.#sent(a.seq, a.msgType, bytes);
          else {
            this.#write(bytes, a.msgType);
            if (a.seq >= this.#nextSenderSeq) this.#nextSenderSeq = a.seq + 1;
          }
          break;
        }
        case "persist-inbound":
          this.#nextTargetSeq = a.seq + 1;
          // A store that keeps no inbound bytes gets none (no view cut per message).
          if (this.#commitBeforeDeliver) {
            const p = this.#store.appendInbound(
              a.seq,
              this.#store.keepsInbound === false ? NO_BYTES : a.frame.bytes(),
            );
            this.#lastAppendSeq = a.seq;
            this.#lastAppend = p;
            this.#track(p);
          } else {
            this.#track(
              this.#store.appendInbound(
                a.seq,
                this.#store.keepsInbound === false ? NO_BYTES : a.frame.bytes(),
              ),
            );
          }
          if (this.#adminIn && isAdminMsgType(a.frame.msgType) && !rejectedInStep(actions, i, a.seq)) {
            this.#fromAdmin(a.frame);
          }
          break;
        case "deliver": {
          if (this.#commitBeforeDeliver) {
            this.#afterCommit(true, this.#deliverLater(a.view), this.#appendOf(a.view));
            break;
          }
          // The application's sends follow the messages this step still has to write.
          const outer = this.#deferSends;
          if (!outer) this.#deferSends = hasSendAfter(actions, i);
          this.#deliver(a.view);
          this.#deferSends = outer;
          break;
        }
        case "resend":
          this.#startResend(a.begin, a.end, actions.slice(i + 1));
          return;
        case "store-seq":
          if (a.nextSenderSeq !== undefined) {
            this.#nextSenderSeq = a.nextSenderSeq;
            this.#track(this.#store.setNextSenderSeq(a.nextSenderSeq));
          }
          if (a.nextTargetSeq !== undefined) {
            this.#nextTargetSeq = a.nextTargetSeq;
            this.#track(this.#store.setNextTargetSeq(a.nextTargetSeq));
          }
          break;
        case "store-reset":
          this.#recent?.clear();
          this.#nextSenderSeq = 1;
          this.#nextTargetSeq = 1;
          this.#track(this.#store.reset(this.#clock.nowMs()));
          break;
        case "store-refresh": {
          const s = this.#store.seqNums();
          this.#nextSenderSeq = s.nextSenderSeq;
          this.#nextTargetSeq = s.nextTargetSeq;
          break;
        }
        case "disconnect":
          this.#closeAfterFlush = a.reason;
          this.#scheduleFlush();
          break;
        case "logon": {
          this.#loggedOn = true;
          this.#loggedOnThisConnection = true;
          this.counters.logons++;
          this.counters.loggedOnSinceMs = this.#clock.nowMs();
          const outer = this.#deferSends;
          if (!outer) this.#deferSends = hasSendAfter(actions, i);
          this.#inOrder(() => this.#guard("onLogon", () => this.#app.onLogon?.(this)));
          this.#deferSends = outer;
          // Messages queued while not logged on leave now, highest priority first.
          this.#scheduleFlush();
          break;
        }
        case "logout":
          if (this.#loggedOn) {
            this.#loggedOn = false;
            this.counters.loggedOnSinceMs = 0;
            const reason = a.reason;
            this.#inOrder(() => this.#guard("onLogout", () => this.#app.onLogout?.(this, reason)));
          }
          break;
        case "event":
          this.#onEvent(a.event);
          break;
      }
    }
  }

  /**
   * The usual case of sending an application message, straight through the session layer's
   * sendAppNow: no input, no action (and the heartbeat timer needs no re-arming: a send only moves
   * the next heartbeat later). Returns its MsgSeqNum, or 0 when it must take a "send" input instead.
   */
  #sendDirect(message: FixMessage, resend: boolean, nowMs: number): number {
    const seq = this.#state.nextSenderSeq;
    const bytes = sendAppNow(this.#state, message, nowMs, resend);
    if (bytes === undefined) return 0;
    this.#sent(seq, message.msgType, bytes);
    return seq;
  }

  /** Writes and stores message `seq`, sent with a new MsgSeqNum (a persisted send action). */
  #sent(seq: number, msgType: string, bytes: Uint8Array): void {
    if (this.#recent !== undefined) this.#recent.record(seq, bytes);
    this.#write(bytes, msgType);
    this.#nextSenderSeq = seq + 1;
    // The bytes are the sender's own (an encoded frame nothing writes again): no copy needed.
    const store = this.#store;
    this.#track(
      store.appendOutboundOwned !== undefined
        ? store.appendOutboundOwned(seq, bytes)
        : store.appendOutbound(seq, bytes),
    );
  }

  /** Runs an application callback; a bug in it is logged loudly and does not take the session down. */
  #guard(name: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.logger.error(
        "app-error",
        `${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        this.key,
      );
    }
  }

  #deliver(view: MessageView): void {
    const filters = this.#inbound;
    for (let i = 0; i < filters.length; i++) if (!filters[i]!.onMessage(view, this.#ctx)) return;
    try {
      this.#app.onMessage?.(view, this);
    } catch (e) {
      // An application bug must not take the session down; it is logged loudly.
      this.logger.error("app-error", e instanceof Error ? (e.stack ?? e.message) : String(e), this.key);
    }
    if (view.msgType === "j" && this.#recent !== undefined) this.#onRejectIn(view);
  }

  /** A delivery run after the commit: a copy of the message, with the time its bytes were read. */
  #deliverLater(view: MessageView): () => void {
    const kept = view.copy();
    const readAt = this.#readAtPerfMs;
    return () => {
      const current = this.#readAtPerfMs;
      this.#readAtPerfMs = readAt;
      try {
        this.#deliver(kept);
      } finally {
        this.#readAtPerfMs = current;
      }
    };
  }

  /**
   * `durableBeforeDeliver`: `run` hands an inbound message (message = true) or a logon/logout to the
   * application once the store committed everything appended so far. The messages of one turn share
   * one flush (the store's group commit batches it with other sessions'); batches run in order.
   */
  #afterCommit(message: boolean, run: () => void, committed?: void | Promise<void>): void {
    this.#uncommitted.push({ message, run, committed });
    this.#awaitingCommit++;
    if (this.#commitAsked) return;
    this.#commitAsked = true;
    queueMicrotask(this.#askCommit);
  }

  readonly #askCommit = (): void => {
    this.#commitAsked = false;
    const batch = this.#uncommitted;
    this.#uncommitted = [];
    // A message waits for the commit of its own append (a flush would also fail when the lease is no
    // longer certain, though the message is committed and so counted as received); the rest for a flush.
    let flushed: Promise<void> | undefined;
    const waits = batch.map((c) => {
      if (c.committed instanceof Promise) return c.committed;
      if (flushed === undefined) {
        try {
          flushed = this.#store.flush();
        } catch (e) {
          flushed = Promise.reject(e);
        }
      }
      return flushed;
    });
    const settled = Promise.allSettled(waits);
    this.#commitChain = this.#commitChain.then(() => settled).then((r) => this.#runCommitted(batch, r));
  };

  #runCommitted(batch: AfterCommit[], results: PromiseSettledResult<void>[]): void {
    let error: unknown;
    let failed = false;
    for (let i = 0; i < batch.length; i++) {
      const c = batch[i]!;
      const r = results[i]!;
      this.#awaitingCommit--;
      if (!c.message) {
        // Logon/logout callbacks run in order whatever the commit did.
        c.run();
        continue;
      }
      if (r.status === "rejected" && !this.#commitFailed) {
        this.#commitFailed = true;
        failed = true;
        error = r.reason;
        const lost = batch.slice(i).filter((x) => x.message).length;
        this.logger.error(
          "store-error",
          `inbound commit failed: ${
            error instanceof Error ? error.message : String(error)
          }; ${lost} inbound message(s) not delivered`,
          this.key,
        );
      }
      // A message whose commit failed is never delivered, nor any after it (the session stops).
      if (!this.#commitFailed) c.run();
    }
    // A failed commit drops the connection (the store's other writes fail alike).
    if (failed) {
      if (this.#storeError === undefined) this.#onStoreError(error);
    } else this.#flushNow();
  }

  /** The store's promise of the commit of inbound message `view` (appended just before), if it gave one. */
  #appendOf(view: MessageView): void | Promise<void> {
    if (this.#lastAppend === undefined || this.#lastAppendSeq !== view.seqNum) return undefined;
    const p = this.#lastAppend;
    this.#lastAppend = undefined;
    return p;
  }

  /** Runs a logon/logout callback now, or after the inbound messages still waiting for their commit. */
  #inOrder(run: () => void): void {
    if (this.#awaitingCommit > 0) this.#afterCommit(false, run);
    else run();
  }

  /** toAdmin: the application may set fields on an admin message before it is written and stored. */
  #toAdmin(bytes: Uint8Array): Uint8Array {
    const m = new OutgoingAdminMessage(bytes);
    let out = bytes;
    this.#guard("toAdmin", () => {
      this.#app.toAdmin!(m, this);
      if (m.changed) out = m.build();
    });
    return out;
  }

  /** An inbound admin message the session took in sequence: fromAdmin, then onReject for a 35=3. */
  #fromAdmin(view: MessageView): void {
    this.#adminInCount++;
    if (this.#commitBeforeDeliver) {
      const kept = view.copy();
      this.#afterCommit(true, () => this.#fromAdminNow(kept), this.#appendOf(view));
      return;
    }
    this.#fromAdminNow(view);
  }

  #fromAdminNow(view: MessageView): void {
    if (this.#app.fromAdmin !== undefined) this.#guard("fromAdmin", () => this.#app.fromAdmin!(view, this));
    if (view.msgType === "3" && this.#recent !== undefined) this.#onRejectIn(view);
  }

  /**
   * After the step of an inbound message the session did not reject: fromAdmin for a SequenceReset-Reset,
   * which takes no number (so no persist-inbound hands it over).
   */
  #afterAdminInput(view: MessageView, before: number): void {
    if (this.#adminInCount !== before || view.msgType !== "4" || view.getChar(Tag.GapFillFlag) === "Y") {
      return;
    }
    const p = this.#state.phase;
    if (p === "active" || p === "logout-sent") this.#fromAdmin(view);
  }

  /** A Reject or BusinessMessageReject: onReject when it refers to an application message we sent. */
  #onRejectIn(view: MessageView): void {
    const ref = view.getInt(Tag.RefSeqNum);
    if (ref === undefined) return;
    const sent = this.#recent!.get(ref);
    if (sent !== undefined) {
      const r = rejectedMessage(view, sent);
      if (r !== undefined) this.#guard("onReject", () => this.#app.onReject!(r, this));
      return;
    }
    // Not among the recent sends: the store has it (or says it is gone); the callback comes later.
    const kept = view.copy();
    this.#store.getOutbound(ref, ref).then(
      (m) => m.find((x) => x.seq === ref)?.bytes,
      () => undefined,
    ).then((bytes) => {
      const r = rejectedMessage(kept, bytes);
      if (r !== undefined) this.#guard("onReject", () => this.#app.onReject!(r, this));
    });
  }

  /**
   * Moves queued application messages into the machine (which gives each its MsgSeqNum), highest
   * priority first, while the session is logged on: up to the batch size and the outbound throttle,
   * or everything (`all`, before a Logout or a reset).
   */
  #drain(all: boolean): void {
    if (this.#draining || this.#queue.length === 0 || !this.#loggedOn || this.#blocked || !this.#conn) return;
    if (this.#storeError !== undefined || this.#closeAfterFlush !== undefined) return;
    const perf = this.#perfNow();
    const now = this.#now();
    const limit = this.#throttles.outbound;
    this.#draining = true;
    try {
      while (this.#queue.length > 0 && (all || this.#outLen < this.#maxBatchBytes)) {
        if (!all && limit !== undefined && !limit.tryTake(now)) {
          this.counters.throttledOutWaits++;
          this.#armThrottleTimer(limit.nextTokenAtMs(now) - now);
          break;
        }
        const m = this.#queue.take(perf)!;
        if (this.#leaving.length > 0) this.#leave(m.message, perf);
        if (this.#sendDirect(m.message, m.resend, now) === 0) {
          this.#input(
            m.resend
              ? { kind: "send", message: m.message }
              : { kind: "send", message: m.message, resend: false },
          );
        }
        if (this.#blocked || !this.#conn || !this.#loggedOn || this.#closeAfterFlush !== undefined) break;
      }
    } finally {
      this.#draining = false;
    }
  }

  #armThrottleTimer(delayMs: number): void {
    if (this.#throttleTimer !== undefined) return;
    this.#throttleTimer = this.#clock.after(Math.max(1, delayMs), () => {
      this.#throttleTimer = undefined;
      this.#flushNow();
    });
  }

  #onEvent(
    ev: {
      level: "debug" | "info" | "warn" | "error";
      name: string;
      text: string;
      data?: Record<string, string | number | boolean>;
    },
  ): void {
    countEvent(this.counters, ev);
    if (ev.level === "error" || ev.level === "warn") this.#lastError = ev.text;
    if (this.logger.enabled(ev.level)) {
      this.logger.log(
        ev.data
          ? { level: ev.level, event: ev.name, text: ev.text, session: this.key, data: ev.data }
          : { level: ev.level, event: ev.name, text: ev.text, session: this.key },
      );
    }
  }

  #track(p: void | Promise<void>): void {
    if (p instanceof Promise) {
      // Only `fsync: always` holds the bytes back until durable; `batch` commits in the background.
      if (this.#store.durableBeforeSend === true) this.#needDurable = true;
      p.catch((e) => this.#onStoreError(e));
    }
  }

  #onStoreError(e: unknown): void {
    // A message we cannot journal must not go out: stop sending and drop the connection.
    if (this.#storeError === undefined) this.counters.storeErrors++;
    this.#storeError = e instanceof Error ? e : new Error(String(e));
    this.#lastError = `store: ${this.#storeError.message}`;
    this.logger.error("store-error", `${this.#storeError.message}; session stops sending`, this.key);
    this.#outLen = 0;
    this.#closeAfterFlush = "store failure";
    if (this.#conn) this.#detach("store failure");
  }

  /**
   * Answers the machine's `resend` action by streaming: chunks of the range are read from the store as
   * the socket drains (never more than half the outbound bound buffered before the next read) and fed
   * to the machine's resend logic; the last chunk goes in as the `resend-messages` input, which ends
   * the resend. Inputs wait in the backlog until then, as they did while the whole range was read.
   */
  #startResend(begin: number, end: number, rest: Action[]): void {
    this.#blocked = true;
    // The rest runs after the store answers, when reads may have reused the live view: keep copies.
    const live = this.#view;
    rest = rest.map((a) =>
      a.kind === "persist-inbound" && a.frame === live
        ? { ...a, frame: live.copy() }
        : a.kind === "deliver" && a.view === live
        ? { ...a, view: live.copy() }
        : a
    );
    const skip = this.#skipResend ?? this.#unwrittenResend();
    this.#skipResend = undefined;
    if (skip !== undefined && begin >= skip.begin && end <= skip.end) {
      // Sent by the resend that was in progress when this request came in: no second copy. The machine
      // gets an empty answer (nothing goes out) and moves on.
      const r = newStream(begin, end, rest, this.#conn);
      r.ignored = true;
      this.counters.resendRequestsIgnored++;
      queueMicrotask(() => this.#endResend(r, []));
      return;
    }
    this.#resend = newStream(begin, end, rest, this.#conn);
    this.#pumpResend();
  }

  /** Reads the resend's next chunk when the socket has room; ends the resend when the connection is gone. */
  readonly #pumpResend = (): void => {
    const r = this.#resend;
    if (r === undefined || r.reading) return;
    if (this.#conn === undefined || this.#conn !== r.conn || this.#storeError !== undefined) {
      this.#endResend(r, []);
      return;
    }
    if (this.#outLen + this.#inFlight > this.#hwm / 2) {
      r.waiting = true; // #onWritten reads on
      return;
    }
    const to = Math.min(r.next + r.chunk - 1, r.end);
    r.reading = true;
    this.#store.getOutbound(r.next, to).then(
      (messages) => {
        r.reading = false;
        this.#resendChunk(r, messages, to);
      },
      (e) => {
        r.reading = false;
        this.logger.error("resend-read-failed", e instanceof Error ? e.message : String(e), this.key);
        // What was not sent is gap-filled, as when a whole range could not be read.
        this.#endResend(r, []);
      },
    );
  };

  /** One chunk [r.next, to] read: what can go out without changing the gap fills goes out now. */
  #resendChunk(r: ResendStream, messages: StoredMessage[], to: number): void {
    if (r !== this.#resend) return;
    if (this.#conn === undefined || this.#conn !== r.conn || to >= r.end) {
      this.#endResend(r, this.#conn === r.conn ? messages : []);
      return;
    }
    r.next = to + 1;
    let bytes = 0;
    for (const m of messages) bytes += m.bytes.length;
    if (messages.length > 0) {
      r.chunk = Math.max(
        MIN_RESEND_CHUNK,
        Math.min(
          MAX_RESEND_CHUNK,
          Math.floor(this.#hwm / 4 / (bytes / messages.length + RESEND_OVERHEAD_BYTES)),
        ),
      );
    }
    // Up to the last message the machine resends as it is: admin messages and gaps after it may join a
    // gap fill with the next chunk, so they are answered with it (gap fills stay merged as in one read).
    let j = messages.length - 1;
    const v = this.#resendView;
    for (; j >= 0; j--) {
      const m = messages[j]!;
      v.parseInto(m.bytes, 0, m.bytes.length);
      if (!ADMIN_MSG_TYPES.has(v.msgType) && isResendable(this.#state, m.seq) && v.seqNum === m.seq) break;
    }
    if (j >= 0) {
      const last = messages[j]!.seq;
      const out: Action[] = [];
      onResendMessages(
        this.#state,
        out,
        this.#clock.nowMs(),
        r.from,
        last,
        j + 1 < messages.length ? messages.slice(0, j + 1) : messages,
      );
      // Still answering the request (status, and the machine's view until the final input).
      (this.#state as { pendingResend: { begin: number; end: number } | undefined }).pendingResend = {
        begin: r.begin,
        end: r.end,
      };
      r.from = last + 1;
      for (let k = 0; k < out.length; k++) {
        const a = out[k]!;
        if (a.kind === "event" && a.event.name === "resend") {
          // One summary line for the whole range, when it ends (the counters count it then).
          r.resent += Number(a.event.data?.["resent"] ?? 0);
          r.gapFills += Number(a.event.data?.["gapFills"] ?? 0);
          out.splice(k--, 1);
        }
      }
      this.#execute(out);
      this.#flushNow();
    }
    // The next chunk after other sessions' I/O had a turn (a memory store and socket never yield).
    setImmediate(this.#pumpResend);
  }

  /** The last part of a resend (or none when it ends early): the machine's `resend-messages` input. */
  #endResend(r: ResendStream, messages: StoredMessage[]): void {
    if (this.#resend === r) this.#resend = undefined;
    this.#finishResend({
      kind: "resend-messages",
      begin: r.ignored ? r.end + 1 : r.from,
      end: r.end,
      messages,
    }, r);
  }

  /** The range of the last resend while some of its bytes are still buffered here, else undefined. */
  #unwrittenResend(): { begin: number; end: number } | undefined {
    const r = this.#recentResend;
    if (r === undefined) return undefined;
    if (this.#conn === undefined || this.counters.bytesOut - this.#outLen - this.#inFlight >= r.endBytesOut) {
      this.#recentResend = undefined;
      return undefined;
    }
    return r;
  }

  /** A ResendRequest that arrived while a resend streams: covered when that resend sends all it asks for. */
  #markCovered(input: Input, view: MessageView): void {
    const r = this.#resend!;
    const begin = view.getInt(Tag.BeginSeqNo);
    const end = view.getInt(Tag.EndSeqNo);
    if (begin === undefined || end === undefined || begin < 0 || end < 0) return;
    const last = this.#state.nextSenderSeq - 1;
    const b = Math.max(begin, 1);
    const e = end === 0 || end > last ? last : end;
    if (b >= r.begin && e <= r.end) this.#coveredResends.set(input, { begin: r.begin, end: r.end });
  }

  #finishResend(input: Input, r: ResendStream): void {
    this.#blocked = false;
    const res = step(this.#state, input, this.#clock.nowMs());
    this.#state = res.state;
    for (const a of res.actions) {
      if (a.kind !== "event" || a.event.name !== "resend") continue;
      if (r.ignored) {
        a.event.text = `ResendRequest for ${r.begin} to ${r.end} ignored: that range is already being resent`;
        a.event.data = { beginSeqNo: r.begin, endSeqNo: r.end, resent: 0, gapFills: 0 };
      } else if (r.from !== r.begin) {
        const resent = r.resent + Number(a.event.data?.["resent"] ?? 0);
        const gapFills = r.gapFills + Number(a.event.data?.["gapFills"] ?? 0);
        a.event.text = `Resent ${r.begin} to ${r.end}: ${resent} messages, ${gapFills} gap fills`;
        a.event.data = { beginSeqNo: r.begin, endSeqNo: r.end, resent, gapFills };
      }
    }
    this.#execute(res.actions);
    if (!r.ignored && this.#conn !== undefined && this.#conn === r.conn) {
      // Until its last byte is written, a request this resend covers gets nothing (the bytes are on their way).
      this.#recentResend = { begin: r.begin, end: r.end, endBytesOut: this.counters.bytesOut };
    }
    this.#execute(r.rest);
    if (res.nextTickMs !== undefined) this.#armTimer(res.nextTickMs);
    while (!this.#blocked && this.#backlog.length > 0) {
      const next = this.#backlog.shift()!;
      this.#skipResend = this.#coveredResends.get(next);
      try {
        this.#input(next);
      } finally {
        this.#skipResend = undefined;
      }
    }
    this.#flushNow();
  }

  /** The peer has not taken the write in flight for writeTimeoutMs: it does not read; disconnect. */
  readonly #checkStall = (): void => {
    this.#stallTimer = undefined;
    const conn = this.#conn;
    if (!this.#writing || conn === undefined || conn !== this.#writeConn) return;
    const waited = this.#clock.nowMs() - this.#writeStartedMs;
    if (waited < this.#writeTimeoutMs) {
      this.#stallTimer = this.#clock.after(Math.max(1, this.#writeTimeoutMs - waited), this.#checkStall);
      return;
    }
    const pending = this.#inFlight + this.#outLen;
    this.counters.writeTimeouts++;
    const reason = `write timeout: the peer has not read ${pending} bytes for ${
      this.#writeTimeoutMs / 1000
    } s`;
    this.#lastError = reason;
    this.logger.error(
      "write-timeout",
      `the peer has not read ${pending} bytes for ${
        this.#writeTimeoutMs / 1000
      } s (outbound.writeTimeoutSec); disconnecting`,
      this.key,
      { bytes: pending, timeoutMs: this.#writeTimeoutMs },
    );
    this.#detach(reason);
  };

  #clearStallTimer(): void {
    this.#stallTimer?.cancel();
    this.#stallTimer = undefined;
  }

  /** Cancels every timer of the session (on disconnect and stop: none stays armed). */
  #cancelTimers(): void {
    this.#clearTimer();
    this.#clearStallTimer();
    this.#throttleTimer?.cancel();
    this.#throttleTimer = undefined;
  }

  #armTimer(atMs: number): void {
    if (atMs >= this.#timerAtMs) return;
    this.#timer?.cancel();
    this.#timerAtMs = atMs;
    this.#timer = this.#clock.at(atMs, this.#onTick);
  }

  readonly #onTick = (): void => {
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
    this.#input({ kind: "tick" });
    this.#flushNow();
  };

  #clearTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
  }

  #write(bytes: Uint8Array, msgType: string): void {
    if (!this.#conn || this.#storeError) return;
    if (this.faults.suppresses(msgType)) return;
    const need = this.#outLen + bytes.length;
    if (need > this.#out.length) {
      const g = new Uint8Array(Math.max(need, this.#out.length * 2));
      g.set(this.#out.subarray(0, this.#outLen));
      this.#out = g;
    }
    this.#out.set(bytes, this.#outLen);
    this.#outLen = need;
    this.counters.messagesOut++;
    this.counters.bytesOut += bytes.length;
    countType(this.counters.outByType, msgType);
    if (msgType === "0") this.counters.lastHeartbeatOutMs = this.#clock.nowMs();
    else if (msgType === "2") this.counters.resendRequestsSent++;
    if (this.logger.enabled("debug")) {
      const v = MessageView.parse(bytes);
      this.logger.debug("out", this.logger.loggedMessage(v), this.key, {
        dir: "out",
        seq: v.seqNum,
        msgType,
      });
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(this.#scheduledFlush);
  }

  readonly #scheduledFlush = (): void => {
    this.#flushScheduled = false;
    this.#flushNow();
  };

  #flushNow(): void {
    if (this.#writing) return;
    const conn = this.#conn;
    if (!conn) return;
    this.#drain(false);
    if (this.#outLen === 0) {
      if (this.#closeAfterFlush !== undefined) this.#detach(this.#closeAfterFlush);
      return;
    }
    const batch = this.#out.subarray(0, this.#outLen);
    // Hand the batch to the socket and accumulate in the spare buffer: the batch must not change mid-write.
    const spare = this.#spare;
    this.#spare = this.#out;
    this.#out = spare;
    this.#inFlight = batch.length;
    this.#outLen = 0;
    this.#writing = true;
    this.#lastSentMs = this.#clock.nowMs();
    if (this.#writeTimeoutMs > 0) {
      this.#writeStartedMs = this.#clock.nowMs();
      if (this.#stallTimer === undefined) {
        this.#stallTimer = this.#clock.after(this.#writeTimeoutMs, this.#checkStall);
      }
    }
    const durable = this.#needDurable ? this.#store.flush() : undefined;
    this.#needDurable = false;
    const go = durable ? durable.then(() => conn.write(batch)) : conn.write(batch);
    this.#writeConn = conn;
    this.#writeDurable = durable !== undefined;
    go.then(this.#onWritten, this.#onWriteFailed);
  }
}

/** A callback waiting for the store's commit (durableBeforeDeliver). */
interface AfterCommit {
  /** An inbound message's delivery (dropped when the commit fails), not a logon/logout callback. */
  readonly message: boolean;
  readonly run: () => void;
  /** The store's promise of the message's commit (its appendInbound); else the batch waits for a flush. */
  readonly committed: void | Promise<void>;
}

/** A resend being streamed: the machine's range and how far it got. */
interface ResendStream {
  /** The range the machine asked for (end resolved). */
  readonly begin: number;
  readonly end: number;
  /** Where the part not yet answered begins (the `begin` of the next answer to the machine). */
  from: number;
  /** The next sequence number to read from the store. */
  next: number;
  /** Messages per store read (adapted to their size and the outbound bound). */
  chunk: number;
  /** Actions of the step that asked, run when the resend ends. */
  readonly rest: Action[];
  readonly conn: Connection | undefined;
  reading: boolean;
  /** Waiting for the socket to drain below half the bound. */
  waiting: boolean;
  /** A request covered by the resend before it: answered with nothing. */
  ignored: boolean;
  resent: number;
  gapFills: number;
}

function newStream(begin: number, end: number, rest: Action[], conn: Connection | undefined): ResendStream {
  return {
    begin,
    end,
    from: begin,
    next: begin,
    chunk: MIN_RESEND_CHUNK,
    rest,
    conn,
    reading: false,
    waiting: false,
    ignored: false,
    resent: 0,
    gapFills: 0,
  };
}

/** The scheduler of a runner's options (see RunnerOptions.scheduler). */
function schedulerOf(options: RunnerOptions): Scheduler {
  if (options.scheduler !== undefined) return options.scheduler;
  const c = options.clock;
  if (c === undefined || c === systemClock) return systemScheduler;
  const s = c as Partial<Scheduler>;
  if (typeof s.at === "function" && typeof s.after === "function") return c as Scheduler;
  // A bare clock: its time, the system's timers (a delay measured on that clock).
  return {
    nowMs: () => c.nowMs(),
    at: (atMs, cb) => systemScheduler.after(atMs - c.nowMs(), cb),
    after: (ms, cb) => systemScheduler.after(ms, cb),
  };
}

/** Default bound of a session's outbound buffer (send back-pressure, resend read-ahead). */
export const DEFAULT_MAX_OUTBOUND_BUFFER_BYTES = 8 * 1024 * 1024;
/** Default time a peer may leave a write untaken before the session is disconnected. */
export const DEFAULT_WRITE_TIMEOUT_MS = 30_000;
/** Messages per resend read: at least this many, and at most so many that one chunk is about 1 ms of work. */
const MIN_RESEND_CHUNK = 64;
const MAX_RESEND_CHUNK = 128;
/** What a resend adds to a stored message (PossDupFlag, OrigSendingTime), bytes, for chunk sizing. */
const RESEND_OVERHEAD_BYTES = 48;

/** Uses of one pair of clock reads outside a read (see #turnClock). */
const TURN_CLOCK_USES = 32;

/** The bytes handed to a store that keeps no inbound bytes. */
const NO_BYTES = new Uint8Array(0);

/**
 * True when the step rejects inbound message `seq` (a reject-sent event for it after its
 * persist-inbound at `i`, before the next inbound message): such a message is not handed to fromAdmin.
 */
function rejectedInStep(actions: Action[], i: number, seq: number): boolean {
  for (let k = i + 1; k < actions.length; k++) {
    const a = actions[k]!;
    if (a.kind === "persist-inbound") return false;
    if (a.kind === "event" && a.event.name === "reject-sent" && a.event.data?.["refSeqNum"] === seq) {
      return true;
    }
  }
  return false;
}

/** True when an action after index `i` writes a message: a send made during action `i` must wait for it. */
function hasSendAfter(actions: Action[], i: number): boolean {
  for (let k = i + 1; k < actions.length; k++) if (actions[k]!.kind === "send") return true;
  return false;
}

/**
 * Runs one session: feeds the pure machine (src/session) with inbound frames, timer ticks and
 * application sends, and carries out the actions it returns: writes batched per read, store appends,
 * deliveries, resends from the store, timers, disconnects. Only this layer awaits.
 *
 * Inputs are processed strictly one after another. While a resend is being read from the store,
 * later inputs wait in a backlog (views copied), so the machine sees them in arrival order.
 */
import { Framer, type FixMessage, MessageView } from "../codec/mod.ts";
import { createSession, type SessionState, step } from "../session/mod.ts";
import type { Action, Input, SessionConfig, SessionId } from "../session/types.ts";
import { sessionKey } from "../session/types.ts";
import type { SessionStore } from "../store/types.ts";
import type { Connection } from "../transport/types.ts";
import type { Application, SendResult, SessionHandle } from "./application.ts";
import { type Clock, systemClock } from "./clock.ts";
import { Logger } from "./log.ts";

/** Plain-number counters of one session, read at scrape time (never a registry call on the hot path). */
export class SessionCounters {
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  garbled = 0;
  rejectsSent = 0;
  rejectsReceived = 0;
  businessRejectsSent = 0;
  resendRequestsSent = 0;
  resendRequestsReceived = 0;
  gapFillsSent = 0;
  heartbeatsMissed = 0;
  reconnects = 0;
  logons = 0;
  disconnects = 0;
  backPressureEvents = 0;
  /** Messages in by MsgType. */
  readonly inByType = new Map<string, number>();
  /** Messages out by MsgType. */
  readonly outByType = new Map<string, number>();
  /** Rejects sent by SessionRejectReason. */
  readonly rejectsByReason = new Map<string, number>();
}

/** Options of a runner beyond the session config. */
export interface RunnerOptions {
  logger?: Logger;
  clock?: Clock;
  /** Outbound bytes buffered before `send` answers "back-pressure". Default 8 MiB. */
  highWaterMarkBytes?: number;
  /** Log every message decoded (DEBUG level). */
  verbose?: boolean;
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
  readonly faults = { dropHeartbeats: false, silent: false, readDelayMs: 0 };
  readonly logger: Logger;
  #config: SessionConfig;
  #state: SessionState;
  readonly #store: SessionStore;
  readonly #app: Application;
  readonly #clock: Clock;
  readonly #verbose: boolean;
  readonly #hwm: number;
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
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deferSends = false;
  #deferred: Input[] = [];
  #timerAtMs = Infinity;
  #disconnectWaiters: Array<() => void> = [];
  #lastError: string | undefined;
  #lastReceivedMs = 0;
  #lastSentMs = 0;
  #nextSenderSeq: number;
  #nextTargetSeq: number;
  #storeError: Error | undefined;

  private constructor(config: SessionConfig, store: SessionStore, app: Application, options: RunnerOptions) {
    this.#config = config;
    this.id = config.id;
    this.key = sessionKey(config.id);
    this.#store = store;
    this.#app = app;
    this.#clock = options.clock ?? systemClock;
    this.logger = options.logger ?? new Logger();
    this.#verbose = options.verbose ?? false;
    this.#hwm = options.highWaterMarkBytes ?? 8 * 1024 * 1024;
    const seq = store.seqNums();
    this.#nextSenderSeq = seq.nextSenderSeq;
    this.#nextTargetSeq = seq.nextTargetSeq;
    this.#state = createSession(config, seq, this.#clock.nowMs());
    this.#framer = this.#newFramer();
  }

  /** Creates a runner for a session whose store is open. */
  static create(config: SessionConfig, store: SessionStore, app: Application, options: RunnerOptions = {}): SessionRunner {
    const r = new SessionRunner(config, store, app, options);
    app.onCreate?.(r);
    return r;
  }

  #newFramer(): Framer {
    return new Framer({
      onFrame: (buf, start, end) => {
        this.counters.messagesIn++;
        this.counters.bytesIn += end - start;
        this.#lastReceivedMs = this.#clock.nowMs();
        const v = this.#view.parseInto(buf, start, end);
        if (this.#verbose && this.logger.enabled("debug")) {
          this.logger.debug("in", this.logger.redactedMessage(v), this.key);
        }
        const t = v.msgType;
        this.counters.inByType.set(t, (this.counters.inByType.get(t) ?? 0) + 1);
        this.#input({ kind: "message", view: v });
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

  /** Replaces settings that can change without a restart (hot reload); the session keeps running. */
  updateConfig(config: SessionConfig): void {
    this.#config = config;
    (this.#state as { config: SessionConfig }).config = config;
  }

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
    if (prefix && prefix.length > 0) this.#framer.push(prefix);
    this.#scheduleFlush();
    const buf = new Uint8Array(READ_BUFFER_BYTES);
    try {
      while (this.#conn === conn) {
        if (this.faults.readDelayMs > 0) await new Promise((r) => setTimeout(r, this.faults.readDelayMs));
        const n = await conn.read(buf);
        if (n === null) break;
        this.#framer.push(buf.subarray(0, n));
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
    this.counters.disconnects++;
    this.#input({ kind: "disconnected", reason });
    if (this.#loggedOn) {
      this.#loggedOn = false;
      this.#app.onLogout?.(this, reason);
    }
    const w = this.#disconnectWaiters;
    this.#disconnectWaiters = [];
    for (const f of w) f();
    for (const f of this.#writableWaiters.splice(0)) f();
  }

  /** Resolves when the current connection (if any) is gone. */
  whenDisconnected(): Promise<void> {
    if (!this.#conn) return Promise.resolve();
    return new Promise((r) => this.#disconnectWaiters.push(r));
  }

  send(message: FixMessage, options?: { resend?: boolean }): SendResult {
    if (this.#deferSends) {
      // Called from onMessage while the current step still has sends to write: ours must follow them
      // on the wire, so it is stepped once the current actions are done (its number is not known yet).
      this.#deferred.push(options?.resend === false ? { kind: "send", message, resend: false } : { kind: "send", message });
      return 0;
    }
    if (this.#outLen + this.#inFlight > this.#hwm) {
      this.counters.backPressureEvents++;
      return "back-pressure";
    }
    if (this.#storeError) throw this.#storeError;
    const before = this.#nextSenderSeq;
    const input: Input = options?.resend === false
      ? { kind: "send", message, resend: false }
      : { kind: "send", message };
    this.#input(input);
    this.#scheduleFlush();
    return this.#nextSenderSeq > before ? this.#nextSenderSeq - 1 : 0;
  }

  whenWritable(): Promise<void> {
    if (this.#outLen + this.#inFlight <= this.#hwm / 2) return Promise.resolve();
    return new Promise((r) => this.#writableWaiters.push(r));
  }

  logout(text?: string): void {
    this.#input(text === undefined ? { kind: "logout" } : { kind: "logout", text });
    this.#scheduleFlush();
  }

  /** Operator: reset both sequence numbers (Logon 141=Y when logged on). */
  resetSequence(): void {
    this.#input({ kind: "reset" });
    this.#scheduleFlush();
  }

  /** Operator: set the next sequence numbers. */
  setSequence(nextSenderSeq?: number, nextTargetSeq?: number): void {
    const i: Input = { kind: "set-seq" };
    if (nextSenderSeq !== undefined) i.nextSenderSeq = nextSenderSeq;
    if (nextTargetSeq !== undefined) i.nextTargetSeq = nextTargetSeq;
    this.#input(i);
    this.#scheduleFlush();
  }

  /** Closes the connection after writing what is already queued (no Logout): fault injection and operators. */
  disconnect(reason: string): void {
    if (!this.#conn) return;
    this.#closeAfterFlush = reason;
    this.#scheduleFlush();
  }

  /** Moves our next MsgSeqNum to `newSeqNo` with a SequenceReset-Reset (35=4, 36=newSeqNo) when logged on. */
  sendSequenceReset(newSeqNo: number): void {
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
      let t: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([gone, new Promise<void>((r) => (t = setTimeout(r, limit)))]);
      clearTimeout(t);
      if (this.#conn) this.#closeNow("logout timed out");
    }
    this.#clearTimer();
    await this.#store.flush();
  }

  /** Drops the connection at once (tests, kill switch of a transport). */
  #closeNow(reason: string): void {
    this.#detach(reason);
  }

  /** Feeds one input to the machine and carries out the actions. */
  #input(input: Input): void {
    if (this.#blocked) {
      this.#backlog.push(input.kind === "message" ? { kind: "message", view: input.view.copy() } : input);
      return;
    }
    const r = step(this.#state, input, this.#clock.nowMs());
    this.#state = r.state;
    this.#execute(r.actions);
    if (r.nextTickMs !== undefined) this.#armTimer(r.nextTickMs);
  }

  #execute(actions: Action[]): void {
    this.#executeActions(actions);
    if (this.#deferred.length > 0 && !this.#deferSends) {
      const d = this.#deferred.splice(0);
      for (const input of d) this.#input(input);
    }
  }

  #executeActions(actions: Action[]): void {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      switch (a.kind) {
        case "send":
          this.#write(a.bytes, a.msgType);
          if (a.persist) {
            this.#nextSenderSeq = a.seq + 1;
            this.#track(this.#store.appendOutbound(a.seq, a.bytes));
          } else if (a.seq >= this.#nextSenderSeq) {
            this.#nextSenderSeq = a.seq + 1;
          }
          break;
        case "persist-inbound":
          this.#nextTargetSeq = a.seq + 1;
          this.#track(this.#store.appendInbound(a.seq, a.bytes));
          break;
        case "deliver": {
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
        case "logon":
          this.#loggedOn = true;
          this.#loggedOnThisConnection = true;
          this.counters.logons++;
          this.#app.onLogon?.(this);
          break;
        case "logout":
          if (this.#loggedOn) {
            this.#loggedOn = false;
            this.#app.onLogout?.(this, a.reason);
          }
          break;
        case "event":
          this.#onEvent(a.event);
          break;
      }
    }
  }

  #deliver(view: MessageView): void {
    try {
      this.#app.onMessage?.(view, this);
    } catch (e) {
      // An application bug must not take the session down; it is logged loudly.
      this.logger.error("app-error", e instanceof Error ? (e.stack ?? e.message) : String(e), this.key);
    }
  }

  #onEvent(ev: { level: "debug" | "info" | "warn" | "error"; name: string; text: string; data?: Record<string, string | number | boolean> }): void {
    const c = this.counters;
    switch (ev.name) {
      case "reject-sent": {
        c.rejectsSent++;
        const reason = String(ev.data?.["reason"] ?? ev.data?.["373"] ?? "?");
        c.rejectsByReason.set(reason, (c.rejectsByReason.get(reason) ?? 0) + 1);
        break;
      }
      case "reject-received":
        c.rejectsReceived++;
        break;
      case "business-reject-sent":
        c.businessRejectsSent++;
        break;
      case "resend-request":
      case "gap":
        c.resendRequestsSent++;
        break;
      case "resend":
        c.resendRequestsReceived++;
        break;
      case "gap-fill":
        c.gapFillsSent++;
        break;
      case "heartbeat-timeout":
        c.heartbeatsMissed++;
        break;
    }
    if (ev.level === "error" || ev.level === "warn") this.#lastError = ev.text;
    if (this.logger.enabled(ev.level)) {
      this.logger.log(ev.data ? { level: ev.level, event: ev.name, text: ev.text, session: this.key, data: ev.data } : { level: ev.level, event: ev.name, text: ev.text, session: this.key });
    }
  }

  #track(p: void | Promise<void>): void {
    if (p instanceof Promise) {
      this.#needDurable = true;
      p.catch((e) => this.#onStoreError(e));
    }
  }

  #onStoreError(e: unknown): void {
    // A message we cannot journal must not go out: stop sending and drop the connection.
    this.#storeError = e instanceof Error ? e : new Error(String(e));
    this.#lastError = `store: ${this.#storeError.message}`;
    this.logger.error("store-error", `${this.#storeError.message}; session stops sending`, this.key);
    this.#outLen = 0;
    this.#closeAfterFlush = "store failure";
    if (this.#conn) this.#detach("store failure");
  }

  #startResend(begin: number, end: number, rest: Action[]): void {
    this.#blocked = true;
    this.#store.getOutbound(begin, end).then(
      (messages) => this.#finishResend({ kind: "resend-messages", begin, end, messages }, rest),
      (e) => {
        this.logger.error("resend-read-failed", e instanceof Error ? e.message : String(e), this.key);
        this.#finishResend({ kind: "resend-messages", begin, end, messages: [] }, rest);
      },
    );
  }

  #finishResend(input: Input, rest: Action[]): void {
    this.#blocked = false;
    const r = step(this.#state, input, this.#clock.nowMs());
    this.#state = r.state;
    this.#execute(r.actions);
    this.#execute(rest);
    if (r.nextTickMs !== undefined) this.#armTimer(r.nextTickMs);
    while (!this.#blocked && this.#backlog.length > 0) this.#input(this.#backlog.shift()!);
    this.#flushNow();
  }

  #armTimer(atMs: number): void {
    if (atMs >= this.#timerAtMs) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAtMs = atMs;
    const delay = Math.max(0, atMs - this.#clock.nowMs());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAtMs = Infinity;
      this.#input({ kind: "tick" });
      this.#flushNow();
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
  }

  #write(bytes: Uint8Array, msgType: string): void {
    if (!this.#conn || this.#storeError) return;
    if (this.faults.silent || (this.faults.dropHeartbeats && msgType === "0")) return;
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
    this.counters.outByType.set(msgType, (this.counters.outByType.get(msgType) ?? 0) + 1);
    if (this.#verbose && this.logger.enabled("debug")) {
      this.logger.debug("out", this.logger.redactedMessage(MessageView.parse(bytes)), this.key);
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flushNow();
    });
  }

  #flushNow(): void {
    if (this.#writing) return;
    const conn = this.#conn;
    if (!conn) return;
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
    const durable = this.#needDurable ? this.#store.flush() : undefined;
    this.#needDurable = false;
    const go = durable ? durable.then(() => conn.write(batch)) : conn.write(batch);
    go.then(
      () => {
        this.#writing = false;
        this.#inFlight = 0;
        if (this.#writableWaiters.length > 0 && this.#outLen <= this.#hwm / 2) {
          for (const f of this.#writableWaiters.splice(0)) f();
        }
        this.#flushNow();
      },
      (e) => {
        this.#writing = false;
        this.#inFlight = 0;
        if (this.#conn === conn) {
          if (durable && !(e instanceof Deno.errors.BrokenPipe)) this.#onStoreError(e);
          else this.#detach(`write failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      },
    );
  }
}

/** True when an action after index `i` writes a message: a send made during action `i` must wait for it. */
function hasSendAfter(actions: Action[], i: number): boolean {
  for (let k = i + 1; k < actions.length; k++) if (actions[k]!.kind === "send") return true;
  return false;
}

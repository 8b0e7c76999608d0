/**
 * The session's outbound buffer: messages accumulate in one buffer while the previous batch is being
 * written from the other (one write in flight), so a burst leaves in few large writes. It also keeps
 * the bound the session's back-pressure and resend read-ahead use (`maxOutboundBufferBytes`), the
 * write timeout (a peer that does not read is disconnected), the store flush a write waits for when
 * the store is `durableBeforeSend`, the `whenWritable` waiters, and the outbound counters.
 *
 * The session's own frames (`appendOwned`: cut by the encoder's finishOwned, never written again) are
 * not copied: the encoder lays them back to back, so a run of them is one range of its buffer, and that
 * range is what goes to the socket (a run per encoder buffer: one write each). Anything else (resent
 * copies, a frame after a gap) is copied into the writer's buffer, after the pending runs (copied
 * there first, so the order stays), and so is everything after it until that buffer is written.
 */
import { MessageView } from "../../codec/mod.ts";
import type { Scheduler, Timer } from "../../clock.ts";
import type { SessionStore } from "../../store/types.ts";
import type { Connection } from "../../transport/types.ts";
import type { Faults } from "../flow/faults.ts";
import type { Logger } from "../log.ts";
import { countType, type SessionCounters } from "./counters.ts";

/** Default bound of a session's outbound buffer (send back-pressure, resend read-ahead). */
export const DEFAULT_MAX_OUTBOUND_BUFFER_BYTES = 8 * 1024 * 1024;
/** Default time a peer may leave a write untaken before the session is disconnected. */
export const DEFAULT_WRITE_TIMEOUT_MS = 30_000;

/** What the writer needs of its session. */
export interface WriterHost {
  readonly key: string;
  readonly logger: Logger;
  readonly counters: SessionCounters;
  readonly faults: Faults;
  readonly scheduler: Scheduler;
  readonly store: SessionStore;
  /** The session's connection now (a failed or stalled write of an earlier one is ignored). */
  readonly conn: Connection | undefined;
  /** The priority queues (their bytes count against the bound). */
  readonly queue: { readonly bytes: number };
  /** Writes what accumulated (drains the queues first): the scheduled flush and the end of a write. */
  flush(): void;
  /** A batch reached the socket (before the next flush). */
  written(): void;
  /** The store's flush a durable write waited for failed. */
  onStoreError(e: unknown): void;
  /** Disconnects: a write failed, or the peer does not read (`error`: the reason is the last error too). */
  drop(reason: string, error: boolean): void;
}

export class OutboundWriter {
  // For copies only (resent copies, a frame after a gap; the session's own frames are written from
  // the encoder's buffers): small at first, grown when needed.
  #out = new Uint8Array(8 * 1024);
  #spare = new Uint8Array(8 * 1024);
  #outLen = 0;
  /**
   * Pending runs of owned frames, written without a copy, oldest first: `#runs` (complete: an encoder
   * buffer's range each, `#runsBytes` in all), then the run still growing, in the encoder buffer
   * `#runBuf` from `#runStart` to `#runEnd`. Only while nothing is in `#out` (`#outLen` 0).
   */
  #runs: Uint8Array[] = [];
  #runsBytes = 0;
  #runBuf: ArrayBufferLike | undefined;
  #runStart = 0;
  #runEnd = 0;
  #inFlight = 0;
  #writing = false;
  #flushScheduled = false;
  /** A store append returned a promise that must settle before the next write (fsync: always). */
  needDurable = false;
  #writableWaiters: Array<() => void> = [];
  /** The connection and durability wait of the write in flight. */
  #writeConn: Connection | undefined;
  #writeStartedMs = 0;
  #stallTimer: Timer | undefined;
  /** When the last batch was handed to the socket, epoch ms. */
  lastSentMs = 0;
  hwm: number;
  writeTimeoutMs: number;
  // The host's parts the hot path uses, read once.
  readonly #counters: SessionCounters;
  readonly #faults: Faults;
  readonly #logger: Logger;

  constructor(
    readonly host: WriterHost,
    /** The bound when no maxOutboundBufferBytes is set (highWaterMarkBytes or the default). */
    readonly defaultHwm: number,
    maxOutboundBufferBytes: number | undefined,
    writeTimeoutMs: number | undefined,
  ) {
    this.#counters = host.counters;
    this.#faults = host.faults;
    this.#logger = host.logger;
    this.hwm = maxOutboundBufferBytes ?? defaultHwm;
    this.writeTimeoutMs = writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
  }

  /** A write is in flight. */
  get writing(): boolean {
    return this.#writing;
  }

  /** Bytes accumulated for the next write. */
  get pending(): number {
    return this.#outLen + this.#runsBytes + this.#runEnd - this.#runStart;
  }

  /** Bytes buffered: accumulating plus the write in flight. */
  get buffered(): number {
    return this.#outLen + this.#runsBytes + this.#runEnd - this.#runStart + this.#inFlight;
  }

  /** The long-lived write buffers (memory locking). */
  buffers(): Uint8Array<ArrayBuffer>[] {
    return [this.#out, this.#spare];
  }

  /**
   * Appends one of the session's own frames (bytes nothing writes again: the encoder's finishOwned)
   * without copying it: it extends the growing run when it follows it in the same encoder buffer, else
   * starts the next run. Copied as by `append` while copied bytes are pending.
   */
  appendOwned(bytes: Uint8Array, msgType: string): void {
    if (this.#faults.suppresses(msgType)) return;
    if (this.#outLen > 0) {
      this.#copy(bytes, msgType);
      return;
    }
    const start = bytes.byteOffset;
    if (bytes.buffer !== this.#runBuf || start !== this.#runEnd) {
      this.#closeRun();
      this.#runBuf = bytes.buffer;
      this.#runStart = start;
    }
    this.#runEnd = start + bytes.length;
    this.#count(bytes, msgType);
  }

  /** Moves the growing run (if any) to the complete ones. */
  #closeRun(): void {
    const buf = this.#runBuf;
    if (buf === undefined) return;
    const len = this.#runEnd - this.#runStart;
    this.#runs.push(new Uint8Array(buf, this.#runStart, len));
    this.#runsBytes += len;
    this.#runBuf = undefined;
    this.#runStart = this.#runEnd = 0;
  }

  /** Appends one encoded message (unless a fault suppresses it), copied, and counts it. */
  append(bytes: Uint8Array, msgType: string): void {
    if (this.#faults.suppresses(msgType)) return;
    this.#copy(bytes, msgType);
  }

  /** Copies a message after what is pending (the pending runs copied first, so the order stays). */
  #copy(bytes: Uint8Array, msgType: string): void {
    if (this.#runBuf !== undefined || this.#runs.length > 0) {
      this.#closeRun();
      for (const run of this.#runs) this.#put(run);
      this.#runs.length = 0;
      this.#runsBytes = 0;
    }
    this.#put(bytes);
    this.#count(bytes, msgType);
  }

  #put(bytes: Uint8Array): void {
    const need = this.#outLen + bytes.length;
    if (need > this.#out.length) {
      const g = new Uint8Array(Math.max(need, this.#out.length * 2));
      g.set(this.#out.subarray(0, this.#outLen));
      this.#out = g;
    }
    this.#out.set(bytes, this.#outLen);
    this.#outLen = need;
  }

  #count(bytes: Uint8Array, msgType: string): void {
    const c = this.#counters;
    c.messagesOut++;
    c.bytesOut += bytes.length;
    countType(c.outByType, msgType);
    if (msgType === "0") c.lastHeartbeatOutMs = this.host.scheduler.nowMs();
    else if (msgType === "2") c.resendRequestsSent++;
    const log = this.#logger;
    if (log.enabled("debug")) {
      const v = MessageView.parse(bytes);
      log.debug("out", log.loggedMessage(v), this.host.key, { dir: "out", seq: v.seqNum, msgType });
    }
  }

  /** Drops what accumulated (a new connection, a disconnect, a store failure). */
  discard(): void {
    this.#outLen = 0;
    this.#runs.length = 0;
    this.#runsBytes = 0;
    this.#runBuf = undefined;
    this.#runStart = this.#runEnd = 0;
  }

  /** Flushes at the end of the current synchronous run (a microtask). */
  scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(this.#scheduledFlush);
  }

  readonly #scheduledFlush = (): void => {
    this.#flushScheduled = false;
    this.host.flush();
  };

  /** Hands what accumulated to `conn` (after the store's flush when a durable write is needed). */
  startWrite(conn: Connection): void {
    let batch: Uint8Array;
    if (this.#outLen === 0 && (this.#runBuf !== undefined || this.#runs.length > 0)) {
      // Owned frames only: the oldest run, a range of an encoder buffer nothing writes again. The
      // runs after it (later encoder buffers) go in the next writes.
      if (this.#runs.length === 0) this.#closeRun();
      batch = this.#runs.shift()!;
      this.#runsBytes -= batch.length;
    } else {
      batch = this.#out.subarray(0, this.#outLen);
      // Hand the batch to the socket and accumulate in the spare buffer: the batch must not change mid-write.
      const spare = this.#spare;
      this.#spare = this.#out;
      this.#out = spare;
    }
    this.#inFlight = batch.length;
    this.#outLen = 0;
    this.#writing = true;
    const sched = this.host.scheduler;
    this.lastSentMs = sched.nowMs();
    if (this.writeTimeoutMs > 0) {
      this.#writeStartedMs = this.lastSentMs;
      this.#stallTimer ??= sched.after(this.writeTimeoutMs, this.#checkStall);
    }
    // Journal, then the socket: a durable write waits for the store's flush (fsync: always); otherwise
    // the records of what goes out are handed to the OS first (a wait only while the journal switches
    // segment files), so a process killed after this write has them.
    const durable = this.needDurable ? this.host.store.flush() : this.host.store.writeAppended?.();
    this.needDurable = false;
    const go = durable ? durable.then(() => conn.write(batch), storeWaitFailed) : conn.write(batch);
    this.#writeConn = conn;
    go.then(this.#onWritten, this.#onWriteFailed);
  }

  /** A batch reached the socket: write what accumulated meanwhile (one handler for every write). */
  readonly #onWritten = (): void => {
    this.#writing = false;
    this.#inFlight = 0;
    if (this.#writableWaiters.length > 0 && this.pending + this.host.queue.bytes <= this.hwm / 2) {
      for (const f of this.#writableWaiters.splice(0)) f();
    }
    this.host.flush();
    this.host.written();
  };

  readonly #onWriteFailed = (e: unknown): void => {
    this.#writing = false;
    this.#inFlight = 0;
    if (this.host.conn === this.#writeConn) {
      // The store's failure stops the session's sending; the socket's only ends the connection.
      if (e instanceof StoreWaitFailed) this.host.onStoreError(e.cause);
      else this.host.drop(`write failed: ${e instanceof Error ? e.message : String(e)}`, false);
    }
  };

  /** Resolves when the buffered and queued bytes are below half the bound. */
  whenWritable(): Promise<void> {
    if (this.buffered + this.host.queue.bytes <= this.hwm / 2) return Promise.resolve();
    return new Promise((r) => this.#writableWaiters.push(r));
  }

  /** Wakes every `whenWritable` waiter (the connection is gone). */
  wakeAll(): void {
    for (const f of this.#writableWaiters.splice(0)) f();
  }

  /** The peer has not taken the write in flight for writeTimeoutMs: it does not read; disconnect. */
  readonly #checkStall = (): void => {
    this.#stallTimer = undefined;
    const conn = this.host.conn;
    if (!this.#writing || conn === undefined || conn !== this.#writeConn) return;
    const waited = this.host.scheduler.nowMs() - this.#writeStartedMs;
    if (waited < this.writeTimeoutMs) {
      this.#stallTimer = this.host.scheduler.after(
        Math.max(1, this.writeTimeoutMs - waited),
        this.#checkStall,
      );
      return;
    }
    const pending = this.#inFlight + this.pending;
    this.host.counters.writeTimeouts++;
    const s = this.writeTimeoutMs / 1000;
    this.host.logger.error(
      "write-timeout",
      `the peer has not read ${pending} bytes for ${s} s (outbound.writeTimeoutSec); disconnecting`,
      this.host.key,
      { bytes: pending, timeoutMs: this.writeTimeoutMs },
    );
    this.host.drop(`write timeout: the peer has not read ${pending} bytes for ${s} s`, true);
  };

  /** Cancels the write-timeout timer. */
  cancelTimer(): void {
    this.#stallTimer?.cancel();
    this.#stallTimer = undefined;
  }
}

/** A write's wait on the store (its flush, or writeAppended) failed: the store's error, not the socket's. */
class StoreWaitFailed extends Error {
  constructor(override readonly cause: unknown) {
    super("store wait failed");
  }
}

function storeWaitFailed(e: unknown): never {
  throw new StoreWaitFailed(e);
}

/**
 * Journal statistics measured around any MessageStore: bytes appended per direction and how long the
 * engine waits for `flush()` (the durable write: with fsync batch/always it includes fdatasync). The
 * stores expose no statistics of their own, so the wrapper measures what the engine sees.
 */
import { BucketHistogram, LATENCY_BUCKETS_SECONDS } from "../metrics/registry.ts";
import type {
  CommitMetrics,
  MessageStore,
  RequestIdStore,
  SeqNums,
  SessionStore,
  StoredMessage,
} from "../store/types.ts";

/**
 * Flush latency buckets, seconds: the latency scale (LATENCY_BUCKETS_SECONDS) from 50 µs, plus 5 s (a
 * disk in trouble shows in the top buckets).
 */
export const FLUSH_BUCKETS_SECONDS: readonly number[] = [
  ...LATENCY_BUCKETS_SECONDS.filter((b) => b >= 0.00005),
  5,
];

/** Counters of the store, read at scrape time. */
export class StoreStats {
  bytesIn = 0;
  bytesOut = 0;
  messagesIn = 0;
  messagesOut = 0;
  flushErrors = 0;
  /** Time from flush() to durable, seconds. */
  readonly flushSeconds = new BucketHistogram(FLUSH_BUCKETS_SECONDS);
}

/**
 * A MessageStore that counts what goes through it. It forwards the capabilities the store behind it
 * declares (store/types.ts: `flush`, `requestIds`, `commitMetrics`, `observeCommits`), so the engine uses
 * them through it without knowing that store's class.
 */
export class InstrumentedStore implements MessageStore {
  readonly stats = new StoreStats();
  readonly flush?: () => Promise<void>;
  readonly requestIds?: RequestIdStore;
  readonly commitMetrics?: () => CommitMetrics;
  readonly observeCommits?: (f: (ms: number, messages: number) => void) => void;

  constructor(readonly inner: MessageStore) {
    if (inner.flush !== undefined) this.flush = () => inner.flush!();
    if (inner.requestIds !== undefined) this.requestIds = inner.requestIds;
    if (inner.commitMetrics !== undefined) this.commitMetrics = () => inner.commitMetrics!();
    if (inner.observeCommits !== undefined) this.observeCommits = (f) => inner.observeCommits!(f);
  }

  async openSession(sessionKey: string, nowMs: number): Promise<SessionStore> {
    return new InstrumentedSessionStore(await this.inner.openSession(sessionKey, nowMs), this.stats);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

class InstrumentedSessionStore implements SessionStore {
  readonly sessionKey: string;
  constructor(readonly inner: SessionStore, readonly stats: StoreStats) {
    this.sessionKey = inner.sessionKey;
  }
  get durableBeforeSend(): boolean {
    return this.inner.durableBeforeSend === true;
  }
  get durableBeforeDeliver(): boolean {
    return this.inner.durableBeforeDeliver === true;
  }
  /** Forwarded: the engine's report of messages the store will never commit (the PostgreSQL store). */
  get onNotCommitted(): SessionStore["onNotCommitted"] {
    return this.inner.onNotCommitted;
  }
  set onNotCommitted(f: SessionStore["onNotCommitted"]) {
    this.inner.onNotCommitted = f;
  }
  seqNums(): SeqNums {
    return this.inner.seqNums();
  }
  creationTimeMs(): number {
    return this.inner.creationTimeMs();
  }
  appendOutbound(seq: number, bytes: Uint8Array): void | Promise<void> {
    this.stats.bytesOut += bytes.length;
    this.stats.messagesOut++;
    return this.inner.appendOutbound(seq, bytes);
  }
  appendOutboundOwned(seq: number, bytes: Uint8Array): void | Promise<void> {
    this.stats.bytesOut += bytes.length;
    this.stats.messagesOut++;
    const inner = this.inner;
    return inner.appendOutboundOwned !== undefined
      ? inner.appendOutboundOwned(seq, bytes)
      : inner.appendOutbound(seq, bytes);
  }
  get keepsInbound(): boolean {
    return this.inner.keepsInbound !== false;
  }
  appendInbound(seq: number, bytes: Uint8Array): void | Promise<void> {
    this.stats.bytesIn += bytes.length;
    this.stats.messagesIn++;
    return this.inner.appendInbound(seq, bytes);
  }
  setNextTargetSeq(seq: number): void | Promise<void> {
    return this.inner.setNextTargetSeq(seq);
  }
  setNextSenderSeq(seq: number): void | Promise<void> {
    return this.inner.setNextSenderSeq(seq);
  }
  getOutbound(from: number, to: number): Promise<StoredMessage[]> {
    return this.inner.getOutbound(from, to);
  }
  reset(nowMs: number): void | Promise<void> {
    return this.inner.reset(nowMs);
  }
  writeAppended(): Promise<void> | undefined {
    return this.inner.writeAppended?.();
  }
  flush(): Promise<void> {
    const t0 = performance.now();
    return this.inner.flush().then(
      () => this.stats.flushSeconds.observe((performance.now() - t0) / 1000),
      (e) => {
        this.stats.flushErrors++;
        throw e;
      },
    );
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

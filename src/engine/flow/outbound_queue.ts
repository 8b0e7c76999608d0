/**
 * Outbound priority queues of one session. Application messages wait here until the transport can
 * take them; the runner then takes them highest priority first and only then steps the session
 * machine, so each gets its MsgSeqNum at the moment it really goes out and the wire order stays valid.
 *
 * A starvation guard lets a lower-priority message go first once it has waited `starvationMs`, so a
 * steady stream of orders under a throttle cannot hold reports back for ever.
 */
import { BuiltMessage, type FixMessage } from "../../codec/mod.ts";
import { BucketHistogram, LATENCY_BUCKETS_SECONDS } from "../../metrics/registry.ts";
import { PreEncodedMessage } from "../../session/pre_encoded.ts";

/** Outbound priorities, highest first. */
export const PRIORITIES = ["critical", "high", "normal", "low"] as const;

/** One of PRIORITIES. */
export type Priority = typeof PRIORITIES[number];

/**
 * Default priority by MsgType: cancels (F, q mass cancel) critical; new orders and replaces (D, G,
 * E list, s cross, AB/AC multileg) high; execution reports, cancel rejects and other reports low;
 * everything else normal.
 */
export const DEFAULT_PRIORITY_BY_MSG_TYPE: Readonly<Record<string, Priority>> = {
  F: "critical",
  q: "critical",
  D: "high",
  G: "high",
  E: "high",
  s: "high",
  AB: "high",
  AC: "high",
  "8": "low",
  "9": "low",
  AE: "low",
  AR: "low",
  BN: "low",
};

/** A message waiting to go out. */
export interface QueuedMessage {
  message: FixMessage;
  /** False: gap-fill it on a ResendRequest instead of resending it. */
  resend: boolean;
  priority: Priority;
  /** performance.now() when queued. */
  enqueuedAtMs: number;
  /** Approximate encoded size, for back-pressure accounting. */
  bytes: number;
}

/** Options of an OutboundQueue. */
export interface OutboundQueueOptions {
  /** A message waiting this long goes before higher priorities (default 100 ms). */
  starvationMs?: number;
  /** MsgType -> priority overrides on top of DEFAULT_PRIORITY_BY_MSG_TYPE. */
  priorities?: Readonly<Record<string, Priority>>;
}

class Fifo {
  items: Array<QueuedMessage | undefined> = [];
  head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  peek(): QueuedMessage | undefined {
    return this.items[this.head];
  }
  shift(): QueuedMessage | undefined {
    const m = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the dead prefix dominates: amortised O(1) per message.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    } else if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return m;
  }
}

/** Approximate encoded size of a message: each field's value plus "tag=" and SOH. */
export function estimateBytes(m: FixMessage): number {
  // A builder's message counts its fields without making the field list (which would end its fast path).
  if (m instanceof PreEncodedMessage && m.rawFields() !== undefined) return 40 + m.estimateBytes();
  if (m instanceof BuiltMessage) {
    const body = m.estimateBytes();
    if (body >= 0) return 40 + body;
  }
  let n = 40;
  const f = m.fields;
  for (let i = 0; i < f.length; i++) {
    const v = f[i]![1];
    n += 6 + (typeof v === "string" ? v.length : v instanceof Uint8Array ? v.length : 12);
  }
  return n;
}

/** Four FIFO queues with priority order, a starvation guard and per-priority metrics. */
export class OutboundQueue {
  readonly #q: Fifo[] = PRIORITIES.map(() => new Fifo());
  #bytes = 0;
  #starvationMs: number;
  #priorities: Record<string, Priority>;
  /** Time spent queued, per priority (seconds, Prometheus buckets). */
  readonly waitSeconds: Record<Priority, BucketHistogram> = {
    critical: new BucketHistogram(LATENCY_BUCKETS_SECONDS),
    high: new BucketHistogram(LATENCY_BUCKETS_SECONDS),
    normal: new BucketHistogram(LATENCY_BUCKETS_SECONDS),
    low: new BucketHistogram(LATENCY_BUCKETS_SECONDS),
  };
  /** Messages that went ahead of a higher priority because of the starvation guard. */
  starvationPromotions = 0;

  constructor(options: OutboundQueueOptions = {}) {
    this.#starvationMs = options.starvationMs ?? 100;
    this.#priorities = { ...DEFAULT_PRIORITY_BY_MSG_TYPE, ...options.priorities };
  }

  /** Changes the priority table and the starvation limit (hot reload); queued messages keep theirs. */
  configure(options: OutboundQueueOptions): void {
    this.#starvationMs = options.starvationMs ?? 100;
    this.#priorities = { ...DEFAULT_PRIORITY_BY_MSG_TYPE, ...options.priorities };
  }

  /** The priority a MsgType gets by default. */
  priorityOf(msgType: string): Priority {
    return this.#priorities[msgType] ?? "normal";
  }

  /** Messages waiting. */
  get length(): number {
    return this.#q[0]!.length + this.#q[1]!.length + this.#q[2]!.length + this.#q[3]!.length;
  }

  /** Approximate bytes waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Messages waiting at one priority. */
  depth(p: Priority): number {
    return this.#q[PRIORITIES.indexOf(p)]!.length;
  }

  /** Queues a message. */
  push(message: FixMessage, resend: boolean, priority: Priority, nowMs: number): void {
    const bytes = estimateBytes(message);
    this.#bytes += bytes;
    this.#q[PRIORITIES.indexOf(priority)]!.items.push({
      message,
      resend,
      priority,
      enqueuedAtMs: nowMs,
      bytes,
    });
  }

  /**
   * The next message to send: the oldest of a lower priority that has waited `starvationMs` or more,
   * else the head of the highest non-empty priority.
   */
  take(nowMs: number): QueuedMessage | undefined {
    let first = -1;
    for (let i = 0; i < 4; i++) {
      if (this.#q[i]!.length > 0) {
        first = i;
        break;
      }
    }
    if (first < 0) return undefined;
    let pick = first;
    let oldest = Infinity;
    for (let i = first + 1; i < 4; i++) {
      const h = this.#q[i]!.peek();
      if (h !== undefined && nowMs - h.enqueuedAtMs >= this.#starvationMs && h.enqueuedAtMs < oldest) {
        oldest = h.enqueuedAtMs;
        pick = i;
      }
    }
    if (pick !== first) this.starvationPromotions++;
    const m = this.#q[pick]!.shift()!;
    this.#bytes -= m.bytes;
    this.waitSeconds[m.priority].observe(Math.max(0, nowMs - m.enqueuedAtMs) / 1000);
    return m;
  }

  /** Puts a taken message back at the head of its queue (it could not be sent now). */
  unshift(m: QueuedMessage): void {
    const f = this.#q[PRIORITIES.indexOf(m.priority)]!;
    if (f.head > 0) f.items[--f.head] = m;
    else f.items.unshift(m);
    this.#bytes += m.bytes;
  }

  /** Removes every waiting message `drop` says yes to; returns them (kill switch: withdraw orders). */
  remove(drop: (m: QueuedMessage) => boolean): QueuedMessage[] {
    const out: QueuedMessage[] = [];
    for (const f of this.#q) {
      const keep: QueuedMessage[] = [];
      for (let i = f.head; i < f.items.length; i++) {
        const m = f.items[i]!;
        if (drop(m)) {
          out.push(m);
          this.#bytes -= m.bytes;
        } else keep.push(m);
      }
      f.items = keep;
      f.head = 0;
    }
    return out;
  }
}

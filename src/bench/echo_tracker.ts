/**
 * The request sources of a bench session. `LoadGenerator` (src/app/load) drives a trading counterparty;
 * `EchoTracker` drives an echo acceptor (`fixg run --app echo`), which sends every NewOrderSingle back as a
 * NewOrderSingle: the echoed order with our ClOrdID is the acknowledgement. Both account for each request
 * once (answered, or lost after the grace period) and report latencies through a callback.
 */
import type { FixMessage } from "../codec/encoder.ts";
import { MsgType, Tag } from "../codec/tags.ts";
import type { MessageView } from "../codec/view.ts";
import { type LatencyMeasure, type LoadCounters, LoadGenerator, type LoadSymbol } from "../app/load/mod.ts";
import { newOrderSingle } from "../app/messages.ts";
import { createPrng, type Prng, uniformInt } from "../app/prng.ts";
import { formatScaled } from "../codec/encoder.ts";
import { tickDecimals } from "../app/lp/config.ts";

/** What the bench runner needs of a request source (LoadGenerator has this shape). */
export interface RequestSource {
  /** The next request, or undefined when the slot must be skipped (counted in `throttled`). */
  next(sessionIdx: number, intendedUs: number): FixMessage | undefined;
  onMessage(sessionIdx: number, view: MessageView, nowUs: number): void;
  sweep(nowUs: number): number;
  counters(): LoadCounters;
  /** The live counters, not a copy (read only: the runner checks them after every message). */
  liveCounters(): Readonly<LoadCounters>;
}

/** Requests of every kind sent. */
export function requestsSent(c: LoadCounters): number {
  return c.ordersSent + c.cancelsSent + c.replacesSent + c.mdRequestsSent;
}

/** Requests answered (first answer of each, rejects included). */
export function requestsAnswered(c: LoadCounters): number {
  return c.ordersAcked + c.ordersRejected + c.cancelsAcked + c.cancelsRejected + c.replacesAcked +
    c.replacesRejected + c.mdSnapshots + c.mdRejected + c.businessRejects;
}

/** Requests counted lost. */
export function requestsLost(c: LoadCounters): number {
  return c.ordersLost + c.cancelsLost + c.replacesLost + c.mdRequestsLost;
}

/** Requests neither answered nor lost yet. */
export function requestsInFlight(c: LoadCounters): number {
  return Math.max(0, requestsSent(c) - requestsAnswered(c) - requestsLost(c));
}

/** `counters - base`, field by field (the measured part of a run after its warm-up). */
export function subtractCounters(c: LoadCounters, base: LoadCounters): LoadCounters {
  const out = { ...c };
  for (const k of Object.keys(out) as (keyof LoadCounters)[]) out[k] = c[k] - base[k];
  return out;
}

let template: LoadCounters | undefined;

/** All-zero counters (the generator's own shape, so fields it adds later are zeroed too). */
export function zeroLoadCounters(): LoadCounters {
  template ??= new LoadGenerator({ sessions: 1 }).counters();
  const out = { ...template };
  for (const k of Object.keys(out) as (keyof LoadCounters)[]) out[k] = 0;
  return out;
}

/** Adds `b` into `a`. */
export function addCounters(a: LoadCounters, b: LoadCounters): void {
  for (const k of Object.keys(a) as (keyof LoadCounters)[]) a[k] += b[k];
}

const F_ANSWERED = 1, F_LOST = 2;

/** New orders against an echo acceptor; the echoed NewOrderSingle carrying our ClOrdID acknowledges it. */
export class EchoTracker implements RequestSource {
  readonly #prefix: string;
  readonly #lostAfterUs: number;
  readonly #onLatency: (measure: LatencyMeasure, latencyUs: number, sessionIdx: number) => void;
  readonly #symbols: Array<LoadSymbol & { decimals: number; units: number; ticks: number }>;
  readonly #rng: Prng;
  #c = zeroLoadCounters();
  #n = 0;
  #sweepHead = 0;
  #sentUs = new Float64Array(1024);
  #flags = new Uint8Array(1024);

  constructor(o: {
    symbols: readonly LoadSymbol[];
    seed: number;
    lostAfterMs: number;
    idPrefix: string;
    onLatency?: (measure: LatencyMeasure, latencyUs: number, sessionIdx: number) => void;
  }) {
    if (o.symbols.length === 0) throw new RangeError("at least one symbol is needed");
    this.#prefix = o.idPrefix;
    this.#lostAfterUs = o.lostAfterMs * 1000;
    this.#onLatency = o.onLatency ?? (() => {});
    this.#rng = createPrng(o.seed);
    this.#symbols = o.symbols.map((s) => {
      const decimals = tickDecimals(s.tickSize) ?? 10;
      return {
        ...s,
        decimals,
        units: Math.round(s.tickSize * 10 ** decimals),
        ticks: Math.round(s.price / s.tickSize),
      };
    });
  }

  next(_sessionIdx: number, intendedUs: number): FixMessage {
    if (this.#n === this.#sentUs.length) {
      const s = new Float64Array(this.#n * 2);
      s.set(this.#sentUs);
      this.#sentUs = s;
      const f = new Uint8Array(this.#n * 2);
      f.set(this.#flags);
      this.#flags = f;
    }
    const i = this.#n++;
    this.#sentUs[i] = intendedUs;
    this.#flags[i] = 0;
    this.#c.ordersSent++;
    const s = this.#symbols[Math.floor(this.#rng.next() * this.#symbols.length)]!;
    const buy = this.#rng.next() < 0.5;
    const lots = uniformInt(
      this.#rng,
      Math.max(1, Math.ceil(s.minQty / s.lotSize)),
      Math.max(1, Math.floor(s.maxQty / s.lotSize)),
    );
    const ticks = s.ticks + (buy ? -1 : 1) * uniformInt(this.#rng, 10, 60);
    return newOrderSingle({
      clOrdId: this.#prefix + i.toString(36),
      symbol: s.symbol,
      side: buy ? "1" : "2",
      transactTimeMs: Math.floor(intendedUs / 1000),
      orderQty: lots * s.lotSize,
      ordType: "2",
      price: formatScaled(ticks * s.units, s.decimals),
      timeInForce: "0",
    });
  }

  onMessage(sessionIdx: number, view: MessageView, nowUs: number): void {
    if (view.msgType !== MsgType.NewOrderSingle) return;
    const id = view.getString(Tag.ClOrdID);
    const i = id !== undefined && id.startsWith(this.#prefix)
      ? parseInt(id.slice(this.#prefix.length), 36)
      : -1;
    if (!(i >= 0 && i < this.#n)) {
      this.#c.unmatchedResponses++;
      return;
    }
    const f = this.#flags[i]!;
    if ((f & F_ANSWERED) !== 0) {
      this.#c.duplicateResponses++;
      return;
    }
    this.#flags[i] = f | F_ANSWERED;
    if ((f & F_LOST) !== 0) {
      this.#c.lateResponses++;
      return;
    }
    this.#c.ordersAcked++;
    this.#onLatency("order-to-ack", nowUs - this.#sentUs[i]!, sessionIdx);
  }

  sweep(nowUs: number): number {
    let lost = 0;
    while (this.#sweepHead < this.#n && this.#sentUs[this.#sweepHead]! + this.#lostAfterUs <= nowUs) {
      const i = this.#sweepHead++;
      if ((this.#flags[i]! & F_ANSWERED) === 0) {
        this.#flags[i]! |= F_LOST;
        this.#c.ordersLost++;
        lost++;
      }
    }
    return lost;
  }

  counters(): LoadCounters {
    return { ...this.#c };
  }

  liveCounters(): Readonly<LoadCounters> {
    return this.#c;
  }
}

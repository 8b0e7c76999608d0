/**
 * The load generator's public shapes: what a latency sample measures, the request mix, the
 * instruments, the options and the counters (with the arithmetic the bench runner does on them).
 */

/** What a latency sample measures. */
export type LatencyMeasure =
  | "order-to-ack"
  | "order-to-fill"
  | "cancel-to-ack"
  | "replace-to-ack"
  | "md-request-to-snapshot";

/** Relative weights of the request kinds (they need not add up to 1). */
export interface LoadMix {
  newOrder: number;
  cancel: number;
  replace: number;
  marketData: number;
}

/** An instrument the generator trades: reference price, tick and size range (in lots). */
export interface LoadSymbol {
  symbol: string;
  price: number;
  tickSize: number;
  minQty: number;
  maxQty: number;
  lotSize: number;
}

/** Default mix: mostly new orders, with cancels and replaces of resting ones and a few snapshots. */
export const DEFAULT_LOAD_MIX: LoadMix = { newOrder: 0.6, cancel: 0.2, replace: 0.15, marketData: 0.05 };

/** Default instruments, matching the simulator's defaults. */
export const DEFAULT_LOAD_SYMBOLS: readonly LoadSymbol[] = [
  {
    symbol: "EUR/USD",
    price: 1.0850,
    tickSize: 0.00001,
    minQty: 100_000,
    maxQty: 2_000_000,
    lotSize: 100_000,
  },
  {
    symbol: "GBP/USD",
    price: 1.2700,
    tickSize: 0.00001,
    minQty: 100_000,
    maxQty: 2_000_000,
    lotSize: 100_000,
  },
  { symbol: "USD/JPY", price: 150.00, tickSize: 0.001, minQty: 100_000, maxQty: 2_000_000, lotSize: 100_000 },
  { symbol: "AAPL", price: 190.00, tickSize: 0.01, minQty: 1, maxQty: 500, lotSize: 1 },
  { symbol: "MSFT", price: 420.00, tickSize: 0.01, minQty: 1, maxQty: 300, lotSize: 1 },
];

/** Options of the generator. */
export interface LoadGeneratorOptions {
  /** Number of sessions (sessionIdx runs from 0). */
  sessions: number;
  mix?: LoadMix;
  symbols?: readonly LoadSymbol[];
  seed?: number;
  /** A request unanswered this long after its intended send time is lost (default 10 000 ms). */
  lostAfterMs?: number;
  /** Share of new orders priced to trade at once, sent IOC (default 0.3); the rest rest passively, Day. */
  marketableFraction?: number;
  /** With this many open orders a session sends cancels instead of new orders (default 50). */
  maxOpenOrdersPerSession?: number;
  /**
   * The sessions' BeginString (default FIX.4.4): FIX.4.0 to FIX.4.3 get FIX 4.2's messages, with HandlInst
   * (21) 1 in new orders and replaces (required there). Answers are read in any version's codes.
   */
  beginString?: string;
  /** ClOrdID/MDReqID prefix; make it differ between runs (default "L"). */
  idPrefix?: string;
  /** Called for each latency sample. */
  onLatency?: (measure: LatencyMeasure, latencyUs: number, sessionIdx: number) => void;
}

/** Totals since the generator started. */
export interface LoadCounters {
  ordersSent: number;
  cancelsSent: number;
  replacesSent: number;
  mdRequestsSent: number;
  /** Orders whose first answer was not a reject. */
  ordersAcked: number;
  ordersRejected: number;
  /** Orders completely filled. */
  ordersFilled: number;
  /** Orders ended by the counterparty (IOC remainder, expiry, unsolicited cancel). */
  ordersEnded: number;
  /**
   * Fill reports (each counted once): ExecType F, or FIX 4.0-4.2's 1/2 with ExecTransType 0 (not the
   * cancel or correction of an execution, 20=1/2, nor a status report, 20=3).
   */
  fills: number;
  cancelsAcked: number;
  cancelsRejected: number;
  replacesAcked: number;
  replacesRejected: number;
  mdSnapshots: number;
  mdRejected: number;
  /** BusinessMessageRejects that referred to one of our requests (counted as its answer). */
  businessRejects: number;
  ordersLost: number;
  cancelsLost: number;
  replacesLost: number;
  mdRequestsLost: number;
  /** Answers that arrived after their request was counted lost (not in latencies). */
  lateResponses: number;
  /** Answers seen before (PossDup resends, repeated fills): ignored. */
  duplicateResponses: number;
  /** Responses that match no request of ours. */
  unmatchedResponses: number;
  /** Slots skipped. Always 0: the generator never skips a slot (kept so the counters keep their shape). */
  throttled: number;
}

/** All-zero counters. */
export function zeroLoadCounters(): LoadCounters {
  return {
    ordersSent: 0,
    cancelsSent: 0,
    replacesSent: 0,
    mdRequestsSent: 0,
    ordersAcked: 0,
    ordersRejected: 0,
    ordersFilled: 0,
    ordersEnded: 0,
    fills: 0,
    cancelsAcked: 0,
    cancelsRejected: 0,
    replacesAcked: 0,
    replacesRejected: 0,
    mdSnapshots: 0,
    mdRejected: 0,
    businessRejects: 0,
    ordersLost: 0,
    cancelsLost: 0,
    replacesLost: 0,
    mdRequestsLost: 0,
    lateResponses: 0,
    duplicateResponses: 0,
    unmatchedResponses: 0,
    throttled: 0,
  };
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

/** Adds `b` into `a`. */
export function addCounters(a: LoadCounters, b: LoadCounters): void {
  for (const k of Object.keys(a) as (keyof LoadCounters)[]) a[k] += b[k];
}

/**
 * Pre-send risk checks of one session: a refused order gets a reason and never reaches the wire.
 * Pure: time comes in as `nowMs`, the reference price from a caller-supplied function.
 */
import { ConfigError } from "../../errors.ts";
import { checkValue, type Schema } from "../../config/schema.ts";
import type { OrdTypeName, Side } from "../tags.ts";
import { TokenBucket } from "../token_bucket.ts";
import { hhMmProblem, inDailyWindow, minuteOfDayIn, parseHhMm, timeZoneProblem } from "../time_of_day.ts";

export { TokenBucket };

/** Allowed distance of a limit price from the reference price; with both, the larger distance applies. */
export interface PriceCollar {
  /** Percent of the reference price, e.g. 5 = within 5 %. */
  percent?: number;
  /** Absolute price distance, e.g. 0.0050. */
  absolute?: number;
}

/** Daily trading window in a time zone: orders outside [start, end) are refused. */
export interface TradingHours {
  /** "HH:MM" local time. */
  start: string;
  /** "HH:MM" local time; before `start` = the window runs over midnight. */
  end: string;
  /** IANA time zone, e.g. "America/New_York". */
  timeZone: string;
}

/** More than `maxRejects` order rejects within `windowMs` stops new orders until reset. */
export interface CircuitBreakerConfig {
  maxRejects: number;
  windowMs: number;
}

/** Risk limits of one session; an absent limit is not checked. */
export interface RiskLimits {
  /** Symbols that may be traded; absent = any. */
  allowedSymbols?: readonly string[];
  /** Limit prices must lie within this collar around the reference price. */
  priceCollar?: PriceCollar;
  /** Largest OrderQty of one order. */
  maxOrderQty?: number;
  /** Largest OrderQty x price of one order (market orders use the reference price). */
  maxNotional?: number;
  /** Most orders open (sent and not done) at once. */
  maxOpenOrders?: number;
  /** New orders and replaces per second (token bucket refill rate). Cancels are never throttled. */
  ordersPerSecond?: number;
  /** Token bucket size (the burst allowed); default = ordersPerSecond. */
  burst?: number;
  /** Daily window in which new orders and replaces may be sent. */
  tradingHours?: TradingHours;
  /** Reject circuit breaker. */
  circuitBreaker?: CircuitBreakerConfig;
}

/** Defaults: only the circuit breaker (20 rejects in a minute) is on; other limits are opt-in. */
export const DEFAULT_RISK_LIMITS: RiskLimits = { circuitBreaker: { maxRejects: 20, windowMs: 60_000 } };

/**
 * The keys of risk limits, checked by the config schema machinery (src/config/schema.ts) as fixg.yaml's
 * `risk:` is (engine/config.ts uses these fields, with its own `circuitBreaker`).
 */
export const RISK_FIELDS: Readonly<Record<string, Schema>> = {
  allowedSymbols: { type: "strings" },
  priceCollar: {
    type: "object",
    fields: { percent: { type: "number", above: 0, max: 100 }, absolute: { type: "number", above: 0 } },
  },
  maxOrderQty: { type: "number", above: 0 },
  maxNotional: { type: "number", above: 0 },
  maxOpenOrders: { type: "int", min: 1 },
  ordersPerSecond: { type: "number", above: 0 },
  burst: { type: "int", min: 1 },
  tradingHours: {
    type: "object",
    fields: {
      start: { type: "string", check: hhMmProblem },
      end: { type: "string", check: hhMmProblem },
      timeZone: { type: "string", check: timeZoneProblem },
    },
    required: ["start", "end"],
  },
  /** null turns the breaker off. */
  circuitBreaker: {
    type: "object",
    nullable: true,
    fields: { maxRejects: { type: "int", min: 0 }, windowMs: { type: "number", above: 0 } },
    required: ["maxRejects", "windowMs"],
  },
};

const RISK_SCHEMA: Schema = { type: "object", fields: RISK_FIELDS };

/**
 * Reads risk limits from a parsed configuration object (keys as in RiskLimits), on top of the
 * defaults. `circuitBreaker: null` turns the breaker off. Throws ConfigError naming file and key.
 */
export function parseRiskLimits(obj: unknown, file = "config", key = "risk"): RiskLimits {
  if (obj === undefined || obj === null) return { ...DEFAULT_RISK_LIMITS };
  const o = checkValue(RISK_SCHEMA, obj, key, file) as RiskLimits & {
    circuitBreaker?: CircuitBreakerConfig | null;
  };
  const fail = (k: string, why: string): never => {
    throw new ConfigError(`${file}: ${key}.${k}: ${why}`);
  };
  const out: RiskLimits = { ...DEFAULT_RISK_LIMITS, ...o } as RiskLimits;
  if (o.circuitBreaker === null) delete out.circuitBreaker;
  const p = crossKeyProblem(out);
  if (p !== undefined) fail(p[0], p[1]);
  if (o.tradingHours !== undefined) {
    out.tradingHours = { ...o.tradingHours, timeZone: o.tradingHours.timeZone ?? "UTC" };
  }
  return out;
}

/**
 * Checks limits built in code (not read from a file) by the same schema as the file's `risk:` (RISK_FIELDS)
 * and the same rules across keys; throws ConfigError naming the key ("risk limits: risk.burst: ...").
 */
export function validateRiskLimits(limits: RiskLimits, where = "risk"): RiskLimits {
  checkValue(RISK_SCHEMA, limits, where, "risk limits");
  const p = crossKeyProblem(limits);
  if (p !== undefined) throw new ConfigError(`risk limits: ${where}.${p[0]}: ${p[1]}`);
  return limits;
}

/** The rules across keys of risk limits, from a file or built in code: [key, why] of the first broken. */
function crossKeyProblem(limits: RiskLimits): [string, string] | undefined {
  const c = limits.priceCollar;
  if (c !== undefined && c.percent === undefined && c.absolute === undefined) {
    return ["priceCollar", "needs percent or absolute"];
  }
  if (limits.burst !== undefined && limits.ordersPerSecond === undefined) {
    return ["burst", "needs ordersPerSecond"];
  }
  return undefined;
}

/** Counts rejects in a sliding window; trips when more than `maxRejects` fall within `windowMs`. */
export class CircuitBreaker {
  #times: number[] = [];
  #trippedAtMs: number | undefined = undefined;
  #reason = "";
  constructor(readonly config: CircuitBreakerConfig) {}

  /** Records one reject; returns true when this reject tripped the breaker. */
  record(nowMs: number): boolean {
    if (this.#trippedAtMs !== undefined) return false;
    this.#times.push(nowMs);
    const from = nowMs - this.config.windowMs;
    while (this.#times.length > 0 && this.#times[0]! <= from) this.#times.shift();
    if (this.#times.length > this.config.maxRejects) {
      this.#trippedAtMs = nowMs;
      this.#reason = `${this.#times.length} rejects within ${this.config.windowMs} ms ` +
        `(limit ${this.config.maxRejects})`;
      return true;
    }
    return false;
  }
  /** True while tripped. */
  get open(): boolean {
    return this.#trippedAtMs !== undefined;
  }
  /** When it tripped, or undefined. */
  get trippedAtMs(): number | undefined {
    return this.#trippedAtMs;
  }
  /** Why it tripped ("" when closed). */
  get reason(): string {
    return this.#reason;
  }
  /** Closes the breaker and forgets past rejects. */
  reset(): void {
    this.#times = [];
    this.#trippedAtMs = undefined;
    this.#reason = "";
  }
}

/** Names of the checks, so callers can count refusals by kind. */
export type RiskCheck =
  | "circuit-breaker"
  | "duplicate-clordid"
  | "symbol"
  | "trading-hours"
  | "quantity"
  | "price"
  | "collar"
  | "notional"
  | "max-open-orders"
  | "rate";

/** The outcome of the checks. */
export type RiskDecision = { ok: true } | { ok: false; check: RiskCheck; reason: string };

/** What is about to be sent: a new order or the new terms of a replace. */
export interface OrderIntent {
  symbol: string;
  side: Side;
  ordType: OrdTypeName;
  orderQty: number;
  price: number | undefined;
  clOrdId: string;
  /** True for a replace: max-open-orders does not apply (the order is already open). */
  isReplace: boolean;
}

/** Facts the gate needs from the order tracker. */
export interface RiskContext {
  openOrders: number;
  clOrdIdUsed: boolean;
}

/** The risk checks of one session, with its token bucket and circuit breaker. */
export class RiskGate {
  readonly limits: RiskLimits;
  readonly breaker: CircuitBreaker | undefined;
  #bucket: TokenBucket | undefined;
  #startMinute: number | undefined;
  #endMinute: number | undefined;

  constructor(
    limits: RiskLimits,
    readonly referencePrice: (symbol: string) => number | undefined = () => undefined,
  ) {
    this.limits = validateRiskLimits(limits);
    this.breaker = limits.circuitBreaker === undefined
      ? undefined
      : new CircuitBreaker(limits.circuitBreaker);
    this.#bucket = limits.ordersPerSecond === undefined
      ? undefined
      : new TokenBucket({ perSecond: limits.ordersPerSecond, burst: limits.burst });
    if (limits.tradingHours !== undefined) {
      this.#startMinute = parseHhMm(limits.tradingHours.start);
      this.#endMinute = parseHhMm(limits.tradingHours.end);
    }
  }

  /**
   * Runs every check in a fixed order; the first failing one decides. The rate token is taken
   * only when everything else passed, so refused orders do not use up the rate.
   */
  check(o: OrderIntent, ctx: RiskContext, nowMs: number): RiskDecision {
    const L = this.limits;
    if (this.breaker?.open) {
      return refuse(
        "circuit-breaker",
        `circuit breaker open: ${this.breaker.reason}; reset() to trade again`,
      );
    }
    if (ctx.clOrdIdUsed) {
      return refuse("duplicate-clordid", `duplicate ClOrdID ${o.clOrdId}: already used on this session`);
    }
    if (L.allowedSymbols !== undefined && !L.allowedSymbols.includes(o.symbol)) {
      return refuse("symbol", `symbol ${o.symbol} is not allowed on this session`);
    }
    if (L.tradingHours !== undefined) {
      const m = minuteOfDayIn(nowMs, L.tradingHours.timeZone);
      if (!inDailyWindow(m, this.#startMinute!, this.#endMinute!)) {
        const hhmm = `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
        return refuse(
          "trading-hours",
          `outside trading hours ${L.tradingHours.start}-${L.tradingHours.end} ${L.tradingHours.timeZone} ` +
            `(local time ${hhmm})`,
        );
      }
    }
    if (!(Number.isFinite(o.orderQty) && o.orderQty > 0)) {
      return refuse("quantity", `OrderQty must be a number > 0 (got ${o.orderQty})`);
    }
    if (L.maxOrderQty !== undefined && o.orderQty > L.maxOrderQty) {
      return refuse("quantity", `OrderQty ${o.orderQty} exceeds the limit ${L.maxOrderQty}`);
    }
    if (o.ordType === "limit" && !(o.price !== undefined && Number.isFinite(o.price))) {
      return refuse("price", "a limit order needs a price");
    }
    if (o.ordType === "market" && o.price !== undefined) {
      return refuse("price", "a market order takes no price");
    }
    const ref = this.referencePrice(o.symbol);
    if (L.priceCollar !== undefined && o.ordType === "limit") {
      if (ref === undefined || !(ref > 0)) {
        return refuse("collar", `no reference price for ${o.symbol}: the price collar cannot be checked`);
      }
      const c = L.priceCollar;
      const dist = Math.max(c.percent !== undefined ? (ref * c.percent) / 100 : 0, c.absolute ?? 0);
      const price = o.price!;
      if (price < ref - dist - dist * 1e-12 || price > ref + dist + dist * 1e-12) {
        return refuse(
          "collar",
          `price ${price} is outside the collar ${ref - dist}..${ref + dist} around the reference ${ref}`,
        );
      }
    }
    if (L.maxNotional !== undefined) {
      const px = o.ordType === "limit" ? o.price! : ref;
      if (px === undefined) {
        return refuse(
          "notional",
          `no reference price for ${o.symbol}: the notional of a market order is unknown`,
        );
      }
      const notional = Math.abs(px) * o.orderQty;
      if (notional > L.maxNotional) {
        return refuse("notional", `notional ${notional} exceeds the limit ${L.maxNotional}`);
      }
    }
    if (!o.isReplace && L.maxOpenOrders !== undefined && ctx.openOrders >= L.maxOpenOrders) {
      return refuse("max-open-orders", `${ctx.openOrders} orders open: the limit is ${L.maxOpenOrders}`);
    }
    if (this.#bucket !== undefined && !this.#bucket.tryTake(nowMs)) {
      return refuse(
        "rate",
        `rate limit: more than ${L.ordersPerSecond} orders per second (burst ${this.#bucket.capacity})`,
      );
    }
    return { ok: true };
  }

  /** Records a reject from the counterparty; true when it tripped the breaker. */
  recordReject(nowMs: number): boolean {
    return this.breaker?.record(nowMs) ?? false;
  }
}

function refuse(check: RiskCheck, reason: string): RiskDecision {
  return { ok: false, check, reason };
}

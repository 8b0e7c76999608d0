/**
 * The request sources of a bench session. `LoadGenerator` (src/app/load) drives a trading counterparty;
 * `EchoTracker` drives an echo acceptor (`fixg run --app echo`), which sends every NewOrderSingle back as a
 * NewOrderSingle: the echoed order with our ClOrdID is the acknowledgement. Both account for each request
 * once (answered, or lost after the grace period) and report latencies through a callback.
 */
import type { FixMessage } from "../codec/encoder.ts";
import { MsgType, Tag } from "../codec/tags.ts";
import type { MessageView } from "../codec/view.ts";
import type { LatencyMeasure, LoadCounters, LoadSymbol } from "../app/load/types.ts";
import { RequestLedger } from "../app/load/ledger.ts";
import { needsHandlInst, ORDER_FIELDS } from "../app/load/generator.ts";
import { HANDL_INST_AUTOMATED } from "../app/load/order_message.ts";
import { zeroLoadCounters } from "../app/load/types.ts";
import { nextPhase } from "../app/orders/state_machine.ts";
import * as fix42 from "../dictionary/generated/fix42.ts";
import * as fix44 from "../dictionary/generated/fix44.ts";
import { loose, pick } from "../dictionary/typed.ts";
import { createPrng, type Prng, uniformInt } from "../app/prng.ts";
import { formatScaled } from "../codec/encoder.ts";
import { tickDecimals } from "../app/lp/config.ts";

/** The orders sent: FIX 4.4's NewOrderSingle writing only the load generator's fields (a few property reads). */
const NewOrderSingle = pick(fix44.NewOrderSingle, ORDER_FIELDS);
/** On a FIX 4.0-4.3 session: FIX 4.2's, with HandlInst (21) 1 (required there). */
const NewOrderSingle42 = loose(pick(fix42.NewOrderSingle, [...ORDER_FIELDS, "handlInst"]));

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

// The counter arithmetic lives with the counters (app/load/types.ts); re-exported for this path's users.
export {
  addCounters,
  requestsAnswered,
  requestsInFlight,
  requestsLost,
  requestsSent,
  subtractCounters,
  zeroLoadCounters,
} from "../app/load/types.ts";

const K_ORDER = 1;

/** New orders against an echo acceptor; the echoed NewOrderSingle carrying our ClOrdID acknowledges it. */
export class EchoTracker implements RequestSource {
  readonly #symbols: Array<LoadSymbol & { decimals: number; units: number; ticks: number }>;
  readonly #rng: Prng;
  #c = zeroLoadCounters();
  readonly #l: RequestLedger;
  readonly #fix42: boolean;

  constructor(o: {
    symbols: readonly LoadSymbol[];
    seed: number;
    lostAfterMs: number;
    idPrefix: string;
    onLatency?: (measure: LatencyMeasure, latencyUs: number, sessionIdx: number) => void;
    /** The session's BeginString (default FIX.4.4); FIX.4.0-4.3 orders carry HandlInst 1. */
    beginString?: string;
  }) {
    this.#fix42 = needsHandlInst(o.beginString ?? "FIX.4.4");
    if (o.symbols.length === 0) throw new RangeError("at least one symbol is needed");
    this.#l = new RequestLedger(o.idPrefix, o.lostAfterMs, this.#c, o.onLatency);
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

  next(sessionIdx: number, intendedUs: number): FixMessage {
    const i = this.#l.add(K_ORDER, sessionIdx, intendedUs);
    this.#c.ordersSent++;
    const s = this.#symbols[Math.floor(this.#rng.next() * this.#symbols.length)]!;
    const buy = this.#rng.next() < 0.5;
    const lots = uniformInt(
      this.#rng,
      Math.max(1, Math.ceil(s.minQty / s.lotSize)),
      Math.max(1, Math.floor(s.maxQty / s.lotSize)),
    );
    const ticks = s.ticks + (buy ? -1 : 1) * uniformInt(this.#rng, 10, 60);
    const order = {
      clOrdID: this.#l.id(i),
      symbol: s.symbol,
      side: buy ? "1" : "2",
      transactTime: Math.floor(intendedUs / 1000),
      orderQty: lots * s.lotSize,
      ordType: "2",
      price: formatScaled(ticks * s.units, s.decimals) as `${number}`,
      timeInForce: "0",
    } as const;
    // FIX 4.4's typed builder, or FIX 4.2's with HandlInst on a session that requires it.
    return this.#fix42
      ? NewOrderSingle42.adopt({ ...order, handlInst: HANDL_INST_AUTOMATED })
      : NewOrderSingle.adopt(order);
  }

  /** The echoed order acknowledges ours: PendingNew -> New in the shared order state machine. */
  onMessage(sessionIdx: number, view: MessageView, nowUs: number): void {
    if (view.msgType !== MsgType.NewOrderSingle) return;
    const l = this.#l;
    const i = l.parse(view.getString(Tag.ClOrdID), sessionIdx);
    if (i < 0) {
      this.#c.unmatchedResponses++;
      return;
    }
    if (!l.answer(i, nowUs, "order-to-ack")) return;
    l.phase[i] = nextPhase(l.phase[i]!, "0", 0, 1);
    this.#c.ordersAcked++;
  }

  sweep(nowUs: number): number {
    return this.#l.sweep(nowUs, this.#lost);
  }

  readonly #lost = (): void => {
    this.#c.ordersLost++;
  };

  counters(): LoadCounters {
    return { ...this.#c };
  }

  liveCounters(): Readonly<LoadCounters> {
    return this.#c;
  }
}

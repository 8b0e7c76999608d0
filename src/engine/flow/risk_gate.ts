/**
 * The order-entry gate of a session: the kill switch (order entry blocked, queued orders withdrawn,
 * open orders cancelled) and the pre-send risk limits (app/orders/risk.ts), as an OutboundFilter that
 * refuses order entry and an InboundFilter that feeds order rejects to the risk circuit breaker.
 */
import { RiskGate, type RiskLimits } from "../../app/orders/risk.ts";
import { ordTypeOf, sideOf } from "../../app/tags.ts";
import {
  type FieldSink,
  type FieldValue,
  type FixMessage,
  forEachField,
  type MessageView,
  Tag,
} from "../../codec/mod.ts";
import type { FlowContext, InboundFilter, OutboundFilter } from "./filter.ts";
import type { OpenOrders, TrackedOrder } from "./open_orders.ts";
import type { OutboundQueue } from "./outbound_queue.ts";

/** MsgTypes of order entry: refused while orders are blocked (kill switch). */
export const ORDER_ENTRY_MSG_TYPES: ReadonlySet<string> = new Set(["D", "E", "G", "s", "AB", "AC"]);

/** The kill switch and the risk limits of one session. */
export class OrderGate implements OutboundFilter, InboundFilter {
  /** Why order entry is refused now (kill switch), or undefined. */
  #blocked: string | undefined;
  #killSwitch = false;
  #cancelCount = 0;
  #risk: RiskGate | undefined;
  /** The limits `#risk` was made from, as JSON: a reload with the same limits keeps the gate's state. */
  #riskJson = "";

  /**
   * @param orders the session's open orders (the kill switch cancels them)
   * @param tracking whether the orders are tracked (risk limits on open orders and ClOrdID reuse need it)
   */
  constructor(
    readonly orders: OpenOrders,
    readonly tracking: boolean,
    readonly queue: OutboundQueue,
  ) {}

  /** Why order entry is refused now (kill switch), or undefined. */
  get ordersBlocked(): string | undefined {
    return this.#blocked;
  }

  /** A risk circuit breaker is set: order rejects (35=8 150=8) coming in count towards it. */
  get watchesRejects(): boolean {
    return this.#risk?.breaker !== undefined;
  }

  /** True while the kill switch is engaged: orders acknowledged from now on are cancelled too. */
  get killSwitchEngaged(): boolean {
    return this.#killSwitch;
  }

  check(message: FixMessage, ctx: FlowContext): string | undefined {
    const t = message.msgType;
    if (this.#blocked !== undefined && ORDER_ENTRY_MSG_TYPES.has(t)) {
      ctx.counters.ordersRefused++;
      return `order entry blocked (${this.#blocked})`;
    }
    if (this.#risk !== undefined && (t === "D" || t === "G")) {
      return this.#checkRisk(this.#risk, message, ctx);
    }
    return undefined;
  }

  /** An order reject (ExecutionReport 150=8) counts towards the risk circuit breaker. */
  onMessage(view: MessageView, ctx: FlowContext): boolean {
    if (view.msgType !== "8" || this.#risk?.breaker === undefined || view.getChar(Tag.ExecType) !== "8") {
      return true;
    }
    ctx.counters.riskRejectsSeen++;
    if (this.#risk.recordReject(ctx.nowMs())) {
      ctx.logger.error(
        "risk",
        `circuit breaker tripped: ${
          this.#risk.breaker!.reason
        }; new orders refused until reset (kill-switch reset or a risk reload)`,
        ctx.key,
      );
    }
    return true;
  }

  /**
   * Kill switch: refuses new orders from now on, withdraws orders still queued, and queues an
   * OrderCancelRequest (critical priority) for every open order. Returns the counts.
   */
  engage(reason: string, ctx: FlowContext): { cancels: number; withdrawn: number } {
    this.#blocked = reason;
    this.#killSwitch = true;
    const withdrawn = this.queue.remove((m) => ORDER_ENTRY_MSG_TYPES.has(m.message.msgType)).length;
    let cancels = 0;
    for (const o of this.orders.open()) {
      if (o.cancelPending === undefined) {
        this.cancel(o, ctx);
        cancels++;
      }
    }
    ctx.logger.warn(
      "kill-switch",
      `engaged (${reason}): ${cancels} cancels queued, ${withdrawn} queued orders withdrawn`,
      ctx.key,
      { cancels, withdrawn, openOrders: this.orders.open().length },
    );
    return { cancels, withdrawn };
  }

  /** Lifts the kill switch (and closes a tripped circuit breaker): order entry allowed again. */
  release(ctx: FlowContext): void {
    this.resetBreaker(ctx);
    if (!this.#killSwitch) return;
    this.#killSwitch = false;
    this.#blocked = undefined;
    ctx.logger.warn("kill-switch", "released: order entry allowed again", ctx.key);
  }

  /** Queues an OrderCancelRequest for order `o` at critical priority (kill switch). */
  cancel(o: TrackedOrder, ctx: FlowContext): void {
    const now = ctx.nowMs();
    const id = `KS${now.toString(36).toUpperCase()}${(++this.#cancelCount).toString(36).toUpperCase()}`;
    o.cancelPending = id;
    ctx.enqueue(this.orders.cancelRequest(o, id, now), "critical");
    ctx.counters.killSwitchCancels++;
  }

  /**
   * Sets the pre-send risk limits (undefined: none). New limits start a new gate (its rate bucket full,
   * its circuit breaker closed); the same limits again keep the running gate and its state.
   */
  setRiskLimits(limits: RiskLimits | undefined): void {
    const json = limits === undefined ? "" : JSON.stringify(limits);
    if (json === this.#riskJson) return;
    this.#risk = limits === undefined ? undefined : new RiskGate(limits);
    this.#riskJson = json;
  }

  /** The risk limits in force, or undefined. */
  get riskLimits(): RiskLimits | undefined {
    return this.#risk?.limits;
  }

  /** Closes a tripped risk circuit breaker (orders may be sent again). */
  resetBreaker(ctx: FlowContext): void {
    const b = this.#risk?.breaker;
    if (b?.open) {
      b.reset();
      ctx.logger.warn("risk", "circuit breaker reset: order entry allowed again", ctx.key);
    }
  }

  /** A NewOrderSingle or replace against the risk limits: the refusal's reason, or undefined. */
  #checkRisk(gate: RiskGate, message: FixMessage, ctx: FlowContext): string | undefined {
    const t = message.msgType;
    const o = RISK_FIELDS.reset();
    forEachField(message, o);
    const { clOrdId, symbol, side, ordType, qty, price } = o;
    const decision = gate.check(
      {
        clOrdId,
        symbol,
        side: sideOf(side) ?? "buy",
        // Only market (1) and limit (2) are told apart; other types are checked like limit orders.
        ordType: ordTypeOf(ordType) ?? "limit",
        orderQty: qty,
        price,
        isReplace: t === "G",
      },
      {
        // Counting open orders walks the unanswered requests: only when a limit needs the count.
        openOrders: this.tracking && gate.limits.maxOpenOrders !== undefined ? this.orders.size : 0,
        clOrdIdUsed: this.tracking && this.orders.get(clOrdId) !== undefined,
      },
      ctx.nowMs(),
    );
    if (decision.ok) return undefined;
    ctx.counters.ordersRefused++;
    ctx.counters.riskRefusals++;
    ctx.logger.warn("risk", `35=${t} ${clOrdId} refused (${decision.check}): ${decision.reason}`, ctx.key, {
      check: decision.check,
      clOrdId,
    });
    return `risk check ${decision.check}: ${decision.reason}`;
  }
}

/** The order fields a risk check reads, picked from a message as it writes them. */
class RiskFields implements FieldSink {
  clOrdId = "";
  symbol = "";
  side = "";
  ordType = "";
  qty = NaN;
  price: number | undefined;

  reset(): this {
    this.clOrdId =
      this.symbol =
      this.side =
      this.ordType =
        "";
    this.qty = NaN;
    this.price = undefined;
    return this;
  }

  field(tag: number, v: FieldValue): void {
    if (tag === Tag.ClOrdID) this.clOrdId = String(v);
    else if (tag === Tag.Symbol) this.symbol = String(v);
    else if (tag === Tag.Side) this.side = String(v);
    else if (tag === Tag.OrderQty) this.qty = Number(v);
    else if (tag === Tag.OrdType) this.ordType = String(v);
    else if (tag === Tag.Price) this.price = Number(v);
  }

  timestamp(): void {}
}

const RISK_FIELDS = new RiskFields();

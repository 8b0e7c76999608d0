/**
 * A session's filters composed into one pipeline: its own (the kill switch and risk limits, open-order
 * tracking unless turned off, the inbound throttle when set) and then those of its options, in order.
 * The outbound throttle is a rate the queue drain takes from, not a per-message filter.
 */
import type { RiskLimits } from "../../app/orders/risk.ts";
import type { FixMessage, MessageView } from "../../codec/mod.ts";
import type { FlowContext, InboundFilter, OutboundFilter } from "./filter.ts";
import { OpenOrders } from "./open_orders.ts";
import { OrderTracking } from "./order_tracking.ts";
import type { OutboundQueue } from "./outbound_queue.ts";
import { OrderGate } from "./risk_gate.ts";
import { Throttles, type ThrottleSettings } from "./throttle.ts";

/** How a session's pipeline is made. */
export interface PipelineOptions {
  /** Track open orders (default true). */
  trackOrders?: boolean;
  /** Pre-send risk limits of order entry. */
  risk?: RiskLimits;
  /** Inbound and outbound message rate limits. */
  throttle?: ThrottleSettings;
  /** Filters after the session's own. */
  filters?: { inbound?: InboundFilter[]; outbound?: OutboundFilter[] };
}

export class Pipeline {
  readonly orders = new OpenOrders();
  /** The kill switch and risk limits. */
  readonly gate: OrderGate;
  readonly throttles = new Throttles();
  readonly #tracking: OrderTracking | undefined;
  readonly #extraIn: InboundFilter[];
  readonly #extraOut: OutboundFilter[];
  #checks: OutboundFilter[] = [];
  #leaving: OutboundFilter[] = [];
  #inbound: InboundFilter[] = [];

  constructor(queue: OutboundQueue, readonly ctx: FlowContext, options: PipelineOptions, nowMs: number) {
    const tracking = options.trackOrders !== false;
    this.gate = new OrderGate(this.orders, tracking, queue);
    this.#tracking = tracking ? new OrderTracking(this.orders, this.gate) : undefined;
    this.#extraIn = options.filters?.inbound ?? [];
    this.#extraOut = options.filters?.outbound ?? [];
    this.gate.setRiskLimits(options.risk);
    this.setThrottle(options.throttle ?? {}, nowMs);
  }

  /** Sets (or removes, with {}) the throttles; tokens earned so far are kept. */
  setThrottle(t: ThrottleSettings, nowMs: number): void {
    this.throttles.configure(t, nowMs);
    this.#compose();
  }

  /** Sets the risk limits (see OrderGate.setRiskLimits). */
  setRiskLimits(limits: RiskLimits | undefined): void {
    this.gate.setRiskLimits(limits);
    this.#compose();
  }

  #compose(): void {
    const tr = this.#tracking;
    const inThrottle = this.throttles.inbound;
    this.#checks = [this.gate, ...this.#extraOut.filter((f) => f.check !== undefined)];
    this.#leaving = [...(tr ? [tr] : []), ...this.#extraOut.filter((f) => f.onLeave !== undefined)];
    // The gate reads inbound messages only for a circuit breaker (order rejects).
    this.#inbound = [
      ...(this.gate.watchesRejects ? [this.gate] : []),
      ...(tr ? [tr] : []),
      ...(inThrottle ? [inThrottle] : []),
      ...this.#extraIn,
    ];
  }

  /** An application send: the first refusal's reason, or undefined when every filter lets it pass. */
  check(message: FixMessage): string | undefined {
    const checks = this.#checks;
    for (let i = 0; i < checks.length; i++) {
      const refused = checks[i]!.check!(message, this.ctx);
      if (refused !== undefined) return refused;
    }
    return undefined;
  }

  /** A message leaves the queue for the machine: the filters that watch (order tracking) see it. */
  leave(message: FixMessage, perfNow: () => number): void {
    const l = this.#leaving;
    for (let i = 0; i < l.length; i++) l[i]!.onLeave!(message, perfNow);
  }

  /** An in-sequence application message: false when a filter keeps it from the application. */
  admit(view: MessageView): boolean {
    const f = this.#inbound;
    for (let i = 0; i < f.length; i++) if (!f[i]!.onMessage(view, this.ctx)) return false;
    return true;
  }
}

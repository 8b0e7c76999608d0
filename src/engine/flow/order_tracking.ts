/**
 * Open-order tracking as a filter: requests (D, G, F) are recorded as they leave the queue, reports (8)
 * and cancel rejects (9) as they come in (open orders, order-to-ack latency); an order acknowledged
 * while the kill switch is engaged is cancelled at once.
 */
import type { FixMessage, MessageView } from "../../codec/mod.ts";
import type { FlowContext, InboundFilter, OutboundFilter } from "./filter.ts";
import type { OpenOrders } from "./open_orders.ts";
import type { OrderGate } from "./risk_gate.ts";

/** Records the orders of a session in its OpenOrders. */
export class OrderTracking implements OutboundFilter, InboundFilter {
  constructor(readonly orders: OpenOrders, readonly gate: OrderGate) {}

  onLeave(message: FixMessage, perfNow: () => number): void {
    if (isTrackedRequest(message.msgType)) this.orders.onSent(message, perfNow());
  }

  onMessage(view: MessageView, ctx: FlowContext): boolean {
    const t = view.msgType;
    if (t !== "8" && t !== "9") return true;
    const acked = this.orders.onReceived(view, ctx.readAtPerfMs);
    if (acked !== undefined && this.gate.killSwitchEngaged && acked.cancelPending === undefined) {
      this.gate.cancel(acked, ctx);
    }
    return true;
  }
}

/** Requests whose answer the order tracking waits for (NewOrderSingle, replace, cancel). */
export function isTrackedRequest(msgType: string): boolean {
  return msgType === "D" || msgType === "G" || msgType === "F";
}

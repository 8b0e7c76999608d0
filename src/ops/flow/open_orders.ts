/**
 * The orders a session has sent and what the counterparty said about them, as far as the kill switch
 * and the order-to-ack latency need: NewOrderSingle (D), OrderCancelReplaceRequest (G) and
 * OrderCancelRequest (F) going out; ExecutionReport (8) and OrderCancelReject (9) coming in.
 *
 * An order is open once acknowledged (any ExecutionReport other than a reject) and until a report
 * says it is done (filled, cancelled, done for day, expired, rejected). Latency is measured from the
 * moment a request leaves its queue to the first ExecutionReport for its ClOrdID.
 */
import {
  type Field,
  type FieldValue,
  type FixMessage,
  formatTimestamp,
  type MessageView,
  Tag,
} from "../../codec/mod.ts";
import { BucketHistogram, LATENCY_BUCKETS_SECONDS } from "../../metrics/registry.ts";

/** Fields of the original order copied into a cancel: Account and the instrument. */
const CANCEL_COPY_TAGS = [Tag.Account, Tag.Symbol, 65, 48, 22, 207, 167, 200, 541];
/** OrdStatus (39) values after which an order is finished. */
const DONE_STATUS = new Set(["2", "3", "4", "8", "C"]);

/** One order we sent. */
export interface TrackedOrder {
  /** Its ClOrdID now (changes with each accepted replace). */
  clOrdId: string;
  orderId: string | undefined;
  side: string;
  orderQty: FieldValue;
  /** Account and instrument fields of the order, copied into a cancel. */
  copyFields: Field[];
  /** A report other than a reject came back. */
  acked: boolean;
  /** ClOrdID of our cancel request awaiting an answer. */
  cancelPending: string | undefined;
}

interface PendingRequest {
  kind: "D" | "G" | "F";
  order: TrackedOrder;
  sentAtMs: number;
}

/** Request kinds whose ack latency is measured. */
export type AckRequestKind = "D" | "G" | "F";

/** Orders of one session. */
export class OpenOrders {
  readonly #byClOrdId = new Map<string, TrackedOrder>();
  readonly #pending = new Map<string, PendingRequest>();
  /** Request-to-first-ExecutionReport latency in seconds, by request kind. */
  readonly ackSeconds: Record<AckRequestKind, BucketHistogram> = {
    D: new BucketHistogram(LATENCY_BUCKETS_SECONDS),
    G: new BucketHistogram(LATENCY_BUCKETS_SECONDS),
    F: new BucketHistogram(LATENCY_BUCKETS_SECONDS),
  };

  /** Orders known (acked or not) and not done. */
  get size(): number {
    return this.#byClOrdId.size;
  }

  /** Acknowledged orders not done: what a kill switch cancels. */
  open(): TrackedOrder[] {
    return [...this.#byClOrdId.values()].filter((o) => o.acked);
  }

  /** An order by its current ClOrdID. */
  get(clOrdId: string): TrackedOrder | undefined {
    return this.#byClOrdId.get(clOrdId);
  }

  /** Forgets everything (tests, operator reset of a session's book). */
  clear(): void {
    this.#byClOrdId.clear();
    this.#pending.clear();
  }

  /** An application message left its queue; `perfMs` is performance.now(). */
  onSent(m: FixMessage, perfMs: number): void {
    const t = m.msgType;
    if (t !== "D" && t !== "G" && t !== "F") return;
    const clOrdId = str(m, Tag.ClOrdID);
    if (clOrdId === undefined) return;
    if (t === "D") {
      const order: TrackedOrder = {
        clOrdId,
        orderId: undefined,
        side: str(m, Tag.Side) ?? "1",
        orderQty: value(m, Tag.OrderQty) ?? 0,
        copyFields: m.fields.filter((f) => CANCEL_COPY_TAGS.includes(f[0])),
        acked: false,
        cancelPending: undefined,
      };
      this.#byClOrdId.set(clOrdId, order);
      this.#pending.set(clOrdId, { kind: "D", order, sentAtMs: perfMs });
      return;
    }
    const orig = str(m, Tag.OrigClOrdID);
    const order = orig === undefined ? undefined : this.#byClOrdId.get(orig);
    if (order === undefined) return;
    this.#pending.set(clOrdId, { kind: t, order, sentAtMs: perfMs });
    if (t === "F") order.cancelPending = clOrdId;
  }

  /**
   * An application message arrived. Returns the order when this report acknowledged it for the
   * first time (the kill switch cancels orders acknowledged after it was engaged).
   */
  onReceived(v: MessageView, perfMs: number): TrackedOrder | undefined {
    const t = v.msgType;
    if (t !== "8" && t !== "9") return undefined;
    const clOrdId = v.getString(Tag.ClOrdID);
    if (clOrdId === undefined) return undefined;
    const status = v.getString(Tag.OrdStatus) ?? "";
    const p = this.#pending.get(clOrdId);
    if (t === "9") {
      if (p === undefined) return undefined;
      this.#pending.delete(clOrdId);
      if (p.order.cancelPending === clOrdId) p.order.cancelPending = undefined;
      if (DONE_STATUS.has(status)) this.#done(p.order);
      return undefined;
    }
    const order = p?.order ?? this.#byClOrdId.get(clOrdId) ??
      this.#byClOrdId.get(v.getString(Tag.OrigClOrdID) ?? "");
    if (order === undefined) return undefined;
    if (p !== undefined) {
      this.ackSeconds[p.kind].observe(Math.max(0, perfMs - p.sentAtMs) / 1000);
      this.#pending.delete(clOrdId);
    }
    const orderId = v.getString(Tag.OrderID);
    if (orderId !== undefined && orderId !== "NONE") order.orderId = orderId;
    if (p?.kind === "G" && status !== "8") {
      // Accepted replace (or pending replace): the order answers to the new ClOrdID from now on.
      this.#byClOrdId.delete(order.clOrdId);
      order.clOrdId = clOrdId;
      this.#byClOrdId.set(clOrdId, order);
      const qty = v.getString(Tag.OrderQty);
      if (qty !== undefined) order.orderQty = qty;
    }
    if (p?.kind === "F" && status !== "4" && status !== "6") order.cancelPending = undefined;
    if (
      DONE_STATUS.has(status) && !(p?.kind === "G" && status === "8") && !(p?.kind === "F" && status === "8")
    ) {
      this.#done(order);
      return undefined;
    }
    if (!order.acked) {
      order.acked = true;
      return order;
    }
    return undefined;
  }

  #done(order: TrackedOrder): void {
    this.#byClOrdId.delete(order.clOrdId);
  }

  /** An OrderCancelRequest (F) for an order, with ClOrdID `clOrdId`. */
  cancelRequest(order: TrackedOrder, clOrdId: string, nowMs: number): FixMessage {
    const fields: Field[] = [[Tag.OrigClOrdID, order.clOrdId], [Tag.ClOrdID, clOrdId]];
    if (order.orderId !== undefined) fields.push([Tag.OrderID, order.orderId]);
    fields.push(...order.copyFields);
    fields.push([Tag.Side, order.side], [Tag.TransactTime, formatTimestamp(nowMs, "ms")], [
      Tag.OrderQty,
      order.orderQty,
    ]);
    return { msgType: "F", fields };
  }
}

function value(m: FixMessage, tag: number): FieldValue | undefined {
  for (const f of m.fields) if (f[0] === tag) return f[1];
  return undefined;
}

function str(m: FixMessage, tag: number): string | undefined {
  const v = value(m, tag);
  if (v === undefined) return undefined;
  return v instanceof Uint8Array
    ? new TextDecoder().decode(v)
    : typeof v === "boolean"
    ? (v ? "Y" : "N")
    : String(v);
}

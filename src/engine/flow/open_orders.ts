/**
 * The orders a session has sent and what the counterparty said about them, as far as the kill switch
 * and the order-to-ack latency need: NewOrderSingle (D), OrderCancelReplaceRequest (G) and
 * OrderCancelRequest (F) going out; ExecutionReport (8) and OrderCancelReject (9) coming in.
 *
 * Each order moves through the one order model (`nextPhase` of app/orders/state_machine.ts) by the
 * ExecType (150) of each ExecutionReport: it starts PendingNew, is acknowledged once its phase is past
 * PendingNew (New, a fill, a replace), and is open while its phase is live (PendingNew, New,
 * PartiallyFilled); a report the table refuses (a duplicate, one that arrives after the order ended)
 * changes nothing. An OrderCancelReject carries no ExecType: its OrdStatus (39), when it names a done
 * phase, ends the order. Latency is measured from the moment a request leaves its queue to the first
 * ExecutionReport for its ClOrdID.
 *
 * A FIX 4.0-4.2 session's reports are read in FIX 4.4's codes (`execTypeOf`, app/orders/exec_type.ts): a
 * fill (ExecType 1 or 2 with ExecTransType 0) as a Trade (F), a status report (20=3, ExecType = OrdStatus)
 * as Order Status (I), the cancel or correction of an execution (20=1/2) as Trade Cancel/Correct (H/G),
 * which the order model does not follow (the order's phase stays).
 */
import {
  type Field,
  type FieldSink,
  type FieldValue,
  type FixMessage,
  forEachField,
  formatTimestamp,
  type MessageView,
  Tag,
} from "../../codec/mod.ts";
import { BucketHistogram, LATENCY_BUCKETS_SECONDS } from "../../metrics/registry.ts";
import { execTypeOf } from "../../app/orders/exec_type.ts";
import {
  isLivePhaseCode,
  nextPhase,
  PHASE_PENDING_NEW,
  PHASE_REJECTED,
  phaseOfOrdStatus,
} from "../../app/orders/state_machine.ts";

/** Fields of the original order copied into a cancel: Account and the instrument. */
const CANCEL_COPY_TAGS: readonly number[] = [Tag.Account, Tag.Symbol, 65, 48, 22, 207, 167, 200, 541];
/** CANCEL_COPY_TAGS as a lookup by tag (all below 1024): one array read per field on the send path. */
const IS_CANCEL_COPY_TAG = new Uint8Array(1024);
for (const t of CANCEL_COPY_TAGS) IS_CANCEL_COPY_TAG[t] = 1;
/**
 * Unanswered requests are remembered among the last this many requests sent (default); an older
 * one is forgotten (with its order, if never acknowledged): a counterparty that never answers (an
 * echo peer, a dead link under a burst) must not make the tracking grow without bound.
 */
export const DEFAULT_MAX_PENDING_REQUESTS = 65_536;

/** One order we sent. */
export interface TrackedOrder {
  /** Its ClOrdID now (changes with each accepted replace). */
  clOrdId: string;
  orderId: string | undefined;
  side: string;
  orderQty: FieldValue;
  /** Account and instrument fields of the order, copied into a cancel. */
  copyFields: Field[];
  /**
   * Its phase code in the order model (`PHASE_*` of app/orders/state_machine.ts): PendingNew until
   * acknowledged; open while `isLivePhaseCode(phase)`.
   */
  phase: number;
  /** ClOrdID of our cancel request awaiting an answer. */
  cancelPending: string | undefined;
}

/** Request kinds whose ack latency is measured. */
export type AckRequestKind = "D" | "G" | "F";

/** How many of the oldest unanswered requests an answer is compared with before the index is used. */
const SCAN_WINDOW = 16;
/** Slots of a new request ring (a power of two; the ring doubles as needed). */
const INITIAL_SLOTS = 1024;
/** Request kinds by their number in the ring's kinds array. */
const KIND_NAMES: readonly AckRequestKind[] = ["D", "G", "F"];
/** The ring's kind number of an OrderCancelRequest. */
const KIND_CANCEL = 2;

/** What order tracking reads of a request sent, picked as the message writes its fields. */
class SentFields implements FieldSink {
  clOrdId: FieldValue | undefined;
  orig: FieldValue | undefined;
  side: FieldValue | undefined;
  qty: FieldValue | undefined;
  /** The fields a cancel must repeat (one as a tuple, several as a list). */
  copy: Field | Field[] | undefined;

  reset(): this {
    this.clOrdId =
      this.orig =
      this.side =
      this.qty =
      this.copy =
        undefined;
    return this;
  }

  field(tag: number, value: FieldValue): void {
    if (tag === Tag.ClOrdID) {
      if (this.clOrdId === undefined) this.clOrdId = value;
    } else if (tag === Tag.OrigClOrdID) {
      if (this.orig === undefined) this.orig = value;
    } else if (tag === Tag.Side) {
      if (this.side === undefined) this.side = value;
    } else if (tag === Tag.OrderQty) {
      if (this.qty === undefined) this.qty = value;
    } else if (tag < 1024 && tag >= 0 && IS_CANCEL_COPY_TAG[tag] === 1) {
      const field: Field = [tag, value];
      const copy = this.copy;
      if (copy === undefined) this.copy = field;
      else if (isFieldList(copy)) copy.push(field);
      else this.copy = [copy, field];
    }
  }

  timestamp(): void {}
}

const SENT_FIELDS = new SentFields();

/**
 * Orders of one session.
 *
 * Requests awaiting their first answer wait in a FIFO of parallel arrays (no Map, and for a
 * NewOrderSingle no object at all until it is acknowledged: what a cancel needs is kept as the values
 * the application gave). Answers come back in request order on a session, so an answer is found
 * among the first few entries; only when it is not (answers out of order, reports for unknown
 * ClOrdIDs) is a Map index built, kept while the FIFO is not empty. An order enters the ClOrdID map
 * when acknowledged; until then it is found through its NewOrderSingle's entry.
 */
export class OpenOrders {
  /** Acknowledged orders (and orders answered by an accepted replace) by current ClOrdID. */
  readonly #byClOrdId = new Map<string, TrackedOrder>();
  // The FIFO of unanswered requests: a ring of parallel arrays, entry number n (absolute, counting
  // from the first request) in slot n & #mask. Entry n is answered or forgotten when its id is
  // undefined. #head is the oldest entry still unanswered (or #tail), #tail the next entry number.
  // A NewOrderSingle's order object is made when first needed (#orderAt).
  #ids: Array<string | undefined> = new Array<string | undefined>(INITIAL_SLOTS).fill(undefined);
  #kinds = new Uint8Array(INITIAL_SLOTS);
  #sentAt = new Float64Array(INITIAL_SLOTS);
  #orders: Array<TrackedOrder | undefined> = new Array<TrackedOrder | undefined>(INITIAL_SLOTS).fill(
    undefined,
  );
  #sides: Array<FieldValue | undefined> = new Array<FieldValue | undefined>(INITIAL_SLOTS).fill(undefined);
  #qtys: Array<FieldValue | undefined> = new Array<FieldValue | undefined>(INITIAL_SLOTS).fill(undefined);
  #copies: Array<Field | Field[] | undefined> = new Array<Field | Field[] | undefined>(INITIAL_SLOTS).fill(
    undefined,
  );
  #mask = INITIAL_SLOTS - 1;
  #head = 0;
  #tail = 0;
  /** Unanswered entries. */
  #live = 0;
  /** ClOrdID -> absolute entry number, built only when an answer is not near the head. */
  #index: Map<string, number> | undefined;
  readonly #maxPending: number;
  /** Unanswered requests forgotten because more than the limit were waiting. */
  forgotten = 0;
  /** Request-to-first-ExecutionReport latency in seconds, by request kind. */
  readonly ackSeconds: Record<AckRequestKind, BucketHistogram> = {
    D: new BucketHistogram(LATENCY_BUCKETS_SECONDS),
    G: new BucketHistogram(LATENCY_BUCKETS_SECONDS),
    F: new BucketHistogram(LATENCY_BUCKETS_SECONDS),
  };

  constructor(maxPendingRequests = DEFAULT_MAX_PENDING_REQUESTS) {
    this.#maxPending = Math.max(1, maxPendingRequests);
  }

  /** Orders known (acked or not) and not done. */
  get size(): number {
    let n = this.#byClOrdId.size;
    for (let e = this.#head; e < this.#tail; e++) if (this.#isUnackedNew(e)) n++;
    return n;
  }

  /** Acknowledged orders not done: what a kill switch cancels. */
  open(): TrackedOrder[] {
    return [...this.#byClOrdId.values()].filter((o) => o.phase !== PHASE_PENDING_NEW);
  }

  /** An order by its current ClOrdID. */
  get(clOrdId: string): TrackedOrder | undefined {
    return this.#byClOrdId.get(clOrdId) ?? this.#unackedNew(clOrdId);
  }

  /** Forgets everything (tests, operator reset of a session's book). */
  clear(): void {
    this.#byClOrdId.clear();
    while (this.#head < this.#tail) this.#remove(this.#head);
    this.#index = undefined;
  }

  /** An application message left its queue; `perfMs` is performance.now(). */
  onSent(m: FixMessage, perfMs: number): void {
    const t = m.msgType;
    if (t !== "D" && t !== "G" && t !== "F") return;
    // One pass over the fields picks what tracking needs (this runs for every order sent), without
    // making a builder's field list (which would end its encoding fast path).
    const p = SENT_FIELDS.reset();
    forEachField(m, p);
    const { clOrdId, orig, side, qty, copy } = p;
    if (clOrdId === undefined) return;
    const id = asString(clOrdId);
    if (t === "D") {
      this.#push(id, 0, perfMs, undefined, side, qty, copy);
      return;
    }
    if (orig === undefined) return;
    const o = asString(orig);
    const order = this.#byClOrdId.get(o) ?? this.#unackedNew(o);
    if (order === undefined) return;
    this.#push(id, t === "G" ? 1 : 2, perfMs, order, undefined, undefined, undefined);
    if (t === "F") order.cancelPending = id;
  }

  /** The order of entry `e`, made from the NewOrderSingle's values the first time it is needed. */
  #orderAt(e: number): TrackedOrder {
    const k = e & this.#mask;
    const have = this.#orders[k];
    if (have !== undefined) return have;
    const side = this.#sides[k];
    const copy = this.#copies[k];
    const order: TrackedOrder = {
      clOrdId: this.#ids[k]!,
      orderId: undefined,
      side: side === undefined ? "1" : asString(side),
      orderQty: this.#qtys[k] ?? 0,
      copyFields: copy === undefined ? [] : isFieldList(copy) ? copy : [copy],
      phase: PHASE_PENDING_NEW,
      cancelPending: undefined,
    };
    this.#orders[k] = order;
    return order;
  }

  /** Entry `e` is a NewOrderSingle whose order is neither answered nor finished. */
  #isUnackedNew(e: number): boolean {
    const k = e & this.#mask;
    if (this.#ids[k] === undefined || this.#kinds[k] !== 0) return false;
    const o = this.#orders[k];
    return o === undefined || (o.phase === PHASE_PENDING_NEW && this.#byClOrdId.get(o.clOrdId) !== o);
  }

  /** The not yet acknowledged order whose NewOrderSingle had ClOrdID `clOrdId`, if still known. */
  #unackedNew(clOrdId: string): TrackedOrder | undefined {
    const e = this.#find(clOrdId);
    if (e < 0 || !this.#isUnackedNew(e)) return undefined;
    const order = this.#orderAt(e);
    return order.clOrdId === clOrdId ? order : undefined;
  }

  #push(
    clOrdId: string,
    kind: number,
    perfMs: number,
    order: TrackedOrder | undefined,
    side: FieldValue | undefined,
    qty: FieldValue | undefined,
    copy: Field | Field[] | undefined,
  ): void {
    // Remember the unanswered among the last maxPending requests: older ones are forgotten (a
    // counterparty that never answers, such as an echo peer, must not make this grow).
    while (this.#tail - this.#head >= this.#maxPending) {
      this.forgotten++;
      this.#remove(this.#head);
    }
    if (this.#tail - this.#head > this.#mask) this.#grow();
    const e = this.#tail++;
    const k = e & this.#mask;
    this.#ids[k] = clOrdId;
    this.#kinds[k] = kind;
    this.#sentAt[k] = perfMs;
    this.#orders[k] = order;
    this.#sides[k] = side;
    this.#qtys[k] = qty;
    this.#copies[k] = copy;
    this.#live++;
    if (this.#index !== undefined) this.#index.set(clOrdId, e);
  }

  /** Doubles the ring, keeping every entry at its number. */
  #grow(): void {
    const slots = (this.#mask + 1) * 2;
    const mask = slots - 1;
    const ids = new Array<string | undefined>(slots).fill(undefined);
    const kinds = new Uint8Array(slots);
    const sentAt = new Float64Array(slots);
    const orders = new Array<TrackedOrder | undefined>(slots).fill(undefined);
    const sides = new Array<FieldValue | undefined>(slots).fill(undefined);
    const qtys = new Array<FieldValue | undefined>(slots).fill(undefined);
    const copies = new Array<Field | Field[] | undefined>(slots).fill(undefined);
    for (let e = this.#head; e < this.#tail; e++) {
      const from = e & this.#mask;
      const to = e & mask;
      ids[to] = this.#ids[from];
      kinds[to] = this.#kinds[from]!;
      sentAt[to] = this.#sentAt[from]!;
      orders[to] = this.#orders[from];
      sides[to] = this.#sides[from];
      qtys[to] = this.#qtys[from];
      copies[to] = this.#copies[from];
    }
    this.#ids = ids;
    this.#kinds = kinds;
    this.#sentAt = sentAt;
    this.#orders = orders;
    this.#sides = sides;
    this.#qtys = qtys;
    this.#copies = copies;
    this.#mask = mask;
  }

  /** Number of the oldest unanswered request with ClOrdID `clOrdId`, or -1. */
  #find(clOrdId: string): number {
    const ids = this.#ids;
    const mask = this.#mask;
    const end = Math.min(this.#tail, this.#head + SCAN_WINDOW);
    for (let e = this.#head; e < end; e++) if (ids[e & mask] === clOrdId) return e;
    if (end === this.#tail) return -1;
    if (this.#index === undefined) {
      // Out of order (or not a request of ours): index every unanswered entry from now on (the
      // oldest entry of a ClOrdID wins); the index goes when the FIFO empties.
      const index = new Map<string, number>();
      for (let e = this.#tail - 1; e >= this.#head; e--) {
        const id = ids[e & mask];
        if (id !== undefined) index.set(id, e);
      }
      this.#index = index;
    }
    const e = this.#index.get(clOrdId);
    if (e === undefined) return -1;
    return e >= this.#head && e < this.#tail && ids[e & mask] === clOrdId ? e : -1;
  }

  /** Removes request `e` (read what is needed of it first). */
  #remove(e: number): void {
    const k = e & this.#mask;
    const id = this.#ids[k]!;
    this.#ids[k] = undefined;
    this.#orders[k] = undefined;
    this.#sides[k] = undefined;
    this.#qtys[k] = undefined;
    this.#copies[k] = undefined;
    this.#live--;
    if (this.#index !== undefined && this.#index.get(id) === e) this.#index.delete(id);
    if (e === this.#head) {
      // Move the head past answered entries; an empty FIFO needs no index.
      const ids = this.#ids;
      let h = e + 1;
      while (h < this.#tail && ids[h & this.#mask] === undefined) h++;
      this.#head = h;
      if (h === this.#tail) this.#index = undefined;
    }
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
    const map = this.#byClOrdId;
    // A ClOrdID of an answered order is no request awaiting its answer (fills, later reports).
    const known = map.get(clOrdId);
    let kind = -1;
    let reqOrder: TrackedOrder | undefined;
    let sentAtMs = 0;
    if (known === undefined && this.#live > 0) {
      const e = this.#find(clOrdId);
      if (e >= 0) {
        const k = e & this.#mask;
        kind = this.#kinds[k]!;
        sentAtMs = this.#sentAt[k]!;
        reqOrder = this.#orderAt(e);
        this.#remove(e);
      }
    }
    if (t === "9") {
      this.#cancelRejected(v, clOrdId, reqOrder);
      return undefined;
    }
    const order = reqOrder ?? known ?? map.get(v.getString(Tag.OrigClOrdID) ?? "");
    if (order === undefined) return undefined;
    if (kind >= 0) this.ackSeconds[KIND_NAMES[kind]!].observe(Math.max(0, perfMs - sentAtMs) / 1000);
    const orderId = v.getString(Tag.OrderID);
    if (orderId !== undefined && orderId !== "NONE") order.orderId = orderId;
    const et = execTypeOf(v);
    // Any answer to our cancel other than Pending Cancel or Canceled (a reject) ends that request.
    if (kind === KIND_CANCEL && et !== "4" && et !== "6") order.cancelPending = undefined;
    const from = order.phase;
    let np: number;
    if (et === "F") {
      // A Trade is Filled when CumQty = OrderQty = CumQty + LeavesQty, i.e. when LeavesQty is 0: the
      // CumQty cancels out and is not read (one field less per fill). A missing LeavesQty keeps it open.
      np = nextPhase(from, et, 0, v.getFloat(Tag.LeavesQty) ?? NaN);
    } else if (et === "5") {
      // A Replaced report: New while nothing is filled, else by CumQty against the new OrderQty.
      const cum = v.getFloat(Tag.CumQty) ?? 0;
      np = nextPhase(from, et, cum, cum + (v.getFloat(Tag.LeavesQty) ?? NaN));
    } else {
      np = nextPhase(from, et, 0, 0);
      if (et === "D" && np >= 0) {
        // Restated: the OrdStatus says the phase (not back to PendingNew, never Rejected).
        const s = phaseOfOrdStatus(v.getString(Tag.OrdStatus));
        if (s > PHASE_PENDING_NEW && s !== PHASE_REJECTED) np = s;
      }
    }
    if (np < 0) return undefined; // cannot follow: a duplicate, a late report, a reject of our request
    let index = reqOrder !== undefined;
    if (et === "5" || et === "D") {
      const qty = v.getString(Tag.OrderQty);
      if (qty !== undefined) order.orderQty = qty;
      if (et === "5" && order.clOrdId !== clOrdId) {
        // Replaced: the order answers to the replace's ClOrdID from now on.
        if (map.get(order.clOrdId) === order) map.delete(order.clOrdId);
        order.clOrdId = clOrdId;
        index = true;
      }
    }
    order.phase = np;
    if (!isLivePhaseCode(np)) {
      map.delete(order.clOrdId);
      return undefined;
    }
    if (index) map.set(order.clOrdId, order);
    return from === PHASE_PENDING_NEW && np !== PHASE_PENDING_NEW ? order : undefined;
  }

  /**
   * An OrderCancelReject for request `clOrdId` (found as `reqOrder` while it awaited its answer, else
   * the order of its OrigClOrdID): that cancel is no longer pending; an OrdStatus naming a done phase
   * (filled meanwhile, unknown order) ends the order.
   */
  #cancelRejected(v: MessageView, clOrdId: string, reqOrder: TrackedOrder | undefined): void {
    const map = this.#byClOrdId;
    const order = reqOrder ?? map.get(v.getString(Tag.OrigClOrdID) ?? "");
    if (order === undefined) return;
    if (order.cancelPending === clOrdId) order.cancelPending = undefined;
    const s = phaseOfOrdStatus(v.getString(Tag.OrdStatus));
    if (s >= 0 && !isLivePhaseCode(s) && isLivePhaseCode(order.phase)) {
      order.phase = s;
      if (map.get(order.clOrdId) === order) map.delete(order.clOrdId);
    }
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

function isFieldList(c: Field | Field[]): c is Field[] {
  return typeof c[0] !== "number";
}

/** A field value as the string that goes on the wire. */
function asString(v: FieldValue): string {
  return typeof v === "string"
    ? v
    : v instanceof Uint8Array
    ? new TextDecoder().decode(v)
    : typeof v === "boolean"
    ? (v ? "Y" : "N")
    : String(v);
}

/**
 * The strict client side of the FIX 4.4 order model (test code: the client the LP simulator's tests
 * trade through; the product keeps only the phases and `nextPhase`, src/app/orders/state_machine.ts).
 * The state machine of one ClOrdID chain: which ExecutionReport may follow which
 * state, and the quantity rules every report must satisfy (CumQty + LeavesQty = OrderQty while the
 * order lives, LeavesQty = 0 once it is done, CumQty never above OrderQty, CumQty grows only by
 * LastQty of a Trade, AvgPx equal to the fill-weighted average). `applyReport` either returns the
 * next record (the caller commits it) or the reason the report contradicts the state; it never
 * changes the record it is given.
 *
 * A cancel or replace request stays pending until its own answer (the ExecutionReport naming its
 * ClOrdID, or an OrderCancelReject) even when the order ends meanwhile (filled, expired, canceled by
 * the counterparty): FIX answers every request, and that answer must still find its request.
 */
import type { FieldReader } from "../../src/codec/view.ts";
import { Tag } from "../../src/codec/tags.ts";
import {
  EXEC_TYPE_NAME,
  type OrdTypeName,
  type Side,
  SIDE_CODE,
  type TimeInForceName,
} from "../../src/app/tags.ts";
import {
  nextPhase,
  ORD_STATUS_OF_PHASE,
  type OrderPhase,
  PHASE_CODE,
  PHASE_PARTIALLY_FILLED,
  PHASE_PENDING_NEW,
  PHASE_REJECTED,
  phaseOfOrdStatus,
  PHASES,
  qtyEq,
} from "../../src/app/orders/state_machine.ts";

/** States of an order as FIX 4.4 names them; PendingNew/PendingCancel/PendingReplace include our own requests in flight. */
export type OrderState =
  | "PendingNew"
  | "New"
  | "PartiallyFilled"
  | "Filled"
  | "PendingCancel"
  | "Canceled"
  | "PendingReplace"
  | "Replaced"
  | "Rejected"
  | "Expired"
  | "DoneForDay";
/** A cancel or replace request sent and not yet answered. */
export interface PendingRequest {
  kind: "cancel" | "replace";
  /** ClOrdID of the request. */
  clOrdId: string;
  /** True once the counterparty reported Pending Cancel (6) / Pending Replace (E). */
  acknowledged: boolean;
  /** New terms of a replace. */
  orderQty: number | undefined;
  price: number | undefined;
  timeInForce: TimeInForceName | undefined;
  sentMs: number;
}

/** Everything the tracker knows about one order (one ClOrdID chain). Mutated only by commits. */
export interface OrderRecord {
  /** ClOrdID currently in force. */
  clOrdId: string;
  /** ClOrdIDs accepted in this chain, oldest first; the last is `clOrdId`. */
  chain: string[];
  orderId: string | undefined;
  symbol: string;
  side: Side;
  ordType: OrdTypeName;
  price: number | undefined;
  timeInForce: TimeInForceName;
  account: string | undefined;
  orderQty: number;
  cumQty: number;
  leavesQty: number;
  avgPx: number;
  /** Sum of LastQty x LastPx of the fills, for the AvgPx check. */
  notional: number;
  lastQty: number | undefined;
  lastPx: number | undefined;
  phase: OrderPhase;
  pending: PendingRequest | undefined;
  /** ExecIDs seen (duplicates are detected with it). */
  execIds: Set<string>;
  /** Text (58) of the last report, e.g. a reject reason. */
  text: string | undefined;
  sentMs: number;
  updatedMs: number;
}

/** The fields of an ExecutionReport the state machine reads; `undefined` when absent or malformed. */
export interface ParsedReport {
  clOrdId: string | undefined;
  origClOrdId: string | undefined;
  orderId: string | undefined;
  execId: string | undefined;
  execType: string | undefined;
  ordStatus: string | undefined;
  symbol: string | undefined;
  side: string | undefined;
  orderQty: number | undefined;
  price: number | undefined;
  lastQty: number | undefined;
  lastPx: number | undefined;
  cumQty: number | undefined;
  leavesQty: number | undefined;
  avgPx: number | undefined;
  /** AvgPx as written: its number of decimals sets the rounding the check allows. */
  avgPxText: string | undefined;
  text: string | undefined;
  ordRejReason: number | undefined;
  possDup: boolean;
}

/** Reads an ExecutionReport's fields. */
export function parseExecutionReport(v: FieldReader): ParsedReport {
  return {
    clOrdId: v.getString(Tag.ClOrdID),
    origClOrdId: v.getString(Tag.OrigClOrdID),
    orderId: v.getString(Tag.OrderID),
    execId: v.getString(Tag.ExecID),
    execType: v.getString(Tag.ExecType),
    ordStatus: v.getString(Tag.OrdStatus),
    symbol: v.getString(Tag.Symbol),
    side: v.getString(Tag.Side),
    orderQty: v.getFloat(Tag.OrderQty),
    price: v.getFloat(Tag.Price),
    lastQty: v.getFloat(Tag.LastQty),
    lastPx: v.getFloat(Tag.LastPx),
    cumQty: v.getFloat(Tag.CumQty),
    leavesQty: v.getFloat(Tag.LeavesQty),
    avgPx: v.getFloat(Tag.AvgPx),
    avgPxText: v.getString(Tag.AvgPx),
    text: v.getString(Tag.Text),
    ordRejReason: v.getInt(Tag.OrdRejReason),
    possDup: v.getBoolean(Tag.PossDupFlag) === true || v.getBoolean(Tag.PossResend) === true,
  };
}
/** True while the order can still trade or be canceled (DoneForDay is done for today). */
export function isLivePhase(p: OrderPhase): boolean {
  return PHASE_CODE[p] <= PHASE_PARTIALLY_FILLED;
}

/** The state a person reads: the phase, or PendingCancel/PendingReplace while our request is in flight. */
export function stateOf(r: OrderRecord): OrderState {
  if (r.pending !== undefined && isLivePhase(r.phase)) {
    return r.pending.kind === "cancel" ? "PendingCancel" : "PendingReplace";
  }
  return r.phase;
}

/** OrdStatus values of an order that still has leaves (CumQty + LeavesQty = OrderQty must hold). */
const LIVE_ORD_STATUS: ReadonlySet<string> = new Set(["0", "1", "6", "A", "E"]);
/** OrdStatus values of an order that is done (LeavesQty = 0 must hold). */
const DONE_ORD_STATUS: ReadonlySet<string> = new Set(["2", "3", "4", "8", "C"]);

/**
 * True when a reported AvgPx matches the computed average: equal once rounded to the decimals the
 * counterparty wrote (half a unit of its last digit), or within 1e-9 relative.
 */
export function avgPxMatches(reported: number, reportedText: string | undefined, computed: number): boolean {
  const dot = reportedText?.indexOf(".") ?? -1;
  const decimals = reportedText === undefined || dot < 0 ? 0 : reportedText.length - dot - 1;
  const tol = Math.max(0.5 * 10 ** -decimals, 1e-9 * Math.abs(computed)) + 1e-12;
  return Math.abs(reported - computed) <= tol;
}

/** The mutable scalar fields of a record, copied so a report can be checked before anything changes. */
export type Draft = Omit<OrderRecord, "chain" | "execIds">;

/** What applying a report would do. */
export type Transition =
  | {
    ok: true;
    next: Draft;
    /** A ClOrdID that joins the chain (accepted replace or cancel). */
    newClOrdId: string | undefined;
    /** A request ClOrdID that is finished (accepted or superseded) and leaves the pending index. */
    finishedRequest: string | undefined;
    /** The report was a Trade: the fill. */
    fill: { lastQty: number; lastPx: number } | undefined;
    /** The report was a reject (ExecType 8). */
    rejected: boolean;
  }
  | { ok: false; reason: string };

function bad(reason: string): Transition {
  return { ok: false, reason };
}

function execTypeLabel(t: string): string {
  return `${EXEC_TYPE_NAME[t] ?? "unknown"} (ExecType ${t})`;
}

/**
 * Checks `r` against the order `rec` and computes the next record. Covers ExecType 0, 3, 4, 5, 6,
 * 8, A, C, D, E, F and I; others (Trade Correct/Cancel, Stopped, Suspended, Calculated) are
 * reported as not handled rather than guessed at.
 */
export function applyReport(rec: OrderRecord, r: ParsedReport, nowMs: number): Transition {
  const missing: string[] = [];
  if (r.execType === undefined) missing.push("ExecType (150)");
  if (r.ordStatus === undefined) missing.push("OrdStatus (39)");
  if (r.execId === undefined) missing.push("ExecID (17)");
  if (r.cumQty === undefined) missing.push("CumQty (14)");
  if (r.leavesQty === undefined) missing.push("LeavesQty (151)");
  if (r.avgPx === undefined) missing.push("AvgPx (6)");
  if (missing.length > 0) return bad(`ExecutionReport missing or malformed: ${missing.join(", ")}`);
  const et = r.execType!, os = r.ordStatus!, cum = r.cumQty!, leaves = r.leavesQty!;

  if (r.symbol !== undefined && r.symbol !== rec.symbol) {
    return bad(`Symbol ${r.symbol} differs from the order's ${rec.symbol}`);
  }
  if (r.side !== undefined && r.side !== SIDE_CODE[rec.side]) {
    return bad(`Side ${r.side} differs from the order's ${SIDE_CODE[rec.side]}`);
  }
  if (r.orderId !== undefined && rec.orderId !== undefined && r.orderId !== rec.orderId) {
    return bad(`OrderID ${r.orderId} differs from the order's ${rec.orderId}`);
  }

  const { chain: _chain, execIds: _execIds, ...scalars } = rec;
  const d: Draft = scalars;
  d.updatedMs = nowMs;
  if (r.orderId !== undefined && d.orderId === undefined) d.orderId = r.orderId;
  if (r.text !== undefined) d.text = r.text;
  let newClOrdId: string | undefined;
  let finishedRequest: string | undefined;
  let fill: { lastQty: number; lastPx: number } | undefined;
  let rejected = false;
  const from = stateOf(rec);
  const live = isLivePhase(rec.phase);
  const code = PHASE_CODE[rec.phase];
  // The shared transition table decides which ExecType may follow and the phase it leads to.
  const np = nextPhase(code, et, cum, rec.orderQty);
  const impossible = () => bad(`impossible transition: ${execTypeLabel(et)} in state ${from}`);
  const statusMust = (allowed: readonly string[]) =>
    allowed.includes(os)
      ? undefined
      : bad(`OrdStatus ${os} does not fit ${execTypeLabel(et)} (expected ${allowed.join(" or ")})`);
  const unchangedCum = () =>
    qtyEq(cum, rec.cumQty) ? undefined : bad(
      `CumQty ${cum} changed from ${rec.cumQty} without a Trade (${execTypeLabel(et)})`,
    );
  const pendingOf = (kind: "cancel" | "replace") =>
    rec.pending !== undefined && rec.pending.kind === kind ? rec.pending : undefined;

  switch (et) {
    case "A": { // Pending New
      if (np < 0) return impossible();
      const e = statusMust(["A"]) ?? unchangedCum();
      if (e) return e;
      break;
    }
    case "0": { // New
      if (np < 0) return impossible();
      const e = statusMust(rec.pending ? ["0", rec.pending.kind === "cancel" ? "6" : "E"] : ["0"]) ??
        unchangedCum();
      if (e) return e;
      d.phase = PHASES[np]!;
      break;
    }
    case "8": { // Rejected
      if (np < 0) return impossible();
      const e = statusMust(["8"]) ?? unchangedCum();
      if (e) return e;
      d.phase = PHASES[np]!;
      rejected = true;
      break;
    }
    case "F": { // Trade
      if (np < 0) return impossible();
      if (r.lastQty === undefined || !(r.lastQty > 0)) return bad("Trade without a LastQty (32) > 0");
      if (r.lastPx === undefined) return bad("Trade without a LastPx (31)");
      const allowed = ["1", "2"];
      if (rec.pending) allowed.push(rec.pending.kind === "cancel" ? "6" : "E");
      const e = statusMust(allowed);
      if (e) return e;
      if (!qtyEq(cum, rec.cumQty + r.lastQty)) {
        return bad(`CumQty ${cum} is not the previous CumQty ${rec.cumQty} + LastQty ${r.lastQty}`);
      }
      if (cum > rec.orderQty && !qtyEq(cum, rec.orderQty)) {
        return bad(`overfill: CumQty ${cum} exceeds OrderQty ${rec.orderQty}`);
      }
      d.notional = rec.notional + r.lastQty * r.lastPx;
      d.cumQty = cum;
      d.lastQty = r.lastQty;
      d.lastPx = r.lastPx;
      d.phase = PHASES[np]!;
      fill = { lastQty: r.lastQty, lastPx: r.lastPx };
      break;
    }
    case "4": { // Canceled
      if (np < 0) return impossible();
      const e = statusMust(["4"]) ?? unchangedCum();
      if (e) return e;
      const p = pendingOf("cancel");
      if (p !== undefined && r.clOrdId === p.clOrdId) {
        newClOrdId = p.clOrdId;
        finishedRequest = p.clOrdId;
        d.pending = undefined;
      }
      d.phase = PHASES[np]!;
      break;
    }
    case "6": // Pending Cancel
    case "E": { // Pending Replace
      const kind = et === "6" ? "cancel" : "replace";
      const p = pendingOf(kind);
      if (!live || p === undefined) {
        return bad(`${execTypeLabel(et)} without a ${kind} request in flight (state ${from})`);
      }
      if (r.clOrdId !== p.clOrdId && r.clOrdId !== rec.clOrdId) {
        return bad(`${execTypeLabel(et)} for ClOrdID ${r.clOrdId}, but the ${kind} request is ${p.clOrdId}`);
      }
      const e = statusMust([et]) ?? unchangedCum();
      if (e) return e;
      d.pending = { ...p, acknowledged: true };
      break;
    }
    case "5": { // Replaced
      const p = pendingOf("replace");
      if (!live || p === undefined) {
        return bad(`${execTypeLabel(et)} without a replace request in flight (state ${from})`);
      }
      if (r.clOrdId !== p.clOrdId) {
        return bad(`${execTypeLabel(et)} for ClOrdID ${r.clOrdId}, but the replace request is ${p.clOrdId}`);
      }
      if (r.origClOrdId !== undefined && r.origClOrdId !== rec.clOrdId) {
        return bad(
          `${execTypeLabel(et)} with OrigClOrdID ${r.origClOrdId}, but the order's ClOrdID is ${rec.clOrdId}`,
        );
      }
      const e = statusMust(["0", "1", "2"]) ?? unchangedCum();
      if (e) return e;
      d.orderQty = r.orderQty ?? p.orderQty ?? rec.orderQty;
      d.price = r.price ?? p.price ?? rec.price;
      if (p.timeInForce !== undefined) d.timeInForce = p.timeInForce;
      d.phase = PHASES[nextPhase(code, et, cum, d.orderQty)]!;
      newClOrdId = p.clOrdId;
      finishedRequest = p.clOrdId;
      d.clOrdId = p.clOrdId;
      d.pending = undefined;
      break;
    }
    case "C": { // Expired
      if (np < 0) return impossible();
      const e = statusMust(["C"]) ?? unchangedCum();
      if (e) return e;
      d.phase = PHASES[np]!;
      break;
    }
    case "3": { // Done for day
      if (np < 0) return impossible();
      const e = statusMust(["3"]) ?? unchangedCum();
      if (e) return e;
      d.phase = PHASES[np]!;
      break;
    }
    case "D": { // Restated: the counterparty changed terms on its own
      if (np < 0) return impossible();
      const e = unchangedCum();
      if (e) return e;
      if (r.orderQty !== undefined) d.orderQty = r.orderQty;
      if (r.price !== undefined) d.price = r.price;
      // OrdStatus names the phase (not back to PendingNew, not Rejected); Pending Cancel/Replace keep it.
      const s = phaseOfOrdStatus(os);
      const ph = s > PHASE_PENDING_NEW && s !== PHASE_REJECTED
        ? PHASES[s]
        : os === "6" || os === "E"
        ? rec.phase
        : undefined;
      if (ph === undefined) return bad(`OrdStatus ${os} does not fit ${execTypeLabel(et)}`);
      d.phase = ph;
      break;
    }
    case "I": { // Order status: must agree with what we hold; changes nothing
      const expected = [ORD_STATUS_OF_PHASE[code]!];
      if (rec.pending !== undefined && live) expected.push(rec.pending.kind === "cancel" ? "6" : "E");
      if (!expected.includes(os)) {
        return bad(
          `status report says OrdStatus ${os}, but the order is ${from} (expected ${expected.join(" or ")})`,
        );
      }
      const e = unchangedCum();
      if (e) return e;
      break;
    }
    default:
      return bad(`${execTypeLabel(et)} is not handled by the order tracker`);
  }

  // Quantity rules on the resulting order.
  if (
    et !== "5" && et !== "D" && et !== "E" && et !== "6" && r.orderQty !== undefined &&
    !qtyEq(r.orderQty, d.orderQty)
  ) {
    return bad(`OrderQty ${r.orderQty} differs from the order's ${d.orderQty}`);
  }
  if (cum < 0 || leaves < 0) return bad(`negative quantity: CumQty ${cum}, LeavesQty ${leaves}`);
  if (cum > d.orderQty && !qtyEq(cum, d.orderQty)) {
    return bad(`overfill: CumQty ${cum} exceeds OrderQty ${d.orderQty}`);
  }
  if (LIVE_ORD_STATUS.has(os) && !qtyEq(cum + leaves, d.orderQty)) {
    return bad(`CumQty ${cum} + LeavesQty ${leaves} != OrderQty ${d.orderQty} (OrdStatus ${os})`);
  }
  if (DONE_ORD_STATUS.has(os) && !qtyEq(leaves, 0)) {
    return bad(`LeavesQty ${leaves} must be 0 with OrdStatus ${os}`);
  }
  if (os === "0" && !qtyEq(cum, 0)) return bad(`OrdStatus 0 (New) with CumQty ${cum} > 0`);
  if (os === "1" && (qtyEq(cum, 0) || qtyEq(cum, d.orderQty))) {
    return bad(`OrdStatus 1 (Partially filled) with CumQty ${cum} of OrderQty ${d.orderQty}`);
  }
  if (os === "2" && !qtyEq(cum, d.orderQty)) {
    return bad(`OrdStatus 2 (Filled) with CumQty ${cum} of OrderQty ${d.orderQty}`);
  }
  const avg = r.avgPx!;
  if (qtyEq(cum, 0)) {
    if (avg !== 0) return bad(`AvgPx ${r.avgPxText} with CumQty 0`);
  } else {
    const computed = d.notional / cum;
    if (!avgPxMatches(avg, r.avgPxText, computed)) {
      return bad(`AvgPx ${r.avgPxText} inconsistent with the fills (average ${computed})`);
    }
  }
  d.leavesQty = isLivePhase(d.phase) ? d.orderQty - d.cumQty : 0;
  if (!qtyEq(cum, 0)) d.avgPx = d.notional / cum;
  return { ok: true, next: d, newClOrdId, finishedRequest, fill, rejected };
}

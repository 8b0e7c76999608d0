/**
 * The one order model: the phases of an order and `nextPhase`, the transition table every side that
 * keeps order state moves its orders with (the LP simulator, the load generator and the echo tracker of
 * `fixg bench`, the engine's open-order tracking for the kill switch). Small integers and no
 * allocation, for hot paths that keep a phase per order in a typed array or a plain field.
 *
 * The strict client-side checks of a counterparty's reports built on it (quantities, AvgPx, the
 * ClOrdID chain, requests in flight: `applyReport`, and OrderTracker around it) are test code:
 * test/_helpers/order_reports.ts and order_tracker.ts, the client the simulator's tests trade through
 * (docs/architecture.md, "The order model").
 */

/** The order's own phase, without requests in flight (those make PendingCancel/PendingReplace). */
export type OrderPhase =
  | "PendingNew"
  | "New"
  | "PartiallyFilled"
  | "Filled"
  | "Canceled"
  | "Rejected"
  | "Expired"
  | "DoneForDay";
/*
 * The phases as small integers, for the hot paths that keep order state in typed arrays or plain
 * fields (the load generator, the LP simulator's orders): PHASES[code] is the name, PHASE_CODE[name]
 * the code. The live phases are the codes up to PHASE_PARTIALLY_FILLED.
 */
export const PHASE_PENDING_NEW = 0;
export const PHASE_NEW = 1;
export const PHASE_PARTIALLY_FILLED = 2;
export const PHASE_FILLED = 3;
export const PHASE_CANCELED = 4;
export const PHASE_REJECTED = 5;
export const PHASE_EXPIRED = 6;
export const PHASE_DONE_FOR_DAY = 7;

/** Phase names by code. */
export const PHASES: readonly OrderPhase[] = [
  "PendingNew",
  "New",
  "PartiallyFilled",
  "Filled",
  "Canceled",
  "Rejected",
  "Expired",
  "DoneForDay",
];

/** Phase codes by name. */
export const PHASE_CODE: Readonly<Record<OrderPhase, number>> = {
  PendingNew: PHASE_PENDING_NEW,
  New: PHASE_NEW,
  PartiallyFilled: PHASE_PARTIALLY_FILLED,
  Filled: PHASE_FILLED,
  Canceled: PHASE_CANCELED,
  Rejected: PHASE_REJECTED,
  Expired: PHASE_EXPIRED,
  DoneForDay: PHASE_DONE_FOR_DAY,
};

/** OrdStatus (39) code of each phase code. */
export const ORD_STATUS_OF_PHASE: readonly string[] = ["A", "0", "1", "2", "4", "8", "C", "3"];

/**
 * The phase code an OrdStatus (39) names, or -1 (Pending Cancel, Pending Replace and others name no phase
 * of their own). For what carries no ExecType to follow (an OrderCancelReject) or says the phase itself
 * (a Restated report). Allocation-free.
 */
export function phaseOfOrdStatus(os: string | undefined): number {
  switch (os) {
    case "A":
      return PHASE_PENDING_NEW;
    case "0":
      return PHASE_NEW;
    case "1":
      return PHASE_PARTIALLY_FILLED;
    case "2":
      return PHASE_FILLED;
    case "4":
      return PHASE_CANCELED;
    case "8":
      return PHASE_REJECTED;
    case "C":
      return PHASE_EXPIRED;
    case "3":
      return PHASE_DONE_FOR_DAY;
    default:
      return -1;
  }
}

/**
 * True for an OrdStatus (39) that names a phase no longer live: Filled (2), Canceled (4), Rejected
 * (8), Expired (C), Done for day (3). No more answers come to the order (`fixg send` stops waiting).
 */
export function isFinalOrdStatus(os: string | undefined): boolean {
  const p = phaseOfOrdStatus(os);
  return p >= 0 && !isLivePhaseCode(p);
}

/** True while a phase code can still trade or be canceled (PendingNew, New, PartiallyFilled). */
export function isLivePhaseCode(p: number): boolean {
  return p <= PHASE_PARTIALLY_FILLED;
}

/**
 * The one transition table of an order, shared by every side that keeps order state (the tracker
 * checking a counterparty's reports, the LP simulator writing its own, the load generator following
 * its orders): the phase code an ExecutionReport of ExecType (150) `execType` moves phase `p` to,
 * given the order's CumQty and OrderQty after the report (they decide Filled against PartiallyFilled,
 * and New after a Replace), or -1 when that ExecType cannot follow `p`. Allocation-free.
 *
 * Pending Cancel (6), Pending Replace (E) and Restated (D) leave the phase as it is (a Restated
 * report's OrdStatus says the new phase; the tracker reads it); Order Status (I) follows any phase.
 * Trade Correct/Cancel, Stopped, Suspended and Calculated are not handled (-1).
 */
export function nextPhase(p: number, execType: string | undefined, cumQty: number, orderQty: number): number {
  const live = p <= PHASE_PARTIALLY_FILLED;
  switch (execType) {
    case "A": // Pending New
      return p === PHASE_PENDING_NEW ? p : -1;
    case "0": // New
      return p === PHASE_PENDING_NEW ? PHASE_NEW : -1;
    case "8": // Rejected
      return p === PHASE_PENDING_NEW ? PHASE_REJECTED : -1;
    case "F": // Trade
      return live ? (qtyEq(cumQty, orderQty) ? PHASE_FILLED : PHASE_PARTIALLY_FILLED) : -1;
    case "5": // Replaced
      if (!live) return -1;
      return qtyEq(cumQty, 0) ? PHASE_NEW : qtyEq(cumQty, orderQty) ? PHASE_FILLED : PHASE_PARTIALLY_FILLED;
    case "6": // Pending Cancel
    case "E": // Pending Replace
      return live ? p : -1;
    case "4": // Canceled
      return live || p === PHASE_DONE_FOR_DAY ? PHASE_CANCELED : -1;
    case "C": // Expired
      return live || p === PHASE_DONE_FOR_DAY ? PHASE_EXPIRED : -1;
    case "3": // Done for day
      return live ? PHASE_DONE_FOR_DAY : -1;
    case "D": // Restated
      return live || p === PHASE_DONE_FOR_DAY ? p : -1;
    case "I": // Order status
      return p;
    default:
      return -1;
  }
}

/** Relative tolerance of quantity comparisons (quantities arrive as decimals). */
const QTY_EPS = 1e-9;

/** a = b within the quantity tolerance. */
export function qtyEq(a: number, b: number): boolean {
  return Math.abs(a - b) <= QTY_EPS * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * The messages the LP simulator sends, on the generated FIX 4.4 typed builders (the body of every
 * session version, FIX 4.3 to FIXT.1.1/5.0 SP2), and the ExecutionReport of a FIX 4.0 to 4.2 session on
 * FIX 4.2's (`ExecutionReport42`, filled by `fix42Report`; docs/simulator.md, "FIX versions"). `pick`: each writes
 * only the fields the simulator fills (in the dictionary's order), so a message with hundreds of
 * members in the dictionary costs what its few fields cost. `loose`: the simulator echoes a client's
 * codes and quantities as text and formats its own prices, so codes and decimals are taken as any
 * string or number. W and X with RptSeq: app/market_data/rpt_seq.ts.
 */
import * as fix42 from "../../dictionary/generated/fix42.ts";
import * as fix44 from "../../dictionary/generated/fix44.ts";
import { loose, pick } from "../../dictionary/typed.ts";

/** ExecutionReport (8). */
export const ExecutionReport = loose(pick(fix44.ExecutionReport, [
  "orderID",
  "clOrdID",
  "origClOrdID",
  "ordStatusReqID",
  "massStatusReqID",
  "totNumReports",
  "lastRptRequested",
  "execID",
  "execType",
  "ordStatus",
  "ordRejReason",
  "symbol",
  "side",
  "orderQty",
  "ordType",
  "price",
  "timeInForce",
  "lastQty",
  "lastPx",
  "leavesQty",
  "cumQty",
  "avgPx",
  "transactTime",
  "text",
]));
/** ExecutionReport's fields as the simulator fills them. */
export type ExecutionReportFields = typeof ExecutionReport extends { adopt(d: infer D): unknown } ? D : never;
/**
 * ExecutionReport (8) of a FIX 4.0 to 4.2 session: FIX 4.2's layout, with ExecTransType (20, required
 * there) and without the FIX 4.4 fields FIX 4.2 does not define (OrdStatusReqID, MassStatusReqID,
 * TotNumReports, LastRptRequested). Filled from the FIX 4.4 fields by `fix42Report`.
 */
export const ExecutionReport42 = loose(pick(fix42.ExecutionReport, [
  "orderID",
  "clOrdID",
  "origClOrdID",
  "execID",
  "execTransType",
  "execType",
  "ordStatus",
  "ordRejReason",
  "symbol",
  "side",
  "orderQty",
  "ordType",
  "price",
  "timeInForce",
  "lastShares",
  "lastPx",
  "leavesQty",
  "cumQty",
  "avgPx",
  "transactTime",
  "text",
]));

/** ExecutionReport42's fields. */
export type ExecutionReport42Fields = typeof ExecutionReport42 extends { adopt(d: infer D): unknown } ? D
  : never;

/** The highest OrdRejReason (103) code of FIX 4.0, 4.1, 4.2 (by version - 40): others are sent as 0. */
const MAX_ORD_REJ_REASON = [4, 6, 8];

/**
 * A FIX 4.4 ExecutionReport's fields as FIX 4.2 says them: ExecTransType 0 (New), or 3 (Status) for an
 * order status report, whose ExecType is then the OrdStatus (FIX 4.2 has no ExecType I); a fill's
 * ExecType 1 (Partial fill) or 2 (Fill) instead of F (Trade, FIX 4.3 on); a replace of an order with
 * nothing filled OrdStatus 5 (Replaced: FIX 4.4 dropped it, FIX 4.2's matrices use it); an OrdRejReason
 * FIX 4.2 does not define (11, 13, 99) as 0, Broker option. `fixVersion` 41 and 40 (FIX 4.1, 4.0):
 * OrderQty, LastShares and LastPx always there (required: 0 on a report without a fill), OrdRejReason
 * up to 6 (4.1) or 4 (4.0); FIX 4.0 has no ExecType, LeavesQty or OrigClOrdID in the report, and its
 * ExecID is an int (the number of the simulator's ExecID).
 */
export function fix42Report(f: ExecutionReportFields, fixVersion = 42): ExecutionReport42Fields {
  const execType = String(f.execType);
  const ordStatus = String(f.ordStatus);
  const status = execType === "I";
  const rej = f.ordRejReason === undefined ? undefined : Number(f.ordRejReason);
  const r: ExecutionReport42Fields = {
    orderID: f.orderID,
    clOrdID: f.clOrdID,
    origClOrdID: f.origClOrdID,
    execID: f.execID,
    execTransType: status ? "3" : "0",
    execType: status ? ordStatus : execType === "F" ? (ordStatus === "2" ? "2" : "1") : execType,
    ordStatus: execType === "5" && ordStatus === "0" ? "5" : ordStatus,
    ordRejReason: rej === undefined
      ? undefined
      : rej >= 0 && rej <= MAX_ORD_REJ_REASON[fixVersion - 40]!
      ? rej
      : 0,
    symbol: f.symbol ?? "[N/A]",
    side: f.side,
    orderQty: f.orderQty,
    ordType: f.ordType,
    price: f.price,
    timeInForce: f.timeInForce,
    lastShares: f.lastQty,
    lastPx: f.lastPx,
    leavesQty: f.leavesQty,
    cumQty: f.cumQty,
    avgPx: f.avgPx,
    transactTime: f.transactTime,
    text: f.text,
  };
  if (fixVersion > 41) return r;
  r.orderQty ??= 0;
  r.lastShares ??= 0;
  r.lastPx ??= 0;
  if (fixVersion === 40) {
    // FIX 4.0's report has no ExecType, LeavesQty or OrigClOrdID (the FIX 4.2 type requires the first two).
    const r40 = r as { execType?: unknown; leavesQty?: unknown; origClOrdID?: unknown };
    r40.execType = r40.leavesQty = r40.origClOrdID = undefined;
    // ExecID is an int in FIX 4.0: the report's number (`<prefix>-E<n>`: unique in the run, not across runs).
    r.execID = r.execID.slice(r.execID.lastIndexOf("-E") + 2);
  }
  return r;
}

/**
 * A FIX 4.4 ExecutionReport's fields as FIX 4.3 says them: without OrdStatusReqID, MassStatusReqID,
 * TotNumReports and LastRptRequested (FIX 4.4's), OrdRejReason 13 and 99 (FIX 4.4's) as 0, Broker option.
 */
export function fix43Report(f: ExecutionReportFields): ExecutionReportFields {
  const rej = f.ordRejReason === undefined ? undefined : Number(f.ordRejReason);
  return {
    ...f,
    ordStatusReqID: undefined,
    massStatusReqID: undefined,
    totNumReports: undefined,
    lastRptRequested: undefined,
    ordRejReason: rej === undefined ? undefined : rej >= 0 && rej <= 12 ? rej : 0,
  };
}

/**
 * CxlRejReason (102) in FIX 4.2 (0 to 3) and FIX 4.3 (0 to 6): 6 (duplicate ClOrdID, FIX 4.3 on) and 99
 * (other, FIX 4.4 on) are 2, Broker option, where the version lacks them. FIX 4.0 and 4.1 have only 0
 * (too late) and 1 (unknown order): others are left out (the Text says why).
 */
export function cxlRejReasonIn(fixVersion: number, reason: number): number | undefined {
  if (fixVersion <= 41) return reason === 0 || reason === 1 ? reason : undefined;
  return reason >= 0 && reason <= (fixVersion === 42 ? 3 : 6) ? reason : 2;
}

/** OrderCancelReject (9). */
export const OrderCancelReject = loose(pick(fix44.OrderCancelReject, [
  "orderID",
  "clOrdID",
  "origClOrdID",
  "ordStatus",
  "transactTime",
  "cxlRejResponseTo",
  "cxlRejReason",
  "text",
]));
/** OrderCancelReject's fields as the simulator fills them. */
export type OrderCancelRejectFields = typeof OrderCancelReject extends { adopt(d: infer D): unknown } ? D
  : never;
/** BusinessMessageReject (j). */
export const BusinessMessageReject = loose(pick(fix44.BusinessMessageReject, [
  "refSeqNum",
  "refMsgType",
  "businessRejectRefID",
  "businessRejectReason",
  "text",
]));
/** MarketDataRequestReject (Y). */
export const MarketDataRequestReject = loose(
  pick(fix44.MarketDataRequestReject, ["mdReqID", "mdReqRejReason", "text"]),
);
/** MarketDataSnapshotFullRefresh (W) without RptSeq. */
export const MarketDataSnapshotFullRefresh = loose(pick(fix44.MarketDataSnapshotFullRefresh, [
  "mdReqID",
  "symbol",
  "noMDEntries",
  "mdEntryType",
  "mdEntryPx",
  "mdEntrySize",
]));
/** MarketDataIncrementalRefresh (X) without RptSeq. */
export const MarketDataIncrementalRefresh = loose(pick(fix44.MarketDataIncrementalRefresh, [
  "mdReqID",
  "noMDEntries",
  "mdUpdateAction",
  "mdEntryType",
  "symbol",
  "mdEntryPx",
  "mdEntrySize",
]));
/** Quote (S). */
export const Quote = loose(pick(fix44.Quote, [
  "quoteReqID",
  "quoteID",
  "symbol",
  "bidPx",
  "offerPx",
  "bidSize",
  "offerSize",
  "validUntilTime",
  "transactTime",
]));
/** QuoteRequestReject (AG). */
export const QuoteRequestReject = loose(pick(fix44.QuoteRequestReject, [
  "quoteReqID",
  "quoteRequestRejectReason",
  "noRelatedSym",
  "symbol",
  "text",
]));

/**
 * The messages the LP simulator sends, on the generated FIX 4.4 typed builders (one body layout for
 * every session version, FIX 4.0 to FIXT.1.1/5.0, as the simulator always wrote). `pick`: each writes
 * only the fields the simulator fills (in the dictionary's order), so a message with hundreds of
 * members in the dictionary costs what its few fields cost. `loose`: the simulator echoes a client's
 * codes and quantities as text and formats its own prices, so codes and decimals are taken as any
 * string or number. W and X with RptSeq: app/market_data/rpt_seq.ts.
 */
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

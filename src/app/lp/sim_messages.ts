/**
 * The messages the LP simulator sends, on the generated FIX 4.4 typed builders (one body layout for
 * every session version, FIX 4.0 to FIXT.1.1/5.0, as the simulator always wrote). `loose`: the
 * simulator echoes a client's codes and quantities as text and formats its own prices, so codes and
 * decimals are taken as any string or number. W and X with RptSeq: app/market_data/rpt_seq.ts.
 */
import * as fix44 from "../../dictionary/generated/fix44.ts";
import { loose, type LooseInput } from "../../dictionary/typed.ts";

/** ExecutionReport (8). */
export const ExecutionReport = loose(fix44.ExecutionReport);
/** ExecutionReport's fields as the simulator fills them. */
export type ExecutionReportFields = LooseInput<fix44.ExecutionReport>;
/** OrderCancelReject (9). */
export const OrderCancelReject = loose(fix44.OrderCancelReject);
/** BusinessMessageReject (j). */
export const BusinessMessageReject = loose(fix44.BusinessMessageReject);
/** MarketDataRequestReject (Y). */
export const MarketDataRequestReject = loose(fix44.MarketDataRequestReject);
/** MarketDataSnapshotFullRefresh (W) without RptSeq. */
export const MarketDataSnapshotFullRefresh = loose(fix44.MarketDataSnapshotFullRefresh);
/** MarketDataIncrementalRefresh (X) without RptSeq. */
export const MarketDataIncrementalRefresh = loose(fix44.MarketDataIncrementalRefresh);
/** Quote (S). */
export const Quote = loose(fix44.Quote);
/** QuoteRequestReject (AG). */
export const QuoteRequestReject = loose(fix44.QuoteRequestReject);

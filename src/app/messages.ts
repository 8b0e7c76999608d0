/**
 * Builders of the application messages fixg sends, as FixMessage data without header fields (the
 * session adds 8, 9, 35, 49, 56, 34, 52). Fields follow the FIX 4.4 dictionary's order, and
 * repeating-group entries list their fields in the group's order, so strict counterparties
 * (QuickFIX with validation on) accept them.
 *
 * Prices and quantities are `FieldValue`s: pass a string to control the exact digits (the
 * simulator formats prices from ticks), or a number (written in plain decimal notation).
 */
import {
  BuiltMessage,
  type Field,
  type FieldSink,
  type FieldValue,
  type FixMessage,
} from "../codec/encoder.ts";
import { MsgType, Tag } from "../codec/tags.ts";
import { formatTimestamp } from "../codec/timestamps.ts";
import { AppTag } from "./tags.ts";

let stampMs = NaN;
let stampText = "";

/** UTCTimestamp text of `epochMs`; messages built in the same millisecond share one formatting. */
function stamp(epochMs: number): string {
  const ms = Math.floor(epochMs);
  if (ms !== stampMs) {
    stampMs = ms;
    stampText = formatTimestamp(ms);
  }
  return stampText;
}

function put(fields: Field[], tag: number, value: FieldValue | undefined): void {
  if (value !== undefined) fields.push([tag, value]);
}

/** Fields of a NewOrderSingle (D). Codes are FIX codes: side "1"/"2", ordType "1"/"2", timeInForce "0".."4". */
export interface NewOrderSingleFields {
  clOrdId: string;
  account?: string | undefined;
  symbol: string;
  side: string;
  transactTimeMs: number;
  orderQty: FieldValue;
  ordType: string;
  price?: FieldValue | undefined;
  currency?: string | undefined;
  timeInForce?: string | undefined;
  text?: string | undefined;
}

/** NewOrderSingle (D). */
export function newOrderSingle(f: NewOrderSingleFields): FixMessage {
  return newOrderSingleOf({ ...f });
}

/**
 * NewOrderSingle (D) that keeps `f` itself rather than a copy: for a fields object made for this one
 * message (the caller must not change it afterwards). Saves a copy on a load generator's hot path.
 */
export function newOrderSingleOf(f: NewOrderSingleFields): FixMessage {
  return new BuiltMessage(MsgType.NewOrderSingle, f, writeNewOrderSingle);
}

function writeNewOrderSingle(f: NewOrderSingleFields, out: FieldSink): void {
  out.field(Tag.ClOrdID, f.clOrdId);
  if (f.account !== undefined) out.field(Tag.Account, f.account);
  out.field(Tag.Symbol, f.symbol);
  out.field(Tag.Side, f.side);
  out.timestamp(Tag.TransactTime, f.transactTimeMs);
  out.field(Tag.OrderQty, f.orderQty);
  out.field(Tag.OrdType, f.ordType);
  if (f.price !== undefined) out.field(Tag.Price, f.price);
  if (f.currency !== undefined) out.field(Tag.Currency, f.currency);
  if (f.timeInForce !== undefined) out.field(Tag.TimeInForce, f.timeInForce);
  if (f.text !== undefined) out.field(Tag.Text, f.text);
}

/** Fields of an OrderCancelRequest (F). */
export interface OrderCancelRequestFields {
  origClOrdId: string;
  orderId?: string | undefined;
  clOrdId: string;
  symbol: string;
  side: string;
  transactTimeMs: number;
  orderQty: FieldValue;
  text?: string | undefined;
}

/** OrderCancelRequest (F). */
export function orderCancelRequest(f: OrderCancelRequestFields): FixMessage {
  const fields: Field[] = [[Tag.OrigClOrdID, f.origClOrdId]];
  put(fields, Tag.OrderID, f.orderId);
  fields.push(
    [Tag.ClOrdID, f.clOrdId],
    [Tag.Symbol, f.symbol],
    [Tag.Side, f.side],
    [Tag.TransactTime, stamp(f.transactTimeMs)],
    [Tag.OrderQty, f.orderQty],
  );
  put(fields, Tag.Text, f.text);
  return { msgType: MsgType.OrderCancelRequest, fields };
}

/**
 * Fields of an OrderCancelReplaceRequest (G): the order's new terms, as on a NewOrderSingle, with the
 * order they replace.
 */
export interface OrderCancelReplaceRequestFields extends NewOrderSingleFields {
  orderId?: string | undefined;
  origClOrdId: string;
}

/** OrderCancelReplaceRequest (G): 37, 41, then the order's fields as a NewOrderSingle writes them. */
export function orderCancelReplaceRequest(f: OrderCancelReplaceRequestFields): FixMessage {
  return new BuiltMessage(MsgType.OrderCancelReplaceRequest, { ...f }, writeOrderCancelReplaceRequest);
}

function writeOrderCancelReplaceRequest(f: OrderCancelReplaceRequestFields, out: FieldSink): void {
  if (f.orderId !== undefined) out.field(Tag.OrderID, f.orderId);
  out.field(Tag.OrigClOrdID, f.origClOrdId);
  writeNewOrderSingle(f, out);
}

/** Fields of an OrderStatusRequest (H). */
export interface OrderStatusRequestFields {
  orderId?: string | undefined;
  clOrdId: string;
  ordStatusReqId?: string | undefined;
  symbol: string;
  side: string;
}

/** OrderStatusRequest (H). */
export function orderStatusRequest(f: OrderStatusRequestFields): FixMessage {
  const fields: Field[] = [];
  put(fields, Tag.OrderID, f.orderId);
  fields.push([Tag.ClOrdID, f.clOrdId]);
  put(fields, AppTag.OrdStatusReqID, f.ordStatusReqId);
  fields.push([Tag.Symbol, f.symbol], [Tag.Side, f.side]);
  return { msgType: MsgType.OrderStatusRequest, fields };
}

/** Fields of an OrderMassStatusRequest (AF): type 7 = all orders, 1 = orders of `symbol`. */
export interface OrderMassStatusRequestFields {
  massStatusReqId: string;
  massStatusReqType: number;
  symbol?: string | undefined;
}

/** OrderMassStatusRequest (AF). */
export function orderMassStatusRequest(f: OrderMassStatusRequestFields): FixMessage {
  const fields: Field[] = [[Tag.MassStatusReqID, f.massStatusReqId], [
    Tag.MassStatusReqType,
    f.massStatusReqType,
  ]];
  put(fields, Tag.Symbol, f.symbol);
  return { msgType: MsgType.OrderMassStatusRequest, fields };
}

/** Fields of an ExecutionReport (8). */
export interface ExecutionReportFields {
  orderId: string;
  clOrdId?: string | undefined;
  origClOrdId?: string | undefined;
  ordStatusReqId?: string | undefined;
  massStatusReqId?: string | undefined;
  totNumReports?: number | undefined;
  lastRptRequested?: boolean | undefined;
  execId: string;
  execType: string;
  ordStatus: string;
  ordRejReason?: number | undefined;
  symbol: string;
  side: string;
  orderQty?: FieldValue | undefined;
  ordType?: string | undefined;
  price?: FieldValue | undefined;
  timeInForce?: string | undefined;
  lastQty?: FieldValue | undefined;
  lastPx?: FieldValue | undefined;
  leavesQty: FieldValue;
  cumQty: FieldValue;
  avgPx: FieldValue;
  transactTimeMs: number;
  text?: string | undefined;
}

/** ExecutionReport (8). */
export function executionReport(f: ExecutionReportFields): FixMessage {
  return executionReportOf({ ...f });
}

/**
 * ExecutionReport (8) that keeps `f` itself rather than a copy: for a fields object made for this
 * one message (the caller must not change it afterwards). Saves a copy on the simulator's hot path.
 */
export function executionReportOf(f: ExecutionReportFields): FixMessage {
  return new BuiltMessage(MsgType.ExecutionReport, f, writeExecutionReport);
}

function writeExecutionReport(f: ExecutionReportFields, out: FieldSink): void {
  out.field(Tag.OrderID, f.orderId);
  if (f.clOrdId !== undefined) out.field(Tag.ClOrdID, f.clOrdId);
  if (f.origClOrdId !== undefined) out.field(Tag.OrigClOrdID, f.origClOrdId);
  if (f.ordStatusReqId !== undefined) out.field(AppTag.OrdStatusReqID, f.ordStatusReqId);
  if (f.massStatusReqId !== undefined) out.field(Tag.MassStatusReqID, f.massStatusReqId);
  if (f.totNumReports !== undefined) out.field(AppTag.TotNumReports, f.totNumReports);
  if (f.lastRptRequested !== undefined) out.field(AppTag.LastRptRequested, f.lastRptRequested);
  out.field(Tag.ExecID, f.execId);
  out.field(Tag.ExecType, f.execType);
  out.field(Tag.OrdStatus, f.ordStatus);
  if (f.ordRejReason !== undefined) out.field(Tag.OrdRejReason, f.ordRejReason);
  out.field(Tag.Symbol, f.symbol);
  out.field(Tag.Side, f.side);
  if (f.orderQty !== undefined) out.field(Tag.OrderQty, f.orderQty);
  if (f.ordType !== undefined) out.field(Tag.OrdType, f.ordType);
  if (f.price !== undefined) out.field(Tag.Price, f.price);
  if (f.timeInForce !== undefined) out.field(Tag.TimeInForce, f.timeInForce);
  if (f.lastQty !== undefined) out.field(Tag.LastQty, f.lastQty);
  if (f.lastPx !== undefined) out.field(Tag.LastPx, f.lastPx);
  out.field(Tag.LeavesQty, f.leavesQty);
  out.field(Tag.CumQty, f.cumQty);
  out.field(Tag.AvgPx, f.avgPx);
  out.timestamp(Tag.TransactTime, f.transactTimeMs);
  if (f.text !== undefined) out.field(Tag.Text, f.text);
}

/** Fields of an OrderCancelReject (9). cxlRejResponseTo: "1" cancel, "2" replace. */
export interface OrderCancelRejectFields {
  orderId: string;
  clOrdId: string;
  origClOrdId: string;
  ordStatus: string;
  transactTimeMs?: number | undefined;
  cxlRejResponseTo: string;
  cxlRejReason?: number | undefined;
  text?: string | undefined;
}

/** OrderCancelReject (9). */
export function orderCancelReject(f: OrderCancelRejectFields): FixMessage {
  const fields: Field[] = [
    [Tag.OrderID, f.orderId],
    [Tag.ClOrdID, f.clOrdId],
    [Tag.OrigClOrdID, f.origClOrdId],
    [Tag.OrdStatus, f.ordStatus],
  ];
  if (f.transactTimeMs !== undefined) fields.push([Tag.TransactTime, stamp(f.transactTimeMs)]);
  fields.push([Tag.CxlRejResponseTo, f.cxlRejResponseTo]);
  put(fields, Tag.CxlRejReason, f.cxlRejReason);
  put(fields, Tag.Text, f.text);
  return { msgType: MsgType.OrderCancelReject, fields };
}

/** Fields of a MarketDataRequest (V), with codes: subscriptionRequestType "0" | "1" | "2". */
export interface MarketDataRequestFields {
  mdReqId: string;
  subscriptionRequestType: string;
  marketDepth: number;
  mdUpdateType?: number | undefined;
  aggregatedBook?: boolean | undefined;
  entryTypes: readonly string[];
  symbols: readonly string[];
}

/** MarketDataRequest (V). */
export function marketDataRequest(f: MarketDataRequestFields): FixMessage {
  const fields: Field[] = [
    [Tag.MDReqID, f.mdReqId],
    [Tag.SubscriptionRequestType, f.subscriptionRequestType],
    [Tag.MarketDepth, f.marketDepth],
  ];
  put(fields, Tag.MDUpdateType, f.mdUpdateType);
  put(fields, AppTag.AggregatedBook, f.aggregatedBook);
  fields.push([Tag.NoMDEntryTypes, f.entryTypes.length]);
  for (const t of f.entryTypes) fields.push([Tag.MDEntryType, t]);
  fields.push([Tag.NoRelatedSym, f.symbols.length]);
  for (const s of f.symbols) fields.push([Tag.Symbol, s]);
  return { msgType: MsgType.MarketDataRequest, fields };
}

/** One entry of a MarketDataSnapshotFullRefresh: type code "0" bid, "1" offer, "2" trade. */
export interface SnapshotEntryFields {
  type: string;
  px?: FieldValue | undefined;
  size?: FieldValue | undefined;
  positionNo?: number | undefined;
}

/** Fields of a MarketDataSnapshotFullRefresh (W). `rptSeq` is written in the body when given. */
export interface MarketDataSnapshotFields {
  mdReqId?: string | undefined;
  symbol: string;
  rptSeq?: number | undefined;
  entries: readonly SnapshotEntryFields[];
}

/** MarketDataSnapshotFullRefresh (W). */
export function marketDataSnapshot(f: MarketDataSnapshotFields): FixMessage {
  const fields: Field[] = [];
  put(fields, Tag.MDReqID, f.mdReqId);
  fields.push([Tag.Symbol, f.symbol]);
  put(fields, AppTag.RptSeq, f.rptSeq);
  fields.push([Tag.NoMDEntries, f.entries.length]);
  for (const e of f.entries) {
    fields.push([Tag.MDEntryType, e.type]);
    put(fields, Tag.MDEntryPx, e.px);
    put(fields, Tag.MDEntrySize, e.size);
    put(fields, AppTag.MDEntryPositionNo, e.positionNo);
  }
  return { msgType: MsgType.MarketDataSnapshotFullRefresh, fields };
}

/** One entry of a MarketDataIncrementalRefresh: action code "0" new, "1" change, "2" delete. */
export interface IncrementalEntryFields {
  action: string;
  type?: string | undefined;
  id?: string | undefined;
  symbol?: string | undefined;
  rptSeq?: number | undefined;
  px?: FieldValue | undefined;
  size?: FieldValue | undefined;
}

/** Fields of a MarketDataIncrementalRefresh (X). */
export interface MarketDataIncrementalFields {
  mdReqId?: string | undefined;
  entries: readonly IncrementalEntryFields[];
}

/** MarketDataIncrementalRefresh (X). */
export function marketDataIncremental(f: MarketDataIncrementalFields): FixMessage {
  const fields: Field[] = [];
  put(fields, Tag.MDReqID, f.mdReqId);
  fields.push([Tag.NoMDEntries, f.entries.length]);
  for (const e of f.entries) {
    fields.push([Tag.MDUpdateAction, e.action]);
    put(fields, Tag.MDEntryType, e.type);
    put(fields, Tag.MDEntryID, e.id);
    put(fields, Tag.Symbol, e.symbol);
    put(fields, AppTag.RptSeq, e.rptSeq);
    put(fields, Tag.MDEntryPx, e.px);
    put(fields, Tag.MDEntrySize, e.size);
  }
  return { msgType: MsgType.MarketDataIncrementalRefresh, fields };
}

/** Fields of a MarketDataRequestReject (Y); `reason` is MDReqRejReason (281), e.g. "0" unknown symbol. */
export interface MarketDataRequestRejectFields {
  mdReqId: string;
  reason?: string | undefined;
  text?: string | undefined;
}

/** MarketDataRequestReject (Y). */
export function marketDataRequestReject(f: MarketDataRequestRejectFields): FixMessage {
  const fields: Field[] = [[Tag.MDReqID, f.mdReqId]];
  put(fields, Tag.MDReqRejReason, f.reason);
  put(fields, Tag.Text, f.text);
  return { msgType: MsgType.MarketDataRequestReject, fields };
}

/** Fields of a QuoteRequest (R) for one instrument. */
export interface QuoteRequestFields {
  quoteReqId: string;
  symbol: string;
  side?: string | undefined;
  orderQty?: FieldValue | undefined;
}

/** QuoteRequest (R). */
export function quoteRequest(f: QuoteRequestFields): FixMessage {
  const fields: Field[] = [[Tag.QuoteReqID, f.quoteReqId], [Tag.NoRelatedSym, 1], [Tag.Symbol, f.symbol]];
  put(fields, Tag.Side, f.side);
  put(fields, Tag.OrderQty, f.orderQty);
  return { msgType: MsgType.QuoteRequest, fields };
}

/** Fields of a Quote (S). */
export interface QuoteFields {
  quoteReqId?: string | undefined;
  quoteId: string;
  symbol: string;
  bidPx?: FieldValue | undefined;
  offerPx?: FieldValue | undefined;
  bidSize?: FieldValue | undefined;
  offerSize?: FieldValue | undefined;
  validUntilMs?: number | undefined;
  transactTimeMs?: number | undefined;
}

/** Quote (S). */
export function quote(f: QuoteFields): FixMessage {
  const fields: Field[] = [];
  put(fields, Tag.QuoteReqID, f.quoteReqId);
  fields.push([Tag.QuoteID, f.quoteId], [Tag.Symbol, f.symbol]);
  put(fields, Tag.BidPx, f.bidPx);
  put(fields, Tag.OfferPx, f.offerPx);
  put(fields, Tag.BidSize, f.bidSize);
  put(fields, Tag.OfferSize, f.offerSize);
  if (f.validUntilMs !== undefined) fields.push([AppTag.ValidUntilTime, stamp(f.validUntilMs)]);
  if (f.transactTimeMs !== undefined) fields.push([Tag.TransactTime, stamp(f.transactTimeMs)]);
  return { msgType: MsgType.Quote, fields };
}

/** Fields of a QuoteRequestReject (AG); `reason` is QuoteRequestRejectReason (658), 1 = unknown symbol. */
export interface QuoteRequestRejectFields {
  quoteReqId: string;
  reason: number;
  symbol: string;
  text?: string | undefined;
}

/** QuoteRequestReject (AG). */
export function quoteRequestReject(f: QuoteRequestRejectFields): FixMessage {
  const fields: Field[] = [
    [Tag.QuoteReqID, f.quoteReqId],
    [AppTag.QuoteRequestRejectReason, f.reason],
    [Tag.NoRelatedSym, 1],
    [Tag.Symbol, f.symbol],
  ];
  put(fields, Tag.Text, f.text);
  return { msgType: "AG", fields };
}

/** Fields of a BusinessMessageReject (j); `reason` is BusinessRejectReason (380). */
export interface BusinessMessageRejectFields {
  refSeqNum?: number | undefined;
  refMsgType: string;
  businessRejectRefId?: string | undefined;
  reason: number;
  text?: string | undefined;
}

/** BusinessMessageReject (j). */
export function businessMessageReject(f: BusinessMessageRejectFields): FixMessage {
  const fields: Field[] = [];
  put(fields, Tag.RefSeqNum, f.refSeqNum);
  fields.push([Tag.RefMsgType, f.refMsgType]);
  put(fields, Tag.BusinessRejectRefID, f.businessRejectRefId);
  fields.push([Tag.BusinessRejectReason, f.reason]);
  put(fields, Tag.Text, f.text);
  return { msgType: MsgType.BusinessMessageReject, fields };
}

/** The value of `tag` in a built message (tests and tools; first occurrence). */
export function fieldOf(msg: FixMessage, tag: number): FieldValue | undefined {
  for (const [t, v] of msg.fields) if (t === tag) return v;
  return undefined;
}

/** QuoteRequest (R) building and Quote (S) / QuoteRequestReject (AG) parsing. */
import type { FixMessage } from "../../codec/encoder.ts";
import { Tag } from "../../codec/tags.ts";
import type { MessageView } from "../../codec/view.ts";
import * as fix44 from "../../dictionary/generated/fix44.ts";
import { AppTag, type Side, SIDE_CODE } from "../tags.ts";

/** A request for a quote on one symbol. */
export interface QuoteRequestParams {
  quoteReqId: string;
  symbol: string;
  side?: Side;
  orderQty?: number;
}

/** Builds a QuoteRequest (R). */
export function buildQuoteRequest(p: QuoteRequestParams): FixMessage {
  // FIX 4.4's typed builder: the same body for every session version.
  return fix44.QuoteRequest.adopt({
    quoteReqID: p.quoteReqId,
    noRelatedSym: [{
      symbol: p.symbol,
      side: p.side === undefined ? undefined : SIDE_CODE[p.side] as fix44.Side,
      orderQty: p.orderQty,
    }],
  });
}

/** A Quote (S) as data. */
export interface QuoteData {
  quoteReqId: string | undefined;
  quoteId: string;
  symbol: string;
  bidPx: number | undefined;
  offerPx: number | undefined;
  bidSize: number | undefined;
  offerSize: number | undefined;
  /** ValidUntilTime (62) as epoch ms. */
  validUntilMs: number | undefined;
}

/** Reads a Quote; undefined when QuoteID or Symbol is missing. */
export function parseQuote(view: MessageView): QuoteData | undefined {
  const quoteId = view.getString(Tag.QuoteID);
  const symbol = view.getString(Tag.Symbol);
  if (quoteId === undefined || symbol === undefined) return undefined;
  return {
    quoteReqId: view.getString(Tag.QuoteReqID),
    quoteId,
    symbol,
    bidPx: view.getFloat(Tag.BidPx),
    offerPx: view.getFloat(Tag.OfferPx),
    bidSize: view.getFloat(Tag.BidSize),
    offerSize: view.getFloat(Tag.OfferSize),
    validUntilMs: view.getTimestamp(AppTag.ValidUntilTime)?.epochMs,
  };
}

/** A QuoteRequestReject (AG) as data. */
export interface QuoteRequestRejectData {
  quoteReqId: string | undefined;
  /** QuoteRequestRejectReason (658), 1 = unknown symbol. */
  reason: number | undefined;
  symbol: string | undefined;
  text: string | undefined;
}

/** Reads a QuoteRequestReject. */
export function parseQuoteRequestReject(view: MessageView): QuoteRequestRejectData {
  return {
    quoteReqId: view.getString(Tag.QuoteReqID),
    reason: view.getInt(AppTag.QuoteRequestRejectReason),
    symbol: view.getString(Tag.Symbol),
    text: view.getString(Tag.Text),
  };
}

/** MarketDataRequest (V) building, and parsing of W, X and Y into plain data. */
import type { FixMessage } from "../../codec/encoder.ts";
import { Tag } from "../../codec/tags.ts";
import type { MessageView } from "../../codec/view.ts";
import { splitGroup } from "../groups.ts";
import * as fix44 from "../../dictionary/generated/fix44.ts";
import { AppTag, MD_ENTRY_TYPE_CODE, type MdEntryTypeName, type MdUpdateAction } from "../tags.ts";

/** What to ask for. */
export interface MarketDataRequestParams {
  mdReqId: string;
  symbols: readonly string[];
  /** snapshot = one W per symbol; subscribe = snapshot + updates; unsubscribe = stop `mdReqId`. */
  subscription: "snapshot" | "subscribe" | "unsubscribe";
  /** 0 = full book (default), 1 = top of book, N = best N levels. */
  depth?: number;
  /** Default bid and offer. */
  entryTypes?: readonly MdEntryTypeName[];
  /** Updates as incrementals (X, default) or full refreshes (W). Only sent with subscribe. */
  updateType?: "incremental" | "full";
  /** Ask for one entry per price level (AggregatedBook 266=Y). */
  aggregatedBook?: boolean;
}

/** Builds a MarketDataRequest (V). Throws RangeError on a request no counterparty could serve. */
export function buildMarketDataRequest(p: MarketDataRequestParams): FixMessage {
  const depth = p.depth ?? 0;
  if (p.symbols.length === 0) throw new RangeError("MarketDataRequest needs at least one symbol");
  if (!Number.isInteger(depth) || depth < 0) {
    throw new RangeError(`MarketDepth must be an integer >= 0 (got ${depth})`);
  }
  const types = p.entryTypes ?? ["bid", "offer"];
  if (types.length === 0) throw new RangeError("MarketDataRequest needs at least one entry type");
  // FIX 4.4's typed builder: the same body for every session version.
  return fix44.MarketDataRequest.adopt({
    mdReqID: p.mdReqId,
    subscriptionRequestType: p.subscription === "snapshot" ? "0" : p.subscription === "subscribe" ? "1" : "2",
    marketDepth: depth,
    mdUpdateType: p.subscription === "subscribe" ? (p.updateType === "full" ? 0 : 1) : undefined,
    aggregatedBook: p.aggregatedBook,
    noMDEntryTypes: types.map((t) => ({ mdEntryType: MD_ENTRY_TYPE_CODE[t] as fix44.MDEntryType })),
    noRelatedSym: p.symbols.map((symbol) => ({ symbol })),
  });
}

/** One entry of a snapshot. `type` is the MDEntryType code ("0" bid, "1" offer, "2" trade, ...). */
export interface MdSnapshotEntry {
  type: string;
  px: number | undefined;
  size: number | undefined;
  id: string | undefined;
}

/** A MarketDataSnapshotFullRefresh (W) as data. */
export interface MdSnapshot {
  mdReqId: string | undefined;
  symbol: string;
  /** RptSeq (83) in the body, when the counterparty sends one. */
  rptSeq: number | undefined;
  entries: MdSnapshotEntry[];
}

/** One entry of an incremental refresh; `action` is undefined for codes other than 0, 1, 2. */
export interface MdIncrementalEntry {
  action: MdUpdateAction | undefined;
  actionCode: string;
  type: string | undefined;
  id: string | undefined;
  symbol: string | undefined;
  rptSeq: number | undefined;
  px: number | undefined;
  size: number | undefined;
}

/** A MarketDataIncrementalRefresh (X) as data. */
export interface MdIncremental {
  mdReqId: string | undefined;
  entries: MdIncrementalEntry[];
}

/** A MarketDataRequestReject (Y) as data. */
export interface MdReject {
  mdReqId: string | undefined;
  /** MDReqRejReason (281) code, e.g. "0" unknown symbol. */
  reason: string | undefined;
  text: string | undefined;
}

/** Reads a W; undefined when it has no Symbol. */
export function parseSnapshot(view: MessageView): MdSnapshot | undefined {
  const symbol = view.getString(Tag.Symbol);
  if (symbol === undefined) return undefined;
  const entries: MdSnapshotEntry[] = [];
  for (const e of splitGroup(view, Tag.NoMDEntries, Tag.MDEntryType)) {
    entries.push({
      type: e.getString(Tag.MDEntryType)!,
      px: e.getFloat(Tag.MDEntryPx),
      size: e.getFloat(Tag.MDEntrySize),
      id: e.getString(Tag.MDEntryID),
    });
  }
  // RptSeq in the body, before the group (an entry-level 83 is not the book's sequence).
  const gi = view.indexOf(Tag.NoMDEntries);
  const ri = view.indexOf(AppTag.RptSeq);
  const rptSeq = ri >= 0 && (gi < 0 || ri < gi) ? view.getInt(AppTag.RptSeq) : undefined;
  return { mdReqId: view.getString(Tag.MDReqID), symbol, rptSeq, entries };
}

const ACTIONS: Readonly<Record<string, MdUpdateAction>> = { "0": "new", "1": "change", "2": "delete" };

/** Reads an X. */
export function parseIncremental(view: MessageView): MdIncremental {
  const entries: MdIncrementalEntry[] = [];
  for (const e of splitGroup(view, Tag.NoMDEntries, Tag.MDUpdateAction)) {
    const code = e.getString(Tag.MDUpdateAction) ?? "";
    entries.push({
      action: ACTIONS[code],
      actionCode: code,
      type: e.getString(Tag.MDEntryType),
      id: e.getString(Tag.MDEntryID),
      symbol: e.getString(Tag.Symbol),
      rptSeq: e.getInt(AppTag.RptSeq),
      px: e.getFloat(Tag.MDEntryPx),
      size: e.getFloat(Tag.MDEntrySize),
    });
  }
  return { mdReqId: view.getString(Tag.MDReqID), entries };
}

/** Reads a Y. */
export function parseMdReject(view: MessageView): MdReject {
  return {
    mdReqId: view.getString(Tag.MDReqID),
    reason: view.getString(Tag.MDReqRejReason),
    text: view.getString(Tag.Text),
  };
}

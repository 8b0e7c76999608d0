/**
 * Application-layer tags and enumerations that the codec's `Tag` table does not carry, spelled as
 * the FIX 4.4 specification spells them, plus the code values the order and market data logic uses.
 */

/** FIX tags used by the application layer beyond `Tag` in src/codec/tags.ts. */
export const AppTag = {
  ValidUntilTime: 62,
  RptSeq: 83,
  MinQty: 110,
  MDEntryDate: 272,
  MDEntryTime: 273,
  MDEntryRefID: 280,
  DeleteReason: 285,
  MDEntryPositionNo: 290,
  AggregatedBook: 266,
  NumberOfOrders: 346,
  QuoteType: 537,
  QuoteRequestRejectReason: 658,
  OrdStatusReqID: 790,
  TotNumReports: 911,
  LastRptRequested: 912,
  ApplQueueDepth: 813,
  ApplQueueResolution: 814,
} as const;

/** ExecType (150) values of FIX 4.4. */
export const ExecType = {
  New: "0",
  DoneForDay: "3",
  Canceled: "4",
  Replaced: "5",
  PendingCancel: "6",
  Stopped: "7",
  Rejected: "8",
  Suspended: "9",
  PendingNew: "A",
  Calculated: "B",
  Expired: "C",
  Restated: "D",
  PendingReplace: "E",
  Trade: "F",
  TradeCorrect: "G",
  TradeCancel: "H",
  OrderStatus: "I",
} as const;

/** OrdStatus (39) values of FIX 4.4 (5 Replaced is no longer used in 4.4): the dictionary's own table. */
export { OrdStatus } from "../dictionary/generated/fix44.ts";

/** The spec's names of ExecType values, for anomaly reasons a person reads. */
export const EXEC_TYPE_NAME: Readonly<Record<string, string>> = {
  "0": "New",
  "3": "Done for day",
  "4": "Canceled",
  "5": "Replaced",
  "6": "Pending Cancel",
  "7": "Stopped",
  "8": "Rejected",
  "9": "Suspended",
  A: "Pending New",
  B: "Calculated",
  C: "Expired",
  D: "Restated",
  E: "Pending Replace",
  F: "Trade",
  G: "Trade Correct",
  H: "Trade Cancel",
  I: "Order Status",
};

/** Order side as the application API spells it. */
export type Side = "buy" | "sell";
/** Order type as the application API spells it (the two types the simulator matches). */
export type OrdTypeName = "market" | "limit";
/** TimeInForce as the application API spells it. */
export type TimeInForceName = "day" | "gtc" | "ioc" | "fok";

/** Side (54) code of a side. */
export const SIDE_CODE: Readonly<Record<Side, string>> = { buy: "1", sell: "2" };
/** OrdType (40) code of an order type. */
export const ORD_TYPE_CODE: Readonly<Record<OrdTypeName, string>> = { market: "1", limit: "2" };
/** TimeInForce (59) code of a time in force. */
export const TIF_CODE: Readonly<Record<TimeInForceName, string>> = { day: "0", gtc: "1", ioc: "3", fok: "4" };

/** Side of a Side (54) code, or undefined for codes other than 1 and 2. */
export function sideOf(code: string | undefined): Side | undefined {
  return code === "1" ? "buy" : code === "2" ? "sell" : undefined;
}

/** Order type of an OrdType (40) code, or undefined for types other than market and limit. */
export function ordTypeOf(code: string | undefined): OrdTypeName | undefined {
  return code === "1" ? "market" : code === "2" ? "limit" : undefined;
}

/** TimeInForce of a code (absent = day, as FIX 4.4 says), or undefined for unsupported codes. */
export function timeInForceOf(code: string | undefined): TimeInForceName | undefined {
  switch (code) {
    case undefined:
    case "0":
      return "day";
    case "1":
      return "gtc";
    case "3":
      return "ioc";
    case "4":
      return "fok";
    default:
      return undefined;
  }
}

/** MDEntryType (269) as the application API spells the three types it handles. */
export type MdEntryTypeName = "bid" | "offer" | "trade";
/** MDEntryType codes of the names. */
export const MD_ENTRY_TYPE_CODE: Readonly<Record<MdEntryTypeName, string>> = {
  bid: "0",
  offer: "1",
  trade: "2",
};
/** MDUpdateAction (279) as the application API spells it. */
export type MdUpdateAction = "new" | "change" | "delete";
/** MDUpdateAction codes of the names. */
export const MD_UPDATE_ACTION_CODE: Readonly<Record<MdUpdateAction, string>> = {
  new: "0",
  change: "1",
  delete: "2",
};

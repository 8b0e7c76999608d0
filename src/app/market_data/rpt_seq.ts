/**
 * MarketDataSnapshotFullRefresh (W) and MarketDataIncrementalRefresh (X) carrying RptSeq (83), as the
 * LP simulator sends them when `marketData.rptSeq` is on and as MarketDataClient reads them: the
 * generated FIX 4.4 builders' layout with RptSeq right after Symbol — in W's body (the book's
 * sequence, before NoMDEntries), in each X entry. No built-in dictionary has 83 there (FIX 4.4 has no
 * RptSeq in W or X; FIX 5.0 SP2 puts it at the end of an entry), so these two layouts are declared
 * here as member tables on the typed messages' runtime (src/dictionary/typed.ts): same builder, same
 * straight-into-the-encoder writer as the generated ones. Without RptSeq the simulator uses
 * `fix44.MarketDataSnapshotFullRefresh` / `fix44.MarketDataIncrementalRefresh`, which write the
 * same bytes for the same fields.
 */
import type * as fix44 from "../../dictionary/generated/fix44.ts";
import { defineMessage, type FieldTable, type LooseInput, ValueKind } from "../../dictionary/typed.ts";

/** The fields of the two layouts, by tag. */
const FIELDS: FieldTable = {
  55: ["symbol", ValueKind.String],
  83: ["rptSeq", ValueKind.Int],
  262: ["mdReqID", ValueKind.String],
  268: ["noMDEntries", ValueKind.Int],
  269: ["mdEntryType", ValueKind.String],
  270: ["mdEntryPx", ValueKind.Decimal],
  271: ["mdEntrySize", ValueKind.Decimal],
  278: ["mdEntryID", ValueKind.String],
  279: ["mdUpdateAction", ValueKind.String],
  290: ["mdEntryPositionNo", ValueKind.Int],
};

/** A W entry: the FIX 4.4 entry's fields the simulator writes (prices as the text it formats). */
export type SnapshotEntry = LooseInput<
  Pick<fix44.NoMDEntriesEntry, "mdEntryType" | "mdEntryPx" | "mdEntrySize" | "mdEntryPositionNo">
>;

/** A W with RptSeq (83) after Symbol. */
export interface SnapshotWithRptSeq {
  mdReqID?: string | undefined;
  symbol: string;
  rptSeq?: number | undefined;
  noMDEntries: SnapshotEntry[];
}

/** W: 262, 55, 83, then 268 with entries 269, 270, 271, 290. */
export const SnapshotWithRptSeq = defineMessage<SnapshotWithRptSeq>(
  "W",
  "MarketDataSnapshotFullRefresh",
  [262, -55, 83, [-268, -269, 270, 271, 290]],
  FIELDS,
);

/** An X entry: the FIX 4.4 entry's fields the simulator writes, with RptSeq (83) after Symbol. */
export type IncrementalEntry =
  & LooseInput<
    Pick<
      fix44.MarketDataIncrementalRefreshNoMDEntriesEntry,
      "mdUpdateAction" | "mdEntryType" | "mdEntryID" | "symbol" | "mdEntryPx" | "mdEntrySize"
    >
  >
  & { rptSeq?: number | undefined };

/** An X whose entries may carry RptSeq (83). */
export interface IncrementalWithRptSeq {
  mdReqID?: string | undefined;
  noMDEntries: IncrementalEntry[];
}

/** X: 262, then 268 with entries 279, 269, 278, 55, 83, 270, 271. */
export const IncrementalWithRptSeq = defineMessage<IncrementalWithRptSeq>(
  "X",
  "MarketDataIncrementalRefresh",
  [262, [-268, -279, 269, 278, 55, 83, 270, 271]],
  FIELDS,
);

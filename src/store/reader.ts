/**
 * The journal reader behind `fixg journal`: iterates records with their segment and byte offset,
 * checks framing and CRCs, follows a live journal (./record_reader.ts), and computes the verify
 * (./verify.ts) and stats (./stats.ts) reports. It never writes (repair lives in ./repair.ts) and
 * works on a journal a gateway holds.
 */
export {
  beginStringOf,
  JournalReader,
  type JournalRecord,
  listSegments,
  msgTypeOf,
  type SegmentDamage,
  type SegmentInfo,
} from "./record_reader.ts";
export {
  type EpochSummary,
  type SeqRange,
  verifyJournal,
  type VerifyProblem,
  type VerifyReport,
} from "./verify.ts";
export { type JournalStats, journalStats, type TypeStats } from "./stats.ts";

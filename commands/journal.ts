/**
 * `fixg journal inspect|verify|repair|export|stats DIR`: the operator's tools for a journal directory.
 * The reading, checking and repairing live in src/store (reader.ts, repair.ts); the modules under
 * commands/journal/ parse flags, decode messages with the dictionaries and print, one per subcommand
 * (common.ts: output, timestamps, dictionaries; filter.ts: the record filter and masking flags).
 */
import type { Command } from "@commander-js/extra-typings";
import { registerExport } from "./journal/export.ts";
import { registerInspect } from "./journal/inspect.ts";
import { registerRepair } from "./journal/repair.ts";
import { registerStats } from "./journal/stats.ts";
import { registerVerify } from "./journal/verify.ts";

export { type CommandOutput, StdoutOutput } from "./journal/common.ts";
export {
  DEFAULT_MASK_TAGS,
  parseFilter,
  parseMaskTags,
  parseSince,
  type RecordFilter,
} from "./journal/filter.ts";
export { inspectJournal, type InspectOptions } from "./journal/inspect.ts";
export { printVerify } from "./journal/verify.ts";
export { printRepair } from "./journal/repair.ts";
export { exportJournal } from "./journal/export.ts";
export { printStats } from "./journal/stats.ts";

/** Registers `fixg journal` and its subcommands. */
export function registerJournal(program: Command): void {
  const journal = program.command("journal").description(
    "inspect, verify, repair, export and summarise a journal directory (the store of `fixg run`)",
  );

  registerInspect(journal);
  registerVerify(journal);
  registerRepair(journal);
  registerExport(journal);
  registerStats(journal);
}

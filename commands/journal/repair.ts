/** `fixg journal repair`: repairs a journal and prints what was done. */
import type { Command } from "@commander-js/extra-typings";
import { repairJournal, type RepairReport } from "../../src/store/repair.ts";
import { type CommandOutput, journalDir, optional, progress, StdoutOutput } from "./common.ts";

/** Prints what repair did. */
export function printRepair(report: RepairReport, json: boolean, out: CommandOutput): void {
  if (json) {
    out.text(JSON.stringify(report, null, 2) + "\n");
    return;
  }
  for (const a of report.actions) out.text(`${a.message}\n`);
  const head = report.dryRun ? "repair (dry run)" : "repair";
  const kept = `${report.records.toLocaleString("en-US")} good records in ${report.segments} segments ${
    report.dryRun ? "would be " : ""
  }kept`;
  out.text(
    report.actions.length === 0
      ? `${head}: nothing to do; ${kept}\n`
      : `${head}: ${report.actions.length} action${report.actions.length === 1 ? "" : "s"}; ${kept}\n`,
  );
}

/** Registers `fixg journal repair`: its flags and action. */
export function registerRepair(journal: Command): void {
  journal.command("repair")
    .description(
      "truncate torn tails and move corrupt records into DIR/quarantine/ (bytes kept), rebuild index files; " +
        "never deletes a good record; refuses a journal a live gateway holds",
    )
    .argument("<dir>", "journal directory")
    .option("--dry-run", "print what would be done, change nothing", false)
    .option("--json", "print the report as JSON", false)
    .action((dir, opts) => {
      const report = repairJournal(journalDir(dir, "repair"), {
        dryRun: opts.dryRun,
        ...optional("onProgress", progress("repair")),
      });
      const out = new StdoutOutput();
      printRepair(report, opts.json, out);
      out.flush();
    });
}

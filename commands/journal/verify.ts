/** `fixg journal verify`: checks a journal and prints the report. */
import type { Command } from "@commander-js/extra-typings";
import { verifyJournal, type VerifyReport } from "../../src/store/reader.ts";
import { type CommandOutput, iso, journalDir, optional, progress, StdoutOutput } from "./common.ts";

/** Prints the verify report; returns the exit code (0 clean, 1 problems). */
export function printVerify(report: VerifyReport, json: boolean, out: CommandOutput): number {
  if (json) {
    out.text(
      JSON.stringify(
        { ...report, heldBy: report.heldBy ?? null, clean: report.problems.length === 0 },
        null,
        2,
      ) + "\n",
    );
    return report.problems.length === 0 ? 0 : 1;
  }
  const lines: string[] = [];
  lines.push(`journal ${report.dir}`);
  lines.push(
    `  ${report.segments} segments, ${report.bytes.toLocaleString("en-US")} bytes, ${
      report.records.toLocaleString("en-US")
    } records (${report.messages.toLocaleString("en-US")} messages)`,
  );
  const h = report.heldBy;
  lines.push(
    `  held by: ${h === undefined ? "nobody" : `${h.purpose} pid ${h.pid} on ${h.host} since ${h.sinceIso}`}`,
  );
  lines.push(`sessions (${report.sessions.length}):`);
  for (const s of report.sessions) {
    lines.push(`  #${s.id} ${s.key}  next out ${s.nextSenderSeq}, next in ${s.nextTargetSeq}`);
    for (const e of s.epochs) {
      const r = (x: typeof e.out) => x === undefined ? "none" : `${x.first}..${x.last} (${x.count})`;
      const created = e.createdMs === undefined ? "" : ` created ${iso(e.createdMs)}`;
      lines.push(`    epoch ${e.epoch}${created}: out ${r(e.out)}, in ${r(e.in)}`);
    }
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  if (report.problems.length === 0) {
    lines.push("problems: none");
    lines.push("verify: clean");
  } else {
    lines.push(`problems (${report.problems.length}):`);
    const w = Math.max(...report.problems.map((p) => `${p.file}@${p.offset}`.length));
    const k = Math.max(...report.problems.map((p) => p.kind.length));
    for (const p of report.problems) {
      lines.push(`  ${`${p.file}@${p.offset}`.padEnd(w)}  ${p.kind.padEnd(k)}  ${p.message}`);
    }
    lines.push(`verify: ${report.problems.length} problem${report.problems.length === 1 ? "" : "s"}`);
  }
  out.text(lines.join("\n") + "\n");
  return report.problems.length === 0 ? 0 : 1;
}

/** Registers `fixg journal verify`: its flags and action. */
export function registerVerify(journal: Command): void {
  journal.command("verify")
    .description(
      "check every record's framing and CRC, sequence continuity per session and direction, and the index files; " +
        "exit 0 clean, 1 problems found, 2 unusable input",
    )
    .argument("<dir>", "journal directory")
    .option("--json", "print the report as JSON", false)
    .action((dir, opts) => {
      const report = verifyJournal(journalDir(dir, "verify"), {
        ...optional("onProgress", progress("verify")),
      });
      const out = new StdoutOutput();
      const code = printVerify(report, opts.json, out);
      out.flush();
      if (code !== 0) Deno.exitCode = code;
    });
}

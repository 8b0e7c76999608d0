/** `fixg journal stats`: messages per type and session, sizes and rates of a journal. */
import type { Command } from "@commander-js/extra-typings";
import { type JournalStats, journalStats } from "../../src/store/reader.ts";
import {
  type CommandOutput,
  dictionaries,
  iso,
  journalDir,
  optional,
  progress,
  StdoutOutput,
} from "./common.ts";

/** Prints the stats report. */
export function printStats(st: JournalStats, json: boolean, out: CommandOutput): void {
  const dictFor = dictionaries();
  const nameOf = (t: { msgType: string; beginString: string }) =>
    dictFor(t.beginString)?.messagesByType.get(t.msgType)?.name ?? "?";
  if (json) {
    const o = { ...st, byType: st.byType.map((t) => ({ ...t, name: nameOf(t) })), rate: st.rate ?? null };
    out.text(JSON.stringify(o, null, 2) + "\n");
    return;
  }
  const fmt = (n: number) => n.toLocaleString("en-US");
  const r = st.records;
  const lines = [
    `journal ${st.dir}: ${st.segments} segments, ${fmt(st.bytes)} bytes`,
    `records: ${fmt(r.message)} messages, ${fmt(r["session-open"])} session-open, ${
      fmt(r["seq-reset"])
    } seq-reset, ${fmt(r["set-seq"])} set-seq${
      st.damagedRegions > 0 ? `, ${st.damagedRegions} damaged regions (run verify)` : ""
    }`,
  ];
  if (st.byType.length > 0) {
    const rows = st.byType.map((t) => [t.msgType, nameOf(t), fmt(t.in), fmt(t.out), fmt(t.bytes)]);
    const head = ["TYPE", "NAME", "IN", "OUT", "BYTES"];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) =>
      cells.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
    lines.push("messages by type:", `  ${line(head)}`, ...rows.map((row) => `  ${line(row)}`));
    lines.push("sessions:", ...st.bySession.map((s) => `  ${s.key}  in ${fmt(s.in)}, out ${fmt(s.out)}`));
    const b = st.messageBytes;
    lines.push(`message size: min ${fmt(b.min)}, avg ${b.avg.toFixed(1)}, max ${fmt(b.max)} bytes`);
  }
  if (st.rate !== undefined) {
    const x = st.rate;
    lines.push(
      `rate: ${fmt(r.message)} messages from ${iso(x.firstMs)} to ${iso(x.lastMs)} (${
        x.seconds.toFixed(3)
      } s); average ${
        x.avgPerSecond < 10 ? x.avgPerSecond.toFixed(3) : fmt(Math.round(x.avgPerSecond))
      }/s, peak ${fmt(x.peakPerSecond)}/s in the second from ${iso(x.peakAtMs)}`,
    );
  }
  out.text(lines.join("\n") + "\n");
}

/** Registers `fixg journal stats`: its flags and action. */
export function registerStats(journal: Command): void {
  journal.command("stats")
    .description("messages per type and session, message sizes, messages per second")
    .argument("<dir>", "journal directory")
    .option("--json", "print the report as JSON", false)
    .action((dir, opts) => {
      const st = journalStats(journalDir(dir, "stats"), { ...optional("onProgress", progress("stats")) });
      const out = new StdoutOutput();
      printStats(st, opts.json, out);
      out.flush();
      // Damaged regions are counted in the report; the exit code says they were met (0 ok, 1 problems found).
      if (st.damagedRegions > 0) Deno.exitCode = 1;
    });
}

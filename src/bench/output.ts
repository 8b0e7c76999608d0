/** Writing a finished run: the terminal summary, and the `--json`, `--html` and `--histogram` files. */
import { EnvironmentError } from "../errors.ts";
import { renderHistogramLog } from "../report/build.ts";
import { renderHtmlReport } from "../report/html.ts";
import { renderBenchJson } from "../report/json.ts";
import { renderTerminalSummary } from "../report/terminal.ts";
import type { BenchOptions } from "./options.ts";
import type { BenchOutcome } from "./runner.ts";

async function write(path: string, text: string, what: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (e) {
    throw new EnvironmentError(`Cannot write the ${what} "${path}": ${e instanceof Error ? e.message : e}`, {
      exitCode: 1,
    });
  }
}

/** Writes the files the options ask for; returns the lines saying where they went. */
export async function writeBenchFiles(
  outcome: BenchOutcome,
  o: Pick<BenchOptions, "jsonFile" | "htmlFile" | "histogramFile">,
): Promise<string[]> {
  const lines: string[] = [];
  if (o.jsonFile !== undefined) {
    await write(o.jsonFile, renderBenchJson(outcome.report), "JSON report");
    lines.push(`json: ${o.jsonFile}`);
  }
  if (o.htmlFile !== undefined) {
    await write(o.htmlFile, renderHtmlReport(outcome.report), "HTML report");
    lines.push(`html: ${o.htmlFile}`);
  }
  if (o.histogramFile !== undefined) {
    const text = renderHistogramLog(outcome.histograms, {
      startTimeMs: outcome.startMs,
      endTimeMs: outcome.endMs,
      comments: [
        `fixg bench ${outcome.report.config.mode ?? ""} ${outcome.report.config.target ?? ""}`.trim(),
      ],
    });
    await write(o.histogramFile, text, "histogram log");
    lines.push(`histogram log: ${o.histogramFile}`);
  }
  return lines;
}

/** The terminal summary plus where the files went. */
export function renderBenchSummary(outcome: BenchOutcome, files: readonly string[]): string {
  return renderTerminalSummary(outcome.report) + (files.length > 0 ? `\n${files.join("\n")}\n` : "");
}

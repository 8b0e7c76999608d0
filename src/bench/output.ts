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

/** What writing the outputs of a run did. */
export interface BenchOutputs {
  /** Lines saying where each file went. */
  lines: string[];
  /** One line per file that could not be written (the others are still written). */
  errors: string[];
  /** The output asked for on stdout (`--json -`, `--html -` or `--histogram -`), to print after the summary. */
  stdout?: string;
}

/**
 * Writes every output the options ask for; a file that cannot be written does not stop the others (and the
 * caller still prints the summary: a finished run's report is never lost). `-` means stdout.
 */
export async function writeBenchOutputs(
  outcome: BenchOutcome,
  o: Pick<BenchOptions, "jsonFile" | "htmlFile" | "histogramFile">,
): Promise<BenchOutputs> {
  const out: BenchOutputs = { lines: [], errors: [] };
  const emit = async (path: string | undefined, what: string, label: string, render: () => string) => {
    if (path === undefined) return;
    if (path === "-") {
      out.stdout = render();
      return;
    }
    try {
      await write(path, render(), what);
      out.lines.push(`${label}: ${path}`);
    } catch (e) {
      out.errors.push(e instanceof Error ? e.message : String(e));
    }
  };
  await emit(o.jsonFile, "JSON report", "json", () => renderBenchJson(outcome.report));
  await emit(o.htmlFile, "HTML report", "html", () => renderHtmlReport(outcome.report));
  await emit(o.histogramFile, "histogram log", "histogram log", () =>
    renderHistogramLog(outcome.histograms, {
      startTimeMs: outcome.startMs,
      endTimeMs: outcome.endMs,
      comments: [
        `fixg bench ${outcome.report.config.mode ?? ""} ${outcome.report.config.target ?? ""}`.trim(),
      ],
    }));
  return out;
}

/** Writes the files the options ask for; returns the lines saying where they went (throws on a failure). */
export async function writeBenchFiles(
  outcome: BenchOutcome,
  o: Pick<BenchOptions, "jsonFile" | "htmlFile" | "histogramFile">,
): Promise<string[]> {
  const out = await writeBenchOutputs(outcome, o);
  if (out.errors.length > 0) throw new EnvironmentError(out.errors[0]!, { exitCode: 1 });
  return out.lines;
}

/** The terminal summary plus where the files went. */
export function renderBenchSummary(outcome: BenchOutcome, files: readonly string[]): string {
  return renderTerminalSummary(outcome.report) + (files.length > 0 ? `\n${files.join("\n")}\n` : "");
}

/** Reports of conformance runs: text lines for people, JUnit XML for CI, JSON for scripts. */
import type { ScenarioResult } from "./runner.ts";

/** A scenario not run because it was written for the other side (e.g. initiator scenarios in acceptor mode). */
export interface SkippedScenario {
  file: string;
  name: string;
  reason: string;
}

/** Totals of a run. */
export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

/** Adds up results. */
export function summarize(
  results: readonly ScenarioResult[],
  skipped: readonly SkippedScenario[] = [],
): RunSummary {
  let passed = 0, failed = 0, durationMs = 0;
  for (const r of results) {
    if (r.passed) passed++;
    else failed++;
    durationMs += r.durationMs;
  }
  return { passed, failed, skipped: skipped.length, durationMs };
}

/** The summary line CI reads: `N passed, M failed` (skips appended when there are any). */
export function summaryLine(s: RunSummary): string {
  return `${s.passed} passed, ${s.failed} failed` + (s.skipped > 0 ? ` (${s.skipped} skipped)` : "");
}

/** The lines printed under a failed scenario: where, what, expected and received. */
export function failureLines(r: ScenarioResult): string[] {
  const f = r.failure;
  if (!f) return [];
  const out = [f.line > 0 ? `line ${f.line}: ${f.message}` : f.message];
  if (f.expected !== undefined) out.push(`expected: ${f.expected}`);
  if (f.received !== undefined) out.push(`received: ${f.received}`);
  return out;
}

function xml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!,
  )
    // Characters XML 1.0 cannot carry (SOH would only appear through a bug, but must not break the file).
    // deno-lint-ignore no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function dirOf(file: string): string {
  const i = file.lastIndexOf("/");
  return i < 0 ? "." : file.slice(0, i);
}

/** JUnit XML: one testsuite per scenario directory, one testcase per scenario. */
export function junitXml(
  results: readonly ScenarioResult[],
  skipped: readonly SkippedScenario[] = [],
  name = "fixg conformance",
): string {
  const suites = new Map<string, { results: ScenarioResult[]; skipped: SkippedScenario[] }>();
  const suite = (file: string) => {
    const d = dirOf(file);
    let s = suites.get(d);
    if (!s) suites.set(d, s = { results: [], skipped: [] });
    return s;
  };
  for (const r of results) suite(r.file).results.push(r);
  for (const s of skipped) suite(s.file).skipped.push(s);
  const total = summarize(results, skipped);
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${xml(name)}" tests="${results.length + skipped.length}" failures="${total.failed}" ` +
    `skipped="${total.skipped}" time="${seconds(total.durationMs)}">`,
  ];
  for (const [dir, s] of suites) {
    const sum = summarize(s.results, s.skipped);
    lines.push(
      `  <testsuite name="${xml(dir)}" tests="${
        s.results.length + s.skipped.length
      }" failures="${sum.failed}" ` +
        `errors="0" skipped="${sum.skipped}" time="${seconds(sum.durationMs)}">`,
    );
    for (const r of s.results) {
      const head = `    <testcase classname="${xml(dir)}" name="${xml(r.name)}" file="${xml(r.file)}" time="${
        seconds(r.durationMs)
      }"`;
      const extra = r.extraMessages.map((m) => `extra message on connection ${m.conn}: ${m.text}`);
      if (r.passed && extra.length === 0) {
        lines.push(`${head}/>`);
        continue;
      }
      lines.push(`${head}>`);
      if (!r.passed) {
        const [first, ...rest] = failureLines(r);
        lines.push(
          `      <failure message="${xml(first ?? "failed")}">${xml([first, ...rest].join("\n"))}</failure>`,
        );
      }
      if (extra.length > 0) lines.push(`      <system-out>${xml(extra.join("\n"))}</system-out>`);
      lines.push(`    </testcase>`);
    }
    for (const k of s.skipped) {
      lines.push(
        `    <testcase classname="${xml(dir)}" name="${xml(k.name)}" file="${xml(k.file)}" time="0.000">`,
      );
      lines.push(`      <skipped message="${xml(k.reason)}"/>`);
      lines.push(`    </testcase>`);
    }
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`);
  return lines.join("\n") + "\n";
}

/** The machine-readable report of `fixg conformance --json`. */
export interface JsonReport {
  mode: string;
  target: string;
  summary: RunSummary;
  results: Array<{
    file: string;
    name: string;
    status: "pass" | "fail";
    durationMs: number;
    failure?: ScenarioResult["failure"];
    extraMessages: ScenarioResult["extraMessages"];
  }>;
  skipped: SkippedScenario[];
}

/** Builds the JSON report (the transcript is left out: it is for --verbose). */
export function jsonReport(
  mode: string,
  target: string,
  results: readonly ScenarioResult[],
  skipped: readonly SkippedScenario[] = [],
): JsonReport {
  return {
    mode,
    target,
    summary: summarize(results, skipped),
    results: results.map((r) => {
      const o: JsonReport["results"][number] = {
        file: r.file,
        name: r.name,
        status: r.passed ? "pass" : "fail",
        durationMs: r.durationMs,
        extraMessages: r.extraMessages,
      };
      if (r.failure) o.failure = r.failure;
      return o;
    }),
    skipped: [...skipped],
  };
}

/**
 * `fixg conformance`: plays scenario files (QuickFIX acceptance-test format, docs/conformance.md)
 * against an acceptor (`--target host:port`) or an initiator (`--initiator --listen PORT`), prints
 * PASS/FAIL per scenario with the first difference and `N passed, M failed`. Exit 0 when all pass,
 * 1 on any failure, 2 on usage errors or scenarios that cannot be parsed.
 */
import type { Command } from "@commander-js/extra-typings";
import {
  failureLines,
  jsonReport,
  junitXml,
  KNOWN_REQUIREMENTS,
  loadScenario,
  type RunOptions,
  runScenario,
  type Scenario,
  scenarioFiles,
  ScenarioListener,
  type ScenarioMode,
  ScenarioParseError,
  type ScenarioResult,
  type SkippedScenario,
  summarize,
  summaryLine,
  type TranscriptEntry,
} from "../src/conformance/mod.ts";
import { ConfigError, EnvironmentError, FixgError } from "../src/errors.ts";

/** Flags of `fixg conformance`. */
export interface ConformanceFlags {
  target?: string;
  initiator?: boolean;
  listen?: string;
  timeout?: string;
  quiet?: string;
  connectTimeout?: string;
  junit?: string;
  json?: boolean;
  verbose?: boolean;
  with?: string[];
  strict?: boolean;
}

/** Registers `fixg conformance`. */
export function registerConformance(program: Command): void {
  program.command("conformance")
    .description(
      "play conformance scenarios (.def files, QuickFIX acceptance-test format) against an acceptor or an initiator",
    )
    .argument("<scenario...>", ".def files or directories of them (run in name order)")
    .option("--target <host:port>", "the acceptor under test")
    .option("--initiator", "test an initiator: listen and let it connect (with --listen)")
    .option("--listen <[host:]port>", "initiator mode: where to listen")
    .option("--timeout <ms>", "how long E and eDISCONNECT lines wait (a scenario's #!timeout wins)", "5000")
    .option("--quiet <ms>", "quiet period after a scenario in which extra messages are reported", "200")
    .option("--connect-timeout <ms>", "how long iCONNECT may take (initiator mode default 30000)")
    .option(
      "--with <requirement>",
      "also run scenarios that need this outside the conversation (engine-stop: you stop the engine when prompted); repeat or comma-separate for several",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(",").map((r) => r.trim())],
    )
    .option(
      "--strict",
      "the reference definitions' rules: every field in order, 9, 10 and times by pattern; 9 and 10 written in I lines sent as written",
    )
    .option("--junit <file>", "write a JUnit XML report")
    .option("--json", "print a JSON report on stdout (progress goes to stderr)")
    .option("-v, --verbose", "print every message sent and received, and extra messages")
    .action(async (paths, flags) => {
      Deno.exitCode = await conformance(paths, flags);
    });
}

/** A --junit path that cannot be written is found before the run, not after it (exit 2). */
async function checkWritable(path: string): Promise<void> {
  if (path === "-") {
    throw new ConfigError(
      "--junit: give a file name (- is not stdout here: the run's progress goes there; --json prints a report on stdout)",
    );
  }
  let existed = true;
  try {
    if ((await Deno.stat(path)).isDirectory) {
      throw new ConfigError(`--junit: cannot write "${path}": it is a directory`);
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    existed = false;
  }
  try {
    (await Deno.open(path, { write: true, create: true })).close();
    if (!existed) await Deno.remove(path);
  } catch (e) {
    throw new ConfigError(`--junit: cannot write "${path}": ${e instanceof Error ? e.message : e}`);
  }
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  // A timer holds at most 2^31 - 1 ms: a longer one would fire at once.
  if (!/^\d+$/.test(value) || Number(value) > 2 ** 31 - 1) {
    throw new ConfigError(`${flag} must be a whole number of milliseconds up to 2147483647, got "${value}"`);
  }
  return Number(value);
}

function parsePort(s: string, flag: string): number {
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new ConfigError(`${flag}: "${s}" is not a port (1-65535)`);
  return n;
}

/** Splits "host:port" (or "port" when `hostOptional`). */
function hostPort(
  s: string,
  flag: string,
  hostOptional: boolean,
): { host: string | undefined; port: number } {
  const i = s.lastIndexOf(":");
  if (i < 0) {
    if (!hostOptional) throw new ConfigError(`${flag} must be host:port, got "${s}"`);
    return { host: undefined, port: parsePort(s, flag) };
  }
  const host = s.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw new ConfigError(`${flag} must be host:port, got "${s}"`);
  return { host, port: parsePort(s.slice(i + 1), flag) };
}

const encoder = new TextEncoder();

/** Runs the command; returns the exit code (usage and parse problems throw FixgError with exit code 2). */
export async function conformance(paths: string[], flags: ConformanceFlags): Promise<number> {
  const mode: ScenarioMode = flags.initiator ? "initiator-under-test" : "acceptor-under-test";
  if (flags.initiator && flags.target !== undefined) {
    throw new ConfigError("give either --target or --initiator, not both");
  }
  if (!flags.initiator && flags.target === undefined) {
    throw new ConfigError("give --target host:port (acceptor under test) or --initiator --listen PORT");
  }
  if (flags.initiator && flags.listen === undefined) {
    throw new ConfigError("--initiator needs --listen [host:]port");
  }
  if (!flags.initiator && flags.listen !== undefined) {
    throw new ConfigError("--listen is for --initiator mode");
  }
  const timeoutMs = positiveInt(flags.timeout, "--timeout");
  const quietMs = positiveInt(flags.quiet, "--quiet");
  const connectTimeoutMs = positiveInt(flags.connectTimeout, "--connect-timeout");
  const where = flags.initiator
    ? hostPort(flags.listen!, "--listen", true)
    : hostPort(flags.target!, "--target", false);
  const granted = new Set(flags.with ?? []);
  for (const r of granted) {
    if (!KNOWN_REQUIREMENTS.has(r)) {
      throw new ConfigError(
        `--with: unknown requirement "${r}" (known: ${[...KNOWN_REQUIREMENTS].join(", ")})`,
      );
    }
  }
  if (flags.junit !== undefined) await checkWritable(flags.junit);
  const json = flags.json === true;
  const progress = (s: string) => (json ? Deno.stderr : Deno.stdout).writeSync(encoder.encode(s));

  // Parse everything first: a broken file is a usage problem (exit 2) before anything runs.
  const files = await scenarioFiles(paths);
  if (files.length === 0) throw new ConfigError(`no .def scenario files in ${paths.join(", ")}`);
  const scenarios: Scenario[] = [];
  const errors: string[] = [];
  for (const f of files) {
    try {
      scenarios.push(await loadScenario(f, { strict: flags.strict === true }));
    } catch (e) {
      if (!(e instanceof ScenarioParseError)) throw e;
      errors.push(e.message);
    }
  }
  if (errors.length > 0) {
    for (const m of errors) console.error(`fixg: ${m}`);
    throw new FixgError("SCENARIO", `${errors.length} scenario file(s) cannot be parsed`, { exitCode: 2 });
  }

  const toRun: Scenario[] = [];
  const skipped: SkippedScenario[] = [];
  for (const s of scenarios) {
    const missing = s.requires.filter((r) => !granted.has(r));
    if (missing.length > 0) {
      skipped.push({
        file: s.file,
        name: s.name,
        reason: `requires ${missing.join(", ")} (run with --with ${missing[0]})`,
      });
    } else if (s.mode !== undefined && s.mode !== mode) {
      skipped.push({
        file: s.file,
        name: s.name,
        reason: `written for ${s.mode} (run with ${
          s.mode === "initiator-under-test" ? "--initiator --listen" : "--target"
        })`,
      });
    } else toRun.push(s);
  }

  let listener: ScenarioListener | undefined;
  if (flags.initiator) {
    try {
      listener = ScenarioListener.listen(where.port, where.host ?? "0.0.0.0");
    } catch (e) {
      throw new EnvironmentError(`cannot listen on ${flags.listen}: ${e instanceof Error ? e.message : e}`);
    }
  }
  const target = flags.initiator ? `listen ${flags.listen}` : flags.target!;
  const results: ScenarioResult[] = [];
  try {
    const width = String(toRun.length).length;
    for (const [i, s] of toRun.entries()) {
      progress(`[${String(i + 1).padStart(width)}/${toRun.length}] ${s.name} ... `);
      if (flags.verbose) progress("\n");
      const options: RunOptions = { mode };
      if (listener) options.listener = listener;
      else {
        options.host = where.host!;
        options.port = where.port;
      }
      if (flags.strict) options.strict = true;
      if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
      if (quietMs !== undefined) options.quietMs = quietMs;
      if (connectTimeoutMs !== undefined) options.connectTimeoutMs = connectTimeoutMs;
      const prompt = s.requires.includes("engine-stop")
        ? new EngineStopPrompt(s.timeoutMs ?? timeoutMs ?? 5000, (line) => progress(line))
        : undefined;
      if (flags.verbose || prompt) {
        options.onTranscript = (e) => {
          if (flags.verbose) progress(transcriptLine(e) + "\n");
          prompt?.onEntry(e);
        };
      }
      let r: ScenarioResult;
      try {
        r = await runScenario(s, options);
      } finally {
        prompt?.dispose();
      }
      results.push(r);
      const verdict = r.passed ? "PASS" : "FAIL";
      progress(
        flags.verbose ? `${verdict} ${s.name} (${r.durationMs} ms)\n` : `${verdict} (${r.durationMs} ms)\n`,
      );
      for (const line of failureLines(r)) progress(`    ${line}\n`);
    }
  } finally {
    await listener?.close();
  }
  for (const k of skipped) progress(`SKIP ${k.name}: ${k.reason}\n`);
  const summary = summarize(results, skipped);
  progress(summaryLine(summary) + "\n");
  if (flags.junit !== undefined) {
    try {
      await Deno.writeTextFile(flags.junit, junitXml(results, skipped));
    } catch (e) {
      throw new EnvironmentError(
        `cannot write --junit ${flags.junit}: ${e instanceof Error ? e.message : e}`,
      );
    }
  }
  if (json) console.log(JSON.stringify(jsonReport(mode, target, results, skipped), null, 2));
  return summary.failed > 0 ? 1 : 0;
}

/**
 * For a scenario that needs the engine stopped while it waits: once the session is logged on (a message
 * received) and the conversation has gone quiet (the runner waits for what only a stop brings), one line
 * asks the user to stop the engine under test.
 */
class EngineStopPrompt {
  /** Quiet time after the last message before asking: the runner is then waiting. */
  static readonly IDLE_MS = 300;
  #asked = false;
  #loggedOn = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly waitMs: number, readonly write: (s: string) => void) {}

  onEntry(e: TranscriptEntry): void {
    if (this.#asked) return;
    if (e.kind === "received") this.#loggedOn = true;
    if (!this.#loggedOn) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#ask(), EngineStopPrompt.IDLE_MS);
  }

  #ask(): void {
    this.#timer = undefined;
    this.#asked = true;
    const wait = this.waitMs % 1000 === 0 ? `${this.waitMs / 1000} s` : `${this.waitMs} ms`;
    this.write(
      `\n    >>> logged on: stop the engine under test now (SIGTERM, or an operator Logout); waiting up to ${wait} for its Logout\n    `,
    );
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function transcriptLine(e: TranscriptEntry): string {
  const arrow = e.kind === "sent"
    ? ">"
    : e.kind === "received"
    ? "<"
    : e.kind === "extra"
    ? "< (extra)"
    : "*";
  const where = e.line > 0 ? `line ${e.line}` : "end";
  return `    ${String(e.atMs).padStart(6)} ms  conn ${e.conn}  ${where.padEnd(8)} ${arrow} ${e.text}`;
}

/**
 * Scenario files in the QuickFIX acceptance-test format (`.def`), one step per line:
 *
 * ```
 * # a comment                      blank lines are ignored too
 * #!timeout=3000                   directive: E/eDISCONNECT wait (ms, or "3s") for this scenario
 * iCONNECT                         open connection 1 (initiator-under-test mode: accept one)
 * I8=FIX.4.4|35=A|34=1|...         send; 9 and 10 filled in, <TIME>, <TIME+n>, <TIME-n> replaced
 * E8=FIX.4.4|35=A|34=1|...         expect the next message on the connection
 * 2iCONNECT                        a leading number selects another connection
 * i2,CONNECT  I2,8=...  e2,DISCONNECT  the same in QuickFIX's spelling (letter, number, comma)
 * 2eDISCONNECT                     expect the peer to close connection 2
 * iDISCONNECT                      close connection 1
 * ```
 *
 * Other directives: `#!quiet=N` (the end-of-scenario quiet period, ms), `#!mode=acceptor|initiator`
 * (which side of the conversation is under test), `#!requires=NAME` (something outside the
 * conversation must happen during the run, e.g. `engine-stop`: the engine is stopped while the
 * scenario waits; runs skip such scenarios unless asked), and `#!verbatim` (the next I line is sent
 * as written: no BodyLength/CheckSum fill-in, for garbled-message cases).
 */
import { FixgError } from "../errors.ts";
import { type ExpectedField, expectedFields } from "./matcher.ts";
import { normalizeDelimiters, placeholderProblems, splitFields } from "./message.ts";

/** Which side the tested engine plays: an acceptor we connect to, or an initiator that connects to us. */
export type ScenarioMode = "acceptor-under-test" | "initiator-under-test";

/** One step of a scenario; `line` is the 1-based line number in the file, `conn` the connection number. */
export type Step =
  | { kind: "connect"; line: number; conn: number; source: string }
  | { kind: "disconnect"; line: number; conn: number; source: string }
  | { kind: "expect-disconnect"; line: number; conn: number; source: string }
  | {
    kind: "send";
    line: number;
    conn: number;
    source: string;
    /** The message, SOH-delimited, placeholders not yet replaced. */
    text: string;
    /** Sent as written (no BodyLength/CheckSum fill-in). */
    verbatim: boolean;
  }
  | {
    kind: "expect";
    line: number;
    conn: number;
    source: string;
    /** The expected message, SOH-delimited, as written. */
    text: string;
    fields: ExpectedField[];
  };

/** A parsed scenario. */
export interface Scenario {
  /** The file it came from (or a label). */
  file: string;
  /** The file's base name without `.def`. */
  name: string;
  steps: Step[];
  /** `#!timeout`: how long E and eDISCONNECT wait, ms (overrides the runner's default). */
  timeoutMs?: number;
  /** `#!quiet`: end-of-scenario quiet period, ms. */
  quietMs?: number;
  /** `#!mode`: the side under test this scenario is written for. */
  mode?: ScenarioMode;
  /** `#!requires`: what must happen outside the conversation during the run (e.g. "engine-stop"). */
  requires: string[];
}

/** A scenario that cannot be parsed: names the file and line. Exit code 2 (unusable input). */
export class ScenarioParseError extends FixgError {
  /** The scenario file. */
  readonly file: string;
  /** 1-based line number; 0 when the file could not be read at all. */
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super("SCENARIO", line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`, { exitCode: 2 });
    this.file = file;
    this.line = line;
  }
}

/**
 * What a scenario may require beyond the conversation: "engine-stop" means the engine under test is
 * stopped (SIGTERM, an operator Logout) while the scenario waits, for the Logout it starts (case 12).
 */
export const KNOWN_REQUIREMENTS: ReadonlySet<string> = new Set(["engine-stop"]);

const LINE_KINDS =
  "iCONNECT, iDISCONNECT, eDISCONNECT, I<message>, E<message> (optionally numbered: 2iCONNECT or i2,CONNECT), # comment or #!directive";

/** Options of `parseScenario` and `loadScenario`. */
export interface ParseOptions {
  /**
   * Strict mode (the reference definitions' rules): I lines are taken as written, so a field that is
   * not tag=value with a numeric tag (`4garbled9=TW`, `-1=HI`) is sent, not a parse error.
   */
  strict?: boolean;
}

/** Parses scenario text; throws ScenarioParseError naming `file` and the line. */
export function parseScenario(text: string, file = "<scenario>", options: ParseOptions = {}): Scenario {
  const scenario: Scenario = { file, name: scenarioName(file), steps: [], requires: [] };
  const used = new Set<number>();
  let verbatimAt = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fail = (message: string): never => {
      throw new ScenarioParseError(file, lineNo, message);
    };
    const source = lines[i]!.replace(/\r$/, "").trimEnd();
    const t = source.trimStart();
    if (t === "") continue;
    if (t.startsWith("#!")) {
      directive(scenario, t.slice(2).trim(), fail);
      if (t.slice(2).trim() === "verbatim") verbatimAt = lineNo;
      continue;
    }
    if (t.startsWith("#")) continue;
    // Two ways to name the connection: fixg's leading number (`2iCONNECT`, `2I8=...`) and QuickFIX's
    // letter, number and comma (`i2,CONNECT`, `I2,8=...`, `e1,DISCONNECT`).
    const qf = /^([IEie])(\d+),(.*)$/s.exec(t);
    const m = qf ? [t, qf[2]!, qf[1]! + qf[3]!] : /^(\d*)(.*)$/s.exec(t)!;
    const conn = m[1] === "" ? 1 : Number(m[1]);
    const rest = m[2]!;
    if (m[1] !== "" && conn < 1) fail(`connection number must be 1 or more, got "${m[1]}"`);
    const needConnected = (what: string): void => {
      if (!used.has(conn)) fail(`${what} on connection ${conn} before ${prefix(conn)}iCONNECT`);
    };
    if (verbatimAt !== 0 && !rest.startsWith("I")) {
      fail(`#!verbatim (line ${verbatimAt}) must be followed by an I line`);
    }
    if (rest === "iCONNECT") {
      used.add(conn);
      scenario.steps.push({ kind: "connect", line: lineNo, conn, source: t });
    } else if (rest === "iDISCONNECT") {
      needConnected("iDISCONNECT");
      scenario.steps.push({ kind: "disconnect", line: lineNo, conn, source: t });
    } else if (rest === "eDISCONNECT") {
      needConnected("eDISCONNECT");
      scenario.steps.push({ kind: "expect-disconnect", line: lineNo, conn, source: t });
    } else if (rest.startsWith("I") || rest.startsWith("E")) {
      const send = rest.startsWith("I");
      if (/^[IE][A-Z]/.test(rest)) fail(`unknown command "${rest}": expected one of ${LINE_KINDS}`);
      needConnected(send ? "I" : "E");
      const body = normalizeDelimiters(rest.slice(1));
      if (body.replaceAll("\x01", "") === "") fail(`${send ? "I" : "E"} line without a message`);
      for (const p of placeholderProblems(body)) fail(p);
      const verbatim = send && verbatimAt !== 0;
      verbatimAt = 0;
      const split = splitFields(body);
      if (split.problem && !verbatim && !(send && options.strict)) {
        fail(`field ${split.problem.index} "${split.problem.text}" is not tag=value with a numeric tag`);
      }
      if (send) {
        scenario.steps.push({ kind: "send", line: lineNo, conn, source: t, text: body, verbatim });
      } else {
        scenario.steps.push({
          kind: "expect",
          line: lineNo,
          conn,
          source: t,
          text: body,
          fields: expectedFields(split.fields),
        });
      }
    } else {
      fail(`unrecognised line "${shorten(t)}": expected one of ${LINE_KINDS}`);
    }
  }
  if (verbatimAt !== 0) {
    throw new ScenarioParseError(file, verbatimAt, "#!verbatim at the end of the file: no I line follows");
  }
  if (scenario.steps.length === 0) {
    const last = lines.findLastIndex((l) => l.trim() !== "");
    throw new ScenarioParseError(file, Math.max(1, last + 1), "no steps in the scenario");
  }
  return scenario;
}

function directive(s: Scenario, d: string, fail: (m: string) => never): void {
  const eq = d.indexOf("=");
  const key = (eq < 0 ? d : d.slice(0, eq)).trim();
  const value = eq < 0 ? undefined : d.slice(eq + 1).trim();
  switch (key) {
    case "timeout":
      s.timeoutMs = durationMs(value, "timeout", fail);
      return;
    case "quiet":
      s.quietMs = durationMs(value, "quiet", fail);
      return;
    case "mode":
      if (value === "acceptor" || value === "acceptor-under-test") s.mode = "acceptor-under-test";
      else if (value === "initiator" || value === "initiator-under-test") s.mode = "initiator-under-test";
      else fail(`#!mode must be "acceptor" or "initiator", got "${value ?? ""}"`);
      return;
    case "verbatim":
      if (value !== undefined) fail("#!verbatim takes no value");
      return;
    case "requires":
      for (const r of (value ?? "").split(",").map((x) => x.trim())) {
        if (!KNOWN_REQUIREMENTS.has(r)) {
          fail(`#!requires: unknown requirement "${r}" (known: ${[...KNOWN_REQUIREMENTS].join(", ")})`);
        }
        if (!s.requires.includes(r)) s.requires.push(r);
      }
      return;
    default:
      fail(
        `unknown directive "#!${d}" (known: timeout=MS, quiet=MS, mode=acceptor|initiator, requires=NAME, verbatim)`,
      );
  }
}

/** Parses "500", "500ms" or "5s" into milliseconds. */
function durationMs(value: string | undefined, what: string, fail: (m: string) => never): number {
  const m = value === undefined ? null : /^(\d+)(ms|s)?$/.exec(value);
  if (!m) {
    return fail(`#!${what} needs a duration in ms (e.g. ${what}=3000 or ${what}=3s), got "${value ?? ""}"`);
  }
  return m[2] === "s" ? Number(m[1]) * 1000 : Number(m[1]);
}

function prefix(conn: number): string {
  return conn === 1 ? "" : String(conn);
}

function shorten(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + "..." : s;
}

/** The base name of a scenario file without its `.def` extension. */
export function scenarioName(file: string): string {
  const base = file.slice(Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\")) + 1);
  return base.endsWith(".def") ? base.slice(0, -4) : base;
}

/** Reads and parses a scenario file; an unreadable file is a ScenarioParseError with line 0. */
export async function loadScenario(path: string, options: ParseOptions = {}): Promise<Scenario> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ScenarioParseError(path, 0, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
  return parseScenario(text, path, options);
}

/** Orders names naturally ("2a" before "10"), as a reader of the scenario list expects. */
export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true, sensitivity: "case" });
}

/**
 * Expands scenario arguments: a file is taken as is; a directory gives its `.def` files (not
 * recursive) in natural name order. A path that does not exist is a usage error.
 */
export async function scenarioFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(p);
    } catch (e) {
      throw new FixgError("USAGE", `scenario path "${p}": ${e instanceof Error ? e.message : e}`, {
        exitCode: 2,
      });
    }
    if (!info.isDirectory) {
      out.push(p);
      continue;
    }
    const names: string[] = [];
    for await (const e of Deno.readDir(p)) if (e.isFile && e.name.endsWith(".def")) names.push(e.name);
    names.sort(compareNames);
    const dir = p.endsWith("/") ? p.slice(0, -1) : p;
    for (const n of names) out.push(`${dir}/${n}`);
  }
  return out;
}

/**
 * Structured session logs: one line per event, as human text or JSON lines. Secrets and PII are
 * redacted before anything is written: Password (554), NewPassword (925) and Account (1) masked,
 * Text (58) truncated; the lists are configurable.
 */
import { latin1String, type MessageView } from "../codec/mod.ts";
import type { SessionLogFiles } from "./log_files.ts";

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** What gets redacted in logged messages. */
export interface RedactionOptions {
  /** Tags whose values are replaced by "***". */
  maskTags: number[];
  /** Tags whose values are cut to `truncateTo` characters. */
  truncateTags: number[];
  truncateTo: number;
}

/** Default redaction: passwords and Account masked, free text truncated. */
export const DEFAULT_REDACTION: RedactionOptions = {
  maskTags: [554, 925, 1],
  truncateTags: [58],
  truncateTo: 32,
};

/** One log record. */
export interface LogRecord {
  level: LogLevel;
  event: string;
  session?: string;
  text: string;
  data?: Record<string, unknown>;
}

/** A sink for log lines (stderr by default; tests collect them). */
export type LogSink = (line: string) => void;

/** Logger options. */
export interface LoggerOptions {
  level?: LogLevel;
  format?: "text" | "json";
  redaction?: RedactionOptions;
  sink?: LogSink;
  /** Clock for timestamps (tests pass a fixed one). */
  nowMs?: () => number;
  /**
   * Per-session log files (`log.dir`): every message in and out (the DEBUG `in`/`out` records, whatever
   * the console level) to the session's messages log, its other records from INFO up to its events log.
   */
  files?: SessionLogFiles;
}

const enc = new TextEncoder();
/** SOH or "|": the field separators of a message string (SOH is the FIX delimiter, on purpose). */
// deno-lint-ignore no-control-regex
const FIELD_SEPARATOR = /[\x01|]/;
/** Writes a line to stderr synchronously (log lines must not be lost when the process exits). */
export const stderrSink: LogSink = (line) => {
  Deno.stderr.writeSync(enc.encode(line + "\n"));
};

/** The engine's logger. Cheap when a level is off: check `enabled(level)` before building data. */
export class Logger {
  level: LogLevel;
  format: "text" | "json";
  redaction: RedactionOptions;
  #mask: Set<number>;
  #trunc: Set<number>;
  readonly #sink: LogSink;
  readonly #now: () => number;
  readonly #files: SessionLogFiles | undefined;

  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? "info";
    this.format = options.format ?? "text";
    this.redaction = options.redaction ?? DEFAULT_REDACTION;
    this.#mask = new Set(this.redaction.maskTags);
    this.#trunc = new Set(this.redaction.truncateTags);
    this.#sink = options.sink ?? stderrSink;
    this.#now = options.nowMs ?? Date.now;
    this.#files = options.files;
  }

  /** The per-session log files, when `log.dir` is set. */
  get files(): SessionLogFiles | undefined {
    return this.#files;
  }

  /** Changes level, format or redaction (hot reload). */
  configure(options: Pick<LoggerOptions, "level" | "format" | "redaction">): void {
    if (options.level) this.level = options.level;
    if (options.format) this.format = options.format;
    if (options.redaction) {
      this.redaction = options.redaction;
      this.#mask = new Set(options.redaction.maskTags);
      this.#trunc = new Set(options.redaction.truncateTags);
    }
  }

  /** True when records at `level` are written (every level with log files: they take session records whatever the console level). */
  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= LEVELS[this.level] || this.#files !== undefined;
  }

  /** Writes a record if its level is enabled (and a session's to its log files). */
  log(r: LogRecord): void {
    const toConsole = LEVELS[r.level] >= LEVELS[this.level];
    const files = r.session === undefined ? undefined : this.#files;
    if (!toConsole && files === undefined) return;
    const nowMs = this.#now();
    const ts = new Date(nowMs).toISOString();
    if (files !== undefined) {
      if (r.level === "debug" && (r.event === "in" || r.event === "out")) {
        files.message(r.session!, nowMs, r.event, escapeControls(r.text));
      } else if (LEVELS[r.level] >= LEVELS.info) files.event(r.session!, nowMs, this.#textLine(ts, r));
    }
    if (!toConsole) return;
    if (this.format === "json") {
      const o: Record<string, unknown> = { ts, level: r.level, event: r.event };
      if (r.session !== undefined) o.session = r.session;
      o.msg = r.text;
      if (r.data) { for (const [k, v] of Object.entries(r.data)) if (!(k in o)) o[k] = v; }
      this.#sink(JSON.stringify(o));
    } else this.#sink(this.#textLine(ts, r));
  }

  /** A record as one text line, control characters escaped. */
  #textLine(ts: string, r: LogRecord): string {
    let line = `${ts} ${r.level.toUpperCase().padEnd(5)} ${r.session ?? "-"} ${r.event}: ${r.text}`;
    if (r.data && Object.keys(r.data).length > 0) {
      line += " " +
        Object.entries(r.data).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ");
    }
    return escapeControls(line);
  }

  info(event: string, text: string, session?: string, data?: Record<string, unknown>): void {
    this.log(withOptional({ level: "info", event, text }, session, data));
  }
  warn(event: string, text: string, session?: string, data?: Record<string, unknown>): void {
    this.log(withOptional({ level: "warn", event, text }, session, data));
  }
  error(event: string, text: string, session?: string, data?: Record<string, unknown>): void {
    this.log(withOptional({ level: "error", event, text }, session, data));
  }
  debug(event: string, text: string, session?: string, data?: Record<string, unknown>): void {
    this.log(withOptional({ level: "debug", event, text }, session, data));
  }

  /** A message as `tag=value|...` with secrets masked and free text truncated, for human renderings (the log app); logs of whole messages use loggedMessage. */
  redactedMessage(view: MessageView): string {
    let s = "";
    for (let i = 0; i < view.count; i++) {
      const tag = view.tagAt(i);
      let v = latin1String(view.buf, view.valueStartAt(i), view.valueEndAt(i));
      if (this.#mask.has(tag)) v = "***";
      else if (this.#trunc.has(tag) && v.length > this.redaction.truncateTo) {
        v = v.slice(0, this.redaction.truncateTo) + "…";
      }
      s += `${tag}=${v.replaceAll("\x01", "^A")}|`;
    }
    return s;
  }

  /**
   * A whole message for the DEBUG log (every message in and out) and the messages log: `tag=value|...`
   * with masked tags as "***" and nothing truncated (truncation is for human renderings such as
   * redactedMessage), so `fixg decode` reads it. When masking changed the message, BodyLength (9) and
   * CheckSum (10) are those of the masked text: the logged message is a valid frame of what it shows.
   */
  loggedMessage(view: MessageView): string {
    let masked = false;
    const tags: number[] = [];
    const values: string[] = [];
    for (let i = 0; i < view.count; i++) {
      const tag = view.tagAt(i);
      let v = latin1String(view.buf, view.valueStartAt(i), view.valueEndAt(i));
      if (this.#mask.has(tag) && tag !== 8 && tag !== 9 && tag !== 10 && tag !== 35) {
        v = "***";
        masked = true;
      }
      tags.push(tag);
      values.push(v);
    }
    if (!masked || tags[0] !== 8 || tags[1] !== 9 || tags[tags.length - 1] !== 10) {
      let s = "";
      for (let i = 0; i < tags.length; i++) s += `${tags[i]}=${values[i]!.replaceAll("\x01", "^A")}|`;
      return s;
    }
    let body = "";
    for (let i = 2; i < tags.length - 1; i++) body += `${tags[i]}=${values[i]}\x01`;
    const head = `8=${values[0]}\x019=${body.length}\x01`;
    let sum = 0;
    for (let i = 0; i < head.length; i++) sum += head.charCodeAt(i);
    for (let i = 0; i < body.length; i++) sum += body.charCodeAt(i);
    const cs = String(sum % 256).padStart(3, "0");
    return `${head}${body}10=${cs}\x01`.replaceAll("\x01", "|");
  }

  /** Redacts a `|`- or SOH-delimited message string. */
  redactString(msg: string): string {
    return msg.split(FIELD_SEPARATOR).filter((f) => f.length > 0).map((f) => {
      const eq = f.indexOf("=");
      const tag = Number(f.slice(0, eq));
      const v = f.slice(eq + 1);
      if (this.#mask.has(tag)) return `${tag}=***`;
      if (this.#trunc.has(tag) && v.length > this.redaction.truncateTo) {
        return `${tag}=${v.slice(0, this.redaction.truncateTo)}…`;
      }
      return f;
    }).join("|") + "|";
  }
}

// deno-lint-ignore no-control-regex
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;

/**
 * A text log line with every control character escaped (`\n`, `\r`, `\t`, `\xHH`, `\uHHHH`): values a
 * peer sent (CompIDs, MsgType, user names) can neither forge a line nor carry terminal escapes.
 */
export function escapeControls(line: string): string {
  return line.replace(CONTROLS, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    const code = c.charCodeAt(0);
    return code > 0xff
      ? `\\u${code.toString(16).padStart(4, "0")}`
      : `\\x${code.toString(16).padStart(2, "0")}`;
  });
}

function withOptional(r: LogRecord, session?: string, data?: Record<string, unknown>): LogRecord {
  if (session !== undefined) r.session = session;
  if (data !== undefined) r.data = data;
  return r;
}

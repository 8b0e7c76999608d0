/**
 * Reading configuration objects (parsed YAML or literals) with errors that name the file and the key:
 * `lp.yaml: symbols[1].tickSize: must be a number > 0 (got "abc")`. Every reader throws ConfigError.
 */
import { ConfigError } from "../errors.ts";
import { isValidTimeZone, parseHhMm } from "./time_of_day.ts";

/** Where a value sits: the file (or "config") and the dotted key path. */
export class ConfigPath {
  constructor(readonly file: string, readonly key: string) {}

  /** The path of a member: `symbols` + 0 -> `symbols[0]`, `risk` + "maxQty" -> `risk.maxQty`. */
  child(k: string | number): ConfigPath {
    if (typeof k === "number") return new ConfigPath(this.file, `${this.key}[${k}]`);
    return new ConfigPath(this.file, this.key === "" ? k : `${this.key}.${k}`);
  }

  /** Throws a ConfigError naming file and key. */
  fail(message: string): never {
    throw new ConfigError(`${this.file}: ${this.key === "" ? "(top level)" : this.key}: ${message}`);
  }
}

/** Shows a bad value in an error message, shortened. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

/** A plain object whose keys are all in `allowed` (a typo is an error, not silently ignored). */
export function readObject(v: unknown, at: ConfigPath, allowed: readonly string[]): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) at.fail(`must be a mapping (got ${show(v)})`);
  const obj = v as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) at.child(k).fail(`unknown key (known keys: ${allowed.join(", ")})`);
  }
  return obj;
}

/** An array. */
export function readArray(v: unknown, at: ConfigPath): unknown[] {
  if (!Array.isArray(v)) at.fail(`must be a list (got ${show(v)})`);
  return v;
}

/** Bounds of a number read from configuration. */
export interface NumberRule {
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Smallest allowed value (exclusive). */
  above?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  integer?: boolean;
}

/** A finite number obeying `rule`. */
export function readNumber(v: unknown, at: ConfigPath, rule: NumberRule = {}): number {
  if (typeof v !== "number" || !Number.isFinite(v)) at.fail(`must be a number (got ${show(v)})`);
  if (rule.integer === true && !Number.isInteger(v)) at.fail(`must be an integer (got ${show(v)})`);
  if (rule.min !== undefined && v < rule.min) at.fail(`must be a number >= ${rule.min} (got ${show(v)})`);
  if (rule.above !== undefined && v <= rule.above) {
    at.fail(`must be a number > ${rule.above} (got ${show(v)})`);
  }
  if (rule.max !== undefined && v > rule.max) at.fail(`must be a number <= ${rule.max} (got ${show(v)})`);
  return v;
}

/** A non-empty string; a number is refused with a hint, since YAML reads `0012` as 12. */
export function readString(v: unknown, at: ConfigPath): string {
  if (typeof v === "number") {
    at.fail(`must be a string: quote it, e.g. "${v}" (YAML reads unquoted digits as a number)`);
  }
  if (typeof v !== "string" || v === "") at.fail(`must be a non-empty string (got ${show(v)})`);
  return v;
}

/** A Boolean. */
export function readBoolean(v: unknown, at: ConfigPath): boolean {
  if (typeof v !== "boolean") at.fail(`must be true or false (got ${show(v)})`);
  return v;
}

/** A time of day "HH:MM"; returns the string. */
export function readHhMm(v: unknown, at: ConfigPath): string {
  const s = typeof v === "string" ? v : "";
  if (parseHhMm(s) === undefined) at.fail(`must be a time "HH:MM" from 00:00 to 23:59 (got ${show(v)})`);
  return s;
}

/** An IANA time zone name Intl knows. */
export function readTimeZone(v: unknown, at: ConfigPath): string {
  const s = readString(v, at);
  if (!isValidTimeZone(s)) {
    at.fail(`unknown time zone ${show(s)} (use an IANA name such as "America/New_York" or "UTC")`);
  }
  return s;
}

/** A list of non-empty strings. */
export function readStringList(v: unknown, at: ConfigPath): string[] {
  return readArray(v, at).map((x, i) => readString(x, at.child(i)));
}

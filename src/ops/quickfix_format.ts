/**
 * The two text formats of `fixg config import-quickfix` (src/ops/quickfix_import.ts): QuickFIX's
 * settings file in ([DEFAULT] and [SESSION] sections of Key=Value lines), fixg's YAML out.
 */
import { ConfigError } from "../errors.ts";
import { SESSION_ADDRESS_KEYS } from "../engine/config_schema.ts";

/** A YAML mapping being built. */
export type Tree = Record<string, unknown>;

/** One section of the settings file. */
export interface Section {
  name: "DEFAULT" | "SESSION";
  line: number;
  settings: Setting[];
}

/** One Key=Value line. */
export interface Setting {
  key: string;
  value: string;
  line: number;
}

/** Parses the .cfg text; `file` names it in errors. */
export function parseSections(text: string, file: string): Section[] {
  const out: Section[] = [];
  let cur: Section | undefined;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const sec = /^\[\s*([A-Za-z]+)\s*\]$/.exec(line);
    if (sec) {
      const name = sec[1]!.toUpperCase();
      if (name !== "DEFAULT" && name !== "SESSION") {
        throw new ConfigError(
          `${file}:${i + 1}: unknown section [${sec[1]}] (expected [DEFAULT] or [SESSION])`,
        );
      }
      cur = { name, line: i + 1, settings: [] };
      out.push(cur);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new ConfigError(`${file}:${i + 1}: expected Key=Value, got "${line.slice(0, 60)}"`);
    if (!cur) throw new ConfigError(`${file}:${i + 1}: setting before any [DEFAULT] or [SESSION] section`);
    cur.settings.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), line: i + 1 });
  }
  if (!out.some((s) => s.name === "SESSION")) throw new ConfigError(`${file}: no [SESSION] section`);
  return out;
}

/** Renders a value as YAML (strings double-quoted: CompIDs like 0012 stay strings). */
function scalar(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(scalar).join(", ")}]`;
  return JSON.stringify(v);
}

/** Writes a mapping as YAML lines (the first key after `firstPrefix`, e.g. "  - ", when given). */
export function emit(t: Tree, indent: string, out: string[], firstPrefix?: string): void {
  let first = true;
  for (const [k, v] of Object.entries(t)) {
    const pre = first && firstPrefix !== undefined ? firstPrefix : indent;
    first = false;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      if (Object.keys(v).length === 0) out.push(`${pre}${k}: {}`);
      else {
        out.push(`${pre}${k}:`);
        emit(v as Tree, indent + "  ", out);
      }
    } else out.push(`${pre}${k}: ${scalar(v)}`);
  }
}

/** Key order in the output, as in docs/configuration.md. */
const ORDER = ["name", ...SESSION_ADDRESS_KEYS, "heartbeatIntervalSec"];

/** The keys of a session in ORDER, then the others as they come. */
export function ordered(s: Tree): Tree {
  const out: Tree = {};
  for (const k of ORDER) if (k in s) out[k] = s[k];
  for (const k of Object.keys(s)) if (!(k in out)) out[k] = s[k];
  return out;
}

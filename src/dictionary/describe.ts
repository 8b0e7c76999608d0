/**
 * Human and machine descriptions of FIX messages: each field with its dictionary name and enum
 * meaning, repeating groups nested, and the validation verdict. Used by `fixg decode` and by any
 * tool that prints messages (journals, conformance transcripts).
 */
import type { MessageView } from "../codec/view.ts";
import type { Dictionary, GroupDef } from "./model.ts";
import type { RejectInfo } from "./reject.ts";
import { APPL_VER_ID_TO_VERSION, builtinDictionary } from "./loader.ts";
import { validate, type ValidationOptions } from "./validate.ts";

/** One field of a described message. */
export interface DescribedField {
  tag: number;
  /** Dictionary name; undefined when the dictionary does not define the tag. */
  name: string | undefined;
  /** The value as text (bytes as Latin-1). */
  value: string;
  /** Enum description(s) of the value, when the field has an enum. */
  meaning?: string;
  /** Group nesting: 0 at message level, 1 inside a top-level group entry, ... */
  depth: number;
  /** True on the first field (the delimiter) of a group entry. */
  entryStart: boolean;
  /** True when this field is the one the reject names (RefTagID). */
  atFault: boolean;
}

/** A described message. */
export interface DescribedMessage {
  /** Byte offset of the frame in the input. */
  offset: number;
  length: number;
  beginString: string;
  msgType: string;
  /** Message name from the dictionary (undefined when unknown or without a dictionary). */
  name: string | undefined;
  fields: DescribedField[];
  /** The first validation problem, if any. */
  reject: RejectInfo | undefined;
  /** Why the message was not validated (no dictionary for its BeginString). */
  notValidated?: string;
}

/**
 * Validates against `dict`; a FIXT dictionary combined with one application version (the built-in
 * "FIXT.1.1" is FIX 5.0 SP2) validates a session-level message against the transport dictionary alone,
 * as a session's Validator does, and a message whose ApplVerID (1128) names another version against
 * that version's built-in dictionary.
 */
function validateByVersion(
  view: MessageView,
  dict: Dictionary,
  options: ValidationOptions | undefined,
): RejectInfo | undefined {
  const parts = dict.parts;
  const t = view.msgType;
  if (parts !== undefined && t.length === 1 && parts.transport.messagesByType.get(t)?.category === "admin") {
    return validate(view, parts.transport, options);
  }
  const version = parts === undefined ? undefined : APPL_VER_ID_TO_VERSION[view.getString(1128) ?? ""];
  if (parts === undefined || version === undefined || version === parts.app.beginString) {
    return validate(view, dict, options);
  }
  return validate(view, parts.transport, options, builtinDictionary(version));
}

/** Describes `view` (frame at `offset` in its input) against `dict` (undefined: names unknown, not validated). */
export function describeMessage(
  view: MessageView,
  dict: Dictionary | undefined,
  offset: number,
  options?: ValidationOptions,
): DescribedMessage {
  const n = view.count;
  const depth = new Int32Array(n);
  const entryStart = new Uint8Array(n);
  const msgType = view.msgType;
  const def = dict?.messagesByType.get(msgType);
  if (dict !== undefined) {
    const groups = new Map<number, GroupDef>();
    for (const d of [dict.header, def, dict.trailer]) {
      if (d !== undefined) { for (const [t, g] of d.groupsByCountTag) groups.set(t, g); }
    }
    markGroups(view, groups, depth, entryStart);
  }
  const reject = dict === undefined ? undefined : validateByVersion(view, dict, options);
  const fields: DescribedField[] = [];
  for (let i = 0; i < n; i++) {
    const tag = view.tagAt(i);
    const value = view.stringAt(i);
    const f = dict?.fieldsByTag.get(tag);
    const d: DescribedField = {
      tag,
      name: f?.name,
      value,
      depth: depth[i]!,
      entryStart: entryStart[i] === 1,
      atFault: reject?.refTagId === tag,
    };
    if (f !== undefined && f.enums.size > 0 && tag !== 35) {
      const one = f.enums.get(value);
      if (one !== undefined) d.meaning = one;
      else if (value.includes(" ")) {
        const parts = value.split(" ").filter((p) => p !== "").map((p) => f.enums.get(p));
        if (parts.every((p) => p !== undefined)) d.meaning = parts.join(", ");
      }
    } else if (tag === 35 && def !== undefined) {
      d.meaning = def.name;
    }
    fields.push(d);
  }
  const out: DescribedMessage = {
    offset,
    length: view.end - view.start,
    beginString: view.getString(8) ?? "",
    msgType,
    name: def?.name,
    fields,
    reject,
  };
  if (dict === undefined) out.notValidated = `no dictionary for BeginString "${out.beginString}"`;
  return out;
}

/** Sets depth and entry starts of fields inside repeating groups (tolerant: malformed groups just end). */
function markGroups(
  view: MessageView,
  groups: Map<number, GroupDef>,
  depth: Int32Array,
  starts: Uint8Array,
): void {
  const n = view.count;
  const walk = (g: GroupDef, from: number, d: number): number => {
    let j = from;
    let inEntry = false;
    while (j < n) {
      const t = view.tagAt(j);
      if (t === g.delimiterTag) {
        inEntry = true;
        starts[j] = 1;
      } else if (!inEntry || !g.allTags.has(t)) {
        break;
      }
      depth[j] = d;
      const nested = g.groupsByCountTag.get(t);
      j = nested === undefined ? j + 1 : walk(nested, j + 1, d + 1);
    }
    return j;
  };
  for (let i = 0; i < n;) {
    const g = groups.get(view.tagAt(i));
    i = g === undefined ? i + 1 : walk(g, i + 1, 1);
  }
}

/** A value with control and non-ASCII bytes escaped (SOH as ^A), safe to print on a terminal. */
export function printable(value: string): string {
  // deno-lint-ignore no-control-regex
  return value.replace(/[\x00-\x1f\x7f-\xff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code === 1 ? "^A" : `\\x${code.toString(16).padStart(2, "0")}`;
  });
}

function rejectLine(m: DescribedMessage): string {
  const r = m.reject!;
  let s = `373=${r.reason} ${r.text}`;
  if (r.refTagId !== undefined) {
    const name = m.fields.find((f) => f.tag === r.refTagId)?.name;
    s += ` (RefTagID 371=${r.refTagId}${name === undefined ? "" : ` ${name}`})`;
  }
  return s;
}

/** A text table of the message: marker, tag (indented by group depth), name, value, meaning. */
export function renderTable(m: DescribedMessage, index: number): string {
  const title = m.name === undefined ? `35=${m.msgType}` : `${m.name} (35=${m.msgType})`;
  const lines = [`message ${index} at offset ${m.offset} (${m.length} bytes): ${m.beginString} ${title}`];
  const tagCells = m.fields.map((f) =>
    "  ".repeat(f.depth) + (f.entryStart ? "- " : f.depth > 0 ? "  " : "") + f.tag
  );
  const names = m.fields.map((f) => f.name ?? "?");
  const values = m.fields.map((f) => printable(f.value));
  const tagW = Math.max(3, ...tagCells.map((s) => s.length));
  const nameW = Math.min(32, Math.max(4, ...names.map((s) => s.length)));
  const valueW = Math.min(40, Math.max(5, ...values.map((s) => s.length)));
  lines.push(
    `  ${"TAG".padEnd(tagW)}  ${"NAME".padEnd(nameW)}  ${"VALUE".padEnd(valueW)}  MEANING`.trimEnd(),
  );
  m.fields.forEach((f, i) => {
    const mark = f.atFault ? "!" : f.name === undefined ? "?" : " ";
    const row = `${mark} ${tagCells[i]!.padEnd(tagW)}  ${names[i]!.padEnd(nameW)}  ${
      values[i]!.padEnd(valueW)
    }  ${f.meaning ?? ""}`;
    lines.push(row.trimEnd());
  });
  if (m.reject !== undefined) lines.push(`! invalid: ${rejectLine(m)}`);
  if (m.notValidated !== undefined) lines.push(`? not validated: ${m.notValidated}`);
  return lines.join("\n");
}

/** JSON form of a field list: groups become `entries` (arrays of field lists) on their NumInGroup field. */
interface JsonField {
  tag: number;
  name?: string;
  value: string;
  meaning?: string;
  entries?: JsonField[][];
}

/** The message as a JSON-ready object (one per line in `fixg decode --json`). */
export function toJsonObject(m: DescribedMessage): Record<string, unknown> {
  let i = 0;
  const fs = m.fields;
  const level = (d: number): JsonField[] => {
    const out: JsonField[] = [];
    while (i < fs.length && fs[i]!.depth === d && !(out.length > 0 && d > 0 && fs[i]!.entryStart)) {
      const f = fs[i++]!;
      const j: JsonField = f.name === undefined ? { tag: f.tag, value: f.value } : {
        tag: f.tag,
        name: f.name,
        value: f.value,
      };
      if (f.meaning !== undefined) j.meaning = f.meaning;
      if (i < fs.length && fs[i]!.depth === d + 1 && fs[i]!.entryStart) {
        j.entries = [];
        while (i < fs.length && fs[i]!.depth === d + 1 && fs[i]!.entryStart) j.entries.push(level(d + 1));
      }
      out.push(j);
    }
    return out;
  };
  const fields = level(0);
  const obj: Record<string, unknown> = {
    offset: m.offset,
    length: m.length,
    beginString: m.beginString,
    msgType: m.msgType,
  };
  if (m.name !== undefined) obj.name = m.name;
  obj.valid = m.reject === undefined && m.notValidated === undefined;
  if (m.reject !== undefined) obj.reject = m.reject;
  if (m.notValidated !== undefined) obj.notValidated = m.notValidated;
  obj.fields = fields;
  return obj;
}

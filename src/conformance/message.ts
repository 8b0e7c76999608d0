/**
 * Scenario messages as text: delimiters, `<TIME±n>` placeholders, splitting into fields (data fields
 * by their length field), and the BodyLength/CheckSum fill-in of messages a scenario sends.
 *
 * Scenario text is handled as Latin-1 strings (one char per byte), as FIX values are bytes: a
 * character above U+00FF is written UTF-8 encoded, the same rule as the codec's encoder.
 */
import { asciiLength, checksum, latin1String, writeAscii } from "../codec/ascii.ts";
import { LENGTH_TO_DATA_TAG } from "../codec/tags.ts";
import { formatTimestamp } from "../codec/timestamps.ts";

/** The FIX field delimiter as a one-char string. */
export const SOH_CHAR = "\x01";

/** One field as text: the tag as written (normally digits) and the value. */
export interface TextField {
  tag: string;
  value: string;
}

/** `<TIME>`, `<TIME+n>`, `<TIME-n>`: now plus or minus n seconds. */
const TIME_PLACEHOLDER = /<TIME(?:([+-])(\d+))?>/g;
/** Anything that starts like a time placeholder (to catch typos such as `<TIME+x>` or `<TIME`). */
const TIME_LIKE = /<TIME/g;

/**
 * Normalises a scenario line's delimiters to SOH: a line with a real SOH keeps it as the only
 * delimiter (so `|` may appear in values); otherwise `^A` and `|` are delimiters.
 */
export function normalizeDelimiters(line: string): string {
  if (line.includes(SOH_CHAR)) return line;
  return line.replaceAll("^A", SOH_CHAR).replaceAll("|", SOH_CHAR);
}

/** Renders SOH-delimited text with `|` in place of SOH, for reports. */
export function readable(text: string): string {
  return text.replaceAll(SOH_CHAR, "|");
}

/** Problems with time placeholders in `text` (e.g. `<TIME+x>`), as messages; empty when all are valid. */
export function placeholderProblems(text: string): string[] {
  const valid = new Set<number>();
  for (const m of text.matchAll(TIME_PLACEHOLDER)) valid.add(m.index);
  const out: string[] = [];
  for (const m of text.matchAll(TIME_LIKE)) {
    if (valid.has(m.index)) continue;
    const end = text.indexOf(">", m.index);
    const shown = end < 0 ? text.slice(m.index, m.index + 12) : text.slice(m.index, end + 1);
    out.push(`bad time placeholder "${readable(shown)}" (use <TIME>, <TIME+n> or <TIME-n>, n in seconds)`);
  }
  return out;
}

/**
 * Replaces every `<TIME±n>` with the UTCTimestamp of `nowMs` ± n seconds: with milliseconds, or in
 * whole seconds with `precision` "s" (strict mode: QuickFIX's runner writes `%Y%m%d-%H:%M:%S`, and
 * its definitions' hand-written BodyLengths count on that).
 */
export function substituteTimes(text: string, nowMs: number, precision: "ms" | "s" = "ms"): string {
  return text.replace(TIME_PLACEHOLDER, (_m, sign: string | undefined, n: string | undefined) => {
    const offsetMs = n === undefined ? 0 : Number(n) * 1000 * (sign === "-" ? -1 : 1);
    return formatTimestamp(nowMs + offsetMs, precision);
  });
}

/** True for a value that is a time placeholder (an expected field matched by pattern). */
export function isTimePlaceholder(value: string): boolean {
  return /^<TIME(?:[+-]\d+)?>$/.test(value);
}

/** True for a value shaped like a UTCTimestamp (`YYYYMMDD-HH:MM:SS[.sss|.ssssss|.sssssssss]`), valid or not. */
export function isTimestampShaped(value: string): boolean {
  return /^\d{8}-\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{6}|\.\d{9})?$/.test(value);
}

/** Result of splitting text into fields. */
export interface SplitResult {
  fields: TextField[];
  /** First field that is not `tag=value` with a numeric tag (strict checking), 1-based, with its text. */
  problem?: { index: number; text: string };
}

/**
 * Splits SOH-delimited text into fields. A data field whose length field came before it takes
 * exactly that many chars (its value may contain SOH). A field with no `=` becomes a field whose
 * tag is its whole text and whose value is empty; `problem` names the first such or non-numeric tag.
 */
export function splitFields(text: string): SplitResult {
  const fields: TextField[] = [];
  const dataLengths = new Map<string, number>();
  let problem: SplitResult["problem"];
  let p = 0;
  const n = text.length;
  while (p < n) {
    const soh = text.indexOf(SOH_CHAR, p);
    const fieldEnd = soh < 0 ? n : soh;
    const eq = text.indexOf("=", p);
    if (eq < 0 || eq > fieldEnd) {
      const whole = text.slice(p, fieldEnd);
      fields.push({ tag: whole, value: "" });
      problem ??= { index: fields.length, text: whole };
      p = fieldEnd + 1;
      continue;
    }
    const tag = text.slice(p, eq);
    if (!/^\d+$/.test(tag)) problem ??= { index: fields.length + 1, text: text.slice(p, fieldEnd) };
    const dataLen = dataLengths.get(tag);
    let valueEnd = fieldEnd;
    if (dataLen !== undefined && eq + 1 + dataLen <= n) {
      const after = eq + 1 + dataLen;
      if (after === n || text[after] === SOH_CHAR) valueEnd = after;
    }
    const value = text.slice(eq + 1, valueEnd);
    fields.push({ tag, value });
    const dataTag = LENGTH_TO_DATA_TAG.get(Number(tag));
    if (dataTag !== undefined && /^\d+$/.test(value)) dataLengths.set(String(dataTag), Number(value));
    p = valueEnd + 1;
  }
  return problem === undefined ? { fields } : { fields, problem };
}

/** Joins fields back into SOH-delimited text with a trailing SOH. */
export function joinFields(fields: readonly TextField[]): string {
  let s = "";
  for (const f of fields) s += f.tag + "=" + f.value + SOH_CHAR;
  return s;
}

/** Encodes text as wire bytes (Latin-1; chars above U+00FF UTF-8 encoded). */
export function textBytes(text: string): Uint8Array {
  const out = new Uint8Array(asciiLength(text));
  writeAscii(out, 0, text);
  return out;
}

/** Decodes wire bytes as text, one char per byte. */
export function bytesText(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return latin1String(bytes, start, end);
}

/**
 * Completes a message to send: BodyLength (9) is inserted after BeginString (8) when absent and
 * recomputed when present (the bytes after the 9 field up to the CheckSum field); CheckSum (10) is
 * appended when absent and recomputed when present. Field order is otherwise kept as written, so a
 * scenario can still put 35 out of place (case 2t) and get a frame whose lengths are right.
 */
export function completeMessage(fields: readonly TextField[]): TextField[] {
  const out = fields.map((f) => ({ ...f }));
  let i10 = out.findIndex((f) => f.tag === "10");
  if (i10 < 0) {
    out.push({ tag: "10", value: "000" });
    i10 = out.length - 1;
  }
  let i9 = out.findIndex((f) => f.tag === "9");
  if (i9 < 0) {
    const i8 = out.findIndex((f) => f.tag === "8");
    i9 = i8 + 1;
    out.splice(i9, 0, { tag: "9", value: "0" });
    if (i9 <= i10) i10++;
  }
  let bodyLength = 0;
  for (let i = i9 + 1; i < i10; i++) bodyLength += fieldByteLength(out[i]!);
  out[i9]!.value = String(bodyLength);
  const before = textBytes(joinFields(out.slice(0, i10)));
  out[i10]!.value = String(checksum(before, 0, before.length)).padStart(3, "0");
  return out;
}

/**
 * The reference runner's fill-in (strict mode): BodyLength (9) after BeginString and CheckSum (10) at
 * the end are added only when the line has none; a 9 or 10 written in the line is sent as written
 * (so a script can send a wrong length or checksum without `#!verbatim`), and a line that does not
 * start with BeginString (8) is sent exactly as written.
 */
export function completeMessageAsWritten(fields: readonly TextField[]): TextField[] {
  const out = fields.map((f) => ({ ...f }));
  if (out[0]?.tag !== "8") return out;
  const has9 = out.some((f) => f.tag === "9");
  const has10 = out.some((f) => f.tag === "10");
  if (!has9) {
    const end = has10 ? out.findIndex((f) => f.tag === "10") : out.length;
    let bodyLength = 0;
    for (let i = 1; i < end; i++) bodyLength += fieldByteLength(out[i]!);
    out.splice(1, 0, { tag: "9", value: String(bodyLength) });
  }
  if (!has10) {
    const before = textBytes(joinFields(out));
    out.push({ tag: "10", value: String(checksum(before, 0, before.length)).padStart(3, "0") });
  }
  return out;
}

/** Bytes a field takes on the wire, delimiter included. */
function fieldByteLength(f: TextField): number {
  return asciiLength(f.tag) + 1 + asciiLength(f.value) + 1;
}

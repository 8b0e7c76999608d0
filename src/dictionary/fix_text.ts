/**
 * Finding FIX messages in what people paste and log: raw SOH streams, text with '|' or '^A' as the
 * delimiter, log lines with a prefix (timestamp, direction, session) before `8=`, and a final
 * CheckSum without its delimiter at the end of a line.
 *
 * - Input holding SOH bytes is a raw stream: it is framed as is; stretches between frames without
 *   SOH (log prefixes, newlines) are noise, stretches with SOH are garbled message fragments.
 * - Otherwise it is read line by line: from the first `8=FIX` of a line, `|` and `^A` become SOH
 *   (one byte for one, so BodyLength and CheckSum still hold for '|'; '^A' shrinks by one byte per
 *   delimiter, as it stood for one byte) and each line is framed on its own.
 * Offsets always refer to the original input.
 */
import { Framer, type FramerOptions } from "../codec/framer.ts";

/** A stretch of input that looked like FIX but could not be framed. */
export interface GarbledInput {
  /** Byte offset in the original input. */
  offset: number;
  /** Bytes dropped (in the delimiter-converted text for '^A' lines). */
  length: number;
  reason: string;
}

/** Receives what scanFixInput finds, in input order. */
export interface FixInputSink {
  /** A complete, checksum-verified frame in `buf[start, end)` (valid during the call), at `offset` in the input. */
  frame(buf: Uint8Array, start: number, end: number, offset: number): void;
  garbled(g: GarbledInput): void;
}

const SOH = 1, PIPE = 0x7c, CARET = 0x5e, A = 0x41, LF = 0x0a, CR = 0x0d;

/** True when the input holds at least one "8=FIX". */
export function looksLikeFix(input: Uint8Array): boolean {
  return indexOfBegin(input, 0, input.length) !== -1;
}

function indexOfBegin(buf: Uint8Array, from: number, to: number): number {
  for (let i = buf.indexOf(0x38, from); i !== -1 && i + 5 <= to; i = buf.indexOf(0x38, i + 1)) {
    if (buf[i + 1] === 0x3d && buf[i + 2] === 0x46 && buf[i + 3] === 0x49 && buf[i + 4] === 0x58) return i;
  }
  return -1;
}

/** Finds every FIX message in `input` (see the module comment) and reports frames and garbled stretches. */
export function scanFixInput(input: Uint8Array, sink: FixInputSink, options: FramerOptions = {}): void {
  if (input.includes(SOH)) {
    frameRegion(input, 0, input.length, 0, undefined, sink, options);
    return;
  }
  let lineStart = 0;
  while (lineStart < input.length) {
    let lineEnd = input.indexOf(LF, lineStart);
    if (lineEnd === -1) lineEnd = input.length;
    const begin = indexOfBegin(input, lineStart, lineEnd);
    if (begin !== -1) {
      let end = lineEnd;
      while (end > begin && (input[end - 1] === CR || input[end - 1] === 0x20 || input[end - 1] === 0x09)) {
        end--;
      }
      const [text, origin] = toSoh(input, begin, end);
      frameRegion(text, 0, text.length, begin, origin, sink, options);
    }
    lineStart = lineEnd + 1;
  }
}

/**
 * Converts `input[begin, end)` to SOH-delimited bytes; `origin[i]` is the input offset of byte i
 * (only when '^A' shrank the text). A CheckSum left without its delimiter at the end gets one.
 */
function toSoh(input: Uint8Array, begin: number, end: number): [Uint8Array, Int32Array | undefined] {
  const out = new Uint8Array(end - begin + 1);
  let origin: Int32Array | undefined;
  let n = 0;
  for (let i = begin; i < end; i++) {
    const c = input[i]!;
    if (c === CARET && input[i + 1] === A && i + 1 < end) {
      if (origin === undefined) {
        origin = new Int32Array(end - begin + 1);
        for (let k = 0; k < n; k++) origin[k] = begin + k;
      }
      origin[n] = i;
      out[n++] = SOH;
      i++;
      continue;
    }
    if (origin !== undefined) origin[n] = i;
    out[n++] = c === PIPE ? SOH : c;
  }
  // "...|10=123" at the end of a line: the trailing delimiter is often left out.
  if (
    n >= 7 && out[n - 1] !== SOH && out[n - 7] === SOH && out[n - 6] === 0x31 && out[n - 5] === 0x30 &&
    out[n - 4] === 0x3d
  ) {
    if (origin !== undefined) origin[n] = end;
    out[n++] = SOH;
  }
  return [out.subarray(0, n), origin?.subarray(0, n)];
}

function frameRegion(
  buf: Uint8Array,
  from: number,
  to: number,
  base: number,
  origin: Int32Array | undefined,
  sink: FixInputSink,
  options: FramerOptions,
): void {
  const at = (p: number): number => origin === undefined ? base + p : (origin[p] ?? base + p);
  const framer = new Framer({
    onFrame: (b, s, e) => sink.frame(b, s, e, at(s)),
    onGarbled: (g) => {
      // Junk without SOH between frames is a log prefix, a newline or trailing text: not a message.
      if (
        g.reason === "junk before BeginString" && !buf.subarray(g.offset, g.offset + g.length).includes(SOH)
      ) {
        return;
      }
      sink.garbled({ offset: at(g.offset), length: g.length, reason: g.reason });
    },
  }, options);
  framer.push(buf.subarray(from, to));
  const left = framer.buffered;
  if (left > 0) {
    const p = to - left;
    const tail = buf.subarray(p, to);
    // A lone partial "8=FI" at the very end is not worth a report unless it carries fields.
    if (tail.includes(SOH) || indexOfBegin(tail, 0, tail.length) !== -1) {
      sink.garbled({ offset: at(p), length: left, reason: "incomplete message at end of input" });
    }
  }
}

/** What completeLengths did. */
export interface CompletedInput {
  /** The input with each message rebuilt as an SOH frame with BodyLength and CheckSum (other text kept). */
  input: Uint8Array;
  /** Messages rebuilt. */
  completed: number;
}

/** A message found by its `8=FIX` start: its fields up to the first thing that is not `tag=value`. */
interface FoundMessage {
  start: number;
  end: number;
  fields: [string, string][];
}

function findMessages(text: string): FoundMessage[] {
  const out: FoundMessage[] = [];
  const raw = text.includes("\x01");
  let from = 0;
  for (let b = text.indexOf("8=FIX", from); b !== -1; b = text.indexOf("8=FIX", from)) {
    // A message ends at the line's end (text) or where the next one starts (raw SOH stream).
    let limit = raw ? text.length : text.indexOf("\n", b);
    if (limit === -1) limit = text.length;
    const next = text.indexOf("\x018=FIX", b + 1);
    if (raw && next !== -1 && next < limit) limit = next + 1;
    const fields: [string, string][] = [];
    let pos = b;
    while (pos < limit) {
      const rest = text.slice(pos, limit);
      // deno-lint-ignore no-control-regex
      const m = /^(\d+)=([^\x01|\r\n]*?)(\x01|\||\^A|\s*$)/.exec(rest);
      if (m === null || m[0].length === 0) break;
      fields.push([m[1]!, m[2]!]);
      pos += m[0].length;
      if (m[3] === "" || /^\s+$/.test(m[3]!)) break;
    }
    out.push({ start: b, end: pos, fields });
    from = Math.max(pos, b + 1);
  }
  return out;
}

/** True when some message in the input carries BodyLength (9) or CheckSum (10). */
export function hasLengthFields(input: Uint8Array): boolean {
  return findMessages(latin1(input)).some((m) => m.fields.some(([t]) => t === "9" || t === "10"));
}

/**
 * Rebuilds every message of the input (raw, `|` or `^A` delimited, in log lines) as an SOH frame with
 * BodyLength (9) and CheckSum (10) computed, dropping any it had: for hand-typed messages without them.
 */
export function completeLengths(input: Uint8Array): CompletedInput {
  const text = latin1(input);
  let out = "";
  let last = 0;
  let completed = 0;
  for (const m of findMessages(text)) {
    const begin = m.fields[0];
    if (begin === undefined || m.fields.length < 2) continue;
    let body = "";
    for (const [t, v] of m.fields.slice(1)) if (t !== "9" && t !== "10") body += `${t}=${v}\x01`;
    const head = `8=${begin[1]}\x019=${body.length}\x01`;
    let sum = 0;
    for (const s of [head, body]) for (let i = 0; i < s.length; i++) sum += s.charCodeAt(i) & 0xff;
    out += text.slice(last, m.start) + `${head}${body}10=${String(sum % 256).padStart(3, "0")}\x01`;
    last = m.end;
    completed++;
  }
  out += text.slice(last);
  const bytes = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i++) bytes[i] = out.charCodeAt(i) & 0xff;
  return { input: bytes, completed };
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/**
 * A reusable encoder: fields are written into one buffer after a reserved head; `finish()` writes
 * BeginString and BodyLength just before the body and appends CheckSum, so nothing is copied.
 *
 * ```
 *  base             body                               pos
 *  │ 8=FIX.4.4␁9=NNN␁ │ 35=D␁49=...␁...                   │ 10=ccc␁
 * ```
 *
 * The head's room is reserved at `begin()` with the BodyLength digits of the last frame (the body is
 * moved by the difference in the rare frame where that guess is wrong), so a frame starts exactly at
 * `base` and the frames `finishOwned()` cuts lie back to back: a run of them is one contiguous range of
 * the buffer, which the session's writer hands to the socket as it is (no copy).
 *
 * The bytes returned by `finish()` stay valid until the next `begin()` on this encoder. Those returned
 * by `finishOwned()` stay valid for good: the encoder writes the next messages after them (from
 * `base`, in a new buffer once the current one is nearly full) and never over them again.
 */
import { asciiLength, checksumWords, digitCount, writeAscii, writeInt, writeUint } from "./ascii.ts";
import { type TimestampPrecision, writeTimestamp } from "./timestamps.ts";
import { DATA_LENGTH_TAGS, HEADER_TAGS } from "./tags.ts";
import type { Field, FieldValue, FixMessage } from "./message.ts";

// The message model the encoder writes (message.ts) is part of its interface: codec users import it here.
export {
  BuiltMessage,
  type Field,
  type FieldSink,
  type FieldValue,
  type FixMessage,
  forEachField,
} from "./message.ts";

/** Room reserved before the body until the first frame says how many BodyLength digits to expect. */
const BODY = 32;
/** After `finishOwned()`, a buffer with less room than this left is replaced rather than filled up. */
const OWNED_ROOM = 2048;
/**
 * Size of the buffers `finishOwned()` messages are cut from: the session's writer sends the run of frames
 * in one buffer in one write, so as large as its largest batch (maxBatchBytes, 256 KiB); with 64 KiB a
 * burst went out in four times as many writes and order→ack in a pinned burst took 1.6x as long.
 */
const OWNED_BUFFER = 256 * 1024;

/**
 * `n` zeroed bytes on a SharedArrayBuffer, for the buffers `finishOwned()` frames are cut from: a store
 * that keeps those frames (the memory store adopts them) keeps their buffers live, and V8 counts an
 * ordinary ArrayBuffer's bytes as external memory, starting mark-compacts that cannot free them; a
 * SharedArrayBuffer's bytes it does not count (docs/performance.md, Session 9, issue 16). Every consumer
 * of the frames accepts such views (test/codec/shared_bytes_test.ts).
 */
export function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(n));
}

/** Writes FIX messages into a growing, reusable buffer. */
export class Encoder {
  #buf: Uint8Array;
  /** `#buf` four bytes at a time, for the CheckSum. */
  #words: Uint32Array;
  #pos = BODY;
  /** Where the current message's area starts: 0, or after the last finishOwned() frame. */
  #base = 0;
  /** Where the current message's body starts: `base` + the head's reserved room. */
  #body = BODY;
  /** BodyLength digits of the last frame: the guess for the next one's head. */
  #digits = 3;
  /** End of the frame the last #finishFrame() completed. */
  #end = 0;
  #begin = "FIX.4.4";
  /** "8=" + BeginString + SOH + "9=" as bytes, made again only when BeginString changes. */
  #head: Uint8Array = headBytes("FIX.4.4");

  constructor(initialCapacity = 16 * 1024) {
    this.#buf = new Uint8Array(Math.max(initialCapacity, 256));
    this.#words = new Uint32Array(this.#buf.buffer, 0, this.#buf.length >>> 2);
  }

  /** Starts a message: writes 35=msgType. */
  begin(beginString: string, msgType: string): this {
    this.#start(beginString);
    return this.str(35, msgType);
  }

  /**
   * Starts a message whose first fields are already encoded: `fields` must begin with 35=MsgType
   * (e.g. "35=8␁49=LP␁56=BENCH␁", the same for every message of a session and type).
   */
  beginWith(beginString: string, fields: Uint8Array): this {
    this.#start(beginString);
    return this.raw(fields);
  }

  /**
   * Starts a message whose header is `prefix` + digits of `seq` + `mid` + the SendingTime value +
   * `suffix` (parts already encoded, e.g. "35=D␁34=", "␁49=LP␁52=", "␁56=BENCH␁"): the session's
   * header in ascending tag order in one call, with one bounds check.
   */
  beginHeader(
    beginString: string,
    prefix: Uint8Array,
    seq: number,
    mid: Uint8Array,
    epochMs: number,
    precision: TimestampPrecision,
    suffix: Uint8Array,
  ): this {
    this.#start(beginString);
    const need = prefix.length + mid.length + suffix.length + 48;
    if (this.#pos + need + 16 > this.#buf.length) this.#grow(need);
    const buf = this.#buf;
    let p = this.#pos;
    for (let i = 0; i < prefix.length; i++) buf[p++] = prefix[i]!;
    p = writeUint(buf, p, seq);
    for (let i = 0; i < mid.length; i++) buf[p++] = mid[i]!;
    p = writeTimestamp(buf, p, epochMs, precision, 0);
    for (let i = 0; i < suffix.length; i++) buf[p++] = suffix[i]!;
    this.#pos = p;
    return this;
  }

  #start(beginString: string): void {
    if (beginString !== this.#begin) {
      this.#begin = beginString;
      this.#head = headBytes(beginString);
    }
    if (this.#base > 0 && this.#buf.length - this.#base < OWNED_ROOM) {
      this.#buf = sharedBytes(OWNED_BUFFER);
      this.#words = new Uint32Array(this.#buf.buffer, 0, OWNED_BUFFER >>> 2);
      this.#base = 0;
    }
    this.#body = this.#base + this.#head.length + this.#digits + 1;
    this.#pos = this.#body;
  }

  #ensure(n: number): void {
    if (this.#pos + n + 16 <= this.#buf.length) return;
    this.#grow(n);
  }

  /** A bigger buffer with the current message's area (from `base`) moved to its start. */
  #grow(n: number): void {
    const base = this.#base;
    const used = this.#pos - base;
    const size = Math.max(this.#buf.length * 2, used + n + 64);
    // A buffer owned frames are cut from stays on a SharedArrayBuffer when it grows.
    const grown = this.#buf.buffer instanceof SharedArrayBuffer ? sharedBytes(size) : new Uint8Array(size);
    grown.set(this.#buf.subarray(base, this.#pos));
    this.#buf = grown;
    this.#words = new Uint32Array(grown.buffer, 0, grown.length >>> 2);
    this.#pos = used;
    this.#body -= base;
    this.#base = 0;
  }

  #tag(tag: number): void {
    this.#pos = writeTag(this.#buf, this.#pos, tag);
  }

  /** A string field (Latin-1 as is; other characters UTF-8 encoded). */
  str(tag: number, value: string): this {
    if (this.#pos + value.length * 3 + 28 > this.#buf.length) this.#grow(value.length * 3 + 12);
    const buf = this.#buf;
    let p = writeTag(buf, this.#pos, tag);
    p = writeAscii(buf, p, value);
    buf[p] = 1;
    this.#pos = p + 1;
    return this;
  }

  /**
   * A string field whose value is `prefix` followed by the lower-case base-36 digits of `n` (a
   * non-negative integer below 2^53), as `prefix + n.toString(36)` would give, with no string made: the
   * load generator's ClOrdIDs (src/app/load/order_message.ts).
   */
  strBase36(tag: number, prefix: string, n: number): this {
    if (this.#pos + prefix.length * 3 + 48 > this.#buf.length) this.#grow(prefix.length * 3 + 32);
    const buf = this.#buf;
    let p = writeTag(buf, this.#pos, tag);
    p = writeAscii(buf, p, prefix);
    let digits = 1;
    if (n < 0x80000000) {
      // Int32 arithmetic (every request number of a run).
      for (let q = (n / 36) | 0; q > 0; q = (q / 36) | 0) digits++;
      let v = n | 0;
      for (let i = p + digits - 1; i >= p; i--) {
        const q = (v / 36) | 0;
        const d = v - q * 36;
        buf[i] = d < 10 ? 48 + d : 87 + d;
        v = q;
      }
    } else {
      for (let q = Math.floor(n / 36); q > 0; q = Math.floor(q / 36)) digits++;
      let v = n;
      for (let i = p + digits - 1; i >= p; i--) {
        const q = Math.floor(v / 36);
        const d = v - q * 36;
        buf[i] = d < 10 ? 48 + d : 87 + d;
        v = q;
      }
    }
    p += digits;
    buf[p] = 1;
    this.#pos = p + 1;
    return this;
  }

  /** An integer field. */
  int(tag: number, value: number): this {
    if (this.#pos + 48 > this.#buf.length) this.#grow(32);
    const buf = this.#buf;
    let p = writeTag(buf, this.#pos, tag);
    p = writeInt(buf, p, value);
    buf[p] = 1;
    this.#pos = p + 1;
    return this;
  }

  /** A decimal field (float, Price, Qty): integers without a point, others in plain notation. */
  decimal(tag: number, value: number): this {
    if (Number.isInteger(value) && Math.abs(value) < 1e15) return this.int(tag, value);
    const scaled = shortestScaled(value);
    if (scaled < 0) return this.str(tag, formatDecimal(value));
    if (this.#pos + 64 > this.#buf.length) this.#grow(48);
    const buf = this.#buf;
    let p = writeTag(buf, this.#pos, tag);
    if (value < 0) buf[p++] = 0x2d;
    // scaledDigits / 10^scaled is the value: the integer part, '.', then exactly `scaled` digits.
    const pow = POW10[scaled]!;
    const whole = Math.floor(scaledDigits / pow);
    p = writeUint(buf, p, whole);
    buf[p++] = 0x2e;
    let frac = scaledDigits - whole * pow;
    for (let i = p + scaled - 1; i >= p; i--) {
      const q = (frac / 10) | 0;
      buf[i] = 48 + frac - q * 10;
      frac = q;
    }
    p += scaled;
    buf[p] = 1;
    this.#pos = p + 1;
    return this;
  }

  /** A scaled decimal: `scaled / 10^scale` written exactly. */
  decimalScaled(tag: number, scaled: number, scale: number): this {
    return this.str(tag, formatScaled(scaled, scale));
  }

  /** A char field. */
  char(tag: number, value: string): this {
    return this.str(tag, value);
  }

  /** A Boolean field (Y/N). */
  bool(tag: number, value: boolean): this {
    this.#ensure(16);
    this.#tag(tag);
    this.#buf[this.#pos++] = value ? 0x59 : 0x4e;
    this.#buf[this.#pos++] = 1;
    return this;
  }

  /** A UTCTimestamp field. */
  timestamp(tag: number, epochMs: number, precision: TimestampPrecision = "ms", subMsNanos = 0): this {
    this.#ensure(40);
    this.#tag(tag);
    this.#pos = writeTimestamp(this.#buf, this.#pos, epochMs, precision, subMsNanos);
    this.#buf[this.#pos++] = 1;
    return this;
  }

  /** A field with raw bytes as its value (data fields; the caller writes the length field before). */
  bytes(tag: number, value: Uint8Array): this {
    this.#ensure(value.length + 12);
    this.#tag(tag);
    this.#buf.set(value, this.#pos);
    this.#pos += value.length;
    this.#buf[this.#pos++] = 1;
    return this;
  }

  /** Already encoded fields (`tag=value␁...`), e.g. a body copied from another message. */
  raw(fields: Uint8Array): this {
    const n = fields.length;
    this.#ensure(n);
    const buf = this.#buf;
    let p = this.#pos;
    if (n <= 32) {
      // A short run (a header part): a loop beats TypedArray.set's call overhead.
      for (let i = 0; i < n; i++) buf[p++] = fields[i]!;
    } else {
      buf.set(fields, p);
      p += n;
    }
    this.#pos = p;
    return this;
  }

  /**
   * The digits of a non-negative integer, without tag or SOH: for a value between already encoded
   * parts (`raw`), e.g. "35=D␁34=" + digits + "␁49=...".
   */
  uintDigits(value: number): this {
    if (this.#pos + 24 > this.#buf.length) this.#grow(24);
    this.#pos = writeUint(this.#buf, this.#pos, value);
    return this;
  }

  /** A field from a FieldValue, choosing the writer by the value's type. */
  field(tag: number, value: FieldValue): this {
    if (typeof value === "string") return this.str(tag, value);
    if (typeof value === "number") return this.decimal(tag, value);
    if (typeof value === "boolean") return this.bool(tag, value);
    return this.bytes(tag, value);
  }

  /** Bytes written to the body so far (for tests of reuse). */
  get bodyLength(): number {
    return this.#pos - this.#body;
  }

  /** Writes 8=, 9= before the body and 10= after it; returns the whole frame (valid until the next begin). */
  finish(): Uint8Array {
    const start = this.#finishFrame();
    return this.#buf.subarray(start, this.#end);
  }

  /**
   * `finish()` for a frame the caller keeps: its bytes are never written again (the next message
   * starts after it), so it needs no copy. For an engine that stores what it sends. Past the encoder's
   * first buffer the frame lies on a SharedArrayBuffer (`sharedBytes`), whose views Blob, Response and
   * crypto.subtle refuse: copy it (`slice()`) for those.
   */
  finishOwned(): Uint8Array {
    const start = this.#finishFrame();
    const end = this.#end;
    const buf = this.#buf;
    this.#base = end;
    return new Uint8Array(buf.buffer, buf.byteOffset + start, end - start);
  }

  /** Completes the frame: head before the body, CheckSum after it; returns its start (its end in #end). */
  #finishFrame(): number {
    this.#ensure(16);
    const b = this.#buf;
    let body = this.#body;
    const bodyLen = this.#pos - body;
    const head = this.#head;
    const digits = digitCount(bodyLen);
    const headStart = this.#base;
    const shift = headStart + head.length + digits + 1 - body;
    if (shift !== 0) {
      // The guess of BodyLength's digits was wrong: move the body so the frame starts at `base`.
      b.copyWithin(body + shift, body, this.#pos);
      body += shift;
      this.#pos += shift;
      this.#body = body;
      this.#digits = digits;
    }
    let p = headStart;
    for (let i = 0; i < head.length; i++) b[p++] = head[i]!;
    p = writeUint(b, p, bodyLen);
    b[p++] = 1;
    const sum = checksumWords(b, this.#words, headStart, this.#pos);
    let q = this.#pos;
    b[q++] = 0x31;
    b[q++] = 0x30;
    b[q++] = 0x3d;
    b[q++] = 48 + Math.floor(sum / 100);
    b[q++] = 48 + (Math.floor(sum / 10) % 10);
    b[q++] = 48 + (sum % 10);
    b[q++] = 1;
    this.#end = q;
    return headStart;
  }
}

/** Writes `tag=`; tags below 1000 (nearly all) without a loop or a division. */
function writeTag(buf: Uint8Array, p: number, tag: number): number {
  if (tag >>> 0 !== tag || tag >= 1000) {
    p = writeUint(buf, p, tag);
  } else if (tag < 10) {
    buf[p++] = 48 + tag;
  } else if (tag < 100) {
    const a = (tag * 205) >>> 11; // tag / 10 for tag < 1029
    buf[p++] = 48 + a;
    buf[p++] = 48 + tag - a * 10;
  } else {
    const a = (tag * 41) >>> 12; // tag / 100 for tag < 1000
    const rest = tag - a * 100;
    const b = (rest * 205) >>> 11;
    buf[p++] = 48 + a;
    buf[p++] = 48 + b;
    buf[p++] = 48 + rest - b * 10;
  }
  buf[p] = 0x3d;
  return p + 1;
}

/** "8=" + beginString + SOH + "9=" as bytes (characters above 0xff UTF-8 encoded, as writeAscii does). */
function headBytes(beginString: string): Uint8Array {
  const out = new Uint8Array(2 + asciiLength(beginString) + 3);
  out[0] = 0x38;
  out[1] = 0x3d;
  let p = writeAscii(out, 2, beginString);
  out[p++] = 1;
  out[p++] = 0x39;
  out[p] = 0x3d;
  return out;
}

const POW10: readonly number[] = Array.from({ length: 10 }, (_, k) => 10 ** k);
const TWO_POW_51 = 2 ** 51;
/** The digits found by the last successful shortestScaled (a module variable: no pair allocated). */
let scaledDigits = 0;

/**
 * For a non-integer `value`, the fewest fraction digits k (1 to 9) with which it is written, setting
 * `scaledDigits` to |value| * 10^k; -1 when formatDecimal must do it. The digits equal String(value)'s:
 * the integer m = round(|value| * 10^k) with m / 10^k === |value| names the same double (both are
 * correctly rounded); while |value| * 10^k < 2^51 the product's rounding error stays below 1/2 (so no
 * shorter k is missed) and 10^-k exceeds the value's ulp (so no other k-digit decimal names it, and
 * String's shortest round-trip choice is this one). Below 1e-6 String writes an exponent: left to
 * formatDecimal.
 */
function shortestScaled(value: number): number {
  const a = value < 0 ? -value : value;
  if (!(a >= 1e-6 && a < 1e15)) return -1;
  for (let k = 1; k <= 9; k++) {
    const pow = POW10[k]!;
    const y = a * pow;
    if (y >= TWO_POW_51) return -1;
    const m = Math.round(y);
    // A k that works leaves y within a few ulps of m: a cheap filter before the exact (dividing) test.
    const off = y - m, tolerance = y * 2 ** -49;
    if (off <= tolerance && off >= -tolerance && m / pow === a) {
      scaledDigits = m;
      return k;
    }
  }
  return -1;
}

/** Formats a number as a FIX decimal: no exponent, no trailing zeros beyond what is needed. */
export function formatDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Not a finite decimal: ${value}`);
  const s = String(value);
  if (!s.includes("e")) return s;
  // toFixed() itself switches to exponent notation from 1e21: big values are integers, print them exactly.
  if (Number.isInteger(value)) return BigInt(value).toString();
  return value.toFixed(20).replace(/\.?0+$/, "");
}

/** Formats `scaled / 10^scale` exactly. */
export function formatScaled(scaled: number, scale: number): string {
  if (scale === 0) return String(scaled);
  const neg = scaled < 0;
  const digits = String(Math.abs(scaled)).padStart(scale + 1, "0");
  const s = digits.slice(0, digits.length - scale) + "." + digits.slice(digits.length - scale);
  return neg ? "-" + s : s;
}

/**
 * Encodes a FixMessage: header fields (other than 8, 9, 35) first in the order given, then the body
 * in the order given; a data field's length field is written for it when the caller left it out.
 */
export function encodeMessage(enc: Encoder, beginString: string, msg: FixMessage): Uint8Array {
  enc.begin(beginString, msg.msgType);
  for (const [tag, value] of msg.fields) {
    if (HEADER_TAGS.has(tag) && tag !== 8 && tag !== 9 && tag !== 35) {
      writeFieldWithLength(enc, msg.fields, tag, value);
    }
  }
  for (const [tag, value] of msg.fields) {
    if (!HEADER_TAGS.has(tag) && tag !== 10 && tag !== 93 && tag !== 89) {
      writeFieldWithLength(enc, msg.fields, tag, value);
    }
  }
  for (const [tag, value] of msg.fields) {
    if (tag === 93 || tag === 89) writeFieldWithLength(enc, msg.fields, tag, value);
  }
  return enc.finish();
}

/**
 * Writes one field of `fields`; for a data field (DATA_LENGTH_TAGS) whose length field is not among
 * `fields`, writes that length field first. Used by encodeMessage and the session's message writer.
 */
export function writeFieldWithLength(
  enc: Encoder,
  fields: readonly Field[],
  tag: number,
  value: FieldValue,
): void {
  const lenTag = DATA_LENGTH_TAGS.get(tag);
  if (lenTag !== undefined && !fields.some(([t]) => t === lenTag)) {
    enc.int(
      lenTag,
      typeof value === "string"
        ? asciiLength(value)
        : value instanceof Uint8Array
        ? value.length
        : String(value).length,
    );
  }
  enc.field(tag, value);
}

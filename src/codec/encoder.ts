/**
 * A reusable encoder: fields are written into one buffer after a reserved head; `finish()` writes
 * BeginString and BodyLength just before the body and appends CheckSum, so nothing is copied.
 *
 * ```
 *  0            headStart          BODY (=32)                         pos
 *  │  reserved  │ 8=FIX.4.4␁9=NNN␁ │ 35=D␁49=...␁...                   │ 10=ccc␁
 * ```
 *
 * The bytes returned by `finish()` stay valid until the next `begin()` on this encoder.
 */
import { asciiLength, checksum, digitCount, writeAscii, writeInt, writeUint } from "./ascii.ts";
import { timestampLength, type TimestampPrecision, writeTimestamp } from "./timestamps.ts";
import { DATA_LENGTH_TAGS, HEADER_TAGS } from "./tags.ts";

const BODY = 32;

/** A field value as callers give it: strings as they are, numbers as integers or decimals, booleans as Y/N, bytes as data. */
export type FieldValue = string | number | boolean | Uint8Array;

/** One field: tag and value. */
export type Field = readonly [tag: number, value: FieldValue];

/**
 * A FIX message as data: MsgType plus fields in order (header fields other than 8, 9, 35 and 10
 * may be included; `encodeMessage` puts them first). Repeating groups are their fields in order.
 */
export interface FixMessage {
  msgType: string;
  fields: Field[];
}

/** Writes FIX messages into a growing, reusable buffer. */
export class Encoder {
  #buf: Uint8Array;
  #pos = BODY;
  #begin = "FIX.4.4";

  constructor(initialCapacity = 16 * 1024) {
    this.#buf = new Uint8Array(Math.max(initialCapacity, 256));
  }

  /** Starts a message: writes 35=msgType. */
  begin(beginString: string, msgType: string): this {
    this.#begin = beginString;
    this.#pos = BODY;
    return this.str(35, msgType);
  }

  #ensure(n: number): void {
    if (this.#pos + n + 16 <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + n + 64));
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }

  #tag(tag: number): void {
    const b = this.#buf;
    this.#pos = writeUint(b, this.#pos, tag);
    b[this.#pos++] = 0x3d;
  }

  /** A string field (Latin-1 as is; other characters UTF-8 encoded). */
  str(tag: number, value: string): this {
    this.#ensure(value.length * 3 + 12);
    this.#tag(tag);
    this.#pos = writeAscii(this.#buf, this.#pos, value);
    this.#buf[this.#pos++] = 1;
    return this;
  }

  /** An integer field. */
  int(tag: number, value: number): this {
    this.#ensure(32);
    this.#tag(tag);
    this.#pos = writeInt(this.#buf, this.#pos, value);
    this.#buf[this.#pos++] = 1;
    return this;
  }

  /** A decimal field (float, Price, Qty): integers without a point, others in plain notation. */
  decimal(tag: number, value: number): this {
    return Number.isInteger(value) && Math.abs(value) < 1e15
      ? this.int(tag, value)
      : this.str(tag, formatDecimal(value));
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
    this.#ensure(fields.length);
    this.#buf.set(fields, this.#pos);
    this.#pos += fields.length;
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
    return this.#pos - BODY;
  }

  /** Writes 8=, 9= before the body and 10= after it; returns the whole frame (valid until the next begin). */
  finish(): Uint8Array {
    const b = this.#buf;
    const bodyLen = this.#pos - BODY;
    const headLen = 2 + asciiLength(this.#begin) + 1 + 2 + digitCount(bodyLen) + 1;
    const headStart = BODY - headLen;
    let p = headStart;
    b[p++] = 0x38;
    b[p++] = 0x3d;
    p = writeAscii(b, p, this.#begin);
    b[p++] = 1;
    b[p++] = 0x39;
    b[p++] = 0x3d;
    p = writeUint(b, p, bodyLen);
    b[p++] = 1;
    this.#ensure(8);
    const buf = this.#buf;
    const sum = checksum(buf, headStart, this.#pos);
    let q = this.#pos;
    buf[q++] = 0x31;
    buf[q++] = 0x30;
    buf[q++] = 0x3d;
    buf[q++] = 48 + Math.floor(sum / 100);
    buf[q++] = 48 + (Math.floor(sum / 10) % 10);
    buf[q++] = 48 + (sum % 10);
    buf[q++] = 1;
    return buf.subarray(headStart, q);
  }
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
    if (HEADER_TAGS.has(tag) && tag !== 8 && tag !== 9 && tag !== 35) writeField(enc, msg, tag, value);
  }
  for (const [tag, value] of msg.fields) {
    if (!HEADER_TAGS.has(tag) && tag !== 10 && tag !== 93 && tag !== 89) writeField(enc, msg, tag, value);
  }
  for (const [tag, value] of msg.fields) if (tag === 93 || tag === 89) writeField(enc, msg, tag, value);
  return enc.finish();
}

function writeField(enc: Encoder, msg: FixMessage, tag: number, value: FieldValue): void {
  const lenTag = DATA_LENGTH_TAGS.get(tag);
  if (lenTag !== undefined && !msg.fields.some(([t]) => t === lenTag)) {
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

/**
 * A lazy view over one FIX frame: field positions in a flat Int32Array (tag, valueStart, valueEnd),
 * no object per field. Values are decoded only when asked for.
 *
 * Lifetime: a view points into the buffer it was parsed from. A view handed to a callback is valid
 * only during that callback (the framer and the engine reuse their buffers): call `copy()` to keep it.
 */
import { latin1String, parseInt, SOH } from "./ascii.ts";
import { DATA_LENGTH_TAGS, LENGTH_TO_DATA_TAG, Tag } from "./tags.ts";
import { parseDateOnly, parseTimestamp, type UtcTimestamp } from "./timestamps.ts";

/** A problem found while splitting a frame into fields; the validator turns it into a Reject. */
export interface FieldParseError {
  kind: "invalid tag" | "missing '='" | "data length mismatch";
  /** Index of the field in the view at fault (the field was still recorded, with tag -1 for "invalid tag"). */
  fieldIndex: number;
  /** Byte offset in the frame. */
  offset: number;
}

const INITIAL_FIELDS = 64;

/** Length tag -> data tag, as a flat table indexed by tag (0 = not a length tag): no Map lookup per field. */
const DATA_TAG_OF_LENGTH: Uint16Array = (() => {
  let max = 0;
  for (const t of LENGTH_TO_DATA_TAG.keys()) max = Math.max(max, t);
  const a = new Uint16Array(max + 1);
  for (const [len, data] of LENGTH_TO_DATA_TAG) a[len] = data;
  return a;
})();

/** The smallest length tag. */
const MIN_LENGTH_TAG = Math.min(...LENGTH_TO_DATA_TAG.keys());

/** Read access to a range of fields: a whole message or one repeating-group entry. */
export interface FieldReader {
  /** Index of the first field with `tag` in this range, or -1. */
  indexOf(tag: number): number;
  has(tag: number): boolean;
  getString(tag: number): string | undefined;
  getInt(tag: number): number | undefined;
  getFloat(tag: number): number | undefined;
  getDecimalScaled(tag: number, scale: number): number | undefined;
  getChar(tag: number): string | undefined;
  getBoolean(tag: number): boolean | undefined;
  getTimestamp(tag: number): UtcTimestamp | undefined;
  getDateOnly(tag: number): number | undefined;
  getBytes(tag: number): Uint8Array | undefined;
  group(countTag: number, delimiterTag: number, memberTags: ReadonlySet<number>): GroupEntry[];
}

/** A FIX message over a frame. Reuse one view with `parseInto` on the hot path. */
export class MessageView implements FieldReader {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  /** Triples per field: tag, value start, value end (absolute offsets in `buf`). */
  fields: Int32Array = new Int32Array(INITIAL_FIELDS * 3);
  /** Number of fields. */
  count = 0;
  /** First problem met while splitting fields, if any. */
  parseError: FieldParseError | undefined = undefined;
  #msgType: string | undefined = undefined;

  /** Parses `buf[start, end)` (a whole frame) into a new view. */
  static parse(buf: Uint8Array, start = 0, end = buf.length): MessageView {
    return new MessageView().parseInto(buf, start, end);
  }

  /** Re-points this view at a new frame and splits it into fields. Returns this. */
  parseInto(buf: Uint8Array, start: number, end: number): this {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.parseError = undefined;
    this.#msgType = undefined;
    // A frame ends with SOH, which stops every tag and value scan: the fast loop then needs no
    // bounds check per byte. Anything else (no final SOH, a bad field, a data field) takes the
    // careful loop from where the fast one stopped.
    this.count = end > start && buf[end - 1] === SOH
      ? this.#splitFast(buf, start, end)
      : this.#split(buf, start, end, 0, -1, -1);
    return this;
  }

  /** Splits well-formed fields of a frame that ends with SOH; hands anything else to #split. */
  #splitFast(buf: Uint8Array, start: number, end: number): number {
    let f = this.fields;
    let cap = f.length;
    const lenTable = DATA_TAG_OF_LENGTH;
    const lenTableSize = lenTable.length;
    const minLenTag = MIN_LENGTH_TAG;
    let n3 = 0;
    let p = start;
    let dataTag = -1;
    let dataLen = -1;
    while (p < end) {
      let tag = 0;
      let q = p;
      let d = buf[q]! - 48;
      while (d >>> 0 <= 9) {
        tag = tag * 10 + d;
        d = buf[++q]! - 48;
      }
      // d === 0x3d - 48: the '=' after 1 to 9 digits.
      if (d !== 13 || q === p || q - p > 9 || tag === dataTag) {
        return this.#split(buf, p, end, n3 / 3, dataTag, dataLen);
      }
      const vs = q + 1;
      let ve = vs;
      while (buf[ve] !== SOH) ve++;
      if (n3 + 3 > cap) {
        const g = new Int32Array(cap * 2);
        g.set(f);
        f = this.fields = g;
        cap = g.length;
      }
      f[n3] = tag;
      f[n3 + 1] = vs;
      f[n3 + 2] = ve;
      n3 += 3;
      dataTag = -1;
      // Length tags start at 90: the common header and order tags skip the table.
      if (tag >= minLenTag && tag < lenTableSize && lenTable[tag] !== 0) {
        dataLen = parseInt(buf, vs, ve) ?? -1;
        // A negative or malformed length: the data field is scanned like any other.
        if (dataLen >= 0) dataTag = lenTable[tag]!;
      }
      p = ve + 1;
    }
    return n3 / 3;
  }

  /** Splits fields from `p` with every check; `n` fields are already recorded. Returns the count. */
  #split(buf: Uint8Array, p: number, end: number, n: number, dataTag: number, dataLen: number): number {
    let f = this.fields;
    while (p < end) {
      let tag = 0;
      let q = p;
      let c = buf[q]!;
      while (c >= 48 && c <= 57 && q < end) {
        tag = tag * 10 + (c - 48);
        c = buf[++q]!;
      }
      if (q >= end) c = 0;
      if (n * 3 + 3 > f.length) {
        const g = new Int32Array(f.length * 2);
        g.set(f);
        f = this.fields = g;
      }
      if (c !== 0x3d || q === p || q - p > 9) {
        // Not "digits=": record the field with tag -1 so validation can reject it, then skip to SOH.
        const eq = q < end && c === 0x3d;
        const soh = indexOfSoh(buf, q, end);
        this.#fail(eq ? "invalid tag" : "missing '='", n, p);
        f[n * 3] = -1;
        f[n * 3 + 1] = eq ? q + 1 : p;
        f[n * 3 + 2] = soh;
        n++;
        p = soh + 1;
        continue;
      }
      const vs = q + 1;
      let ve = vs;
      if (tag === dataTag && dataLen >= 0) {
        ve = vs + dataLen;
        if (ve >= end || buf[ve] !== SOH) {
          this.#fail("data length mismatch", n, p);
          ve = indexOfSoh(buf, vs, end);
        }
      } else {
        // Values are short: a plain loop beats a native indexOf call per field.
        while (ve < end && buf[ve] !== SOH) ve++;
      }
      f[n * 3] = tag;
      f[n * 3 + 1] = vs;
      f[n * 3 + 2] = ve;
      n++;
      const dt = tag < DATA_TAG_OF_LENGTH.length ? DATA_TAG_OF_LENGTH[tag]! : 0;
      if (dt !== 0) {
        dataTag = dt;
        dataLen = parseInt(buf, vs, ve) ?? -1;
      } else {
        dataTag = -1;
      }
      p = ve + 1;
    }
    return n;
  }

  #fail(kind: FieldParseError["kind"], fieldIndex: number, p: number): void {
    if (this.parseError === undefined) this.parseError = { kind, fieldIndex, offset: p - this.start };
  }

  /** MsgType (35), cached. */
  get msgType(): string {
    if (this.#msgType === undefined) this.#msgType = this.getString(Tag.MsgType) ?? "";
    return this.#msgType;
  }

  /** MsgSeqNum (34), or 0 when absent or malformed. */
  get seqNum(): number {
    return this.getInt(Tag.MsgSeqNum) ?? 0;
  }

  /** The frame's bytes (a subarray: same lifetime as the view). */
  bytes(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  /** A view over a private copy of the frame: safe to keep after the callback returns. */
  copy(): MessageView {
    const v = new MessageView();
    v.buf = this.buf.slice(this.start, this.end);
    v.start = 0;
    v.end = v.buf.length;
    v.fields = new Int32Array(this.count * 3);
    for (let i = 0; i < this.count * 3; i += 3) {
      v.fields[i] = this.fields[i]!;
      v.fields[i + 1] = this.fields[i + 1]! - this.start;
      v.fields[i + 2] = this.fields[i + 2]! - this.start;
    }
    v.count = this.count;
    v.parseError = this.parseError;
    return v;
  }

  /** Tag of field `i`. */
  tagAt(i: number): number {
    return this.fields[i * 3]!;
  }
  /** Start offset of the value of field `i` in `buf`. */
  valueStartAt(i: number): number {
    return this.fields[i * 3 + 1]!;
  }
  /** End offset (exclusive) of the value of field `i` in `buf`. */
  valueEndAt(i: number): number {
    return this.fields[i * 3 + 2]!;
  }
  /** Value of field `i` as a string. */
  stringAt(i: number): string {
    return latin1String(this.buf, this.fields[i * 3 + 1]!, this.fields[i * 3 + 2]!);
  }

  /** The fields as [tag, value] pairs in wire order (for tests and tools; allocates). */
  toPairs(): Array<[number, string]> {
    const out: Array<[number, string]> = [];
    for (let i = 0; i < this.count; i++) out.push([this.tagAt(i), this.stringAt(i)]);
    return out;
  }

  indexOf(tag: number): number {
    return findTag(this.fields, tag, 0, this.count);
  }
  has(tag: number): boolean {
    return this.indexOf(tag) !== -1;
  }
  getString(tag: number): string | undefined {
    return readString(this, this.indexOf(tag));
  }
  getInt(tag: number): number | undefined {
    return readInt(this, this.indexOf(tag));
  }
  getFloat(tag: number): number | undefined {
    return readFloat(this, this.indexOf(tag));
  }
  getDecimalScaled(tag: number, scale: number): number | undefined {
    return readDecimalScaled(this, this.indexOf(tag), scale);
  }
  getChar(tag: number): string | undefined {
    return readChar(this, this.indexOf(tag));
  }
  getBoolean(tag: number): boolean | undefined {
    return readBoolean(this, this.indexOf(tag));
  }
  getTimestamp(tag: number): UtcTimestamp | undefined {
    const i = this.indexOf(tag);
    return i < 0 ? undefined : parseTimestamp(this.buf, this.valueStartAt(i), this.valueEndAt(i));
  }
  getDateOnly(tag: number): number | undefined {
    const i = this.indexOf(tag);
    return i < 0 ? undefined : parseDateOnly(this.buf, this.valueStartAt(i), this.valueEndAt(i));
  }
  getBytes(tag: number): Uint8Array | undefined {
    const i = this.indexOf(tag);
    return i < 0 ? undefined : this.buf.subarray(this.valueStartAt(i), this.valueEndAt(i));
  }
  group(countTag: number, delimiterTag: number, memberTags: ReadonlySet<number>): GroupEntry[] {
    return readGroup(this, 0, this.count, countTag, delimiterTag, memberTags, false);
  }
  /**
   * Entries of the group counted by `countTag` whose entries may carry any tag: each starts at
   * `delimiterTag`, and the group ends at the first tag in `stopTags` (no member list needed).
   */
  groupUntil(countTag: number, delimiterTag: number, stopTags: ReadonlySet<number>): GroupEntry[] {
    return readGroup(this, 0, this.count, countTag, delimiterTag, stopTags, true);
  }
}

/** One entry of a repeating group: the fields `[from, to)` of the message view. */
export class GroupEntry implements FieldReader {
  constructor(readonly view: MessageView, readonly from: number, readonly to: number) {}
  indexOf(tag: number): number {
    return findTag(this.view.fields, tag, this.from, this.to);
  }
  has(tag: number): boolean {
    return this.indexOf(tag) !== -1;
  }
  getString(tag: number): string | undefined {
    return readString(this.view, this.indexOf(tag));
  }
  getInt(tag: number): number | undefined {
    return readInt(this.view, this.indexOf(tag));
  }
  getFloat(tag: number): number | undefined {
    return readFloat(this.view, this.indexOf(tag));
  }
  getDecimalScaled(tag: number, scale: number): number | undefined {
    return readDecimalScaled(this.view, this.indexOf(tag), scale);
  }
  getChar(tag: number): string | undefined {
    return readChar(this.view, this.indexOf(tag));
  }
  getBoolean(tag: number): boolean | undefined {
    return readBoolean(this.view, this.indexOf(tag));
  }
  getTimestamp(tag: number): UtcTimestamp | undefined {
    const i = this.indexOf(tag);
    return i < 0
      ? undefined
      : parseTimestamp(this.view.buf, this.view.valueStartAt(i), this.view.valueEndAt(i));
  }
  getDateOnly(tag: number): number | undefined {
    const i = this.indexOf(tag);
    return i < 0
      ? undefined
      : parseDateOnly(this.view.buf, this.view.valueStartAt(i), this.view.valueEndAt(i));
  }
  getBytes(tag: number): Uint8Array | undefined {
    const i = this.indexOf(tag);
    return i < 0 ? undefined : this.view.buf.subarray(this.view.valueStartAt(i), this.view.valueEndAt(i));
  }
  group(countTag: number, delimiterTag: number, memberTags: ReadonlySet<number>): GroupEntry[] {
    return readGroup(this.view, this.from, this.to, countTag, delimiterTag, memberTags, false);
  }
  /** As MessageView.groupUntil, within this entry. */
  groupUntil(countTag: number, delimiterTag: number, stopTags: ReadonlySet<number>): GroupEntry[] {
    return readGroup(this.view, this.from, this.to, countTag, delimiterTag, stopTags, true);
  }
}

function indexOfSoh(buf: Uint8Array, from: number, end: number): number {
  const i = buf.indexOf(SOH, from);
  return i === -1 || i > end ? end : i;
}

function findTag(f: Int32Array, tag: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (f[i * 3] === tag) return i;
  return -1;
}

function readString(v: MessageView, i: number): string | undefined {
  return i < 0 ? undefined : latin1String(v.buf, v.fields[i * 3 + 1]!, v.fields[i * 3 + 2]!);
}

function readInt(v: MessageView, i: number): number | undefined {
  return i < 0 ? undefined : parseInt(v.buf, v.fields[i * 3 + 1]!, v.fields[i * 3 + 2]!);
}

function readFloat(v: MessageView, i: number): number | undefined {
  if (i < 0) return undefined;
  const buf = v.buf;
  const start = v.fields[i * 3 + 1]!;
  const end = v.fields[i * 3 + 2]!;
  // Digits straight from the bytes: an integer mantissa below 2^53 divided by an exact power of ten
  // (10^0..10^22) is correctly rounded, so it equals Number() of the text. Anything else (more
  // digits, malformed) takes the string path, which also decides what is malformed.
  let p = start;
  const neg = p < end && buf[p] === 0x2d;
  if (neg) p++;
  let m = 0, digits = 0, scale = -1;
  for (; p < end; p++) {
    const c = buf[p]!;
    if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      digits++;
      if (scale >= 0) scale++;
    } else if (c === 0x2e && scale < 0) scale = 0;
    else break;
  }
  if (p === end && digits > 0 && digits <= 15 && scale <= 22) {
    const x = scale > 0 ? m / POW10[scale]! : m;
    return neg ? -x : x;
  }
  const s = readString(v, i)!;
  if (!isDecimalString(s)) return undefined;
  return Number(s);
}

/** 10^0..10^22: every one exact as a double. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

function readChar(v: MessageView, i: number): string | undefined {
  if (i < 0) return undefined;
  const s = v.fields[i * 3 + 1]!;
  return v.fields[i * 3 + 2]! - s === 1 ? String.fromCharCode(v.buf[s]!) : undefined;
}

function readBoolean(v: MessageView, i: number): boolean | undefined {
  const c = readChar(v, i);
  return c === "Y" ? true : c === "N" ? false : undefined;
}

/** True for FIX float/Price/Qty syntax: optional '-', digits, optional '.' and digits (no exponent). */
export function isDecimalString(s: string): boolean {
  return /^-?(\d+\.?\d*|\.\d+)$/.test(s);
}

/**
 * A decimal as an integer scaled by 10^scale, parsed digit by digit (no float rounding).
 * Digits beyond `scale` are truncated. Undefined when malformed or beyond 2^53.
 */
function readDecimalScaled(v: MessageView, i: number, scale: number): number | undefined {
  if (i < 0) return undefined;
  const buf = v.buf;
  let p = v.fields[i * 3 + 1]!;
  const e = v.fields[i * 3 + 2]!;
  if (p >= e) return undefined;
  let neg = false;
  if (buf[p] === 0x2d) {
    neg = true;
    p++;
  }
  let n = 0, frac = -1, digits = 0;
  for (; p < e; p++) {
    const c = buf[p]!;
    if (c === 0x2e) {
      if (frac >= 0) return undefined;
      frac = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return undefined;
    digits++;
    if (frac >= 0) {
      if (frac >= scale) continue;
      frac++;
    }
    n = n * 10 + d;
  }
  if (digits === 0) return undefined;
  for (let k = frac < 0 ? 0 : frac; k < scale; k++) n *= 10;
  if (n > Number.MAX_SAFE_INTEGER) return undefined;
  return neg ? -n : n;
}

/**
 * The one group reader: splits a repeating group into entries. Entries start at `delimiterTag`.
 * With `tagsAreStops` false, an entry runs while the tags belong to `tags` (the members, which must
 * include nested groups' tags) and the group ends at the first tag outside it; with it true, entries
 * may carry any tag and the group ends at the first tag in `tags` (stop tags). The count in
 * `countTag` is not trusted here: the validator checks it.
 */
function readGroup(
  v: MessageView,
  from: number,
  to: number,
  countTag: number,
  delimiterTag: number,
  tags: ReadonlySet<number>,
  tagsAreStops: boolean,
): GroupEntry[] {
  const ci = findTag(v.fields, countTag, from, to);
  if (ci < 0) return [];
  const out: GroupEntry[] = [];
  let i = ci + 1;
  if (i >= to || v.fields[i * 3] !== delimiterTag) return out;
  let entryStart = i;
  i++;
  for (; i < to; i++) {
    const t = v.fields[i * 3]!;
    if (t === delimiterTag) {
      out.push(new GroupEntry(v, entryStart, i));
      entryStart = i;
    } else if (tags.has(t) === tagsAreStops) {
      break;
    }
  }
  out.push(new GroupEntry(v, entryStart, i));
  return out;
}

/** True when `tag` is a data field whose extent is set by a preceding length field. */
export function isDataTag(tag: number): boolean {
  return DATA_LENGTH_TAGS.has(tag);
}

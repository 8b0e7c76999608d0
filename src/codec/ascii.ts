/** Byte-level helpers for FIX tag=value: ASCII integers over Uint8Array, SOH, checksum. */

/** The FIX field delimiter (SOH, 0x01). */
export const SOH = 0x01;
/** The '=' separating tag from value. */
export const EQUALS = 0x3d;

const encoderUtf8 = new TextEncoder();

/** Parses a non-negative decimal integer from `buf[start, end)`; returns -1 if any byte is not a digit or the range is empty. */
export function parseUint(buf: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Parses a signed decimal integer; returns undefined when the bytes are not an integer. */
export function parseInt(buf: Uint8Array, start: number, end: number): number | undefined {
  if (end <= start) return undefined;
  let neg = false;
  let i = start;
  if (buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  const n = parseUint(buf, i, end);
  if (n < 0) return undefined;
  return neg ? -n : n;
}

/** Decodes bytes as Latin-1 (every byte one char): FIX values are ASCII, and this never throws. */
export function latin1String(buf: Uint8Array, start: number, end: number): string {
  // One flat string allocated per value: fixed-arity fromCharCode calls for short values (the
  // common case; measured 39 ns against 72 ns for building with +=, which also allocates every
  // intermediate string, and from 13 chars on a cons-string tree that every hash must flatten). Up to
  // 16 chars (IDs) also fixed-arity: `apply` over the scratch array costs more than the whole copy.
  const b = buf, s = start;
  // deno-fmt-ignore
  switch (end - start) {
    case 0:
      return "";
    case 1:
      return fc(b[s]!);
    case 2:
      return fc(b[s]!, b[s + 1]!);
    case 3:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    case 6:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
    case 7:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
    case 8:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
    case 9:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!);
    case 10:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!);
    case 11:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!);
    case 12:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!);
    case 13:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!);
    case 14:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!);
    case 15:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!);
    case 16:
      return fc(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!);
  }
  const len = end - start;
  if (len < 0) return "";
  if (len <= 64) {
    // One fromCharCode call over a reused array of codes.
    const codes = charCodes;
    codes.length = len;
    for (let i = 0; i < len; i++) codes[i] = b[s + i]!;
    return String.fromCharCode.apply(null, codes);
  }
  // Not TextDecoder("latin1"): the Encoding standard makes that windows-1252, which turns 0x80–0x9f
  // into other characters. Chunks keep apply's argument count bounded.
  let out = "";
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode.apply(null, buf.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  }
  return out;
}

const fc = String.fromCharCode;
/** Scratch array of char codes for `latin1String` (reused: no allocation per string). */
const charCodes: number[] = [];

/** Sum of bytes modulo 256: the FIX CheckSum (10). */
export function checksum(buf: Uint8Array, start: number, end: number): number {
  // Two accumulators halve the loop's dependency chain.
  let a = 0, b = 0;
  let i = start;
  for (const stop = end - 1; i < stop; i += 2) {
    a += buf[i]!;
    b += buf[i + 1]!;
  }
  if (i < end) a += buf[i]!;
  return (a + b) & 0xff;
}

/**
 * A Uint32Array over the whole ArrayBuffer behind `buf`, for `checksumWords`; `cached` is returned
 * when it already is one (keep it between calls: creating a view allocates).
 */
export function wordsOf(buf: Uint8Array, cached: Uint32Array | undefined): Uint32Array {
  const ab = buf.buffer;
  if (cached !== undefined && cached.buffer === ab && cached.length === ab.byteLength >>> 2) return cached;
  return new Uint32Array(ab, 0, ab.byteLength >>> 2);
}

/**
 * The FIX CheckSum of `buf[start, end)` read four bytes at a time through `words` (from `wordsOf(buf)`):
 * about four times faster than a byte loop on a whole message.
 */
export function checksumWords(buf: Uint8Array, words: Uint32Array, start: number, end: number): number {
  const off = buf.byteOffset;
  // Short ranges, and a view that no longer covers the buffer (a resizable ArrayBuffer that grew).
  if (end - start < 32 || (off + end) >>> 2 > words.length) return checksum(buf, start, end);
  let sum = 0;
  let i = start;
  // Bytes before the first aligned word, then words, then the bytes after the last whole word.
  for (; ((off + i) & 3) !== 0; i++) sum += buf[i]!;
  let w = (off + i) >>> 2;
  const wEnd = (off + end) >>> 2;
  while (w < wEnd) {
    // Two bytes per 16-bit lane in lo and hi; 128 words at most per round keep every lane
    // below 2^16 and the sums in int32.
    const stop = Math.min(wEnd, w + 128);
    let lo = 0, hi = 0;
    for (; w < stop; w++) {
      const x = words[w]!;
      lo += x & 0x00ff00ff;
      hi += (x >>> 8) & 0x00ff00ff;
    }
    sum += (lo & 0xffff) + (lo >>> 16) + (hi & 0xffff) + (hi >>> 16);
  }
  for (i = (wEnd << 2) - off; i < end; i++) sum += buf[i]!;
  return sum & 0xff;
}

/** Number of decimal digits of a non-negative integer. */
export function digitCount(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  if (n < 100000) return 5;
  if (n < 1000000) return 6;
  if (n < 10000000) return 7;
  if (n < 100000000) return 8;
  if (n < 1000000000) return 9;
  return String(n).length;
}

/** Writes a non-negative integer at `pos`; returns the position after it. */
export function writeUint(buf: Uint8Array, pos: number, n: number): number {
  if (n < 10) {
    buf[pos] = 48 + n;
    return pos + 1;
  }
  const len = digitCount(n);
  let p = pos + len - 1;
  if (n <= 0x7fffffff) {
    // int32 division by a constant compiles to a multiply; Math.floor(n / 10) is a float division.
    while (n >= 10) {
      const q = (n / 10) | 0;
      buf[p--] = 48 + (n - q * 10);
      n = q;
    }
  } else {
    while (n >= 10) {
      const q = Math.floor(n / 10);
      buf[p--] = 48 + (n - q * 10);
      n = q;
    }
  }
  buf[p] = 48 + n;
  return pos + len;
}

/** Writes an integer (possibly negative) at `pos`; returns the position after it. */
export function writeInt(buf: Uint8Array, pos: number, n: number): number {
  if (n < 0) {
    buf[pos] = 0x2d;
    return writeUint(buf, pos + 1, -n);
  }
  return writeUint(buf, pos, n);
}

/** Writes an ASCII/Latin-1 string; returns the position after it. Chars above 0xff are written UTF-8 encoded. */
export function writeAscii(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return writeUtf8Tail(buf, pos, s, i);
    buf[pos++] = c;
  }
  return pos;
}

function writeUtf8Tail(buf: Uint8Array, pos: number, s: string, from: number): number {
  const r = encoderUtf8.encodeInto(s.slice(from), buf.subarray(pos));
  return pos + r.written;
}

/**
 * `s` as its UTF-8 bytes, one character per byte: the string `writeAscii` writes as exactly those bytes and
 * `latin1String` reads them back as. Logon credentials (553/554) go out this way, so `é` is C3 A9 on the
 * wire whatever the codec's rule for other values (which would write it as the one byte E9).
 */
export function utf8ByteString(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) < 0x80) i++;
  if (i === s.length) return s;
  const b = encoderUtf8.encode(s);
  let out = "";
  for (let k = 0; k < b.length; k++) out += String.fromCharCode(b[k]!);
  return out;
}

/** Every character of `s` is at most U+00FF (Latin-1: one byte each as `writeAscii` writes them). */
export function fitsLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Byte length `writeAscii` will use for `s`. */
export function asciiLength(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) return i + encoderUtf8.encode(s.slice(i)).length;
  }
  return s.length;
}

/** Finds `needle` (ASCII) in `buf[from, to)`; returns its index or -1. */
export function indexOfAscii(buf: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  const first = needle[0]!;
  const last = to - needle.length;
  outer: for (let i = buf.indexOf(first, from); i !== -1 && i <= last; i = buf.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (buf[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Converts a human-readable FIX string (SOH, '|' or '^A' delimited) to wire bytes with SOH. */
export function fromReadable(text: string): Uint8Array {
  const s = text.replaceAll("^A", "\x01").replaceAll("|", "\x01");
  const out = new Uint8Array(asciiLength(s));
  writeAscii(out, 0, s);
  return out;
}

/** Renders wire bytes with '|' in place of SOH, for logs and test messages. */
export function toReadable(buf: Uint8Array, start = 0, end = buf.length): string {
  return latin1String(buf, start, end).replaceAll("\x01", "|");
}

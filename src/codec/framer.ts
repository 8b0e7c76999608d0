/**
 * Framing a byte stream into FIX messages.
 *
 * A frame, with the offsets the framer names:
 *
 * ```
 *  start                 lenEnd  bodyStart                         bodyEnd            end
 *  │                         │   │                                   │                  │
 *  8=FIX.4.4␁9=123␁35=D␁49=...␁...                                   10=042␁
 *            └ 9= value ┘    └────────── BodyLength bytes ───────────┘└── 7 bytes ────┘
 * ```
 *
 * The framer jumps from `bodyStart` by BodyLength to where `10=` must stand, checks the CheckSum,
 * and hands out the frame. A frame that lies wholly inside one pushed chunk is handed out as a
 * subarray of that chunk (no copy); only a frame spanning chunks is assembled in the framer's own
 * buffer. Either way a frame is valid only during the `onFrame` call: copy it to keep it.
 */
import { checksumWords, SOH, wordsOf } from "./ascii.ts";

/** Why a stretch of bytes was not a frame. */
export type GarbledReason =
  | "junk before BeginString"
  | "BodyLength missing or not the second field"
  | "BodyLength invalid"
  | "BodyLength too large"
  | "BodyLength mismatch: no CheckSum where BodyLength points"
  | "CheckSum mismatch"
  | "CheckSum malformed"
  | "MsgType missing or not the third field";

/** A frame or stretch of bytes that was dropped, with the stream offset where it began. */
export interface Garbled {
  reason: GarbledReason;
  /** Offset in the whole stream since the framer was created (or reset). */
  offset: number;
  /** Number of bytes dropped. */
  length: number;
}

/** Callbacks of the framer; `buf[start, end)` is a complete, checksum-verified frame. */
export interface FrameSink {
  onFrame(buf: Uint8Array, start: number, end: number): void;
  onGarbled(g: Garbled): void;
}

/** Options of the framer. */
export interface FramerOptions {
  /** Largest frame accepted, in bytes; a BodyLength beyond this is garbled. Default 1 MiB. */
  maxMessageSize?: number;
  /** Skip CheckSum verification (some venues send 10=000). Default false. */
  skipChecksum?: boolean;
}

const B_8 = 0x38, B_9 = 0x39, B_EQ = 0x3d, B_1 = 0x31, B_0 = 0x30, B_3 = 0x33, B_5 = 0x35;
const NEED_MORE = -1;

/** Turns chunks of a byte stream into complete FIX frames (see the diagram above). */
export class Framer {
  readonly #sink: FrameSink;
  readonly #maxSize: number;
  readonly #skipChecksum: boolean;
  #pending: Uint8Array = new Uint8Array(0);
  #reason: GarbledReason = "CheckSum mismatch";
  #garbledEnd = 0;
  #pendingLen = 0;
  /** A word view of the buffer last checksummed (the read buffer is usually reused). */
  #words: Uint32Array | undefined = undefined;
  /** The buffer #words was made for: comparing it is cheaper than comparing ArrayBuffers. */
  #wordsFor: Uint8Array | undefined = undefined;
  /** Stream offset of #pending[0] (or of the next chunk when nothing is pending). */
  #base = 0;
  /** Frames handed out so far. */
  frames = 0;
  /** Garbled frames and junk stretches dropped so far. */
  garbled = 0;

  constructor(sink: FrameSink, options: FramerOptions = {}) {
    this.#sink = sink;
    this.#maxSize = options.maxMessageSize ?? 1 << 20;
    this.#skipChecksum = options.skipChecksum ?? false;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.#pendingLen;
  }

  /** Drops buffered bytes (on disconnect) and restarts stream offsets at 0. */
  reset(): void {
    this.#pendingLen = 0;
    this.#base = 0;
  }

  /** Feeds a chunk; calls the sink for every complete frame and every garbled stretch. */
  push(chunk: Uint8Array): void {
    if (this.#pendingLen === 0) {
      const used = this.#scan(chunk, 0, chunk.length);
      const rest = chunk.length - used;
      this.#base += used;
      if (rest > 0) this.#keep(chunk, used, chunk.length);
      return;
    }
    this.#append(chunk);
    const used = this.#scan(this.#pending, 0, this.#pendingLen);
    this.#base += used;
    if (used > 0) {
      this.#pending.copyWithin(0, used, this.#pendingLen);
      this.#pendingLen -= used;
    }
  }

  #keep(chunk: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.#pending.length < n) this.#pending = new Uint8Array(Math.max(n, 4096));
    this.#pending.set(chunk.subarray(from, to), 0);
    this.#pendingLen = n;
  }

  #append(chunk: Uint8Array): void {
    const need = this.#pendingLen + chunk.length;
    if (this.#pending.length < need) {
      const grown = new Uint8Array(Math.max(need, this.#pending.length * 2));
      grown.set(this.#pending.subarray(0, this.#pendingLen));
      this.#pending = grown;
    }
    this.#pending.set(chunk, this.#pendingLen);
    this.#pendingLen = need;
  }

  /** Scans `buf[from, to)`; returns how many bytes were consumed (frames and dropped bytes). */
  #scan(buf: Uint8Array, from: number, to: number): number {
    let p = from;
    while (p < to) {
      // A frame starts with "8=FIX" (FIX.x.y, FIXT.1.1): anything else is junk. Checking all five
      // bytes matters: junk like "8=X" or a cut-off "8=FI" right before a real frame would
      // otherwise swallow that frame as part of its BeginString.
      if (!isPrefixOfBegin(buf, p, to)) {
        const next = findBegin(buf, p + 1, to);
        const stop = next === -1 ? keepTail(buf, p, to) : next;
        if (stop > p) this.#drop("junk before BeginString", p, stop - p);
        p = stop;
        if (next === -1) return p;
        continue;
      }
      const r = this.#frameAt(buf, p, to);
      if (r === NEED_MORE) return p;
      if (r > 0) {
        this.frames++;
        this.#sink.onFrame(buf, p, r);
        p = r;
      } else {
        // Garbled: drop up to the next "8=FIX" (or past the frame when its extent is known).
        const from = Math.max(p + 1, this.#garbledEnd);
        const next = findBegin(buf, from, to);
        const stop = next === -1 ? keepTail(buf, from, to) : next;
        this.#drop(this.#reason, p, stop - p);
        p = stop;
      }
    }
    return p;
  }

  /** Tries a frame at `p`: returns its end, NEED_MORE, or a negative number after reporting it garbled. */
  #frameAt(buf: Uint8Array, p: number, to: number): number {
    // BeginString: 8=...␁
    let i = p + 2;
    while (i < to && buf[i] !== SOH) i++;
    if (i >= to) {
      return i - p > 32 ? this.#garble("BodyLength missing or not the second field", p, i) : NEED_MORE;
    }
    const lenTagAt = i + 1;
    if (lenTagAt + 2 > to) return NEED_MORE;
    if (buf[lenTagAt] !== B_9 || buf[lenTagAt + 1] !== B_EQ) {
      return this.#garble("BodyLength missing or not the second field", p, lenTagAt);
    }
    let bodyLen = 0;
    let j = lenTagAt + 2;
    for (; j < to; j++) {
      const c = buf[j]!;
      if (c === SOH) break;
      const d = c - 48;
      if (d < 0 || d > 9 || j - lenTagAt > 10) return this.#garble("BodyLength invalid", p, j);
      bodyLen = bodyLen * 10 + d;
    }
    if (j >= to) return NEED_MORE;
    if (j === lenTagAt + 2) return this.#garble("BodyLength invalid", p, j);
    const bodyStart = j + 1;
    if (bodyStart - p + bodyLen + 7 > this.#maxSize) {
      return this.#garble("BodyLength too large", p, bodyStart);
    }
    // MsgType must be the third field; check as soon as its bytes are here.
    if (
      bodyStart + 3 <= to &&
      (buf[bodyStart] !== B_3 || buf[bodyStart + 1] !== B_5 || buf[bodyStart + 2] !== B_EQ)
    ) {
      return this.#garble("MsgType missing or not the third field", p, bodyStart);
    }
    const bodyEnd = bodyStart + bodyLen;
    const end = bodyEnd + 7;
    if (end > to) return NEED_MORE;
    if (
      buf[bodyEnd] !== B_1 || buf[bodyEnd + 1] !== B_0 || buf[bodyEnd + 2] !== B_EQ ||
      buf[bodyEnd - 1] !== SOH
    ) {
      return this.#garble("BodyLength mismatch: no CheckSum where BodyLength points", p, bodyEnd);
    }
    if (buf[end - 1] !== SOH) return this.#garbleFrame("CheckSum malformed", p, end);
    const d0 = buf[bodyEnd + 3]! - 48, d1 = buf[bodyEnd + 4]! - 48, d2 = buf[bodyEnd + 5]! - 48;
    if (d0 < 0 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) {
      return this.#garbleFrame("CheckSum malformed", p, end);
    }
    if (!this.#skipChecksum) {
      if (buf !== this.#wordsFor) {
        this.#words = wordsOf(buf, this.#words);
        this.#wordsFor = buf;
      }
      if (d0 * 100 + d1 * 10 + d2 !== checksumWords(buf, this.#words!, p, bodyEnd)) {
        return this.#garbleFrame("CheckSum mismatch", p, end);
      }
    }
    return end;
  }

  /** A frame whose framing was wrong: the caller resyncs on the next "8=FIX" after p. */
  #garble(reason: GarbledReason, _p: number, _seenTo: number): number {
    this.#reason = reason;
    this.#garbledEnd = 0;
    return -2;
  }

  /**
   * A frame whose CheckSum is wrong. Its extent looks known, but the BodyLength that gave it may be
   * the corrupted part, so the caller resyncs on the next "8=FIX" after p, like any garbled frame:
   * skipping to `end` could swallow a good frame that follows a cut-off one.
   */
  #garbleFrame(reason: GarbledReason, _p: number, _end: number): number {
    this.#reason = reason;
    this.#garbledEnd = 0;
    return -2;
  }

  #drop(reason: GarbledReason, p: number, length: number): void {
    this.garbled++;
    this.#sink.onGarbled({ reason, offset: this.#base + p, length });
  }
}

/** Index of the next "8=FIX" in buf[from, to), or -1. */
function findBegin(buf: Uint8Array, from: number, to: number): number {
  for (let i = buf.indexOf(B_8, from); i !== -1 && i < to; i = buf.indexOf(B_8, i + 1)) {
    if (i + 5 > to) {
      // A possible start cut off by the chunk end: keep it for the next chunk.
      if (isPrefixOfBegin(buf, i, to)) return -1;
      continue;
    }
    if (buf[i + 1] === B_EQ && buf[i + 2] === 0x46 && buf[i + 3] === 0x49 && buf[i + 4] === 0x58) return i;
  }
  return -1;
}

const BEGIN = [B_8, B_EQ, 0x46, 0x49, 0x58];
/** True when the bytes at i (up to 5 of them, fewer at the end of the data) match "8=FIX". */
function isPrefixOfBegin(buf: Uint8Array, i: number, to: number): boolean {
  for (let k = 0; k < 5 && i + k < to; k++) if (buf[i + k] !== BEGIN[k]) return false;
  return true;
}

/** With no full "8=FIX" ahead, where junk ends: keep a tail that may be the start of one. */
function keepTail(buf: Uint8Array, from: number, to: number): number {
  for (let k = Math.max(from, to - 4); k < to; k++) {
    if (buf[k] === B_8 && isPrefixOfBegin(buf, k, to)) return k;
  }
  return to;
}

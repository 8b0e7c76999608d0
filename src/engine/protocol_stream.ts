/**
 * The library protocol over a byte stream, both ends: FrameSplitter cuts what a socket reads into frames;
 * FrameOut gathers the frames one end writes. A frame pushed while the socket is idle is written at once
 * (no timer, not even a microtask: measured, deferring the write to the end of the event-loop turn cost
 * the engine's MESSAGE 13 µs at p50, as it waited for the rest of the session's turn); frames pushed while
 * a write is in progress gather in a second buffer and go out together as soon as it completes. One copy
 * per frame, no allocation per frame.
 */
import { setImmediate } from "node:timers";
import { ErrorCode, MAX_FRAME_BYTES, ProtocolError } from "./protocol.ts";

/**
 * Cuts a byte stream into frames: `push` the bytes read, then `next()` returns each complete frame's
 * [start, end) (type byte onwards) in `buf` until it returns false. The slice is valid until the next push.
 */
export class FrameSplitter {
  buf = new Uint8Array(64 * 1024);
  #len = 0;
  #pos = 0;
  start = 0;
  end = 0;
  /** The longest frame accepted (its length field): MAX_FRAME_BYTES, or less (the engine before HELLO). */
  maxLength = MAX_FRAME_BYTES;

  push(chunk: Uint8Array): void {
    if (this.#pos > 0) {
      this.buf.copyWithin(0, this.#pos, this.#len);
      this.#len -= this.#pos;
      this.#pos = 0;
    }
    if (this.#len + chunk.length > this.buf.length) {
      const b = new Uint8Array(Math.max(this.buf.length * 2, this.#len + chunk.length));
      b.set(this.buf.subarray(0, this.#len));
      this.buf = b;
    }
    this.buf.set(chunk, this.#len);
    this.#len += chunk.length;
  }

  /** Finds the next complete frame; throws ProtocolError for an impossible length. */
  next(): boolean {
    const avail = this.#len - this.#pos;
    if (avail < 4) return false;
    const b = this.buf, p = this.#pos;
    const n = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    if (n === 0 || n > this.maxLength) {
      throw new ProtocolError(ErrorCode.MALFORMED, `frame length ${n} out of range (1..${this.maxLength})`);
    }
    if (avail < 4 + n) return false;
    this.start = p + 4;
    this.end = p + 4 + n;
    this.#pos = this.end;
    return true;
  }

  /** Bytes held that do not make a complete frame yet. */
  get pending(): number {
    return this.#len - this.#pos;
  }
}

/** Buffers above this size are given back once written (a burst does not pin its memory). */
const KEEP_BYTES = 1024 * 1024;

export class FrameOut {
  #buf: Uint8Array = new Uint8Array(64 * 1024);
  #len = 0;
  #spare: Uint8Array = new Uint8Array(64 * 1024);
  #inFlight = 0;
  #writing = false;
  #closed = false;
  #idle: Array<() => void> = [];
  readonly #afterTurn: boolean;

  /**
   * `afterTurn`: frames gathered while a write was in progress go out at the end of the event-loop turn
   * its completion falls in (setImmediate), not at once: a sender that pushes a frame per microtask (an
   * application's `await` per send) then writes its frames in one write instead of one every few frames
   * (measured pipelined: 1 write(2) per 4 SENDs before). A frame pushed while the socket is idle is still
   * written at once.
   */
  constructor(
    readonly conn: Deno.Conn,
    readonly onError: (e: unknown) => void,
    options: { afterTurn?: boolean } = {},
  ) {
    this.#afterTurn = options.afterTurn === true;
  }

  /** Bytes pushed and not yet written (gathering plus the write in progress). */
  get queuedBytes(): number {
    return this.#len + this.#inFlight;
  }

  /** Copies `frame` in; written at once when the socket is idle, else with the others after the write in progress. */
  push(frame: Uint8Array): void {
    if (this.#closed) return;
    const need = this.#len + frame.length;
    if (need > this.#buf.length) {
      const b = new Uint8Array(Math.max(this.#buf.length * 2, need));
      b.set(this.#buf.subarray(0, this.#len));
      this.#buf = b;
    }
    this.#buf.set(frame, this.#len);
    this.#len = need;
    if (!this.#writing) this.#flush();
  }

  /**
   * A synchronous write (library_spin.ts: `send(MSG_DONTWAIT)` on a spinning connection): the bytes it
   * took, or -1; what it does not take goes through Deno's write as usual.
   */
  send: ((bytes: Uint8Array) => number) | undefined;

  #flush(): void {
    if (this.#writing || this.#len === 0 || this.#closed) return;
    if (this.send !== undefined) {
      const n = this.send(this.#buf.subarray(0, this.#len));
      if (n === this.#len) {
        this.#len = 0;
        this.#wakeIdle();
        return;
      }
      if (n > 0) {
        this.#buf.copyWithin(0, n, this.#len);
        this.#len -= n;
      }
    }
    const batch = this.#buf.subarray(0, this.#len);
    // Gather in the spare buffer meanwhile; the batch's buffer is the spare one once written.
    this.#buf = this.#spare;
    this.#len = 0;
    this.#inFlight = batch.length;
    this.#writing = true;
    void this.#write(batch);
  }

  async #write(batch: Uint8Array): Promise<void> {
    try {
      let off = 0;
      while (off < batch.length) off += await this.conn.write(batch.subarray(off));
    } catch (e) {
      this.#closed = true;
      this.#writing = false;
      this.#inFlight = 0;
      this.#wakeIdle();
      this.onError(e);
      return;
    }
    this.#inFlight = 0;
    // The written buffer becomes the spare one (a large one is dropped).
    const whole = new Uint8Array(batch.buffer, batch.byteOffset, batch.buffer.byteLength - batch.byteOffset);
    this.#spare = whole.length > KEEP_BYTES ? new Uint8Array(64 * 1024) : whole;
    if (this.#len > 0 && this.#afterTurn) {
      // Still "writing": what is pushed until then gathers too.
      setImmediate(this.#next);
      return;
    }
    this.#writing = false;
    if (this.#len > 0) this.#flush();
    else this.#wakeIdle();
  }

  /** The deferred write of what gathered (afterTurn). */
  readonly #next = (): void => {
    this.#writing = false;
    if (this.#len > 0) this.#flush();
    else this.#wakeIdle();
  };

  #wakeIdle(): void {
    const w = this.#idle;
    this.#idle = [];
    for (const r of w) r();
  }

  /** Resolves once everything pushed so far is written (or the socket failed). */
  drained(): Promise<void> {
    if (this.#closed || (!this.#writing && this.#len === 0)) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  /** Drops what is not written yet; later pushes are ignored. */
  close(): void {
    this.#closed = true;
    this.#len = 0;
    this.#wakeIdle();
  }
}

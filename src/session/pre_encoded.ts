/**
 * An application message whose body arrives already encoded (`35=D␁11=...␁`, as the library protocol's
 * SEND carries it): the session writes its own header and the trailer around the body's bytes, copied
 * once into the encoder (encodeApp), instead of turning them into fields and encoding those again.
 * The bytes on the wire are the same as for the message's field list (test/session/pre_encoded_test.ts).
 *
 * The raw path is taken only when every field after the leading 35 is a plain body field: a header or
 * trailer tag (which the session moves or drops), a data field (whose length field the session may
 * write) or a second 35 makes the message take the field-list path. Reading `fields` (a filter that
 * looks at them, a queue that keeps a copy) also ends the raw path: the list may be changed after.
 */
import type { Field, FieldSink, FixMessage } from "../codec/mod.ts";
import { latin1String } from "../codec/ascii.ts";
import { isPlainBodyTag } from "./messages.ts";

/** Header and trailer tags the session writes itself (8, 9, 10, 34, 35, 49, 52, 56): dropped from a body's field list. */
function isSessionTag(tag: number): boolean {
  return tag <= 56 &&
    (tag === 8 || tag === 9 || tag === 10 || tag === 34 || tag === 35 || tag === 49 || tag === 52 ||
      tag === 56);
}

/** Block size of ownedCopy; bodies above a quarter of it get a buffer of their own. */
const BLOCK_BYTES = 64 * 1024;
let block = new Uint8Array(0);
let blockPos = 0;

/**
 * A copy of `bytes` that nothing else writes: a range of a shared block, handed out once (a `slice()` per
 * body allocated an ArrayBuffer each, with its backing store and its GC bookkeeping). A block stays in
 * memory while any copy in it is referenced: at most one block per message still kept.
 */
function ownedCopy(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  if (n > BLOCK_BYTES >> 2) return bytes.slice();
  if (blockPos + n > block.length) {
    block = new Uint8Array(BLOCK_BYTES);
    blockPos = 0;
  }
  const copy = block.subarray(blockPos, blockPos + n);
  copy.set(bytes);
  blockPos += n;
  return copy;
}

export class PreEncodedMessage implements FixMessage {
  #fields: Field[] | undefined;
  #body: Uint8Array;
  #owned = false;

  private constructor(
    readonly msgType: string,
    body: Uint8Array,
    /** Where the fields after the leading `35=..␁` start in `body`, or -1: no raw path (see above). */
    readonly rawFrom: number,
  ) {
    this.#body = body;
  }

  /**
   * A body `35=D␁11=...␁` (SOH delimited, no header or trailer) as a message; session header/trailer
   * tags are dropped from its field list. Throws with the reason for a field that is not `tag=value`
   * (tag 1-999999999, no leading zero), an empty value, or no MsgType. `body` is not copied: it must
   * stay as it is while the message is used (see `detach`).
   */
  static fromBody(body: Uint8Array): PreEncodedMessage {
    let msgType = "";
    let rawFrom = -1;
    let plain = true;
    const n = body.length;
    let p = 0;
    while (p < n) {
      // The tag's digits, read as a number in place (no substring, no regular expression).
      let tag = 0;
      let q = p;
      while (q < n && q - p < 9) {
        const c = body[q]!;
        if (c < 0x30 || c > 0x39) break;
        tag = tag * 10 + c - 0x30;
        q++;
      }
      let end = q;
      while (end < n && body[end] !== 1) end++;
      if (q === p || body[p] === 0x30 || q >= n || body[q] !== 0x3d) {
        throw new Error(`bad field at byte ${p}: "${latin1String(body, p, Math.min(end, p + 20))}"`);
      }
      if (end === q + 1) throw new Error(`tag ${tag} has an empty value`);
      if (tag === 35) {
        msgType = latin1String(body, q + 1, end);
        if (p === 0) rawFrom = end + 1;
        else plain = false;
      } else if (!isPlainBodyTag(tag)) plain = false;
      p = end + 1;
    }
    if (msgType === "") throw new Error("no MsgType (35)");
    // A body whose last field lacks its SOH is taken as ending there (as the field list reads it).
    if (n > 0 && body[n - 1] !== 1) plain = false;
    return new PreEncodedMessage(msgType, body, plain ? Math.min(rawFrom, n) : -1);
  }

  /** The body's fields after 35 as a list (made once, on first use; session tags left out). */
  get fields(): Field[] {
    if (this.#fields === undefined) {
      const list: Field[] = [];
      this.#each({ field: (tag, value) => list.push([tag, value]), timestamp: () => {} });
      this.#fields = list;
    }
    return this.#fields;
  }

  set fields(list: Field[]) {
    this.#fields = list;
  }

  /**
   * The encoded fields after 35 to copy into a frame as they are, while the raw path holds (every
   * field a plain body field, `fields` not read); else undefined.
   */
  rawFields(): Uint8Array | undefined {
    if (this.rawFrom < 0 || this.#fields !== undefined) return undefined;
    return this.#body.subarray(this.rawFrom);
  }

  /**
   * FixMessage's fast path: the fields (values as strings) into `out`. False, for the caller to read
   * `fields`, once they were read or when the body is not plain (encodeApp must sort such fields).
   */
  writeBody(out: FieldSink): boolean {
    if (this.#fields !== undefined || this.rawFrom < 0) return false;
    this.#each(out);
    return true;
  }

  /** Approximate encoded size of the body (for a queue's byte accounting), without making the list. */
  estimateBytes(): number {
    return this.#body.length;
  }

  /**
   * Makes the message own its bytes (a copy), for a message kept after the buffer it came in is reused.
   * The copy is carved out of a shared block (ownedCopy): a pipelining library has every body copied.
   */
  detach(): this {
    if (!this.#owned) this.#body = ownedCopy(this.#body);
    this.#owned = true;
    return this;
  }

  /** The (validated) body's fields other than the session's own, values as Latin-1 strings, into `out`. */
  #each(out: FieldSink): void {
    const b = this.#body;
    const n = b.length;
    let p = 0;
    while (p < n) {
      let tag = 0;
      let q = p;
      while (q < n && b[q] !== 0x3d) tag = tag * 10 + b[q++]! - 0x30;
      let end = q + 1;
      while (end < n && b[end] !== 1) end++;
      if (!isSessionTag(tag)) out.field(tag, latin1String(b, q + 1, end));
      p = end + 1;
    }
  }
}

/**
 * What the session runner needs for the application's admin-message hooks (src/engine/application.ts):
 * editing an outbound admin frame for `toAdmin`, the recent sends a Reject is matched with for
 * `onReject`, and reading a Reject into a `RejectedMessage`.
 */
import { ADMIN_MSG_TYPES, HEADER_TAGS, MessageView, Tag } from "../codec/mod.ts";
import type { OutgoingAdmin, RejectedMessage } from "./application.ts";

/** Tags the session writes itself and toAdmin may not set: framing, numbering, CompIDs, time, resend flags. */
const SESSION_TAGS: ReadonlySet<number> = new Set([8, 9, 10, 34, 35, 43, 49, 52, 56, 97, 122]);

/** True for the session-level MsgTypes (0, 1, 2, 3, 4, 5, A). */
export function isAdminMsgType(msgType: string): boolean {
  return msgType.length === 1 && ADMIN_MSG_TYPES.has(msgType);
}

const te = new TextEncoder();

/**
 * Username (553), Password (554), NewPassword (925): set as their UTF-8 bytes, as the session sends a
 * configured username/password (`é` is C3 A9), the bytes `fixg config hash-password` hashes; with the
 * session's `credentialsEncoding: latin1`, as any other value (`é` is E9).
 */
const CREDENTIAL_TAGS: ReadonlySet<number> = new Set([553, 554, 925]);

/** A value's bytes as the encoder writes them: Latin-1 when every character fits, else UTF-8. */
function valueBytes(v: string): Uint8Array {
  let latin1 = true;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 0xff) latin1 = false;
  if (!latin1) return te.encode(v);
  const b = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) b[i] = v.charCodeAt(i);
  return b;
}

/** An outbound admin message handed to `toAdmin`: the encoded frame and the fields set on it. */
export class OutgoingAdminMessage implements OutgoingAdmin {
  readonly view: MessageView;
  readonly #sets = new Map<number, Uint8Array>();

  /** `latin1Credentials`: 553/554/925 as the codec writes any value (`credentialsEncoding: latin1`). */
  constructor(frame: Uint8Array, readonly latin1Credentials = false) {
    // The session's frames lie on SharedArrayBuffers (the encoder's owned buffers), whose views Web APIs
    // taking a BufferSource refuse (crypto.subtle, Blob, Response): the application reads a copy. An
    // unchanged message still goes out (and is stored) as the session's frame.
    this.view = MessageView.parse(frame.buffer instanceof SharedArrayBuffer ? frame.slice() : frame);
  }

  get msgType(): string {
    return this.view.msgType;
  }

  set(tag: number, value: string | number | boolean): void {
    if (!Number.isInteger(tag) || tag <= 0) throw new RangeError(`toAdmin: ${tag} is not a tag number`);
    if (SESSION_TAGS.has(tag)) {
      throw new RangeError(`toAdmin: tag ${tag} is written by the session and cannot be set`);
    }
    const s = typeof value === "boolean" ? (value ? "Y" : "N") : String(value);
    if (s.length === 0) throw new RangeError(`toAdmin: tag ${tag} needs a value`);
    if (s.includes("\x01")) throw new RangeError(`toAdmin: the value of tag ${tag} contains SOH`);
    this.#sets.set(tag, CREDENTIAL_TAGS.has(tag) && !this.latin1Credentials ? te.encode(s) : valueBytes(s));
  }

  /** True when `set` was called. */
  get changed(): boolean {
    return this.#sets.size > 0;
  }

  /**
   * The frame with the fields set: an existing field keeps its place and takes the new value; a new
   * header field goes at the end of the header, a new body field before the first body field with a
   * higher tag (so an ascending body stays ascending). BodyLength and CheckSum are computed again.
   */
  build(): Uint8Array {
    const v = this.view;
    const fields: Array<[number, Uint8Array]> = [];
    let checksumAt = v.count;
    for (let i = 2; i < v.count; i++) {
      const tag = v.tagAt(i);
      if (tag === Tag.CheckSum) {
        checksumAt = i;
        break;
      }
      fields.push([tag, this.#sets.get(tag) ?? v.buf.subarray(v.valueStartAt(i), v.valueEndAt(i))]);
    }
    if (checksumAt === v.count) throw new Error("toAdmin: the frame has no CheckSum");
    const present = new Set(fields.map((f) => f[0]));
    for (const [tag, value] of this.#sets) {
      if (present.has(tag)) continue;
      let at = fields.length;
      if (HEADER_TAGS.has(tag)) {
        at = fields.findIndex((f) => !HEADER_TAGS.has(f[0]));
        if (at < 0) at = fields.length;
      } else {
        for (let k = 0; k < fields.length; k++) {
          if (!HEADER_TAGS.has(fields[k]![0]) && fields[k]![0] > tag) {
            at = k;
            break;
          }
        }
      }
      fields.splice(at, 0, [tag, value]);
    }
    const parts = fields.map(([tag, value]) => {
      const t = te.encode(`${tag}=`);
      const p = new Uint8Array(t.length + value.length + 1);
      p.set(t);
      p.set(value, t.length);
      p[p.length - 1] = 1;
      return p;
    });
    const bodyLen = parts.reduce((n, p) => n + p.length, 0);
    const head = te.encode(`8=${v.getString(Tag.BeginString) ?? ""}\x019=${bodyLen}\x01`);
    const out = new Uint8Array(head.length + bodyLen + 7);
    out.set(head);
    let o = head.length;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    let sum = 0;
    for (let i = 0; i < o; i++) sum += out[i]!;
    out.set(te.encode(`10=${String(sum % 256).padStart(3, "0")}\x01`), o);
    return out;
  }
}

/**
 * The frames of the most recent sends by MsgSeqNum (a fixed ring, no allocation per message): what
 * a Reject's RefSeqNum is matched with. Frames are the session's own encoded bytes (never written again).
 */
export class RecentSends {
  readonly #seqs: Float64Array;
  readonly #frames: Array<Uint8Array | undefined>;
  readonly #mask: number;

  /** `size` is rounded up to a power of two. */
  constructor(size = 1024) {
    let n = 1;
    while (n < size) n *= 2;
    this.#seqs = new Float64Array(n);
    this.#frames = new Array<Uint8Array | undefined>(n).fill(undefined);
    this.#mask = n - 1;
  }

  record(seq: number, frame: Uint8Array): void {
    const i = seq & this.#mask;
    this.#seqs[i] = seq;
    this.#frames[i] = frame;
  }

  get(seq: number): Uint8Array | undefined {
    const i = seq & this.#mask;
    return this.#seqs[i] === seq ? this.#frames[i] : undefined;
  }

  /** Forgets everything (the numbers start again after a reset). */
  clear(): void {
    this.#seqs.fill(0);
    this.#frames.fill(undefined);
  }
}

/**
 * A Reject (35=3) or BusinessMessageReject (35=j) read with the message it refers to (`sent`, the
 * frame as sent, when known). Undefined when the rejected message is not the application's: a
 * session-level message, or unknown with no application RefMsgType (372) to say otherwise.
 */
export function rejectedMessage(
  view: MessageView,
  sent: Uint8Array | undefined,
): RejectedMessage | undefined {
  const refSeqNum = view.getInt(Tag.RefSeqNum);
  if (refSeqNum === undefined) return undefined;
  const original = sent === undefined ? undefined : MessageView.parse(sent);
  const refMsgType = view.getString(Tag.RefMsgType) ?? original?.msgType;
  if (refMsgType === undefined || isAdminMsgType(refMsgType)) return undefined;
  if (original !== undefined && isAdminMsgType(original.msgType)) return undefined;
  const msgType = view.msgType === "j" ? "j" : "3";
  return {
    msgType,
    refSeqNum,
    refMsgType,
    refTagId: view.getInt(Tag.RefTagID),
    reason: view.getInt(msgType === "j" ? Tag.BusinessRejectReason : Tag.SessionRejectReason),
    text: view.getString(Tag.Text),
    businessRejectRefId: view.getString(Tag.BusinessRejectRefID),
    clOrdId: original?.getString(Tag.ClOrdID),
    view,
  };
}

/**
 * Message bodies as SEND carries them (`35=D␁11=...␁`, no header or trailer): written from a FixMessage
 * (library side, encodeBody) and read back into one (engine side, messageFromBody); session keys.
 */
import {
  type FieldSink,
  type FieldValue,
  type FixMessage,
  forEachField,
  formatDecimal,
  formatTimestamp,
} from "../codec/mod.ts";
import { PreEncodedMessage } from "../session/pre_encoded.ts";
import type { SessionId } from "../session/session_id.ts";

/**
 * A SEND body (`35=D|11=...` with SOH) as a FixMessage; session header/trailer tags are dropped. Throws
 * with the reason for a field that is not `tag=value` (tag 1-999999999, no leading zero) or an empty value.
 */
export function messageFromBody(body: Uint8Array): FixMessage {
  // One parser of SEND bodies: the engine's (PreEncodedMessage), over a copy the caller may keep.
  const m = PreEncodedMessage.fromBody(body.slice());
  return { msgType: m.msgType, fields: m.fields };
}

/** The ClOrdID (11) of a message, when it has one. */
export function clOrdIdOf(m: FixMessage): string | undefined {
  for (const [t, v] of m.fields) if (t === 11) return String(v);
  return undefined;
}

/** The body of a FixMessage as SEND carries it: "35=..␁tag=value␁..." (no header fields). */
export function encodeBody(m: FixMessage): Uint8Array {
  return bodyView(m).slice();
}

/** encodeBody's bytes in a reused buffer: valid until the next call (SEND frames copy them at once). */
export function bodyView(m: FixMessage): Uint8Array {
  body.len = 0;
  body.text("35=");
  body.text(m.msgType);
  body.byte(1);
  forEachField(m, body);
  return body.buf.subarray(0, body.len);
}

/** The digits of tags below 2048 as char codes, filled as tags are first written. */
const TAG_DIGITS: Array<number[] | undefined> = [];

/** Writes fields as `tag=value␁` into a reused buffer (values as Latin-1: the codec reads them so). */
class BodyWriter implements FieldSink {
  buf = new Uint8Array(1024);
  len = 0;

  room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.len++] = c;
  }

  text(s: string): void {
    this.room(s.length);
    const b = this.buf;
    let p = this.len;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i) & 0xff;
    this.len = p;
  }

  /** A tag's decimal digits (no string made for it; those of tags below 2048 kept). */
  tag(tag: number): void {
    const d = tag < 2048 ? TAG_DIGITS[tag] : undefined;
    if (d !== undefined) {
      this.room(d.length);
      const b = this.buf;
      let p = this.len;
      for (let i = 0; i < d.length; i++) b[p++] = d[i]!;
      this.len = p;
      return;
    }
    if (!(tag > 0 && tag < 1e9 && Number.isInteger(tag))) return this.text(String(tag));
    if (tag < 2048) TAG_DIGITS[tag] = Array.from(String(tag), (c) => c.charCodeAt(0));
    let n = 1;
    for (let t = tag; t >= 10; t = Math.floor(t / 10)) n++;
    this.room(n);
    const b = this.buf;
    let p = this.len + n;
    for (let t = tag; p > this.len; t = Math.floor(t / 10)) b[--p] = 0x30 + (t % 10);
    this.len += n;
  }

  field(tag: number, value: FieldValue): void {
    if (tag === 35) return;
    this.tag(tag);
    this.byte(0x3d);
    if (value instanceof Uint8Array) {
      this.room(value.length);
      this.buf.set(value, this.len);
      this.len += value.length;
    } else {
      this.text(
        typeof value === "string"
          ? value
          : typeof value === "boolean"
          ? (value ? "Y" : "N")
          : formatDecimal(value),
      );
    }
    this.byte(1);
  }

  timestamp(tag: number, ms: number): void {
    this.field(tag, formatTimestamp(ms));
  }
}

const body = new BodyWriter();

/** "FIX.4.4:TW->ISLD" (sub IDs and qualifier too) as a SessionId. */
export function sessionIdOfKey(key: string): SessionId {
  const m = /^([^:]+):([^/>]+)(?:\/([^-]+))?->([^/#]+)(?:\/([^#]+))?(?:#(.+))?$/.exec(key);
  if (m === null) return { beginString: "", senderCompId: key, targetCompId: "" };
  const id: SessionId = { beginString: m[1]!, senderCompId: m[2]!, targetCompId: m[4]! };
  if (m[3]) id.senderSubId = m[3];
  if (m[5]) id.targetSubId = m[5];
  if (m[6]) id.qualifier = m[6];
  return id;
}

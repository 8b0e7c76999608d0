/**
 * Every message the session writes: the standard header, admin messages (Logon, Heartbeat,
 * TestRequest, ResendRequest, Reject, SequenceReset, Logout, BusinessMessageReject), application
 * messages and resent copies. One Encoder per session; the bytes handed out are owned copies.
 *
 * Header layout of everything we originate, as the QuickFIX family writes it: 8, 9, 35, then every
 * other header field in ascending tag order (34, 43, 49, 50, 52, 56, 57, 97, 115, 116, 122, 128, ...;
 * the Hops group stays together after 627), then the body, then 10. Session-level message bodies are
 * written in ascending tag order too. See docs/session.md.
 */
import {
  asciiLength,
  digitCount,
  type Encoder,
  type Field,
  type FieldValue,
  type FixMessage,
  formatTimestamp,
  HEADER_TAGS,
  type MessageView,
  MsgType,
  Tag,
  TRAILER_TAGS,
  utf8ByteString,
  writeAscii,
  writeFieldWithLength,
} from "../codec/mod.ts";
import { DATA_LENGTH_TAGS } from "../codec/tags.ts";
import type { RejectInfo } from "../dictionary/reject.ts";
import type { SendReason } from "./types.ts";
import { PreEncodedMessage } from "./pre_encoded.ts";
import type { Out, SessionState } from "./state.ts";

/**
 * Starts a message we originate: 35 and the standard header in ascending tag order, as the QuickFIX
 * family writes it: 34, 43=Y (possible duplicates), 49, 50 (configured, or `senderSubId` given by the
 * application), 52, 56, 57 (configured). Header fields with higher tags (122, 142, 143, routing
 * fields, the application's) follow through writeLateHeader.
 */
export function beginMessage(
  s: SessionState,
  msgType: string,
  seq: number,
  nowMs: number,
  possDup = false,
  senderSubId?: FieldValue,
): Encoder {
  if (senderSubId !== undefined) return beginWithSenderSubId(s, msgType, seq, nowMs, possDup, senderSubId);
  const h = headerParts(s);
  // "35=<type>␁34=" seq "␁[43=Y␁]49=..␁52=" time "␁56=..␁": three copies of encoded parts and two values.
  return s.encoder.beginHeader(
    s.config.id.beginString,
    msgTypePrefix(h, msgType),
    seq,
    possDup ? h.midPossDup : h.mid,
    nowMs,
    s.config.timestampPrecision,
    h.target,
  );
}

/** beginMessage with the application's own SenderSubID (none configured): it goes between 49 and 52. */
function beginWithSenderSubId(
  s: SessionState,
  msgType: string,
  seq: number,
  nowMs: number,
  possDup: boolean,
  senderSubId: FieldValue,
): Encoder {
  const h = headerParts(s);
  const enc = s.encoder.beginWith(s.config.id.beginString, msgTypePrefix(h, msgType)).uintDigits(seq).raw(
    SOH,
  );
  if (possDup) enc.bool(Tag.PossDupFlag, true);
  enc.raw(h.sender).field(Tag.SenderSubID, senderSubId);
  return enc.timestamp(Tag.SendingTime, nowMs, s.config.timestampPrecision).raw(h.targetFields);
}

const SOH = new Uint8Array([1]);

/** Most MsgTypes a session keeps a "35=<type>␁34=" prefix for (past that, the cache starts again). */
const MAX_HEADER_PREFIXES = 64;

/** The encoded parts of our header for the session's current id (made again when the id object changes). */
function headerParts(s: SessionState): SessionState["headerPrefixes"] {
  const id = s.config.id;
  const h = s.headerPrefixes;
  if (h.id !== id) {
    h.id = id;
    h.byType.clear();
    let sender = `${Tag.SenderCompID}=${id.senderCompId}\x01`;
    if (id.senderSubId) sender += `${Tag.SenderSubID}=${id.senderSubId}\x01`;
    let target = `${Tag.TargetCompID}=${id.targetCompId}\x01`;
    if (id.targetSubId) target += `${Tag.TargetSubID}=${id.targetSubId}\x01`;
    h.sender = asciiBytes(sender);
    h.mid = asciiBytes(`\x01${sender}${Tag.SendingTime}=`);
    h.midPossDup = asciiBytes(`\x01${Tag.PossDupFlag}=Y\x01${sender}${Tag.SendingTime}=`);
    h.targetFields = asciiBytes(target);
    h.target = asciiBytes(`\x01${target}`);
    h.late.length = 0;
    if (id.senderLocationId) h.late.push([142, id.senderLocationId]);
    if (id.targetLocationId) h.late.push([143, id.targetLocationId]);
  }
  return h;
}

/**
 * "35=<msgType>␁34=" as bytes (characters above 0xff UTF-8 encoded, as the encoder's str() writes
 * them), encoded once per session and type rather than each time.
 */
function msgTypePrefix(h: SessionState["headerPrefixes"], msgType: string): Uint8Array {
  let prefix = h.byType.get(msgType);
  if (prefix === undefined) {
    if (h.byType.size >= MAX_HEADER_PREFIXES) h.byType.clear();
    prefix = asciiBytes(`35=${msgType}\x01${Tag.MsgSeqNum}=`);
    h.byType.set(msgType, prefix);
  }
  return prefix;
}

function asciiBytes(text: string): Uint8Array {
  const b = new Uint8Array(asciiLength(text));
  writeAscii(b, 0, text);
  return b;
}

/** Where a header tag sorts: its number, except the Hops group's members, which stay after NoHops (627). */
function headerKey(tag: number): number {
  return tag === 628 || tag === 629 || tag === 630 ? 627 : tag;
}

/**
 * Writes the header fields after 56/57 in ascending tag order: OrigSendingTime (122) when `orig` is
 * given, our configured 142/143, and `extra` (header fields from the application, a stored message or
 * reverse routing; any order, the Hops group kept together after 627). Stable: equal tags keep their order.
 */
export function writeLateHeader(
  enc: Encoder,
  s: SessionState,
  orig: Uint8Array | number | undefined,
  extra: readonly Field[] | undefined,
): void {
  const late = s.headerPrefixes.late;
  if (extra === undefined || extra.length === 0) {
    if (typeof orig === "number") enc.timestamp(Tag.OrigSendingTime, orig, s.config.timestampPrecision);
    else if (orig !== undefined) enc.bytes(Tag.OrigSendingTime, orig);
    for (let i = 0; i < late.length; i++) enc.str(late[i]![0], late[i]![1]);
    return;
  }
  const all: Field[] = extra.slice();
  if (orig !== undefined) {
    all.push([
      Tag.OrigSendingTime,
      typeof orig === "number" ? formatTimestamp(orig, s.config.timestampPrecision) : orig,
    ]);
  }
  for (let i = 0; i < late.length; i++) all.push(late[i]!);
  // Insertion sort (a handful of fields), stable by headerKey.
  for (let i = 1; i < all.length; i++) {
    const f = all[i]!;
    const k = headerKey(f[0]);
    let j = i - 1;
    while (j >= 0 && headerKey(all[j]![0]) > k) {
      all[j + 1] = all[j]!;
      j--;
    }
    all[j + 1] = f;
  }
  for (let i = 0; i < all.length; i++) writeFieldWithLength(enc, all, all[i]![0], all[i]![1]);
}

/** Pushes a send action and notes the time for the heartbeat timer. */
export function emitSend(
  s: SessionState,
  out: Out,
  nowMs: number,
  seq: number,
  msgType: string,
  bytes: Uint8Array,
  persist: boolean,
  reason: SendReason,
): void {
  out.push({ kind: "send", seq, msgType, bytes, persist, reason });
  s.lastSentMs = nowMs;
}

/** Takes the next MsgSeqNum for an admin message. */
function nextSeq(s: SessionState): number {
  return s.nextSenderSeq++;
}

/** What a Logon we send says. */
export interface LogonOptions {
  heartBtIntSec: number;
  resetSeqNum: boolean;
  /** NextExpectedMsgSeqNum (789), when enabled. */
  nextExpected?: number;
  /** Initiator: send Username/Password when configured. */
  credentials: boolean;
  /** FIXT.1.1 without a configured defaultApplVerId: the DefaultApplVerID to send (the peer's, when answering). */
  defaultApplVerId?: string;
}

/** Sends a Logon (35=A): 98=0, 108, 141=Y on reset, 553/554 (UTF-8), 789, 1137 (FIXT). Returns its MsgSeqNum. */
export function sendLogon(s: SessionState, out: Out, nowMs: number, o: LogonOptions): number {
  const seq = nextSeq(s);
  const c = s.config;
  const enc = beginAdmin(s, MsgType.Logon, seq, nowMs)
    .int(Tag.EncryptMethod, 0)
    .int(Tag.HeartBtInt, o.heartBtIntSec);
  if (o.resetSeqNum) enc.bool(Tag.ResetSeqNumFlag, true);
  // Credentials go out as their UTF-8 bytes (`é` is C3 A9), the bytes `fixg config hash-password` hashes
  // and a UTF-8 peer compares, not as the codec writes other values (`é` the one byte E9).
  // (`credentialsEncoding: latin1`: one byte per character, for a counterparty that reads ISO-8859-1.)
  const cred = c.credentialsEncoding === "latin1" ? (v: string) => v : utf8ByteString;
  if (o.credentials && c.username !== undefined) enc.str(Tag.Username, cred(c.username));
  if (o.credentials && c.password !== undefined) enc.str(Tag.Password, cred(c.password));
  if (o.nextExpected !== undefined) enc.int(Tag.NextExpectedMsgSeqNum, o.nextExpected);
  const applVer = c.defaultApplVerId ?? o.defaultApplVerId;
  if (applVer !== undefined && c.id.beginString === "FIXT.1.1") enc.str(Tag.DefaultApplVerID, applVer);
  emitSend(s, out, nowMs, seq, MsgType.Logon, enc.finishOwned(), true, "admin");
  return seq;
}

/** Sends a Heartbeat (35=0), echoing TestReqID (112) when answering a TestRequest. */
export function sendHeartbeat(s: SessionState, out: Out, nowMs: number, testReqId?: string): void {
  const seq = nextSeq(s);
  const enc = beginAdmin(s, MsgType.Heartbeat, seq, nowMs);
  if (testReqId !== undefined) enc.str(Tag.TestReqID, testReqId);
  emitSend(s, out, nowMs, seq, MsgType.Heartbeat, enc.finishOwned(), true, "admin");
}

/** Sends a TestRequest (35=1) with TestReqID (112). */
export function sendTestRequest(s: SessionState, out: Out, nowMs: number, testReqId: string): void {
  const seq = nextSeq(s);
  const enc = beginAdmin(s, MsgType.TestRequest, seq, nowMs).str(Tag.TestReqID, testReqId);
  emitSend(s, out, nowMs, seq, MsgType.TestRequest, enc.finishOwned(), true, "admin");
}

/** Sends a ResendRequest (35=2) for BeginSeqNo (7) to EndSeqNo (16; 0 = infinity). */
export function sendResendRequest(
  s: SessionState,
  out: Out,
  nowMs: number,
  begin: number,
  end: number,
): void {
  const seq = nextSeq(s);
  const enc = beginAdmin(s, MsgType.ResendRequest, seq, nowMs)
    .int(Tag.BeginSeqNo, begin)
    .int(Tag.EndSeqNo, end);
  emitSend(s, out, nowMs, seq, MsgType.ResendRequest, enc.finishOwned(), true, "admin");
}

/**
 * Sends a Reject (35=3), reverse-routed: RefSeqNum (45, when `refSeq` >= 0), Text (58), and the fields
 * the session's version has (rejectLayout): RefTagID (371), RefMsgType (372), SessionRejectReason (373,
 * when the version defines the value).
 */
export function sendReject(
  s: SessionState,
  out: Out,
  nowMs: number,
  refSeq: number,
  refMsgType: string,
  info: RejectInfo,
  rejected?: MessageView,
): void {
  const seq = nextSeq(s);
  const enc = beginMessage(s, MsgType.Reject, seq, nowMs);
  writeLateHeader(enc, s, undefined, reverseRoute(s, rejected));
  if (refSeq >= 0) enc.int(Tag.RefSeqNum, refSeq);
  // What the version lacks goes in Text: the tag as "reason (tag)" (FIX 4.0/4.1, as the QuickFIX family
  // writes it), a reason outside the dictionary's 373 values by its text alone.
  const l = s.rejectLayout;
  const tag = info.refTagId;
  enc.str(Tag.Text, tag !== undefined && !l.refTagId ? `${info.text} (${tag})` : info.text);
  if (tag !== undefined && l.refTagId) enc.int(Tag.RefTagID, tag);
  if (refMsgType !== "" && l.refMsgType) enc.str(Tag.RefMsgType, refMsgType);
  if (l.reason && (l.reasons === undefined || l.reasons.has(info.reason))) {
    enc.int(Tag.SessionRejectReason, info.reason);
  }
  emitSend(s, out, nowMs, seq, MsgType.Reject, enc.finishOwned(), true, "admin");
}

/** Sends a BusinessMessageReject (35=j): RefSeqNum (45), Text (58), RefMsgType (372), BusinessRejectReason (380). */
export function sendBusinessReject(
  s: SessionState,
  out: Out,
  nowMs: number,
  refSeq: number,
  refMsgType: string,
  reason: number,
  text: string,
  rejected?: MessageView,
): void {
  const seq = nextSeq(s);
  const enc = beginMessage(s, MsgType.BusinessMessageReject, seq, nowMs);
  writeLateHeader(enc, s, undefined, reverseRoute(s, rejected));
  if (refSeq > 0) enc.int(Tag.RefSeqNum, refSeq);
  enc.str(Tag.Text, text).str(Tag.RefMsgType, refMsgType).int(Tag.BusinessRejectReason, reason);
  emitSend(s, out, nowMs, seq, MsgType.BusinessMessageReject, enc.finishOwned(), true, "admin");
}

/** Routing tags and their reverse: OnBehalfOf* (115, 116, 144) <-> DeliverTo* (128, 129, 145). */
const REVERSE_ROUTE: ReadonlyArray<readonly [number, number]> = [
  [115, 128],
  [116, 129],
  [144, 145],
  [128, 115],
  [129, 116],
  [145, 144],
];

/**
 * The routing header fields of a reply to `view` (a Reject or BusinessMessageReject): each non-empty
 * OnBehalfOf* becomes DeliverTo* with the same value and the other way round, as the QuickFIX family
 * does (location IDs from FIX 4.1 on). Undefined when there is nothing to route. Values are subarrays
 * of the view's buffer: use them before the step ends.
 */
export function reverseRoute(s: SessionState, view: MessageView | undefined): Field[] | undefined {
  if (view === undefined) return undefined;
  let route: Field[] | undefined;
  const locations = s.config.id.beginString !== "FIX.4.0";
  for (let k = 0; k < REVERSE_ROUTE.length; k++) {
    const [from, to] = REVERSE_ROUTE[k]!;
    if (!locations && (from === 144 || from === 145)) continue;
    const i = view.indexOf(from);
    if (i < 0) continue;
    const start = view.valueStartAt(i), end = view.valueEndAt(i);
    if (end > start) (route ??= []).push([to, view.buf.subarray(start, end)]);
  }
  return route;
}

/**
 * Sends a Logout (35=5), with a Text saying why when there is a reason. An SOH in the text (an
 * application's or a library's LOGOUT text) is sent as a space: written as it is, it would end the field
 * and make the rest of the text fields of their own.
 */
export function sendLogout(s: SessionState, out: Out, nowMs: number, text?: string): void {
  const seq = nextSeq(s);
  const enc = beginAdmin(s, MsgType.Logout, seq, nowMs);
  if (text !== undefined && text !== "") {
    enc.str(Tag.Text, text.includes("\x01") ? text.replaceAll("\x01", " ") : text);
  }
  emitSend(s, out, nowMs, seq, MsgType.Logout, enc.finishOwned(), true, "admin");
}

/**
 * Encodes a SequenceReset-GapFill (35=4) at MsgSeqNum `seq`: 43=Y, 122 (= SendingTime, for peers that
 * require OrigSendingTime on every possible duplicate), 36=newSeqNo, 123=Y.
 */
export function encodeGapFill(s: SessionState, seq: number, newSeqNo: number, nowMs: number): Uint8Array {
  const enc = beginMessage(s, MsgType.SequenceReset, seq, nowMs, true);
  writeLateHeader(enc, s, nowMs, undefined);
  return enc.int(Tag.NewSeqNo, newSeqNo).bool(Tag.GapFillFlag, true).finishOwned();
}

/** Encodes a SequenceReset-Reset (35=4, no GapFillFlag) moving the peer's expected number to `newSeqNo`. */
export function encodeSequenceReset(
  s: SessionState,
  seq: number,
  newSeqNo: number,
  nowMs: number,
): Uint8Array {
  return beginAdmin(s, MsgType.SequenceReset, seq, nowMs).int(Tag.NewSeqNo, newSeqNo).finishOwned();
}

/**
 * Encodes an application message at MsgSeqNum `seq`: our header, then the header fields the
 * application gave (other than those the session writes), then the body in the order given, then the
 * trailer fields (93/89). A data field's length field is written for it when the caller left it out.
 */
export function encodeApp(s: SessionState, msg: FixMessage, seq: number, nowMs: number): Uint8Array {
  // A body that came encoded (the library protocol's SEND) and holds plain body fields only: our header,
  // then its bytes as they are (the same bytes as encoding its field list).
  if (msg instanceof PreEncodedMessage) {
    const raw = msg.rawFields();
    if (raw !== undefined) {
      return lateHeader(beginMessage(s, msg.msgType, seq, nowMs), s).raw(raw).finishOwned();
    }
  }
  // A builder's message writes its body fields straight into the encoder (they are body fields only).
  if (msg.writeBody !== undefined) {
    const enc = lateHeader(beginMessage(s, msg.msgType, seq, nowMs), s);
    if (msg.writeBody(enc)) return enc.finishOwned();
  }
  const f = msg.fields;
  const n = f.length;
  let body = false;
  let trailer = false;
  let header = false;
  for (let i = 0; i < n; i++) {
    const k = tagKind(f[i]![0]);
    if (k === KIND_HEADER) header = true;
    else if (k === KIND_TRAILER) trailer = true;
    else body = true;
  }
  const enc = header
    ? beginAppHeader(s, msg, seq, nowMs)
    : lateHeader(beginMessage(s, msg.msgType, seq, nowMs), s);
  if (body) {
    for (let i = 0; i < n; i++) {
      const field = f[i]!;
      const k = tagKind(field[0]);
      if (k === KIND_BODY) {
        enc.field(field[0], field[1]);
      } else if (k === KIND_DATA) writeFieldWithLength(enc, f, field[0], field[1]);
    }
  }
  if (trailer) {
    for (let i = 0; i < n; i++) {
      const tag = f[i]![0];
      if (tag === 93 || tag === 89) writeFieldWithLength(enc, f, tag, f[i]![1]);
    }
  }
  return enc.finishOwned();
}

/**
 * The header of an application message that gives header fields of its own: ours, with the
 * application's merged in by tag (those the session writes itself are left out). Fields usually come
 * in ascending order, after 56, with no SenderSubID: then they are written where they stand in one
 * pass; otherwise the message is started again and its header fields sorted (beginAppHeaderSorted).
 */
function beginAppHeader(s: SessionState, msg: FixMessage, seq: number, nowMs: number): Encoder {
  if (s.headerPrefixes.late.length === 0) {
    const f = msg.fields;
    const own = s.ownHeaderTags;
    const enc = beginMessage(s, msg.msgType, seq, nowMs);
    let lastKey = 0;
    let i = 0;
    for (; i < f.length; i++) {
      const tag = f[i]![0];
      if (tagKind(tag) !== KIND_HEADER || own.has(tag)) continue;
      const key = headerKey(tag);
      if (key < lastKey || tag === Tag.SenderSubID) break;
      lastKey = key;
      writeFieldWithLength(enc, f, tag, f[i]![1]);
    }
    if (i === f.length) return enc;
  }
  return beginAppHeaderSorted(s, msg, seq, nowMs);
}

/** beginAppHeader for header fields out of order, an application SenderSubID, or our own 142/143. */
function beginAppHeaderSorted(s: SessionState, msg: FixMessage, seq: number, nowMs: number): Encoder {
  const f = msg.fields;
  const own = s.ownHeaderTags;
  const header: Field[] = [];
  let senderSubId: FieldValue | undefined;
  for (let i = 0; i < f.length; i++) {
    const tag = f[i]![0];
    if (tagKind(tag) !== KIND_HEADER || own.has(tag)) continue;
    if (tag === Tag.SenderSubID) senderSubId = f[i]![1];
    else header.push(f[i]!);
  }
  const enc = beginMessage(s, msg.msgType, seq, nowMs, false, senderSubId);
  writeLateHeader(enc, s, undefined, header);
  return enc;
}

/** A message of ours with no header fields other than our own: beginMessage and lateHeader. */
function beginAdmin(s: SessionState, msgType: string, seq: number, nowMs: number): Encoder {
  return lateHeader(beginMessage(s, msgType, seq, nowMs), s);
}

/** Writes our own header fields after 56/57 (142/143 when configured) and returns the encoder. */
function lateHeader(enc: Encoder, s: SessionState): Encoder {
  const late = s.headerPrefixes.late;
  for (let i = 0; i < late.length; i++) enc.str(late[i]![0], late[i]![1]);
  return enc;
}

const KIND_BODY = 0;
const KIND_HEADER = 1;
const KIND_TRAILER = 2;
/** A body field whose length field (DATA_LENGTH_TAGS) the encoder may have to write for it. */
const KIND_DATA = 3;
/** Kinds of tags below TAG_KIND_LIMIT, so the per-field loop does an array read instead of Set lookups. */
const TAG_KIND_LIMIT = 8192;
const TAG_KINDS = new Uint8Array(TAG_KIND_LIMIT);
for (let t = 0; t < TAG_KIND_LIMIT; t++) TAG_KINDS[t] = classifyTag(t);

function classifyTag(tag: number): number {
  if (HEADER_TAGS.has(tag)) return KIND_HEADER;
  if (TRAILER_TAGS.has(tag)) return KIND_TRAILER;
  return DATA_LENGTH_TAGS.has(tag) ? KIND_DATA : KIND_BODY;
}

/** A body field the session writes where it stands and as given: not header, trailer or data. */
export function isPlainBodyTag(tag: number): boolean {
  return tagKind(tag) === KIND_BODY;
}

function tagKind(tag: number): number {
  return tag >= 0 && tag < TAG_KIND_LIMIT ? TAG_KINDS[tag]! : classifyTag(tag);
}

/**
 * Encodes the resent copy of a stored message: same MsgType and MsgSeqNum, header rebuilt in ascending
 * tag order with a new SendingTime, PossDupFlag=Y and OrigSendingTime = the original SendingTime, the
 * original's other header fields among them; the body and trailer fields of the original copied byte
 * for byte in their order.
 */
export function encodeResend(s: SessionState, view: MessageView, seq: number, nowMs: number): Uint8Array {
  const oi = view.indexOf(Tag.SendingTime);
  const orig = oi >= 0 ? view.buf.subarray(view.valueStartAt(oi), view.valueEndAt(oi)) : undefined;
  const own = s.ownHeaderTags;
  const buf = view.buf;
  let header: Field[] | undefined;
  let senderSubId: Uint8Array | undefined;
  for (let i = 0; i < view.count; i++) {
    const tag = view.tagAt(i);
    if (tag <= 0 || own.has(tag) || tagKind(tag) !== KIND_HEADER) continue;
    const value = buf.subarray(view.valueStartAt(i), view.valueEndAt(i));
    if (tag === Tag.SenderSubID) senderSubId = value;
    else (header ??= []).push([tag, value]);
  }
  const enc = beginMessage(s, view.msgType, seq, nowMs, true, senderSubId);
  writeLateHeader(enc, s, orig, header);
  // Copy runs of body and trailer fields as raw bytes: "tag=value␁" starts digitCount(tag)+1 bytes before the value.
  let runStart = -1;
  let runEnd = -1;
  for (let i = 0; i < view.count; i++) {
    const tag = view.tagAt(i);
    const vs = view.valueStartAt(i);
    const ve = view.valueEndAt(i);
    if (tag <= 0 || own.has(tag) || tagKind(tag) === KIND_HEADER) continue;
    const fs = vs - digitCount(tag) - 1;
    if (fs === runEnd) {
      runEnd = ve + 1;
    } else {
      if (runStart >= 0) enc.raw(buf.subarray(runStart, runEnd));
      runStart = fs;
      runEnd = ve + 1;
    }
  }
  if (runStart >= 0) enc.raw(buf.subarray(runStart, runEnd));
  return enc.finishOwned();
}

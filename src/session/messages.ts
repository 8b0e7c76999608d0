/**
 * Every message the session writes: the standard header, admin messages (Logon, Heartbeat,
 * TestRequest, ResendRequest, Reject, SequenceReset, Logout, BusinessMessageReject), application
 * messages and resent copies. One Encoder per session; the bytes handed out are owned copies.
 *
 * Header layout of everything we originate: 8, 9, 35, 49, 56, 34, 52, then 50/57/142/143 when
 * configured, then 43 and 122 on possible duplicates, then the body, then 10.
 */
import {
  asciiLength,
  digitCount,
  type Encoder,
  type Field,
  type FieldValue,
  type FixMessage,
  HEADER_TAGS,
  type MessageView,
  MsgType,
  Tag,
  TRAILER_TAGS,
  writeAscii,
} from "../codec/mod.ts";
import { DATA_LENGTH_TAGS } from "../codec/tags.ts";
import type { RejectInfo } from "../dictionary/reject.ts";
import type { SendReason } from "./types.ts";
import type { Out, SessionState } from "./state.ts";

/** Starts a message we originate: 35 and the standard header with MsgSeqNum `seq` and SendingTime now. */
export function beginMessage(s: SessionState, msgType: string, seq: number, nowMs: number): Encoder {
  const id = s.config.id;
  const enc = s.encoder.beginWith(id.beginString, headerPrefix(s, msgType))
    .int(Tag.MsgSeqNum, seq)
    .timestamp(Tag.SendingTime, nowMs, s.config.timestampPrecision);
  if (id.senderSubId) enc.str(Tag.SenderSubID, id.senderSubId);
  if (id.targetSubId) enc.str(Tag.TargetSubID, id.targetSubId);
  if (id.senderLocationId) enc.str(142, id.senderLocationId);
  if (id.targetLocationId) enc.str(143, id.targetLocationId);
  return enc;
}

/** Most MsgTypes a session keeps a header prefix for (past that, the cache starts again). */
const MAX_HEADER_PREFIXES = 64;

/**
 * "35=<msgType>␁49=<SenderCompID>␁56=<TargetCompID>␁" as bytes (characters above 0xff UTF-8 encoded,
 * as the encoder's str() writes them): the same for every message of a session and type, so it is
 * encoded once rather than field by field each time.
 */
function headerPrefix(s: SessionState, msgType: string): Uint8Array {
  const id = s.config.id;
  const cache = s.headerPrefixes;
  if (cache.id !== id || cache.byType.size >= MAX_HEADER_PREFIXES) {
    cache.id = id;
    cache.byType.clear();
  }
  let prefix = cache.byType.get(msgType);
  if (prefix === undefined) {
    const text =
      `35=${msgType}\x01${Tag.SenderCompID}=${id.senderCompId}\x01${Tag.TargetCompID}=${id.targetCompId}\x01`;
    prefix = new Uint8Array(asciiLength(text));
    writeAscii(prefix, 0, text);
    cache.byType.set(msgType, prefix);
  }
  return prefix;
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
}

/** Sends a Logon (35=A): 98=0, 108, 141=Y on reset, 553/554, 789, 1137 (FIXT). Returns its MsgSeqNum. */
export function sendLogon(s: SessionState, out: Out, nowMs: number, o: LogonOptions): number {
  const seq = nextSeq(s);
  const c = s.config;
  const enc = beginMessage(s, MsgType.Logon, seq, nowMs)
    .int(Tag.EncryptMethod, 0)
    .int(Tag.HeartBtInt, o.heartBtIntSec);
  if (o.resetSeqNum) enc.bool(Tag.ResetSeqNumFlag, true);
  if (o.credentials && c.username !== undefined) enc.str(Tag.Username, c.username);
  if (o.credentials && c.password !== undefined) enc.str(Tag.Password, c.password);
  if (o.nextExpected !== undefined) enc.int(Tag.NextExpectedMsgSeqNum, o.nextExpected);
  if (c.defaultApplVerId !== undefined && c.id.beginString === "FIXT.1.1") {
    enc.str(Tag.DefaultApplVerID, c.defaultApplVerId);
  }
  emitSend(s, out, nowMs, seq, MsgType.Logon, enc.finishOwned(), true, "admin");
  return seq;
}

/** Sends a Heartbeat (35=0), echoing TestReqID (112) when answering a TestRequest. */
export function sendHeartbeat(s: SessionState, out: Out, nowMs: number, testReqId?: string): void {
  const seq = nextSeq(s);
  const enc = beginMessage(s, MsgType.Heartbeat, seq, nowMs);
  if (testReqId !== undefined) enc.str(Tag.TestReqID, testReqId);
  emitSend(s, out, nowMs, seq, MsgType.Heartbeat, enc.finishOwned(), true, "admin");
}

/** Sends a TestRequest (35=1) with TestReqID (112). */
export function sendTestRequest(s: SessionState, out: Out, nowMs: number, testReqId: string): void {
  const seq = nextSeq(s);
  const enc = beginMessage(s, MsgType.TestRequest, seq, nowMs).str(Tag.TestReqID, testReqId);
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
  const enc = beginMessage(s, MsgType.ResendRequest, seq, nowMs)
    .int(Tag.BeginSeqNo, begin)
    .int(Tag.EndSeqNo, end);
  emitSend(s, out, nowMs, seq, MsgType.ResendRequest, enc.finishOwned(), true, "admin");
}

/**
 * Sends a Reject (35=3): RefSeqNum (45, when known), Text (58), and from FIX 4.2 on RefTagID (371),
 * RefMsgType (372) and SessionRejectReason (373).
 */
export function sendReject(
  s: SessionState,
  out: Out,
  nowMs: number,
  refSeq: number,
  refMsgType: string,
  info: RejectInfo,
): void {
  const seq = nextSeq(s);
  const enc = beginMessage(s, MsgType.Reject, seq, nowMs);
  if (refSeq > 0) enc.int(Tag.RefSeqNum, refSeq);
  enc.str(Tag.Text, info.text);
  if (s.fix42Plus) {
    if (info.refTagId !== undefined) enc.int(Tag.RefTagID, info.refTagId);
    if (refMsgType !== "") enc.str(Tag.RefMsgType, refMsgType);
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
): void {
  const seq = nextSeq(s);
  const enc = beginMessage(s, MsgType.BusinessMessageReject, seq, nowMs);
  if (refSeq > 0) enc.int(Tag.RefSeqNum, refSeq);
  enc.str(Tag.Text, text).str(Tag.RefMsgType, refMsgType).int(Tag.BusinessRejectReason, reason);
  emitSend(s, out, nowMs, seq, MsgType.BusinessMessageReject, enc.finishOwned(), true, "admin");
}

/** Sends a Logout (35=5), with a Text saying why when there is a reason. */
export function sendLogout(s: SessionState, out: Out, nowMs: number, text?: string): void {
  const seq = nextSeq(s);
  const enc = beginMessage(s, MsgType.Logout, seq, nowMs);
  if (text !== undefined && text !== "") enc.str(Tag.Text, text);
  emitSend(s, out, nowMs, seq, MsgType.Logout, enc.finishOwned(), true, "admin");
}

/**
 * Encodes a SequenceReset-GapFill (35=4) at MsgSeqNum `seq`: 43=Y, 122 (= SendingTime, for peers that
 * require OrigSendingTime on every possible duplicate), 36=newSeqNo, 123=Y.
 */
export function encodeGapFill(s: SessionState, seq: number, newSeqNo: number, nowMs: number): Uint8Array {
  const enc = beginMessage(s, MsgType.SequenceReset, seq, nowMs)
    .bool(Tag.PossDupFlag, true)
    .timestamp(Tag.OrigSendingTime, nowMs, s.config.timestampPrecision)
    .int(Tag.NewSeqNo, newSeqNo)
    .bool(Tag.GapFillFlag, true);
  return enc.finishOwned();
}

/** Encodes a SequenceReset-Reset (35=4, no GapFillFlag) moving the peer's expected number to `newSeqNo`. */
export function encodeSequenceReset(
  s: SessionState,
  seq: number,
  newSeqNo: number,
  nowMs: number,
): Uint8Array {
  return beginMessage(s, MsgType.SequenceReset, seq, nowMs).int(Tag.NewSeqNo, newSeqNo).finishOwned();
}

/**
 * Encodes an application message at MsgSeqNum `seq`: our header, then the header fields the
 * application gave (other than those the session writes), then the body in the order given, then the
 * trailer fields (93/89). A data field's length field is written for it when the caller left it out.
 */
export function encodeApp(s: SessionState, msg: FixMessage, seq: number, nowMs: number): Uint8Array {
  const enc = beginMessage(s, msg.msgType, seq, nowMs);
  // A builder's message writes its body fields straight into the encoder (they are body fields only).
  if (msg.writeBody !== undefined && msg.writeBody(enc)) return enc.finishOwned();
  const f = msg.fields;
  const own = s.ownHeaderTags;
  const n = f.length;
  let body = false;
  let trailer = false;
  let header = false;
  for (let i = 0; i < n; i++) {
    const k = tagKind(f[i]![0]);
    if (k === KIND_BODY) body = true;
    else if (k === KIND_HEADER) header = true;
    else if (k === KIND_TRAILER) trailer = true;
    else body = true;
  }
  if (header) {
    for (let i = 0; i < n; i++) {
      const tag = f[i]![0];
      if (tagKind(tag) === KIND_HEADER && !own.has(tag)) writeField(enc, f, tag, f[i]![1]);
    }
  }
  if (body) {
    for (let i = 0; i < n; i++) {
      const field = f[i]!;
      const k = tagKind(field[0]);
      if (k === KIND_BODY) {
        enc.field(field[0], field[1]);
      } else if (k === KIND_DATA) writeField(enc, f, field[0], field[1]);
    }
  }
  if (trailer) {
    for (let i = 0; i < n; i++) {
      const tag = f[i]![0];
      if (tag === 93 || tag === 89) writeField(enc, f, tag, f[i]![1]);
    }
  }
  return enc.finishOwned();
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

function tagKind(tag: number): number {
  return tag >= 0 && tag < TAG_KIND_LIMIT ? TAG_KINDS[tag]! : classifyTag(tag);
}

function writeField(enc: Encoder, fields: readonly Field[], tag: number, value: FieldValue): void {
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

/**
 * Encodes the resent copy of a stored message: same MsgType and MsgSeqNum, header rebuilt with a new
 * SendingTime, PossDupFlag=Y and OrigSendingTime = the original SendingTime; every other field of the
 * original (other header fields, body, trailer fields) copied byte for byte in its order.
 */
export function encodeResend(s: SessionState, view: MessageView, seq: number, nowMs: number): Uint8Array {
  const enc = beginMessage(s, view.msgType, seq, nowMs).bool(Tag.PossDupFlag, true);
  const oi = view.indexOf(Tag.SendingTime);
  if (oi >= 0) enc.bytes(Tag.OrigSendingTime, view.buf.subarray(view.valueStartAt(oi), view.valueEndAt(oi)));
  const own = s.ownHeaderTags;
  const buf = view.buf;
  // Copy runs of kept fields as raw bytes: "tag=value␁" starts digitCount(tag)+1 bytes before the value.
  let runStart = -1;
  let runEnd = -1;
  for (let i = 0; i < view.count; i++) {
    const tag = view.tagAt(i);
    const vs = view.valueStartAt(i);
    const ve = view.valueEndAt(i);
    if (tag <= 0 || own.has(tag)) continue;
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

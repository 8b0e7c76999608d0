/**
 * Which problem a rejected message is reported for: the one the QuickFIX family finds first (its
 * structure and required fields before its fields' values, then header, trailer and body fields each by
 * tag number). Runs only on messages validate_checks.ts has already found a problem in; the common path
 * never comes here.
 */
import type { MessageView } from "../codec/view.ts";
import { FormatClass } from "./formats.ts";
import { SessionRejectReason as R } from "./reject.ts";
import { O_NOT_IN_MSG, O_ORDER, O_REQUIRED, O_UNDEF, O_USER_DEF } from "./validate_options.ts";
import { BODY, type Bound, GROUP_MEMBER, HEADER, type MsgTables, TRAILER } from "./validate_tables.ts";
// A cycle with validate_checks.ts, by design: this file is the cold half of its checks. Nothing here runs
// while the modules load but the tables built from reject.ts's reasons.
import { fail, NO_TAG, rejectReason, rejectTag, setReject, value } from "./validate_checks.ts";

/** Reasons QuickFIX finds field by field (DataDictionary::iterate), in its order of the fields. */
const FIELD_REASONS = [
  R.InvalidTagNumber,
  R.TagNotDefinedForMessageType,
  R.TagSpecifiedWithoutValue,
  R.ValueIncorrect,
  R.IncorrectDataFormat,
  R.TagAppearsMoreThanOnce,
  R.IncorrectNumInGroupCount,
  R.NonDataValueIncludesFieldDelimiter,
];

/** A lookup by reason: 1 for each of reasons. */
function reasonTable(reasons: readonly number[]): Uint8Array {
  const t = new Uint8Array(256);
  for (const r of reasons) t[r] = 1;
  return t;
}

/** FIELD_REASONS as a lookup. */
const FIELD_PROBLEM: Uint8Array = reasonTable(FIELD_REASONS);

/**
 * Reasons the QuickFIX family finds only while it iterates a message's fields, after it has checked the
 * message's structure (its ValidateFieldsOutOfOrder) and its required fields: a message with one of
 * these and also a field out of order or a required field missing is rejected for the latter (FIX 4.0
 * and 4.1 definitions 14b and 14g: a NewOrderSingle without Symbol, or with its header after the body,
 * that also carries TransactTime, which those versions' NewOrderSingle does not define). A group's
 * problems too: QuickFIX checks a message's required fields before its groups' entries (a required
 * member missing, 373=1 on the member) and has no 373=15 (a group member outside its entries).
 * Every reason allFields reports but 373=14.
 */
export const FOUND_LATER: Uint8Array = reasonTable([
  ...FIELD_REASONS,
  R.RequiredTagMissing,
  R.RepeatingGroupFieldsOutOfOrder,
]);

/**
 * After allFields found a problem of FOUND_LATER: a problem the QuickFIX family looks for first, if the
 * message has one: a header field after the body or a body field after the trailer (373=14, the first
 * such field; group members move no boundary), then a required field missing (373=1, in the order of
 * the final check). Else the problem found stands. Runs on rejected messages only.
 */
export function earlierProblem(b: Bound, m: MsgTables, view: MessageView): false {
  const o = b.o;
  const f = view.fields;
  const n = view.count;
  if (o & O_ORDER) {
    const roles = m.roles;
    const maxTag = b.t.maxTag;
    let phase = 0; // 0 header, 1 body, 2 trailer
    for (let i = 0; i < n; i++) {
      const tag = f[i * 3]!;
      const role = tag > 0 && tag <= maxTag ? roles[tag]! : 0;
      if (role & HEADER) {
        if (phase !== 0) return fail(R.TagSpecifiedOutOfRequiredOrder, tag);
      } else if (role & TRAILER) {
        phase = 2;
      } else if ((role & BODY) !== 0 || (role & GROUP_MEMBER) === 0) {
        if (phase === 2) return fail(R.TagSpecifiedOutOfRequiredOrder, tag);
        phase = 1;
      }
    }
  }
  if (o & O_REQUIRED) {
    const req = m.required;
    for (let k = 0; k < req.length; k++) {
      if (view.indexOf(req[k]!) < 0) return fail(R.RequiredTagMissing, req[k]!);
    }
  }
  if (FIELD_PROBLEM[rejectReason()] === 1) firstFieldProblem(b, m, view);
  return false;
}

/** A remembered layout with a bad value: the one QuickFIX finds first, as the full check reports it. */
export function shapeInvalid(b: Bound, m: MsgTables, view: MessageView): false {
  if (FIELD_PROBLEM[rejectReason()] === 1) firstFieldProblem(b, m, view);
  return false;
}

/**
 * QuickFIX's own header and trailer tags (Message::isHeaderField, isTrailerField), whatever the
 * dictionary: 1 header, 2 trailer. A FIX 4.0 message's OnBehalfOfLocationID (144) is a header field there.
 */
const QUICKFIX_SECTION: Uint8Array = (() => {
  const t = new Uint8Array(1130);
  const header = [8, 9, 35, 49, 56, 115, 128, 90, 34, 50, 142, 57, 143, 116, 144, 129, 145, 43, 97, 52, 122];
  for (const tag of [...header, 212, 213, 347, 369, 370, 1128, 1129, 627]) t[tag] = 1;
  for (const tag of [93, 89, 10]) t[tag] = 2;
  return t;
})();

/** A field's place in QuickFIX's iteration: header fields, then trailer, then body, each by tag number. */
function quickfixKey(role: number, tag: number): number {
  const known = tag < QUICKFIX_SECTION.length ? QUICKFIX_SECTION[tag]! : 0;
  const section = (role & HEADER) !== 0 || known === 1 ? 0 : (role & TRAILER) !== 0 || known === 2 ? 1 : 2;
  return section * 0x80000000 + tag;
}

/**
 * The problem found stands unless a field QuickFIX looks at earlier has one of its own: QuickFIX checks
 * the header's fields, the trailer's, then the body's (not the fields inside a group's entries), each by
 * tag number; per field its value (373=4, 6, 5), then its tag (373=0, 2). Two bad values: the lower
 * tag. Runs on rejected messages only.
 */
function firstFieldProblem(b: Bound, m: MsgTables, view: MessageView): void {
  const t = b.t, o = b.o;
  const f = view.fields;
  const n = view.count;
  const roles = m.roles;
  const maxTag = t.maxTag;
  const buf = view.buf;
  let bestReason = rejectReason(), bestTag = rejectTag();
  let bestKey = bestTag === NO_TAG
    ? Infinity
    : quickfixKey(bestTag > 0 && bestTag <= maxTag ? roles[bestTag]! : 0, bestTag);
  for (let i = 0; i < n; i++) {
    const tag = f[i * 3]!;
    if (tag <= 0) continue;
    const role = tag <= maxTag ? roles[tag]! : 0;
    // A member of one of the message's groups is inside an entry (or out of place: 373=15, fixg's own).
    if ((role & (HEADER | BODY | TRAILER)) === 0 && (role & GROUP_MEMBER) !== 0) continue;
    const key = quickfixKey(role, tag);
    if (key >= bestKey) continue;
    let r = -1;
    if (!value(t, buf, f[i * 3 + 1]!, f[i * 3 + 2]!, tag, o)) {
      r = rejectReason();
    } else if (role === 0) {
      if (tag > maxTag || t.formats[tag] === FormatClass.Undefined) {
        if (o & (tag >= 5000 ? O_USER_DEF : O_UNDEF)) r = R.InvalidTagNumber;
      } else if (m.known && (o & O_NOT_IN_MSG)) {
        r = R.TagNotDefinedForMessageType;
      }
    }
    if (r >= 0) {
      bestKey = key;
      bestReason = r;
      bestTag = tag;
    }
  }
  setReject(bestReason, bestTag);
}

/**
 * The validator's checks over the compiled tables (see validate.ts for the list and their order): one
 * pass over a message's fields, groups walked as they come, and the remembered layout of the last
 * valid message per type. `check` returns the first problem as a RejectInfo. Which problem a rejected
 * message is reported for (QuickFIX's order) is in validate_order.ts, which runs only on messages found
 * wrong here.
 */
import { latin1String, parseUint } from "../codec/ascii.ts";
import { DATA_LENGTH_TAGS } from "../codec/tags.ts";
import type { MessageView } from "../codec/view.ts";
import { FormatClass, formatOk, isDecimal, isDigits, isUtcTimestamp } from "./formats.ts";
import { reject, type RejectInfo, SessionRejectReason as R } from "./reject.ts";
import {
  O_ENUM,
  O_FORMAT,
  O_GROUPS,
  O_HAS_VALUE,
  O_MSGTYPE,
  O_NOT_IN_MSG,
  O_ORDER,
  O_REPEAT,
  O_REQUIRED,
  O_UNDEF,
  O_USER_DEF,
} from "./validate_options.ts";
import {
  BODY,
  type Bound,
  codeFor,
  COUNT,
  type DictTables,
  ENUM_BYTE,
  ENUM_INT,
  ENUM_SET,
  type GroupTables,
  HEADER,
  MEMBER,
  messageTables,
  type MsgTables,
  msgTablesAt,
  msgTablesFor,
  NESTED_COUNT,
  nextStamp,
  OP_CHAR_ENUM,
  OP_GENERAL,
  OP_NONE,
  seenAt,
  type Shape,
  TRAILER,
} from "./validate_tables.ts";
import { earlierProblem, FOUND_LATER, shapeInvalid } from "./validate_order.ts";

export function check(b: Bound, view: MessageView): RejectInfo | undefined {
  rejTag = NO_TAG;
  return run(b, view) ? undefined : reject(rejReason, rejTag === NO_TAG ? undefined : rejTag);
}

/** The checks `value()` makes, with the common cases inline; `op` is the tag's opcode (not OP_NONE when s < e). */
function valueOk(
  t: DictTables,
  op: number,
  buf: Uint8Array,
  s: number,
  e: number,
  tag: number,
  o: number,
): boolean {
  if (s === e || op === OP_GENERAL) return value(t, buf, s, e, tag, o);
  let ok: boolean;
  switch (op) {
    case OP_CHAR_ENUM:
      if (e - s !== 1) return fail(R.IncorrectDataFormat, tag);
      return t.enumBits[t.enumBitsAt[tag]! + buf[s]!] === 1 || fail(R.ValueIncorrect, tag);
    case FormatClass.NonNegativeInt:
      ok = isDigits(buf, s, e);
      break;
    case FormatClass.Float:
      ok = isDecimal(buf, s, e);
      break;
    case FormatClass.UtcTimestamp:
      ok = isUtcTimestamp(buf, s, e);
      break;
    case FormatClass.Char:
      ok = e - s === 1;
      break;
    default:
      ok = formatOk(op, buf, s, e);
  }
  return ok || fail(R.IncorrectDataFormat, tag);
}

// ---- the checks ---------------------------------------------------------------------------------

let rejReason = 0;
/** rejTag when the Reject names no tag (a negative tag number is a RefTagID of its own: 371=-1). */
export const NO_TAG = -0x80000000;
let rejTag = NO_TAG;

/** Records a reject; `tag` -1 (or any negative) when no tag is at fault. Tag 0 is a tag (RefTagID 0). */
export function fail(reason: number, tag: number): false {
  rejReason = reason;
  rejTag = tag >= 0 ? tag : NO_TAG;
  return false;
}

/** A Reject without RefTagID (Invalid MsgType: the QuickFIX family names no tag, 2q). */
function failNoTag(reason: number): false {
  rejReason = reason;
  rejTag = NO_TAG;
  return false;
}

/** The reason of the problem found last (a SessionRejectReason), for validate_order.ts. */
export function rejectReason(): number {
  return rejReason;
}

/** The tag of the problem found last (NO_TAG when none is at fault), for validate_order.ts. */
export function rejectTag(): number {
  return rejTag;
}

/** Records a reject as found (validate_order.ts): `tag` as given (NO_TAG, or a negative tag number of its own: 371=-1). */
export function setReject(reason: number, tag: number): false {
  rejReason = reason;
  rejTag = tag;
  return false;
}

/**
 * The tag number written before '=' of a field the splitter could not read, when it is a negative
 * integer ("-1=HI"): the QuickFIX family answers "Invalid tag number" with 371=-1 (14a). Else NO_TAG.
 */
function negativeTagAt(view: MessageView, offset: number): number {
  const buf = view.buf;
  let p = view.start + offset;
  if (buf[p] !== 0x2d) return NO_TAG;
  let v = 0, digits = 0;
  for (p++; p < buf.length && buf[p]! >= 48 && buf[p]! <= 57 && digits < 9; p++, digits++) {
    v = v * 10 + buf[p]! - 48;
  }
  return digits > 0 && buf[p] === 0x3d ? -v : NO_TAG;
}

const FIRST_THREE = [8, 9, 35];

function run(b: Bound, view: MessageView): boolean {
  const t = b.t, o = b.o;
  const pe = view.parseError;
  if (pe !== undefined) {
    if (pe.kind === "data length mismatch") {
      const lenTag = DATA_LENGTH_TAGS.get(view.tagAt(pe.fieldIndex)) ?? -1;
      if (o & O_FORMAT) return fail(R.IncorrectDataFormat, lenTag);
    } else {
      rejReason = R.InvalidTagNumber;
      rejTag = negativeTagAt(view, pe.offset);
      return false;
    }
  }
  const f = view.fields;
  const n = view.count;
  const inOrder = n >= 3 && f[0] === 8 && f[3] === 9 && f[6] === 35;
  if ((o & O_ORDER) && !inOrder) {
    for (let k = 0; k < 3; k++) {
      const want = FIRST_THREE[k]!;
      if (k < n && f[k * 3] === want) continue;
      if (view.indexOf(want) >= 0) return fail(R.TagSpecifiedOutOfRequiredOrder, want);
      if (o & O_REQUIRED) return fail(R.RequiredTagMissing, want);
    }
  }
  const mi = inOrder ? 2 : view.indexOf(35);
  if (mi < 0) {
    if (o & O_REQUIRED) return fail(R.RequiredTagMissing, 35);
  } else if (view.valueEndAt(mi) === view.valueStartAt(mi) && (o & O_HAS_VALUE)) {
    return fail(R.TagSpecifiedWithoutValue, 35);
  }
  let m = mi < 0 ? msgTablesFor(t, "") : msgTablesAt(t, view.buf, f[mi * 3 + 1]!, f[mi * 3 + 2]!);
  if (m === undefined) {
    if (o & O_MSGTYPE) return failNoTag(R.InvalidMsgType);
    m = t.unknownMessage ??= messageTables(t, undefined);
  }
  return fields(b, m, view);
}

/** The fields of the message: by its remembered layout when it has one, else every check. */
function fields(b: Bound, m: MsgTables, view: MessageView): boolean {
  const shapes = b.shapes;
  const k = m.index;
  let shape = k < shapes.length ? shapes[k] : undefined;
  if (shape === undefined) {
    shape = {
      length: -1,
      tags: new Int32Array(0),
      ops: new Uint8Array(0),
      counts: new Int32Array(0),
      countsLength: 0,
    };
    // Grown with undefined, never with holes: a packed array reads faster.
    while (shapes.length <= k) shapes.push(undefined);
    shapes[k] = shape;
  } else if (shape.length === view.count) {
    const r = sameShape(b.t, shape, view, b.o);
    if (r !== SHAPE_DIFFERS) return r === SHAPE_VALID || shapeInvalid(b, m, view);
  }
  walkedLength = 0;
  deferredReason = -1;
  if (!allFields(b, m, view)) return FOUND_LATER[rejReason] === 1 ? earlierProblem(b, m, view) : false;
  keepShape(b, shape, view);
  return true;
}

/**
 * The first problem with a value inside a group's entries, held back (-1: none) until the group's
 * entries are counted: an entry count that differs from NumInGroup wins (fix50sp1 definition 14i:
 * NoTradingSessions 3 with two entries whose TradingSessionID is not in FIX 5.0 SP1's enum). Required
 * members, repeated members and the groups' own structure are not held back.
 */
let deferredReason = -1;
let deferredTag = NO_TAG;

const SHAPE_DIFFERS = -1, SHAPE_INVALID = 0, SHAPE_VALID = 1;

/** Field indexes of the NumInGroup fields walkGroup walked in this message (shape bookkeeping). */
let walked = new Int32Array(16);
let walkedLength = 0;

/**
 * A message with the layout of `shape`: only its values are checked, in wire order as allFields
 * would (so the first problem is the same one). SHAPE_DIFFERS when the layout is not the same. One
 * pass: each field's tag compared, then its value checked; after a wrong value, the rest of the layout
 * still decides between SHAPE_INVALID and SHAPE_DIFFERS.
 */
function sameShape(t: DictTables, shape: Shape, view: MessageView, o: number): number {
  const f = view.fields;
  const tags = shape.tags;
  const n = shape.length;
  const buf = view.buf;
  // The group counts first: their indexes are the shape's, below `n` (the caller checked the count).
  const counts = shape.counts;
  for (let k = 0; k < shape.countsLength; k += 2) {
    const i3 = counts[k]! * 3;
    if (parseUint(buf, f[i3 + 1]!, f[i3 + 2]!) !== counts[k + 1]) return SHAPE_DIFFERS;
  }
  const ops = shape.ops;
  let i = 0, i3 = 0;
  for (; i < n; i++, i3 += 3) {
    const tag = tags[i]!;
    if (f[i3] !== tag) return SHAPE_DIFFERS;
    const op = ops[i]!;
    const vs = f[i3 + 1]!, ve = f[i3 + 2]!;
    if ((vs === ve || op !== OP_NONE) && !valueOk(t, op, buf, vs, ve, tag, o)) break;
  }
  if (i === n) return SHAPE_VALID;
  for (i++, i3 += 3; i < n; i++, i3 += 3) {
    if (f[i3] !== tags[i]) {
      // Not this layout: the full check decides, from the state check() left.
      rejTag = NO_TAG;
      return SHAPE_DIFFERS;
    }
  }
  return SHAPE_INVALID;
}

/** Remembers the layout of a valid message; a layout with tags outside the dictionary is not kept. */
function keepShape(b: Bound, shape: Shape, view: MessageView): void {
  const t = b.t;
  const f = view.fields;
  const n = view.count;
  const ops = b.ops;
  shape.length = -1;
  if (shape.tags.length < n) {
    shape.tags = new Int32Array(n);
    shape.ops = new Uint8Array(n);
  }
  for (let i = 0; i < n; i++) {
    const tag = f[i * 3]!;
    // Undefined tags skip even the empty-value check in allFields: not worth a special opcode.
    if (tag > t.maxTag || t.formats[tag] === FormatClass.Undefined) return;
    shape.tags[i] = tag;
    shape.ops[i] = ops[tag]!;
  }
  if (shape.counts.length < walkedLength * 2) shape.counts = new Int32Array(walkedLength * 2);
  for (let k = 0; k < walkedLength; k++) {
    const ci = walked[k]!;
    const count = parseUint(view.buf, f[ci * 3 + 1]!, f[ci * 3 + 2]!);
    // A malformed count was trusted (format checks off): its entries decided, so no shape.
    if (count < 0) return;
    shape.counts[k * 2] = ci;
    shape.counts[k * 2 + 1] = count;
  }
  shape.countsLength = walkedLength * 2;
  shape.length = n;
}

/** One pass over the message's fields (groups walked as they come), then the required fields. */
function allFields(b: Bound, m: MsgTables, view: MessageView): boolean {
  const t = b.t, o = b.o;
  const f = view.fields;
  const end3 = view.count * 3;
  const maxTag = t.maxTag;
  const code = codeFor(b, m);
  const buf = view.buf;
  const seen = t.seen[0]!;
  const stamp = nextStamp(t);
  let phase = 0; // 0 header, 1 body, 2 trailer
  let requiredSeen = 0;
  let i3 = 0;
  while (i3 < end3) {
    const tag = f[i3]!;
    if (tag <= 0) return fail(R.InvalidTagNumber, tag);
    const c = tag <= maxTag ? code[tag]! : 0;
    const role = c & 0xff;
    if (role === 0) {
      if (tag > maxTag || t.formats[tag] === FormatClass.Undefined) {
        if (o & (tag >= 5000 ? O_USER_DEF : O_UNDEF)) return fail(R.InvalidTagNumber, tag);
        i3 += 3;
        continue;
      }
      if (m.known && (o & O_NOT_IN_MSG)) return fail(R.TagNotDefinedForMessageType, tag);
      if (!value(t, buf, f[i3 + 1]!, f[i3 + 2]!, tag, o)) return false;
      i3 += 3;
      continue;
    }
    if (seen[tag] !== stamp) {
      seen[tag] = stamp;
      requiredSeen += role >>> 5;
    } else if ((o & O_REPEAT) && ((role & (HEADER | BODY | TRAILER)) !== 0 || (o & O_GROUPS))) {
      // A loose group member repeated is reported as out of its group below, unless groups are unchecked.
      return fail(R.TagAppearsMoreThanOnce, tag);
    }
    if ((role & HEADER) !== 0 && phase === 0) {
      // header field in the header
    } else if (role & BODY) {
      if (phase === 2 && (o & O_ORDER)) return fail(R.TagSpecifiedOutOfRequiredOrder, tag);
      if (phase === 0) phase = 1;
    } else if (role & TRAILER) {
      phase = 2;
      if (tag === 10 && i3 !== end3 - 3 && (o & O_ORDER)) return fail(R.TagSpecifiedOutOfRequiredOrder, 10);
    } else if (role & HEADER) {
      if (o & O_ORDER) return fail(R.TagSpecifiedOutOfRequiredOrder, tag);
    } else if (o & O_GROUPS) {
      // A member of one of this message's repeating groups, outside its group.
      return fail(R.RepeatingGroupFieldsOutOfOrder, tag);
    }
    const vs = f[i3 + 1]!, ve = f[i3 + 2]!;
    const op = c >>> 8;
    if ((vs === ve || op !== OP_NONE) && !valueOk(t, op, buf, vs, ve, tag, o)) return false;
    if ((role & COUNT) !== 0 && (o & O_GROUPS) !== 0) {
      const j = walkGroup(b, m.groups.get(tag)!, view, i3 / 3, 1);
      if (j < 0) return false;
      if (deferredReason >= 0) {
        rejReason = deferredReason;
        rejTag = deferredTag;
        return false;
      }
      i3 = j * 3;
    } else {
      i3 += 3;
    }
  }
  if ((o & O_REQUIRED) && requiredSeen !== m.requiredCount) {
    const req = m.required;
    for (let k = 0; k < req.length; k++) {
      if (seen[req[k]!] !== stamp) return fail(R.RequiredTagMissing, req[k]!);
    }
  }
  return true;
}

/**
 * Walks the entries of the group whose NumInGroup field is at index `ci`; `depth` is the depth of
 * its entries. Returns the index after the group, or -1 after recording a reject.
 */
function walkGroup(b: Bound, g: GroupTables, view: MessageView, ci: number, depth: number): number {
  const t = b.t, o = b.o;
  const f = view.fields;
  const n = view.count;
  const maxTag = t.maxTag;
  const countTag = g.countTag;
  const delim = g.delimiterTag;
  const roles = g.roles;
  const ops = b.ops;
  const buf = view.buf;
  if (walkedLength === walked.length) {
    const grown = new Int32Array(walked.length * 2);
    grown.set(walked);
    walked = grown;
  }
  walked[walkedLength++] = ci;
  // A malformed count passed the format check only when that check is off: then trust the entries.
  const count = parseUint(view.buf, f[ci * 3 + 1]!, f[ci * 3 + 2]!);
  if (count < 0 && (o & O_FORMAT) !== 0 && f[ci * 3 + 2]! > f[ci * 3 + 1]!) {
    fail(R.IncorrectDataFormat, countTag);
    return -1;
  }
  const seen = seenAt(t, depth);
  let j = ci + 1;
  let entries = 0;
  while (j < n && f[j * 3] === delim) {
    entries++;
    const stamp = nextStamp(t);
    const entryStart = j;
    let requiredSeen = 0;
    while (j < n) {
      const tag = f[j * 3]!;
      if (j > entryStart && tag === delim) break;
      const r = tag > 0 && tag <= maxTag ? roles[tag]! : 0;
      if (r === 0) break;
      if (seen[tag] !== stamp) {
        seen[tag] = stamp;
        requiredSeen += r >>> 2;
      } else if (o & O_REPEAT) {
        fail(R.TagAppearsMoreThanOnce, tag);
        return -1;
      }
      const vs = f[j * 3 + 1]!, ve = f[j * 3 + 2]!;
      const op = ops[tag]!;
      if ((vs === ve || op !== OP_NONE) && !valueOk(t, op, buf, vs, ve, tag, o) && deferredReason < 0) {
        deferredReason = rejReason;
        deferredTag = rejTag;
      }
      if ((r & (MEMBER | NESTED_COUNT)) === NESTED_COUNT) {
        j = walkGroup(b, g.nested.get(tag)!, view, j, depth + 1);
        if (j < 0) return -1;
      } else {
        j++;
      }
    }
    if ((o & O_REQUIRED) && requiredSeen !== g.requiredCount) {
      const req = g.required;
      for (let k = 0; k < req.length; k++) {
        if (seen[req[k]!] !== stamp) {
          fail(R.RequiredTagMissing, req[k]!);
          return -1;
        }
      }
    }
  }
  if (entries === 0 && count > 0 && j < n) {
    const tag = f[j * 3]!;
    if (tag > 0 && tag <= maxTag && roles[tag] !== 0) {
      fail(R.RepeatingGroupFieldsOutOfOrder, tag);
      return -1;
    }
  }
  if (count >= 0 && entries !== count) {
    fail(R.IncorrectNumInGroupCount, countTag);
    return -1;
  }
  return j;
}

/**
 * Value checks of a field whose value is `buf[s, e)`: empty (4), format (6), SOH in non-data (17),
 * enum (5). The commonest formats are checked inline: a call per field is a measurable share here.
 */
export function value(t: DictTables, buf: Uint8Array, s: number, e: number, tag: number, o: number): boolean {
  if (s === e) return (o & O_HAS_VALUE) ? fail(R.TagSpecifiedWithoutValue, tag) : true;
  const todo = t.checks[tag]! & o;
  if (todo & O_FORMAT) {
    const cls = t.formats[tag]!;
    if (cls === 5 /* Char */) {
      if (e - s !== 1) return fail(R.IncorrectDataFormat, tag);
    } else if (cls === 3 /* NonNegativeInt */) {
      for (let p = s; p < e; p++) if ((buf[p]! - 48) >>> 0 > 9) return fail(R.IncorrectDataFormat, tag);
    } else if (!formatOk(cls, buf, s, e)) {
      return fail(R.IncorrectDataFormat, tag);
    }
    if (t.sohRisk[tag] === 1) {
      const p = buf.indexOf(1, s);
      if (p !== -1 && p < e) return fail(R.NonDataValueIncludesFieldDelimiter, tag);
    }
  }
  if (todo & O_ENUM) {
    const kind = t.enumKind[tag]!;
    if (kind === ENUM_BYTE) {
      if (e - s !== 1 || t.enumBytes[tag]![buf[s]!] !== 1) return fail(R.ValueIncorrect, tag);
    } else if (kind === ENUM_INT) {
      if (!intInEnum(t.enumBytes[tag]!, buf, s, e)) return fail(R.ValueIncorrect, tag);
    } else if (kind === ENUM_SET) {
      if (!t.enumSets[tag]!.has(latin1String(buf, s, e))) return fail(R.ValueIncorrect, tag);
    } else {
      const set = t.enumSets[tag]!;
      for (const token of latin1String(buf, s, e).split(" ")) {
        if (token !== "" && !set.has(token)) return fail(R.ValueIncorrect, tag);
      }
    }
  }
  return true;
}

/** True when `buf[s, e)` is a canonical integer (no sign, no leading zero) whose bit is set. */
function intInEnum(bits: Uint8Array, buf: Uint8Array, s: number, e: number): boolean {
  if (e - s > 4 || (buf[s] === 48 && e - s > 1)) return false;
  let n = 0;
  for (let p = s; p < e; p++) {
    const d = buf[p]! - 48;
    if (d < 0 || d > 9) return false;
    n = n * 10 + d;
  }
  return n < bits.length && bits[n] === 1;
}

/**
 * The validator's compiled tables (see validate.ts): per dictionary, a format class and enum table per
 * tag and, per message type, a role byte per tag merged with the value-check opcode for a set of
 * option flags; the "seen" stamps that find repeated tags. Compiled once per dictionary and shared.
 */
import { latin1String } from "../codec/ascii.ts";
import { DATA_LENGTH_TAGS } from "../codec/tags.ts";
import { combineDictionaries } from "./loader.ts";
import { FormatClass, formatClassOf } from "./formats.ts";
import type { Dictionary, GroupDef, MessageDef } from "./model.ts";
import { O_ENUM, O_FORMAT } from "./validate_options.ts";

// ---- compiled tables ----------------------------------------------------------------------------

/** Roles of a tag in a message; REQUIRED (the top bit) is also a count: `role >>> 5` is 0 or 1. */
export const HEADER = 1, BODY = 2, TRAILER = 4, GROUP_MEMBER = 8, COUNT = 16, REQUIRED = 32;
/** Roles of a tag in a group entry; REQUIRED_MEMBER (the top bit) is also a count: `role >>> 2`. */
export const MEMBER = 1, NESTED_COUNT = 2, REQUIRED_MEMBER = 4;
/**
 * Value-check opcodes per tag for one set of option flags: 0 nothing to check, 1-15 the format
 * class alone, then a CHAR with a one-byte enum, and anything else through `value()`.
 */
export const OP_NONE = 0, OP_CHAR_ENUM = 20, OP_GENERAL = 255;
/** Enum kinds (0: no enum). */
export const ENUM_BYTE = 1, ENUM_SET = 2, ENUM_MULTI = 3, ENUM_INT = 4;
/** Largest value an integer enum may have to be checked through a bitmap (no string made). */
const MAX_INT_ENUM = 4096;

export interface GroupTables {
  countTag: number;
  delimiterTag: number;
  roles: Uint8Array;
  nested: Map<number, GroupTables>;
  required: Int32Array;
  /** Distinct required tags marked REQUIRED_MEMBER in `roles`; -1 when some cannot be (check them one by one). */
  requiredCount: number;
}

export interface MsgTables {
  known: boolean;
  roles: Uint8Array;
  groups: Map<number, GroupTables>;
  required: Int32Array;
  /** Distinct required tags marked REQUIRED in `roles`; -1 when some cannot be (check them one by one). */
  requiredCount: number;
  /** Position among the dictionary's MsgTables: where a Bound keeps this type's opcodes and layout. */
  index: number;
}

/**
 * The layout of a message found valid: its tags in order, the opcode of each, and the count of each
 * repeating group walked. Every structural check (order, repeats, groups, required fields) depends
 * only on the tags and those counts, so a message with the same layout needs only its value checks.
 * Counterparties send one message type with the same layout again and again.
 */
export interface Shape {
  /** -1 until a layout is kept. */
  length: number;
  tags: Int32Array;
  ops: Uint8Array;
  /** Pairs: field index of a NumInGroup field, its value. */
  counts: Int32Array;
  countsLength: number;
}

export interface DictTables {
  dict: Dictionary;
  maxTag: number;
  formats: Uint8Array;
  /** Tags the view reads as data (extent from a length field) that the dictionary does not type as data. */
  sohRisk: Uint8Array;
  enumKind: Uint8Array;
  /** Per tag, the option flags (O_FORMAT, O_ENUM) of the value checks that apply to it. */
  checks: Uint16Array;
  enumBytes: Array<Uint8Array | undefined>;
  enumSets: Array<ReadonlySet<string> | undefined>;
  /** Per tag with a one-byte enum, where its 256 allowed-byte flags start in `enumBits`. */
  enumBitsAt: Int32Array;
  enumBits: Uint8Array;
  /** Value-check opcodes per tag, by option flags (derived data: every set seen is kept). */
  opsByFlags: Map<number, Uint8Array>;
  /** Per option flags, role | opcode << 8 per tag of each message type (by MsgTables.index). */
  codesByFlags: Map<number, Array<Uint16Array | undefined>>;
  /** The Bound the one-off `validate()` uses, by option flags (its layouts shared by its callers). */
  shared: Map<number, Bound>;
  messages: Map<string, MsgTables>;
  messageCount: number;
  /** One-character MsgTypes by byte (null: not in the dictionary): no string made per message. */
  messagesByByte: Array<MsgTables | null | undefined>;
  unknownMessage: MsgTables | undefined;
  groups: Map<GroupDef, GroupTables>;
  /**
   * Seen stamps per depth (0 = message level, 1 = entries of top-level groups, ...): scratch space of
   * one validation at a time (validation is synchronous), a new stamp per message or group entry.
   */
  seen: Uint32Array[];
  stamp: number;
}

/**
 * A dictionary's tables bound to one set of option flags: what a validation run reads. `ops` and `codes`
 * are shared by every Bound of those tables and flags; `shapes` (layouts of valid messages, by
 * MsgTables.index) belong to one Validator.
 */
export interface Bound {
  t: DictTables;
  o: number;
  ops: Uint8Array;
  codes: Array<Uint16Array | undefined>;
  shapes: Array<Shape | undefined>;
}

/** Compiled tables by dictionary: derived from the (read-only) dictionary alone, so shared. */
const tableCache = new WeakMap<Dictionary, DictTables>();

export function tablesOf(dict: Dictionary): DictTables {
  let t = tableCache.get(dict);
  if (t === undefined) {
    t = compile(dict);
    tableCache.set(dict, t);
  }
  return t;
}

/** Tables bound to option flags `o`; `shapes` undefined: the layouts the one-off validate() shares. */
export function boundOf(t: DictTables, o: number, shapes: Array<Shape | undefined> | undefined): Bound {
  if (shapes === undefined) {
    let b = t.shared.get(o);
    if (b === undefined) t.shared.set(o, b = boundOf(t, o, []));
    return b;
  }
  let codes = t.codesByFlags.get(o);
  if (codes === undefined) t.codesByFlags.set(o, codes = []);
  return { t, o, ops: opsFor(t, o), codes, shapes };
}

const combinedCache = new WeakMap<Dictionary, WeakMap<Dictionary, Dictionary>>();

export function combined(transport: Dictionary, app: Dictionary): Dictionary {
  let byApp = combinedCache.get(transport);
  if (byApp === undefined) combinedCache.set(transport, byApp = new WeakMap());
  let d = byApp.get(app);
  if (d === undefined) byApp.set(app, d = combineDictionaries(transport, app));
  return d;
}

function compile(dict: Dictionary): DictTables {
  let maxTag = 0;
  for (const tag of dict.fieldsByTag.keys()) if (tag > maxTag) maxTag = tag;
  const size = maxTag + 1;
  const formats = new Uint8Array(size);
  const sohRisk = new Uint8Array(size);
  const enumKind = new Uint8Array(size);
  const checks = new Uint16Array(size);
  const enumBytes: Array<Uint8Array | undefined> = new Array(size).fill(undefined);
  const enumSets: Array<ReadonlySet<string> | undefined> = new Array(size).fill(undefined);
  const app = dict.parts?.app;
  for (const f of dict.fieldsByTag.values()) {
    const version = app !== undefined && app.fieldsByTag.get(f.tag) === f ? app : dict;
    let cls = formatClassOf(f.type, version.major, version.minor);
    // Some shipped dictionaries list multi-character enums for CHAR fields (FIX 4.4 MiscFeeType
    // "11", "12"): the enum is the authority then, so the value is checked as a string.
    if (cls === FormatClass.Char && [...f.enums.keys()].some((v) => v.length !== 1)) cls = FormatClass.String;
    // BeginString and CheckSum: the framer checks both.
    if (f.tag === 8 || f.tag === 10) cls = FormatClass.String;
    // ExecInst before FIX 4.2 is CHAR, yet "can contain multiple instructions separated by space"
    // (FIX 4.0 and 4.1): space-separated values, as MULTIPLEVALUESTRING says it from FIX 4.2 on.
    if (f.tag === 18 && f.type === "CHAR" && version.major === 4 && version.minor < 2) {
      cls = FormatClass.MultipleValue;
    }
    formats[f.tag] = cls;
    if (cls !== FormatClass.Data && DATA_LENGTH_TAGS.has(f.tag)) sohRisk[f.tag] = 1;
    const freeText = cls === FormatClass.String || cls === FormatClass.Data ||
      cls === FormatClass.MultipleValue;
    if (!freeText || sohRisk[f.tag] === 1) checks[f.tag] = O_FORMAT;
    // MsgType's enum lists the message types: unknown ones are 373=11, checked separately.
    if (f.enums.size === 0 || f.tag === 35) continue;
    const values = [...f.enums.keys()];
    checks[f.tag] = checks[f.tag]! | O_ENUM;
    if (cls === FormatClass.MultipleValue) {
      // Tokens are space-separated, so a value listed with a stray space (FIX 5.0 SP2 QuoteCondition
      // "f ") is matched trimmed.
      enumKind[f.tag] = ENUM_MULTI;
      enumSets[f.tag] = new Set(values.map((v) => v.trim()));
    } else if (values.every((v) => v.length === 1 && v.charCodeAt(0) < 256)) {
      const bits = new Uint8Array(256);
      for (const v of values) bits[v.charCodeAt(0)] = 1;
      enumKind[f.tag] = ENUM_BYTE;
      enumBytes[f.tag] = bits;
    } else if (values.every((v) => /^(0|[1-9]\d{0,3})$/.test(v) && Number(v) <= MAX_INT_ENUM)) {
      // Integer enums (PartyRole, SessionRejectReason): a bitmap over the numbers, read digit by digit.
      const bits = new Uint8Array(Math.max(...values.map(Number)) + 1);
      for (const v of values) bits[Number(v)] = 1;
      enumKind[f.tag] = ENUM_INT;
      enumBytes[f.tag] = bits;
    } else {
      enumKind[f.tag] = ENUM_SET;
      enumSets[f.tag] = new Set(values);
    }
  }
  const byteEnumTags = [...enumKind.keys()].filter((tag) => enumKind[tag] === ENUM_BYTE);
  const enumBitsAt = new Int32Array(size);
  const enumBits = new Uint8Array(byteEnumTags.length * 256);
  byteEnumTags.forEach((tag, k) => {
    enumBitsAt[tag] = k * 256;
    enumBits.set(enumBytes[tag]!, k * 256);
  });
  return {
    dict,
    maxTag,
    formats,
    sohRisk,
    enumKind,
    checks,
    enumBytes,
    enumSets,
    enumBitsAt,
    enumBits,
    opsByFlags: new Map(),
    codesByFlags: new Map(),
    shared: new Map(),
    messages: new Map(),
    messageCount: 0,
    messagesByByte: new Array(256).fill(undefined),
    unknownMessage: undefined,
    groups: new Map(),
    seen: [new Uint32Array(size)],
    stamp: 0,
  };
}

function groupTables(t: DictTables, g: GroupDef): GroupTables {
  let gt = t.groups.get(g);
  if (gt !== undefined) return gt;
  const roles = new Uint8Array(t.maxTag + 1);
  const nested = new Map<number, GroupTables>();
  for (const m of g.members) {
    if (m.kind === "field") {
      if (m.tag <= t.maxTag) roles[m.tag] = MEMBER;
    } else {
      if (m.group.countTag <= t.maxTag) roles[m.group.countTag] = NESTED_COUNT;
      nested.set(m.group.countTag, groupTables(t, m.group));
    }
  }
  const required = Int32Array.from(g.requiredTags);
  let requiredCount = 0;
  for (const r of g.requiredTags) {
    if (r > t.maxTag || roles[r] === 0) {
      requiredCount = -1;
      break;
    }
    roles[r] = roles[r]! | REQUIRED_MEMBER;
    requiredCount++;
  }
  gt = { countTag: g.countTag, delimiterTag: g.delimiterTag, roles, nested, required, requiredCount };
  t.groups.set(g, gt);
  return gt;
}

export function messageTables(t: DictTables, def: MessageDef | undefined): MsgTables {
  const dict = t.dict;
  const roles = new Uint8Array(t.maxTag + 1);
  const groups = new Map<number, GroupTables>();
  const required: number[] = [];
  const add = (m: MessageDef, role: number): void => {
    for (const member of m.members) {
      const tag = member.kind === "field" ? member.tag : member.group.countTag;
      if (tag > t.maxTag) continue;
      roles[tag] = roles[tag]! | role;
      if (member.kind === "group") {
        roles[tag] = roles[tag]! | COUNT;
        const gt = groupTables(t, member.group);
        groups.set(tag, gt);
        for (const inner of member.group.allTags) {
          if (inner <= t.maxTag) roles[inner] = roles[inner]! | GROUP_MEMBER;
        }
      }
    }
    // A message's required fields by tag number, as QuickFIX checks them (a std::set<int>): with two
    // missing, the lower tag is reported. The header's stay in dictionary order.
    const tags = m === dict.header ? m.requiredTags : [...m.requiredTags].sort((a, b) => a - b);
    for (const r of tags) required.push(r);
  };
  add(dict.header, HEADER);
  if (def !== undefined) add(def, BODY);
  add(dict.trailer, TRAILER);
  let requiredCount = 0;
  for (const r of new Set(required)) {
    if (r > t.maxTag || roles[r] === 0) {
      requiredCount = -1;
      break;
    }
    roles[r] = roles[r]! | REQUIRED;
    requiredCount++;
  }
  return {
    known: def !== undefined,
    roles,
    groups,
    required: Int32Array.from(required),
    requiredCount,
    index: t.messageCount++,
  };
}

export function msgTablesFor(t: DictTables, msgType: string): MsgTables | undefined {
  let m = t.messages.get(msgType);
  if (m !== undefined) return m;
  const def = t.dict.messagesByType.get(msgType);
  if (def === undefined) return undefined;
  m = messageTables(t, def);
  t.messages.set(msgType, m);
  return m;
}

/** MsgTables of the MsgType in `buf[s, e)`, without making a string for one-character types. */
export function msgTablesAt(t: DictTables, buf: Uint8Array, s: number, e: number): MsgTables | undefined {
  if (e - s !== 1) return msgTablesFor(t, latin1String(buf, s, e));
  const b = buf[s]!;
  let m = t.messagesByByte[b];
  if (m === undefined) t.messagesByByte[b] = m = msgTablesFor(t, String.fromCharCode(b)) ?? null;
  return m ?? undefined;
}

/** The message's role | opcode << 8 per tag for the Bound's option flags. */
export function codeFor(b: Bound, m: MsgTables): Uint16Array {
  const codes = b.codes;
  const k = m.index;
  const c = k < codes.length ? codes[k] : undefined;
  if (c !== undefined) return c;
  const ops = b.ops;
  const code = new Uint16Array(ops.length);
  for (let tag = 0; tag < code.length; tag++) code[tag] = m.roles[tag]! | (ops[tag]! << 8);
  // Grown with undefined, never with holes: a packed array reads faster.
  while (codes.length <= k) codes.push(undefined);
  codes[k] = code;
  return code;
}

/** The value-check opcode per tag for option flags `o` (see OP_NONE). */
function opsFor(t: DictTables, o: number): Uint8Array {
  let ops = t.opsByFlags.get(o);
  if (ops === undefined) {
    ops = new Uint8Array(t.maxTag + 1);
    for (let tag = 0; tag <= t.maxTag; tag++) {
      const todo = t.checks[tag]! & o;
      if (todo === 0) continue;
      const cls = t.formats[tag]!;
      if ((todo & O_FORMAT) !== 0 && t.sohRisk[tag] === 1) ops[tag] = OP_GENERAL;
      else if ((todo & O_ENUM) === 0) ops[tag] = cls;
      else if ((todo & O_FORMAT) !== 0 && cls === FormatClass.Char && t.enumKind[tag] === ENUM_BYTE) {
        ops[tag] = OP_CHAR_ENUM;
      } else ops[tag] = OP_GENERAL;
    }
    t.opsByFlags.set(o, ops);
  }
  return ops;
}

export function nextStamp(t: DictTables): number {
  if (t.stamp === 0xffffffff) {
    for (const s of t.seen) s.fill(0);
    t.stamp = 0;
  }
  return ++t.stamp;
}

export function seenAt(t: DictTables, depth: number): Uint32Array {
  let s = t.seen[depth];
  if (s === undefined) {
    for (let d = t.seen.length; d <= depth; d++) t.seen.push(new Uint32Array(t.maxTag + 1));
    s = t.seen[depth]!;
  }
  return s;
}

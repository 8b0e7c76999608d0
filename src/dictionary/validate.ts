/**
 * Dictionary validation of an inbound message: returns nothing or the Reject to send.
 *
 * Speed matters here (it runs on every inbound message), so the dictionary is compiled once into
 * flat tables indexed by tag: a format class and enum table per field, and per message type a role
 * byte per tag (header, body, trailer, group member, NumInGroup, required) merged with the tag's
 * value-check opcode for the options in force. Repeated tags are found with "seen" stamps (an array
 * per group depth, a new stamp per message or group entry), so a message is validated in one pass
 * over the view's fields with no allocation on the valid path. Each message type also remembers the
 * layout (tags and group counts) of its last valid message: a message with the same layout skips the
 * structural checks, which depend on nothing else, and only has its values checked.
 *
 * Checks, in the order they are made (the first problem wins):
 *  1. the view could not split a field (373=0 Invalid tag number; a data field whose length field
 *     is wrong: 373=6 on the length field)
 *  2. 8, 9, 35 are not the first three fields (373=14, or 373=1 when one is missing)
 *  3. MsgType empty (373=4) or unknown (373=11, RefTagID 35)
 *  4. each field in wire order: tag <= 0 (373=0); not in the dictionary (373=0, as the FIX session
 *     test case 14a expects); tag appears more than once (373=13); header after body, body after
 *     trailer, CheckSum not last (373=14); tag of a repeating group outside its group (373=15);
 *     defined but not for this message (373=2); empty value (373=4); bad format (373=6); SOH in a
 *     non-data value (373=17); value not in the enum (373=5); then, for a NumInGroup field, its
 *     entries: delimiter not first (373=15), member repeated within an entry (373=13), required
 *     member missing (373=1), entry count differs from NumInGroup (373=16)
 *  5. required fields missing: header, body, trailer (373=1, RefTagID the missing tag)
 *
 * A session validates through a `Validator`: one object per session, built from its dictionary (FIXT:
 * the transport dictionary and an application dictionary per ApplVerID) and its validation options,
 * both fixed for the object's life; a new configuration means a new Validator. What depends only on a
 * dictionary (the compiled tables) or on a dictionary and a set of option flags (the per-tag opcodes)
 * is compiled once and shared by every validator that uses it; what a validator learns from the
 * messages it sees (the layouts, FIXT's DefaultApplVerID) is its own.
 */
import { latin1String, parseUint } from "../codec/ascii.ts";
import { DATA_LENGTH_TAGS } from "../codec/tags.ts";
import type { MessageView } from "../codec/view.ts";
import { ADMIN_MSG_TYPES } from "../codec/tags.ts";
import { APPL_VER_ID_TO_VERSION, builtinDictionary, combineDictionaries } from "./loader.ts";
import { FormatClass, formatClassOf, formatOk, isDecimal, isDigits, isUtcTimestamp } from "./formats.ts";
import type { Dictionary, GroupDef, MessageDef } from "./model.ts";
import { reject, type RejectInfo, SessionRejectReason as R } from "./reject.ts";

/** Validation switches, one by one, as venues need them (QuickFIX names in brackets). */
export interface ValidationOptions {
  /** Reject tags not in the dictionary at all (373=0, "Invalid tag number") [!AllowUnknownMsgFields]. */
  rejectUndefinedTags: boolean;
  /** Reject tags defined in the dictionary but not for this message (373=2) [!AllowUnknownMsgFields]. */
  rejectTagsNotInMessage: boolean;
  /** Also reject user-defined tags (5000 and above) not in the dictionary [ValidateUserDefinedFields]. */
  validateUserDefinedFields: boolean;
  /** Reject missing required fields (373=1). */
  checkRequiredFields: boolean;
  /** Reject empty values (373=4) [ValidateFieldsHaveValues]; when off, empty values are not checked further. */
  checkFieldsHaveValues: boolean;
  /** Reject enum values not in the dictionary (373=5). */
  checkEnumValues: boolean;
  /** Reject values of the wrong format (373=6) and SOH in non-data values (373=17). */
  checkDataFormat: boolean;
  /** Reject header/body/trailer fields out of order, 8/9/35 not first, 10 not last (373=14) [ValidateFieldsOutOfOrder]. */
  checkFieldOrder: boolean;
  /** Reject repeated tags (373=13). */
  checkRepeatedTags: boolean;
  /** Check repeating groups: NumInGroup counts (373=16), delimiter first and members inside their group (373=15), required members. */
  checkGroups: boolean;
  /** Reject MsgTypes the dictionary does not know (373=11). */
  checkMsgType: boolean;
}

/** Every check on: what the FIX session test cases expect. */
export const STRICT_VALIDATION: ValidationOptions = {
  rejectUndefinedTags: true,
  rejectTagsNotInMessage: true,
  validateUserDefinedFields: false,
  checkRequiredFields: true,
  checkFieldsHaveValues: true,
  checkEnumValues: true,
  checkDataFormat: true,
  checkFieldOrder: true,
  checkRepeatedTags: true,
  checkGroups: true,
  checkMsgType: true,
};

/** STRICT_VALIDATION with some switches changed (e.g. a session's `validation` setting). */
export function validationOptions(overrides: Partial<ValidationOptions> = {}): ValidationOptions {
  return { ...STRICT_VALIDATION, ...overrides };
}

/** True when the dictionary knows `msgType`. */
export function msgTypeKnown(dict: Dictionary, msgType: string): boolean {
  return dict.messagesByType.has(msgType);
}

/** True for session-level messages: msgcat='admin' in the dictionary, else the standard admin types. */
export function isAdminMsgType(dict: Dictionary, msgType: string): boolean {
  const def = dict.messagesByType.get(msgType);
  return def === undefined ? ADMIN_MSG_TYPES.has(msgType) : def.category === "admin";
}

/**
 * Validates `view` against `dict`; undefined when valid, else the first problem as a RejectInfo.
 * `appDict`: for FIXT 1.1 sessions with separate transport (`dict`) and application dictionaries.
 * A session validates through its own `Validator` (see there); this is the one-off form.
 */
export function validate(
  view: MessageView,
  dict: Dictionary,
  options: ValidationOptions = STRICT_VALIDATION,
  appDict?: Dictionary,
): RejectInfo | undefined {
  const d = appDict === undefined ? dict : combined(dict, appDict);
  return check(boundOf(tablesOf(d), flagsOf(options), undefined), view);
}

/** What a Validator is built from: a session's dictionaries and validation switches. */
export interface ValidatorSettings {
  /** The session's dictionary (FIXT 1.1: the transport dictionary, or one combined with an application dictionary). */
  readonly dictionary: Dictionary;
  /** FIXT 1.1: an application dictionary, used for the version it declares (its `<fix major minor servicepack>`). */
  readonly appDictionary?: Dictionary;
  /**
   * FIXT 1.1: application dictionaries by version ("FIX.4.4", "FIX.5.0", "FIX.5.0SP1", "FIX.5.0SP2"; these
   * win over `appDictionary`). A version named by neither uses the built-in dictionary of that version.
   */
  readonly appDictionaries?: ReadonlyMap<string, Dictionary>;
  /** FIXT 1.1: the DefaultApplVerID (1137, e.g. "9") in force until a Logon names one. */
  readonly defaultApplVerId?: string;
  /** Switches changed from STRICT_VALIDATION. */
  readonly validation?: Partial<ValidationOptions>;
}

/**
 * A session's validator: its dictionary and options, fixed at construction (a reload builds a new one).
 *
 * FIXT 1.1 (the dictionary's BeginString is FIXT.*): each message is validated against the transport
 * dictionary combined with the application dictionary of its ApplVerID (1128) or, without one, of the
 * session's DefaultApplVerID: the `defaultApplVerId` setting until a Logon carrying 1137 is validated,
 * then that Logon's value (the counterparty's default, as the spec has it).
 */
export class Validator {
  /** The session's dictionary, as given. */
  readonly dictionary: Dictionary;
  /** The switches in force (a frozen copy). */
  readonly options: Readonly<ValidationOptions>;
  readonly #flags: number;
  readonly #fixt: boolean;
  readonly #transport: Dictionary;
  readonly #appDicts = new Map<string, Dictionary>();
  /** FIXT: tables bound to this validator by application version. */
  readonly #byVersion = new Map<string, Bound>();
  /** Layouts learnt, by compiled tables (shared tables, this validator's own layouts). */
  readonly #shapes = new Map<DictTables, Shape[]>();
  #defaultApplVerId: string;
  #logonApplVerId: string | undefined;
  /** Non-FIXT: the tables; FIXT: the tables of the default version. */
  #bound: Bound;

  constructor(settings: ValidatorSettings) {
    this.dictionary = settings.dictionary;
    this.options = Object.freeze(validationOptions(settings.validation ?? {}));
    this.#flags = flagsOf(this.options);
    const parts = settings.dictionary.parts;
    this.#transport = parts?.transport ?? settings.dictionary;
    this.#fixt = this.#transport.beginString.startsWith("FIXT.");
    if (parts !== undefined) this.#appDicts.set(parts.app.beginString, parts.app);
    const app = settings.appDictionary;
    if (app !== undefined) {
      this.#appDicts.set(app.parts?.app.beginString ?? app.beginString, app.parts?.app ?? app);
    }
    for (const [version, d] of settings.appDictionaries ?? []) this.#appDicts.set(version, d.parts?.app ?? d);
    const fallback = app !== undefined
      ? versionToApplVerId(app.beginString)
      : parts !== undefined
      ? versionToApplVerId(parts.app.beginString)
      : undefined;
    // The setting is a 1137 value ("9"); a version name ("FIX.5.0SP2", QuickFIX's spelling) is read too.
    const setting = settings.defaultApplVerId;
    this.#defaultApplVerId = (setting === undefined ? undefined : versionToApplVerId(setting) ?? setting) ??
      fallback ?? "9";
    this.#bound = this.#fixt
      ? this.#boundForVersion(APPL_VER_ID_TO_VERSION[this.#defaultApplVerId] ?? "FIX.5.0SP2")
      : this.#bind(tablesOf(settings.dictionary));
  }

  /** FIXT 1.1: the DefaultApplVerID in force (the last validated Logon's 1137, else the setting). */
  get defaultApplVerId(): string {
    return this.#defaultApplVerId;
  }

  /**
   * FIXT 1.1: the DefaultApplVerID a Logon named (undefined until one did); setting it is what a Logon
   * does (e.g. carrying it over to the validator that replaces this one on a reload). Values the spec
   * does not define are ignored.
   */
  get logonDefaultApplVerId(): string | undefined {
    return this.#logonApplVerId;
  }

  set logonDefaultApplVerId(applVerId: string | undefined) {
    const version = applVerId === undefined ? undefined : APPL_VER_ID_TO_VERSION[applVerId];
    if (version === undefined || !this.#fixt) return;
    this.#logonApplVerId = applVerId;
    this.#defaultApplVerId = applVerId!;
    this.#bound = this.#boundForVersion(version);
  }

  /** The application dictionary for a version ("FIX.5.0SP1"): configured, else built in; undefined when unknown. */
  appDictionaryFor(version: string): Dictionary | undefined {
    const d = this.#appDicts.get(version);
    if (d !== undefined) return d;
    try {
      return builtinDictionary(version);
    } catch {
      return undefined;
    }
  }

  /** Undefined when `view` is valid, else the first problem as a RejectInfo. */
  validate(view: MessageView): RejectInfo | undefined {
    return check(this.#fixt ? this.#fixtBound(view) : this.#bound, view);
  }

  #bind(t: DictTables): Bound {
    let shapes = this.#shapes.get(t);
    if (shapes === undefined) this.#shapes.set(t, shapes = []);
    return boundOf(t, this.#flags, shapes);
  }

  #boundForVersion(version: string): Bound {
    let b = this.#byVersion.get(version);
    if (b === undefined) {
      const app = this.appDictionaryFor(version);
      // A version with no dictionary at all, or the one the session's dictionary is already combined
      // with: the session's dictionary as given.
      const d = app === undefined || app === this.dictionary.parts?.app
        ? this.dictionary
        : combined(this.#transport, app);
      b = this.#bind(tablesOf(d));
      this.#byVersion.set(version, b);
    }
    return b;
  }

  /** The tables for a FIXT message: its ApplVerID's, else the default's; a Logon's 1137 sets the default. */
  #fixtBound(view: MessageView): Bound {
    const f = view.fields;
    // MsgType is the third field of a well-formed message; A Logon names the counterparty's default.
    if (view.count > 2 && f[6] === 35 && f[8]! - f[7]! === 1 && view.buf[f[7]!] === 0x41) {
      const d = view.indexOf(1137);
      if (d >= 0) this.logonDefaultApplVerId = view.stringAt(d);
    }
    const i = view.indexOf(1128);
    if (i < 0) return this.#bound;
    // ApplVerIDs are one character ("2" to "9"): read without making a string.
    const vs = f[i * 3 + 1]!;
    const version = f[i * 3 + 2]! - vs === 1 ? VERSION_BY_BYTE[view.buf[vs]!] : undefined;
    // An ApplVerID the spec does not define: the default's tables, whose enum check of 1128 rejects it.
    return version === undefined ? this.#bound : this.#boundForVersion(version);
  }
}

/** APPL_VER_ID_TO_VERSION by the byte of a one-character ApplVerID. */
const VERSION_BY_BYTE: ReadonlyArray<string | undefined> = Array.from(
  { length: 256 },
  (_, b) => APPL_VER_ID_TO_VERSION[String.fromCharCode(b)],
);

/** The ApplVerID (1128/1137 value) of a version ("FIX.5.0SP1" gives "8"). */
function versionToApplVerId(version: string): string | undefined {
  for (const [id, v] of Object.entries(APPL_VER_ID_TO_VERSION)) if (v === version) return id;
  return undefined;
}

/** A session's validator from its settings; undefined without a dictionary (nothing to validate against). */
export function createValidator(
  settings: Omit<ValidatorSettings, "dictionary"> & { readonly dictionary?: Dictionary },
): Validator | undefined {
  return settings.dictionary === undefined ? undefined : new Validator(settings as ValidatorSettings);
}

function check(b: Bound, view: MessageView): RejectInfo | undefined {
  rejTag = -1;
  return run(b, view) ? undefined : reject(rejReason, rejTag < 0 ? undefined : rejTag);
}

// ---- option flags -------------------------------------------------------------------------------

const O_UNDEF = 1,
  O_NOT_IN_MSG = 2,
  O_USER_DEF = 4,
  O_REQUIRED = 8,
  O_HAS_VALUE = 16,
  O_ENUM = 32,
  O_FORMAT = 64,
  O_ORDER = 128,
  O_REPEAT = 256,
  O_GROUPS = 512,
  O_MSGTYPE = 1024;

function flagsOf(o: ValidationOptions): number {
  return (o.rejectUndefinedTags ? O_UNDEF : 0) | (o.rejectTagsNotInMessage ? O_NOT_IN_MSG : 0) |
    (o.validateUserDefinedFields ? O_USER_DEF : 0) | (o.checkRequiredFields ? O_REQUIRED : 0) |
    (o.checkFieldsHaveValues ? O_HAS_VALUE : 0) | (o.checkEnumValues ? O_ENUM : 0) |
    (o.checkDataFormat ? O_FORMAT : 0) | (o.checkFieldOrder ? O_ORDER : 0) |
    (o.checkRepeatedTags ? O_REPEAT : 0) | (o.checkGroups ? O_GROUPS : 0) |
    (o.checkMsgType ? O_MSGTYPE : 0);
}

// ---- compiled tables ----------------------------------------------------------------------------

/** Roles of a tag in a message; REQUIRED (the top bit) is also a count: `role >>> 5` is 0 or 1. */
const HEADER = 1, BODY = 2, TRAILER = 4, GROUP_MEMBER = 8, COUNT = 16, REQUIRED = 32;
/** Roles of a tag in a group entry; REQUIRED_MEMBER (the top bit) is also a count: `role >>> 2`. */
const MEMBER = 1, NESTED_COUNT = 2, REQUIRED_MEMBER = 4;
/**
 * Value-check opcodes per tag for one set of option flags: 0 nothing to check, 1-15 the format
 * class alone, then a CHAR with a one-byte enum, and anything else through `value()`.
 */
const OP_NONE = 0, OP_CHAR_ENUM = 20, OP_GENERAL = 255;
/** Enum kinds (0: no enum). */
const ENUM_BYTE = 1, ENUM_SET = 2, ENUM_MULTI = 3, ENUM_INT = 4;
/** Largest value an integer enum may have to be checked through a bitmap (no string made). */
const MAX_INT_ENUM = 4096;

interface GroupTables {
  countTag: number;
  delimiterTag: number;
  roles: Uint8Array;
  nested: Map<number, GroupTables>;
  required: Int32Array;
  /** Distinct required tags marked REQUIRED_MEMBER in `roles`; -1 when some cannot be (check them one by one). */
  requiredCount: number;
}

interface MsgTables {
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
interface Shape {
  /** -1 until a layout is kept. */
  length: number;
  tags: Int32Array;
  ops: Uint8Array;
  /** Pairs: field index of a NumInGroup field, its value. */
  counts: Int32Array;
  countsLength: number;
}

interface DictTables {
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
interface Bound {
  t: DictTables;
  o: number;
  ops: Uint8Array;
  codes: Array<Uint16Array | undefined>;
  shapes: Array<Shape | undefined>;
}

/** Compiled tables by dictionary: derived from the (read-only) dictionary alone, so shared. */
const tableCache = new WeakMap<Dictionary, DictTables>();

function tablesOf(dict: Dictionary): DictTables {
  let t = tableCache.get(dict);
  if (t === undefined) {
    t = compile(dict);
    tableCache.set(dict, t);
  }
  return t;
}

/** Tables bound to option flags `o`; `shapes` undefined: the layouts the one-off validate() shares. */
function boundOf(t: DictTables, o: number, shapes: Array<Shape | undefined> | undefined): Bound {
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

function combined(transport: Dictionary, app: Dictionary): Dictionary {
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

function messageTables(t: DictTables, def: MessageDef | undefined): MsgTables {
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
    for (const r of m.requiredTags) required.push(r);
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

function msgTablesFor(t: DictTables, msgType: string): MsgTables | undefined {
  let m = t.messages.get(msgType);
  if (m !== undefined) return m;
  const def = t.dict.messagesByType.get(msgType);
  if (def === undefined) return undefined;
  m = messageTables(t, def);
  t.messages.set(msgType, m);
  return m;
}

/** MsgTables of the MsgType in `buf[s, e)`, without making a string for one-character types. */
function msgTablesAt(t: DictTables, buf: Uint8Array, s: number, e: number): MsgTables | undefined {
  if (e - s !== 1) return msgTablesFor(t, latin1String(buf, s, e));
  const b = buf[s]!;
  let m = t.messagesByByte[b];
  if (m === undefined) t.messagesByByte[b] = m = msgTablesFor(t, String.fromCharCode(b)) ?? null;
  return m ?? undefined;
}

/** The message's role | opcode << 8 per tag for the Bound's option flags. */
function codeFor(b: Bound, m: MsgTables): Uint16Array {
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

function nextStamp(t: DictTables): number {
  if (t.stamp === 0xffffffff) {
    for (const s of t.seen) s.fill(0);
    t.stamp = 0;
  }
  return ++t.stamp;
}

function seenAt(t: DictTables, depth: number): Uint32Array {
  let s = t.seen[depth];
  if (s === undefined) {
    for (let d = t.seen.length; d <= depth; d++) t.seen.push(new Uint32Array(t.maxTag + 1));
    s = t.seen[depth]!;
  }
  return s;
}

// ---- the checks ---------------------------------------------------------------------------------

let rejReason = 0;
let rejTag = -1;

/** Records a reject; `tag` -1 (or any negative) when no tag is at fault. Tag 0 is a tag (RefTagID 0). */
function fail(reason: number, tag: number): false {
  rejReason = reason;
  rejTag = tag >= 0 ? tag : -1;
  return false;
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
      return fail(R.InvalidTagNumber, -1);
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
    if (o & O_MSGTYPE) return fail(R.InvalidMsgType, 35);
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
    if (r !== SHAPE_DIFFERS) return r === SHAPE_VALID;
  }
  walkedLength = 0;
  if (!allFields(b, m, view)) return false;
  keepShape(b, shape, view);
  return true;
}

const SHAPE_DIFFERS = -1, SHAPE_INVALID = 0, SHAPE_VALID = 1;

/** Field indexes of the NumInGroup fields walkGroup walked in this message (shape bookkeeping). */
let walked = new Int32Array(16);
let walkedLength = 0;

/**
 * A message with the layout of `shape`: only its values are checked, in wire order as allFields
 * would (so the first problem is the same one). SHAPE_DIFFERS when the layout is not the same.
 */
function sameShape(t: DictTables, shape: Shape, view: MessageView, o: number): number {
  const f = view.fields;
  const tags = shape.tags;
  const n = shape.length;
  for (let i = 0, i3 = 0; i < n; i++, i3 += 3) if (f[i3] !== tags[i]) return SHAPE_DIFFERS;
  const buf = view.buf;
  const counts = shape.counts;
  for (let k = 0; k < shape.countsLength; k += 2) {
    const i3 = counts[k]! * 3;
    if (parseUint(buf, f[i3 + 1]!, f[i3 + 2]!) !== counts[k + 1]) return SHAPE_DIFFERS;
  }
  const ops = shape.ops;
  for (let i = 0, i3 = 0; i < n; i++, i3 += 3) {
    const op = ops[i]!;
    const vs = f[i3 + 1]!, ve = f[i3 + 2]!;
    if ((vs === ve || op !== OP_NONE) && !valueOk(t, op, buf, vs, ve, tags[i]!, o)) return SHAPE_INVALID;
  }
  return SHAPE_VALID;
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
      if ((vs === ve || op !== OP_NONE) && !valueOk(t, op, buf, vs, ve, tag, o)) return -1;
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
function value(t: DictTables, buf: Uint8Array, s: number, e: number, tag: number, o: number): boolean {
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

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
 *     member missing (373=1), entry count differs from NumInGroup (373=16); a bad value inside the
 *     entries (373=4/5/6/17) is reported after the count, at the end of the group
 *  5. required fields missing: header, body (by tag number, as QuickFIX), trailer (373=1, RefTagID the
 *     missing tag)
 * As the QuickFIX family orders them (structure, then required fields, then each field): when step 4
 * finds a problem other than 373=14, a field out of order anywhere in the message (373=14) and then a
 * required field of the message missing (373=1) win over it; failing those, a per-field problem gives
 * way to the one QuickFIX meets first (header, trailer, then body fields, each by tag number, not inside
 * a group's entries). That runs on rejects only.
 * FIXT 1.1: session-level messages (admin MsgTypes) are validated against the transport dictionary
 * alone, application messages against it combined with their version's application dictionary.
 *
 * A session validates through a `Validator`: one object per session, built from its dictionary (FIXT:
 * the transport dictionary and an application dictionary per ApplVerID) and its validation options,
 * both fixed for the object's life; a new configuration means a new Validator. What depends only on a
 * dictionary (the compiled tables) or on a dictionary and a set of option flags (the per-tag opcodes)
 * is compiled once and shared by every validator that uses it; what a validator learns from the
 * messages it sees (the layouts, FIXT's DefaultApplVerID) is its own.
 */
import type { MessageView } from "../codec/view.ts";
import { ADMIN_MSG_TYPES } from "../codec/tags.ts";
import { APPL_VER_ID_TO_VERSION, builtinDictionary } from "./loader.ts";
import type { Dictionary } from "./model.ts";
import type { RejectInfo } from "./reject.ts";
import { flagsOf, STRICT_VALIDATION, type ValidationOptions, validationOptions } from "./validate_options.ts";
import { type Bound, boundOf, combined, type DictTables, type Shape, tablesOf } from "./validate_tables.ts";
import { check } from "./validate_checks.ts";

export { STRICT_VALIDATION, type ValidationOptions, validationOptions } from "./validate_options.ts";

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
 * session's DefaultApplVerID: the `defaultApplVerId` setting until a Logon carrying 1137 passes validation,
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
  /** FIXT: the transport dictionary's tables alone, for session-level messages (bound when first used). */
  #transportBound: Bound | undefined;
  /** FIXT: 1 at the byte of each one-character MsgType the transport dictionary files as admin. */
  readonly #adminBytes = new Uint8Array(256);

  constructor(settings: ValidatorSettings) {
    this.dictionary = settings.dictionary;
    this.options = Object.freeze(validationOptions(settings.validation ?? {}));
    this.#flags = flagsOf(this.options);
    const parts = settings.dictionary.parts;
    this.#transport = parts?.transport ?? settings.dictionary;
    this.#fixt = this.#transport.beginString.startsWith("FIXT.");
    for (const [type, def] of this.#transport.messagesByType) {
      if (type.length === 1 && def.category === "admin") this.#adminBytes[type.charCodeAt(0) & 0xff] = 1;
    }
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
    if (!this.#fixt) return check(this.#bound, view);
    if (!this.#isAdmin(view)) return check(this.#fixtBound(view), view);
    // A session-level message is the transport's alone: a tag only an application dictionary defines
    // is not a tag of the session layer (373=0, QuickFIX's fix50* definition 14a).
    const problem = check(this.#transportBound ??= this.#bind(tablesOf(this.#transport)), view);
    // A Logon's 1137 becomes the default only when the Logon is valid: a rejected one leaves it as it was.
    const logon = problem === undefined ? this.#logonOf(view) : undefined;
    if (logon !== undefined) this.logonDefaultApplVerId = logon;
    return problem;
  }

  /** FIXT: a session-level message (a one-character MsgType the transport dictionary files as admin). */
  #isAdmin(view: MessageView): boolean {
    const f = view.fields;
    // MsgType is the third field of a well-formed message; a malformed one is left to the full check.
    return view.count > 2 && f[6] === 35 && f[8]! - f[7]! === 1 && this.#adminBytes[view.buf[f[7]!]!] === 1;
  }

  /** A FIXT Logon's DefaultApplVerID (1137), else undefined (not a Logon, or none). */
  #logonOf(view: MessageView): string | undefined {
    const f = view.fields;
    // MsgType is the third field of a well-formed message.
    if (view.count > 2 && f[6] === 35 && f[8]! - f[7]! === 1 && view.buf[f[7]!] === 0x41) {
      const d = view.indexOf(1137);
      if (d >= 0) return view.stringAt(d);
    }
    return undefined;
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

  /** The tables for a FIXT message: its ApplVerID's, else the default's. */
  #fixtBound(view: MessageView): Bound {
    const f = view.fields;
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

/**
 * The runtime of the generated typed messages (src/dictionary/generated/fix42.ts, fix44.ts,
 * fix50sp2.ts): one generic builder, view and cracker driven by per-version tables, so the generated
 * files hold only interfaces, enum values and compact member tables.
 *
 * - `NewOrderSingle.build({...})` returns a BuiltMessage: sent through `SessionHandle.send`, its body
 *   fields are written straight into the session's encoder (no `[tag, value]` list is made), in
 *   dictionary order. Timestamps are epoch milliseconds (written as UTCTimestamp with milliseconds).
 * - `NewOrderSingle.read(view)` is a lazy typed view over a MessageView (same lifetime as the view).
 * - `cracker(fix44.MESSAGES, { ExecutionReport(er, view) {...} })` routes a view by MsgType.
 *
 * A message type's writer is compiled once, on its first build, to straight-line code (one property
 * read per member of the message's table): far cheaper per message than walking the table.
 */
import { BuiltMessage, type FieldSink } from "../codec/encoder.ts";
import { asciiLength } from "../codec/ascii.ts";
// UTCTimestamps a builder writes: the encoder's range (years 0000 to 9999), in epoch milliseconds.
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS } from "../codec/timestamps.ts";
import type { FieldReader, GroupEntry, MessageView } from "../codec/view.ts";

/** A decimal (Price, Qty, float): a number, or its exact digits as text ("1.085"). */
export type Decimal = number | `${number}`;

/** Kinds of values in the field tables. */
export const ValueKind = {
  String: 0,
  Int: 1,
  Decimal: 2,
  Bool: 3,
  /** UTCTimestamp: epoch milliseconds in, epoch milliseconds out. */
  Timestamp: 4,
  /** Raw data; its length field is written for it when not given. */
  Data: 5,
} as const;
/** A ValueKind value. */
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

/** A version's fields by tag: the property name and its kind. */
export type FieldTable = Readonly<Record<number, readonly [name: string, kind: ValueKind]>>;

/**
 * Members of a message or group entry in dictionary order: a tag (negative when required), or a group
 * as `[countTag, ...entry members]` (countTag negative when required; the first member is the delimiter).
 */
export type MemberTable = readonly (number | MemberTable)[];

/** How a typed view reads a builder input's value: decimals as numbers, groups as entry views. */
export type ReadValue<V> = [V] extends [string] ? V
  : [V] extends [number] ? V
  : [V] extends [boolean] ? V
  : [V] extends [Decimal] ? number
  : [V] extends [readonly (infer E)[]] ? readonly ViewOf<E>[]
  : Uint8Array;

/** The typed view of a message or entry whose builder input is `T`: every field may be absent. */
export type ViewOf<T> =
  & { readonly [K in keyof T]-?: ReadValue<NonNullable<T[K]>> | undefined }
  & {
    /** The fields read from (a MessageView or a group entry). */
    readonly reader: FieldReader;
  };

/** A generated message type: its MsgType, a builder and a typed view. */
export interface MessageType<T> {
  /** MsgType (35). */
  readonly msgType: string;
  /** The dictionary's name, e.g. "NewOrderSingle". */
  readonly name: string;
  /**
   * A message to send (SessionHandle.send): keeps a shallow copy of `data`, writes its fields when
   * sent, straight into the encoder.
   */
  build(data: T): BuiltMessage<T>;
  /**
   * As `build`, keeping `data` itself rather than a copy: for an object made for this one message
   * (the caller must not change it afterwards). Saves a copy on a hot path (the LP simulator's reports).
   */
  adopt(data: T): BuiltMessage<T>;
  /** Typed, lazy read access to a received message (valid as long as the view is). */
  read(reader: FieldReader): ViewOf<T>;
  /** Its members in dictionary order (tags, groups nested) and its fields by tag. */
  readonly members: MemberTable;
  readonly fields: FieldTable;
}

/** The builder input type of a MessageType. */
export type InputOf<M> = M extends MessageType<infer T> ? T : never;

/** A value type with its codes and decimals widened to any text or number (see `loose`). */
export type Loosened<V> = V extends readonly (infer E)[] ? LooseInput<E>[]
  : V extends string ? string
  : V extends number ? number
  : V;

/** A builder input whose enum codes and decimals may be any string or number. */
export type LooseInput<T> = { [K in keyof T]: Loosened<T[K]> };

/**
 * The same message type, taking codes and decimals as any string or number: for code that echoes
 * values it received as text or formats them itself (the LP simulator). The writer writes whatever
 * value it is given; only the compile-time check of the codes is given up.
 */
export function loose<T>(type: MessageType<T>): MessageType<LooseInput<T>> {
  return type as unknown as MessageType<LooseInput<T>>;
}

/**
 * The same message type writing only the fields named in `names` (message and group-entry members
 * alike, in the dictionary's order; a group is kept when its NumInGroup field is named, with the named
 * members of its entries). Its writer reads only those: a message with a few hundred members in its
 * dictionary (ExecutionReport, an X entry with the Instrument component) costs what its few fields
 * cost. Fields not named are not written, so the input type is narrowed to them.
 */
export function pick<T, K extends keyof T & string>(
  type: MessageType<T>,
  names: readonly (K | (string & Record<never, never>))[],
): MessageType<Pick<T, K>> {
  const keep = new Set<string>(names);
  const filter = (list: MemberTable): MemberTable => {
    const out: (number | MemberTable)[] = [];
    for (const m of list) {
      if (typeof m === "number") {
        if (keep.has(fieldOf(type.fields, Math.abs(m))[0])) out.push(m);
      } else if (keep.has(fieldOf(type.fields, Math.abs(m[0] as number))[0])) {
        out.push([m[0] as number, ...filter(m.slice(1))]);
      }
    }
    return out;
  };
  const missing = names.filter((n) => !hasName(type.members, type.fields, n));
  if (missing.length > 0) throw new Error(`pick ${type.name}: no member ${missing.join(", ")}`);
  return defineMessage<Pick<T, K>>(type.msgType, type.name, filter(type.members), type.fields);
}

/** True when `name` is a member of `members` or of one of its groups' entries. */
function hasName(members: MemberTable, fields: FieldTable, name: string): boolean {
  return members.some((m) =>
    typeof m === "number"
      ? fieldOf(fields, Math.abs(m))[0] === name
      : fieldOf(fields, Math.abs(m[0] as number))[0] === name || hasName(m.slice(1), fields, name)
  );
}

type Writer = (data: unknown, out: FieldSink) => void;

/** Defines a message type from its tables (called by the generated files). */
export function defineMessage<T>(
  msgType: string,
  name: string,
  members: MemberTable,
  fields: FieldTable,
): MessageType<T> {
  let writer: Writer | undefined;
  let check: Check | undefined;
  let View: (new (r: FieldReader) => ViewOf<T>) | undefined;
  return {
    msgType,
    name,
    members,
    fields,
    build(data: T): BuiltMessage<T> {
      writer ??= compileWriter(members, fields);
      check ??= compileCheck(name, members, fields);
      check(data);
      return new BuiltMessage<T>(msgType, { ...data }, writer);
    },
    adopt(data: T): BuiltMessage<T> {
      writer ??= compileWriter(members, fields);
      check ??= compileCheck(name, members, fields);
      check(data);
      return new BuiltMessage<T>(msgType, data, writer);
    },
    read(reader: FieldReader): ViewOf<T> {
      View ??= viewClass<T>(members, fields);
      return new View(reader);
    },
  };
}

/** The entry for `tag` in `fields` (the generator makes sure every member has one). */
function fieldOf(fields: FieldTable, tag: number): readonly [string, ValueKind] {
  const f = fields[tag];
  if (f === undefined) throw new Error(`typed messages: tag ${tag} missing from the field table`);
  return f;
}

/** The data field a length field gives the size of, when both are members of the same list. */
function dataOfLength(list: MemberTable, fields: FieldTable, at: number): number | undefined {
  const next = list[at + 1];
  if (typeof next !== "number") return undefined;
  return fieldOf(fields, Math.abs(next))[1] === ValueKind.Data &&
      fieldOf(fields, Math.abs(list[at] as number))[1] === ValueKind.Int
    ? Math.abs(next)
    : undefined;
}

/**
 * Compiles a member table into a writer: straight-line property reads and sink calls (property names
 * come from the generated tables: identifiers, quoted by JSON.stringify all the same).
 */
function compileWriter(members: MemberTable, fields: FieldTable): Writer {
  const groups: Writer[] = [];
  const body = (list: MemberTable, src: string): string => {
    let code = "";
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      if (typeof m === "number") {
        const tag = Math.abs(m);
        const [name, kind] = fieldOf(fields, tag);
        const get = `${src}[${JSON.stringify(name)}]`;
        const dataTag = dataOfLength(list, fields, i);
        if (dataTag !== undefined) {
          const dataGet = `${src}[${JSON.stringify(fieldOf(fields, dataTag)[0])}]`;
          code += `v=${get};if(v===undefined&&${dataGet}!==undefined)v=dataLength(${dataGet});` +
            `if(v!==undefined)o.field(${tag},v);\n`;
        } else if (kind === ValueKind.Timestamp) {
          code +=
            `v=${get};if(v!==undefined){if(typeof v==="number")o.timestamp(${tag},v);else o.field(${tag},v);}\n`;
        } else {
          code += `v=${get};if(v!==undefined)o.field(${tag},v);\n`;
        }
      } else {
        const count = m[0] as number;
        const tag = Math.abs(count);
        const [name] = fieldOf(fields, tag);
        const index = groups.length;
        groups.push(undefined as unknown as Writer);
        groups[index] = compile(m.slice(1));
        const optional = count > 0 ? "&&v.length>0" : "";
        code += `v=${src}[${JSON.stringify(name)}];if(v!==undefined${optional}){o.field(${tag},v.length);` +
          `for(let i=0;i<v.length;i++)g[${index}](v[i],o);}\n`;
      }
    }
    return code;
  };
  const compile = (list: MemberTable): Writer => {
    const code = body(list, "d");
    return new Function("g", "dataLength", `return function write(d,o){let v;\n${code}};`)(
      groups,
      dataLength,
    ) as Writer;
  };
  return compile(members);
}

type Check = (data: unknown) => void;
/** A compiled check of one member list; `path` names where it is (`NewOrderSingle.noAllocs[0].`). */
type PathCheck = (data: unknown, path: string) => void;

/**
 * Compiles the value checks of a member table: a number the writer cannot write as its field says
 * (a decimal or integer that is not finite, an integer with a fraction, a timestamp outside years
 * 0000-9999) throws a RangeError naming the field, when the message is built: before `send`, so a bad
 * value never takes a MsgSeqNum nor waits in a queue to fail there. Only numeric members are read.
 */
function compileCheck(typeName: string, members: MemberTable, fields: FieldTable): Check {
  const groups: PathCheck[] = [];
  const compile = (list: MemberTable): PathCheck => {
    let code = "";
    for (const m of list) {
      if (typeof m === "number") {
        const tag = Math.abs(m);
        const [name, kind] = fieldOf(fields, tag);
        const get = `v=d[${JSON.stringify(name)}];`;
        const args = `${JSON.stringify(`${name} (${tag})`)},v,${kind}`;
        if (kind === ValueKind.Decimal) {
          code += `${get}if(typeof v==="number"&&v-v!==0)bad(p,${args});
`;
        } else if (kind === ValueKind.Int) {
          code += `${get}if(typeof v==="number"&&!Number.isInteger(v))bad(p,${args});
`;
        } else if (kind === ValueKind.Timestamp) {
          code +=
            `${get}if(typeof v==="number"&&!(v>=${MIN_TIMESTAMP_MS}&&v<=${MAX_TIMESTAMP_MS}))bad(p,${args});
`;
        }
      } else {
        const [name] = fieldOf(fields, Math.abs(m[0] as number));
        const index = groups.length;
        groups.push(undefined as unknown as PathCheck);
        groups[index] = compile(m.slice(1));
        code += `v=d[${JSON.stringify(name)}];if(Array.isArray(v))for(let i=0;i<v.length;i++)` +
          `g[${index}](v[i],p+${JSON.stringify(name)}+"["+i+"].");
`;
      }
    }
    return new Function(
      "g",
      "bad",
      `return function check(d,p){let v;
${code}};`,
    )(
      groups,
      badValue,
    ) as PathCheck;
  };
  const top = compile(members);
  const prefix = `${typeName}.`;
  return (data) => top(data, prefix);
}

/** The RangeError of a value `compileCheck` refuses. */
function badValue(path: string, field: string, value: number, kind: ValueKind): never {
  const what = kind === ValueKind.Decimal
    ? 'is not a finite decimal: give a finite number or its digits as text ("1.085")'
    : kind === ValueKind.Int
    ? "is not an integer"
    : "is not a UTCTimestamp in epoch milliseconds (years 0000 to 9999): give milliseconds since " +
      "1970-01-01 UTC, e.g. Date.now()";
  throw new RangeError(`${path}${field}: ${value} ${what}`);
}

/** The byte length of a data value as the encoder writes it. */
function dataLength(value: unknown): number {
  if (value instanceof Uint8Array) return value.length;
  return typeof value === "string" ? asciiLength(value) : String(value).length;
}

/** A class with one getter per member of `members`, reading from `this.reader`. */
function viewClass<T>(members: MemberTable, fields: FieldTable): new (r: FieldReader) => ViewOf<T> {
  class View {
    constructor(readonly reader: FieldReader) {}
  }
  for (const m of members) {
    if (typeof m === "number") {
      const tag = Math.abs(m);
      const [name, kind] = fieldOf(fields, tag);
      Object.defineProperty(View.prototype, name, { get: getter(tag, kind), enumerable: true });
    } else {
      const countTag = Math.abs(m[0] as number);
      const entryMembers = m.slice(1);
      const first = entryMembers[0]!;
      const delimiter = Math.abs(typeof first === "number" ? first : first[0] as number);
      const tags = new Set<number>();
      collectTags(entryMembers, tags);
      let Entry: (new (r: FieldReader) => unknown) | undefined;
      Object.defineProperty(View.prototype, fieldOf(fields, countTag)[0], {
        get(this: View) {
          const entries: GroupEntry[] = this.reader.group(countTag, delimiter, tags);
          if (entries.length === 0 && !this.reader.has(countTag)) return undefined;
          Entry ??= viewClass(entryMembers, fields);
          return entries.map((e) => new Entry!(e));
        },
        enumerable: true,
      });
    }
  }
  return View as unknown as new (r: FieldReader) => ViewOf<T>;
}

function collectTags(members: MemberTable, into: Set<number>): void {
  for (const m of members) {
    if (typeof m === "number") into.add(Math.abs(m));
    else {
      into.add(Math.abs(m[0] as number));
      collectTags(m.slice(1), into);
    }
  }
}

function getter(tag: number, kind: ValueKind): (this: { reader: FieldReader }) => unknown {
  switch (kind) {
    case ValueKind.Int:
      return function () {
        return this.reader.getInt(tag);
      };
    case ValueKind.Decimal:
      return function () {
        return this.reader.getFloat(tag);
      };
    case ValueKind.Bool:
      return function () {
        return this.reader.getBoolean(tag);
      };
    case ValueKind.Timestamp:
      return function () {
        return this.reader.getTimestamp(tag)?.epochMs;
      };
    case ValueKind.Data:
      return function () {
        return this.reader.getBytes(tag);
      };
    default:
      return function () {
        return this.reader.getString(tag);
      };
  }
}

/** Handlers by message name, each given the typed view and the message itself. */
// deno-lint-ignore no-explicit-any
export type CrackerHandlers<M extends Record<string, MessageType<any>>, V> = {
  readonly [K in keyof M]?: (message: ViewOf<InputOf<M[K]>>, view: V) => void;
};

/**
 * A message cracker: routes a view by its MsgType to the handler of that message type (given its
 * typed view), or to `otherwise` (e.g. to answer a BusinessMessageReject). Returns whether a handler
 * of `handlers` ran.
 */
export function cracker<
  // deno-lint-ignore no-explicit-any
  M extends Record<string, MessageType<any>>,
  V extends FieldReader & { readonly msgType: string } = MessageView,
>(
  types: M,
  handlers: CrackerHandlers<M, V>,
  otherwise?: (view: V) => void,
): (view: V) => boolean {
  // deno-lint-ignore no-explicit-any
  const routes = new Map<string, { type: MessageType<any>; handle: (m: any, view: V) => void }>();
  for (const key of Object.keys(handlers)) {
    const handle = handlers[key as keyof M];
    const type = types[key];
    if (handle === undefined) continue;
    if (type === undefined) throw new Error(`cracker: no message type named ${key}`);
    routes.set(type.msgType, { type, handle });
  }
  return (view: V) => {
    const route = routes.get(view.msgType);
    if (route === undefined) {
      otherwise?.(view);
      return false;
    }
    route.handle(route.type.read(view), view);
    return true;
  };
}

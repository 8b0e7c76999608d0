/**
 * Generates src/dictionary/generated/fix44.ts from fixtures/dictionaries/FIX44.xml (`deno task gen`):
 * typed builders (interface -> FixMessage, fields in dictionary order), lazy typed accessors over a
 * MessageView, and `as const` enum tables for the fields of the messages the engine and tools use.
 * test/dictionary/generated_test.ts regenerates in memory and fails when the file is stale.
 */
import { builtinDictionary } from "../src/dictionary/loader.ts";
import type { Dictionary, FieldDef, GroupDef, MemberDef } from "../src/dictionary/model.ts";

/** The messages that get builders and accessors. */
export const GENERATED_MESSAGES: readonly string[] = [
  "Heartbeat",
  "TestRequest",
  "ResendRequest",
  "Reject",
  "SequenceReset",
  "Logout",
  "Logon",
  "NewOrderSingle",
  "OrderCancelRequest",
  "OrderCancelReplaceRequest",
  "ExecutionReport",
  "OrderCancelReject",
  "MarketDataRequest",
  "MarketDataSnapshotFullRefresh",
  "MarketDataIncrementalRefresh",
  "MarketDataRequestReject",
  "QuoteRequest",
  "Quote",
  "BusinessMessageReject",
  "OrderStatusRequest",
  "OrderMassStatusRequest",
];

/** Where the generated file lives, relative to the repository root. */
export const GENERATED_PATH = "src/dictionary/generated/fix44.ts";

/** camelCase of a FIX name: a leading run of capitals is lowered as a word ("MDReqID" -> "mdReqID"). */
export function camelCase(name: string): string {
  const m = /^([A-Z]+)(?=[A-Z][a-z]|$)/.exec(name);
  if (m !== null && m[1]!.length > 1) return m[1]!.toLowerCase() + name.slice(m[1]!.length);
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** PascalCase key for an enum value's description ("SELL_SHORT" -> "SellShort", "4" -> "V4"). */
function enumKey(description: string): string {
  const parts = description.split(/[^A-Za-z0-9]+/).filter((p) => p !== "");
  const key = parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase()).join("");
  return key === "" || /^[0-9]/.test(key) ? `V${key}` : key;
}

type Kind = "int" | "float" | "bool" | "timestamp" | "data" | "string";

function kindOf(f: FieldDef): Kind {
  switch (f.type) {
    case "INT":
    case "LENGTH":
    case "SEQNUM":
    case "NUMINGROUP":
    case "DAYOFMONTH":
      return "int";
    case "FLOAT":
    case "PRICE":
    case "QTY":
    case "AMT":
    case "PERCENTAGE":
    case "PRICEOFFSET":
      return "float";
    case "BOOLEAN":
      return "bool";
    case "UTCTIMESTAMP":
    case "TIME":
      return "timestamp";
    case "DATA":
    case "XMLDATA":
      return "data";
    default:
      return "string";
  }
}

/** Fields whose enum becomes a const table (booleans are plain booleans, multi-values plain strings). */
function hasEnumTable(f: FieldDef): boolean {
  if (f.enums.size === 0 || f.tag === 35) return false;
  const k = kindOf(f);
  if (k === "bool" || f.type.startsWith("MULTIPLE")) return false;
  if (k === "int") return [...f.enums.keys()].every((v) => /^-?\d+$/.test(v));
  return k === "string";
}

class Generator {
  readonly #dict: Dictionary;
  readonly #out: string[] = [];
  readonly #enumFields = new Map<number, FieldDef>();
  readonly #groupNames = new Map<GroupDef, string>();
  readonly #nameBySig = new Map<string, string>();
  readonly #groupOrder: GroupDef[] = [];
  readonly #typeNames = new Set<string>();

  constructor(dict: Dictionary) {
    this.#dict = dict;
  }

  #field(tag: number): FieldDef {
    const f = this.#dict.fieldsByTag.get(tag);
    if (f === undefined) throw new Error(`gen: tag ${tag} not in the dictionary`);
    return f;
  }

  /** A group's structure, so equal groups under different components share one type. */
  #signature(g: GroupDef): string {
    return g.countTag + "(" +
      g.members.map((m) =>
        m.kind === "field"
          ? `${m.tag}${m.required ? "!" : ""}`
          : this.#signature(m.group) + (m.required ? "!" : "")
      ).join(",") + ")";
  }

  #collect(members: readonly MemberDef[], owner: string): void {
    for (const m of members) {
      if (m.kind === "field") {
        const f = this.#field(m.tag);
        if (hasEnumTable(f)) this.#enumFields.set(f.tag, f);
        continue;
      }
      const g = m.group;
      const sig = this.#signature(g);
      let name = this.#nameBySig.get(sig);
      if (name === undefined) {
        // "NoPartyIDsEntry" for the first structure of a group; another structure under the same
        // NumInGroup name (NoMDEntries in W and X) gets the message's name in front.
        const base = this.#field(g.countTag).name;
        name = `${base}Entry`;
        if (this.#typeNames.has(name)) name = `${owner}${base}Entry`;
        for (let n = 2; this.#typeNames.has(name); n++) name = `${owner}${base}${n}Entry`;
        this.#typeNames.add(name);
        this.#nameBySig.set(sig, name);
        this.#groupOrder.push(g);
      }
      this.#groupNames.set(g, name);
      this.#collect(g.members, owner);
    }
  }

  #emit(line = ""): void {
    this.#out.push(line);
  }

  #tsIn(f: FieldDef): string {
    if (this.#enumFields.has(f.tag)) return f.name;
    switch (kindOf(f)) {
      case "int":
        return "number";
      case "float":
        return "number | string";
      case "bool":
        return "boolean";
      case "timestamp":
        return "number | string";
      case "data":
        return "string | Uint8Array";
      default:
        return "string";
    }
  }

  #tsOut(f: FieldDef): [type: string, getter: string] {
    if (this.#enumFields.has(f.tag)) {
      return [f.name, kindOf(f) === "int" ? "getInt" : "getString"];
    }
    switch (kindOf(f)) {
      case "int":
        return ["number", "getInt"];
      case "float":
        return ["number", "getFloat"];
      case "bool":
        return ["boolean", "getBoolean"];
      case "timestamp":
        return ["UtcTimestamp", "getTimestamp"];
      case "data":
        return ["Uint8Array", "getBytes"];
      default:
        return ["string", "getString"];
    }
  }

  #doc(f: FieldDef, required: boolean): string {
    return `/** ${f.name} (${f.tag}), ${f.type}${required ? ", required" : ""}. */`;
  }

  /** Interface members of a builder input (message or group entry). */
  #interfaceBody(members: readonly MemberDef[], forceFirst: boolean): void {
    members.forEach((m, i) => {
      const required = m.required || (forceFirst && i === 0);
      if (m.kind === "field") {
        const f = this.#field(m.tag);
        this.#emit(`  ${this.#doc(f, required)}`);
        this.#emit(`  ${camelCase(f.name)}${required ? "" : "?"}: ${this.#tsIn(f)};`);
      } else {
        const f = this.#field(m.group.countTag);
        this.#emit(`  /** ${f.name} (${f.tag}) repeating group${required ? ", required" : ""}. */`);
        this.#emit(`  ${camelCase(f.name)}${required ? "" : "?"}: ${this.#groupNames.get(m.group)}[];`);
      }
    });
  }

  /** Statements writing members of `src` into `f`. */
  #writerBody(members: readonly MemberDef[], src: string): void {
    for (const m of members) {
      if (m.kind === "field") {
        const f = this.#field(m.tag);
        const fn = kindOf(f) === "timestamp" ? "ts" : "put";
        this.#emit(`  ${fn}(f, ${f.tag}, ${src}.${camelCase(f.name)});`);
      } else {
        const f = this.#field(m.group.countTag);
        const name = this.#groupNames.get(m.group)!;
        this.#emit(`  grp(f, ${f.tag}, ${src}.${camelCase(f.name)}, write${name}, ${m.required});`);
      }
    }
  }

  /** Getters of an accessor class over `this.r`. */
  #getters(members: readonly MemberDef[]): void {
    for (const m of members) {
      if (m.kind === "field") {
        const f = this.#field(m.tag);
        const [type, getter] = this.#tsOut(f);
        const cast = this.#enumFields.has(f.tag) ? ` as ${type} | undefined` : "";
        this.#emit(`  ${this.#doc(f, m.required)}`);
        this.#emit(
          `  get ${camelCase(f.name)}(): ${type} | undefined { return this.r.${getter}(${f.tag})${cast}; }`,
        );
      } else {
        const f = this.#field(m.group.countTag);
        const name = this.#groupNames.get(m.group)!;
        this.#emit(`  /** ${f.name} (${f.tag}) entries (allocates: read once). */`);
        this.#emit(`  get ${camelCase(f.name)}(): ${name}View[] {`);
        this.#emit(
          `    return this.r.group(${f.tag}, ${m.group.delimiterTag}, TAGS_${name}).map((e) => new ${name}View(e));`,
        );
        this.#emit(`  }`);
      }
    }
  }

  generate(source: string): string {
    const dict = this.#dict;
    const messages = GENERATED_MESSAGES.map((name) => {
      const def = dict.messagesByName.get(name);
      if (def === undefined) throw new Error(`gen: message ${name} not in ${dict.source}`);
      return def;
    });
    for (const def of messages) this.#collect(def.members, def.name);
    const clash = [...this.#enumFields.values()].find((f) =>
      GENERATED_MESSAGES.includes(f.name) || this.#typeNames.has(f.name)
    );
    if (clash !== undefined) throw new Error(`gen: enum ${clash.name} clashes with a message or group type`);

    this.#emit(`// Generated by scripts/gen_messages.ts from ${source}. Do not edit: run \`deno task gen\`.`);
    this.#emit(`// deno-fmt-ignore-file`);
    this.#emit(`/**`);
    this.#emit(` * Typed FIX 4.4 builders and accessors for the messages fixg builds and reads.`);
    this.#emit(` *`);
    this.#emit(
      ` * Builders (\`buildNewOrderSingle({...})\`) return a FixMessage whose body fields are in dictionary`,
    );
    this.#emit(
      ` * order; the session adds the header (49, 56, 34, 52) and the encoder 8, 9 and 10. Accessors`,
    );
    this.#emit(
      ` * (\`executionReport(view).ordStatus\`) are lazy getters over a MessageView: same lifetime as the view.`,
    );
    this.#emit(` */`);
    this.#emit(`import { type Field, type FieldValue, type FixMessage } from "../../codec/encoder.ts";`);
    this.#emit(`import { formatTimestamp, type UtcTimestamp } from "../../codec/timestamps.ts";`);
    this.#emit(`import type { FieldReader } from "../../codec/view.ts";`);
    this.#emit();

    // Enum tables.
    for (const f of [...this.#enumFields.values()].sort((a, b) => a.name < b.name ? -1 : 1)) {
      const numeric = kindOf(f) === "int";
      const keys = new Set<string>();
      this.#emit(`/** ${f.name} (${f.tag}) values. */`);
      this.#emit(`export const ${f.name} = {`);
      for (const [value, description] of f.enums) {
        let key = enumKey(description);
        if (keys.has(key)) key = `${key}_${value.replace(/[^A-Za-z0-9]/g, "_")}`;
        keys.add(key);
        this.#emit(`  ${key}: ${numeric ? Number(value) : JSON.stringify(value)},`);
      }
      this.#emit(`} as const;`);
      this.#emit(`/** A ${f.name} (${f.tag}) value. */`);
      this.#emit(`export type ${f.name} = (typeof ${f.name})[keyof typeof ${f.name}];`);
      this.#emit();
    }

    // Group entries: builder input types, writers, member tag sets, accessors.
    for (const g of this.#groupOrder) {
      const name = this.#groupNames.get(g)!;
      const count = this.#field(g.countTag);
      this.#emit(`/** One entry of the ${count.name} (${count.tag}) repeating group. */`);
      this.#emit(`export interface ${name} {`);
      this.#interfaceBody(g.members, true);
      this.#emit(`}`);
      this.#emit();
      this.#emit(`function write${name}(f: Field[], e: ${name}): void {`);
      this.#writerBody(g.members, "e");
      this.#emit(`}`);
      this.#emit();
      this.#emit(`/** Every tag an entry of ${name} may hold (nested groups included). */`);
      this.#emit(`export const TAGS_${name}: ReadonlySet<number> = new Set([${[...g.allTags].join(", ")}]);`);
      this.#emit();
      this.#emit(`/** Typed, lazy read access to one ${count.name} (${count.tag}) entry. */`);
      this.#emit(`export class ${name}View {`);
      this.#emit(`  /** The entry's fields. */`);
      this.#emit(`  constructor(readonly r: FieldReader) {}`);
      this.#getters(g.members);
      this.#emit(`}`);
      this.#emit();
    }

    // Messages.
    for (const def of messages) {
      const fn = camelCase(def.name);
      this.#emit(`/** ${def.name} (35=${def.msgType}) body fields, as builder input. */`);
      this.#emit(`export interface ${def.name} {`);
      this.#interfaceBody(def.members, false);
      this.#emit(`}`);
      this.#emit();
      this.#emit(`/** Builds a ${def.name} (35=${def.msgType}): body fields in dictionary order. */`);
      this.#emit(`export function build${def.name}(m: ${def.name}): FixMessage {`);
      this.#emit(`  const f: Field[] = [];`);
      this.#writerBody(def.members, "m");
      this.#emit(`  return { msgType: ${JSON.stringify(def.msgType)}, fields: f };`);
      this.#emit(`}`);
      this.#emit();
      this.#emit(`/** Typed, lazy read access to a ${def.name} (35=${def.msgType}). */`);
      this.#emit(`export class ${def.name}View {`);
      this.#emit(`  /** MsgType (35) of ${def.name}. */`);
      this.#emit(`  static readonly msgType = ${JSON.stringify(def.msgType)};`);
      this.#emit(`  /** The message (or any FieldReader over it). */`);
      this.#emit(`  constructor(readonly r: FieldReader) {}`);
      this.#getters(def.members);
      this.#emit(`}`);
      this.#emit();
      this.#emit(`/** Reads a ${def.name} through typed getters (valid as long as the view is). */`);
      this.#emit(`export function ${fn}(view: FieldReader): ${def.name}View {`);
      this.#emit(`  return new ${def.name}View(view);`);
      this.#emit(`}`);
      this.#emit();
    }

    this.#emit(`function put(f: Field[], tag: number, v: FieldValue | undefined): void {`);
    this.#emit(`  if (v !== undefined) f.push([tag, v]);`);
    this.#emit(`}`);
    this.#emit();
    this.#emit(`/** A UTCTimestamp given as epoch milliseconds is written with milliseconds. */`);
    this.#emit(`function ts(f: Field[], tag: number, v: number | string | undefined): void {`);
    this.#emit(`  if (v !== undefined) f.push([tag, typeof v === "number" ? formatTimestamp(v) : v]);`);
    this.#emit(`}`);
    this.#emit();
    this.#emit(`/** A group: its NumInGroup (omitted when optional and empty), then each entry. */`);
    this.#emit(`function grp<T>(`);
    this.#emit(`  f: Field[],`);
    this.#emit(`  tag: number,`);
    this.#emit(`  entries: readonly T[] | undefined,`);
    this.#emit(`  write: (f: Field[], e: T) => void,`);
    this.#emit(`  required: boolean,`);
    this.#emit(`): void {`);
    this.#emit(`  if (entries === undefined || (entries.length === 0 && !required)) return;`);
    this.#emit(`  f.push([tag, entries.length]);`);
    this.#emit(`  for (const e of entries) write(f, e);`);
    this.#emit(`}`);
    return this.#out.join("\n") + "\n";
  }
}

/** The generated module's source for a FIX 4.4 dictionary (`source` names it in the header). */
export function generateFix44(dict: Dictionary, source = "fixtures/dictionaries/FIX44.xml"): string {
  return new Generator(dict).generate(source);
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const text = generateFix44(builtinDictionary("FIX.4.4"));
  const target = new URL(GENERATED_PATH, root);
  Deno.mkdirSync(new URL("./", target), { recursive: true });
  Deno.writeTextFileSync(target, text);
  console.log(`gen: wrote ${GENERATED_PATH} (${text.split("\n").length} lines)`);
}

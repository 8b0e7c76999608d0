/**
 * Generates the typed messages of FIX 4.2, 4.4 and 5.0 SP2 (`deno task gen`) into
 * src/dictionary/generated/: per version, the builder input interfaces (one line per field), `as const`
 * enum tables, and compact member tables that the generic runtime (src/dictionary/typed.ts) turns into
 * builders writing straight into the encoder, typed views and the cracker's routes.
 * test/dictionary/generated_test.ts regenerates in memory and fails when a file is stale.
 */
import { builtinDictionary } from "../src/dictionary/loader.ts";
import type { Dictionary, FieldDef, GroupDef, MemberDef } from "../src/dictionary/model.ts";

/** The messages that get builders and views (those a version's dictionary has). */
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
  "QuoteRequestReject",
  "OrderStatusRequest",
  "OrderMassStatusRequest",
];

/** The generated files: the dictionary (BeginString of builtinDictionary) and the path of each. */
export const GENERATED_FILES: readonly { beginString: string; xml: string; path: string; title: string }[] = [
  { beginString: "FIX.4.2", xml: "FIX42.xml", path: "src/dictionary/generated/fix42.ts", title: "FIX 4.2" },
  { beginString: "FIX.4.4", xml: "FIX44.xml", path: "src/dictionary/generated/fix44.ts", title: "FIX 4.4" },
  {
    beginString: "FIX.5.0SP2",
    xml: "FIX50SP2.xml",
    path: "src/dictionary/generated/fix50sp2.ts",
    title: "FIX 5.0 SP2 (application messages; sessions over FIXT.1.1)",
  },
];

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

/** ValueKind (src/dictionary/typed.ts) of each kind, as the member tables spell it. */
const KIND_CODE: Readonly<Record<Kind, number>> = {
  string: 0,
  int: 1,
  float: 2,
  bool: 3,
  timestamp: 4,
  data: 5,
};

/** Packs comma-separated tokens into lines of at most `width` characters, each indented by `indent`. */
function wrap(tokens: readonly string[], indent: string, width = 108): string[] {
  const lines: string[] = [];
  let line = "";
  for (const t of tokens) {
    if (line !== "" && indent.length + line.length + t.length + 2 > width) {
      lines.push(indent + line.trimEnd());
      line = "";
    }
    line += t + ", ";
  }
  if (line !== "") lines.push(indent + line.trimEnd());
  return lines;
}

class Generator {
  readonly #dict: Dictionary;
  readonly #out: string[] = [];
  readonly #enumFields = new Map<number, FieldDef>();
  /** Every field a member table names, by tag. */
  readonly #usedFields = new Map<number, FieldDef>();
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
        this.#usedFields.set(f.tag, f);
        if (hasEnumTable(f)) this.#enumFields.set(f.tag, f);
        continue;
      }
      const g = m.group;
      this.#usedFields.set(g.countTag, this.#field(g.countTag));
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

  /** The builder input type of a field (a typed view reads it back as ReadValue of it). */
  #tsIn(f: FieldDef): string {
    if (this.#enumFields.has(f.tag)) return f.name;
    switch (kindOf(f)) {
      case "int":
      case "timestamp":
        return "number";
      case "float":
        return "Decimal";
      case "bool":
        return "boolean";
      case "data":
        return "string | Uint8Array";
      default:
        return "string";
    }
  }

  /** Interface members of a builder input (message or group entry), one line each. */
  #interfaceBody(members: readonly MemberDef[], forceFirst: boolean): void {
    members.forEach((m, i) => {
      const required = m.required || (forceFirst && i === 0);
      const opt = required ? "" : "?";
      // An optional member may be given as undefined (left out), so callers can pass `x: maybe`.
      const orUndefined = required ? "" : " | undefined";
      if (m.kind === "field") {
        const f = this.#field(m.tag);
        const unit = kindOf(f) === "timestamp" ? ", epoch ms" : "";
        const doc = `/** ${f.name} (${f.tag}), ${f.type}${unit}${required ? ", required" : ""} */`;
        this.#emit(`  ${doc} ${camelCase(f.name)}${opt}: ${this.#tsIn(f)}${orUndefined};`);
      } else {
        const f = this.#field(m.group.countTag);
        const doc = `/** ${f.name} (${f.tag}) entries${required ? ", required" : ""} */`;
        this.#emit(`  ${doc} ${camelCase(f.name)}${opt}: ${this.#groupNames.get(m.group)}[]${orUndefined};`);
      }
    });
  }

  /** A member table (typed.ts MemberTable) as source: tags, negative when required; groups nested. */
  #table(members: readonly MemberDef[], forceFirst = false): string {
    return "[" + members.map((m, i) => {
      const required = m.required || (forceFirst && i === 0);
      if (m.kind === "field") return String(required ? -m.tag : m.tag);
      const count = required ? -m.group.countTag : m.group.countTag;
      return `[${count}, ${this.#table(m.group.members, true).slice(1)}`;
    }).join(", ") + "]";
  }

  generate(source: string, title: string): string {
    const dict = this.#dict;
    const messages = GENERATED_MESSAGES.map((name) => dict.messagesByName.get(name)).filter((d) =>
      d !== undefined
    );
    for (const def of messages) this.#collect(def.members, def.name);
    const names = new Set(messages.map((d) => d.name));
    const clash = [...this.#enumFields.values()].find((f) =>
      names.has(f.name) || this.#typeNames.has(f.name) || f.name === "MESSAGES"
    );
    if (clash !== undefined) throw new Error(`gen: enum ${clash.name} clashes with a message or group type`);

    this.#emit(`// Generated by scripts/gen_messages.ts from ${source}. Do not edit: run \`deno task gen\`.`);
    this.#emit(`// deno-fmt-ignore-file`);
    this.#emit(`/**`);
    this.#emit(` * Typed ${title} messages for the messages fixg builds and reads (runtime: ../typed.ts).`);
    this.#emit(` *`);
    this.#emit(
      ` * \`NewOrderSingle.build({...})\` makes a message for SessionHandle.send whose body fields (dictionary`,
    );
    this.#emit(
      ` * order) are written straight into the session's encoder; the session adds the header, the encoder`,
    );
    this.#emit(
      ` * 8, 9 and 10. Timestamps are epoch milliseconds. \`ExecutionReport.read(view)\` reads a received`,
    );
    this.#emit(
      ` * message through typed getters (same lifetime as the view); \`cracker(MESSAGES, {...})\` routes views`,
    );
    this.#emit(` * by MsgType.`);
    this.#emit(` */`);
    this.#emit(`import { type Decimal, defineMessage, type FieldTable } from "../typed.ts";`);
    this.#emit();

    // The field table first: the message definitions below read it as the module loads.
    this.#emit(`/** The fields the messages below use, by tag: property name and ValueKind. */`);
    this.#emit(`const F: FieldTable = {`);
    const entries = [...this.#usedFields.values()].sort((a, b) => a.tag - b.tag).map((f) =>
      `${f.tag}: [${JSON.stringify(camelCase(f.name))}, ${KIND_CODE[kindOf(f)]}]`
    );
    for (const line of wrap(entries, "  ")) this.#emit(line);
    this.#emit(`};`);
    this.#emit();

    // Enum tables, one line each.
    for (const f of [...this.#enumFields.values()].sort((a, b) => a.name < b.name ? -1 : 1)) {
      const numeric = kindOf(f) === "int";
      const keys = new Set<string>();
      const pairs: string[] = [];
      for (const [value, description] of f.enums) {
        let key = enumKey(description);
        if (keys.has(key)) key = `${key}_${value.replace(/[^A-Za-z0-9]/g, "_")}`;
        keys.add(key);
        pairs.push(`${key}: ${numeric ? Number(value) : JSON.stringify(value)}`);
      }
      this.#emit(`/** ${f.name} (${f.tag}) values. */`);
      this.#emit(`export const ${f.name} = { ${pairs.join(", ")} } as const;`);
      this.#emit(`/** A ${f.name} (${f.tag}) value. */`);
      this.#emit(`export type ${f.name} = (typeof ${f.name})[keyof typeof ${f.name}];`);
    }
    this.#emit();

    // Group entries: builder input types (views read them as ViewOf<entry>).
    for (const g of this.#groupOrder) {
      const name = this.#groupNames.get(g)!;
      const count = this.#field(g.countTag);
      this.#emit(`/** One entry of the ${count.name} (${count.tag}) repeating group. */`);
      this.#emit(`export interface ${name} {`);
      this.#interfaceBody(g.members, true);
      this.#emit(`}`);
      this.#emit();
    }

    // Messages.
    for (const def of messages) {
      this.#emit(
        `/** ${def.name} (35=${def.msgType}) body fields: the builder's input (\`${def.name}.build\`). */`,
      );
      this.#emit(`export interface ${def.name} {`);
      this.#interfaceBody(def.members, false);
      this.#emit(`}`);
      this.#emit(
        `/** ${def.name} (35=${def.msgType}): \`build\` a message to send, \`read\` a received one. */`,
      );
      this.#emit(
        `export const ${def.name} = defineMessage<${def.name}>(${
          JSON.stringify(def.msgType)
        }, "${def.name}", [`,
      );
      for (const line of wrap(this.#table(def.members).slice(1, -1).split(", "), "  ")) this.#emit(line);
      this.#emit(`], F);`);
      this.#emit();
    }

    this.#emit(`/** Every message type above by name: the first argument of \`cracker\`. */`);
    this.#emit(`export const MESSAGES = {`);
    for (const line of wrap(messages.map((d) => d.name), "  ")) this.#emit(line);
    this.#emit(`} as const;`);
    return this.#out.join("\n") + "\n";
  }
}

/** The generated module's source for a dictionary (`source` names it in the header). */
export function generateTyped(dict: Dictionary, source: string, title: string): string {
  return new Generator(dict).generate(source, title);
}

/** Each generated file's path and fresh text. */
export function generateAll(): { path: string; text: string }[] {
  return GENERATED_FILES.map((f) => ({
    path: f.path,
    text: generateTyped(builtinDictionary(f.beginString), `fixtures/dictionaries/${f.xml}`, f.title),
  }));
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  for (const { path, text } of generateAll()) {
    const target = new URL(path, root);
    Deno.mkdirSync(new URL("./", target), { recursive: true });
    Deno.writeTextFileSync(target, text);
    console.log(`gen: wrote ${path} (${text.split("\n").length} lines, ${text.length} bytes)`);
  }
}

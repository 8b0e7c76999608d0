/**
 * Loads QuickFIX XML data dictionaries into the read-only model of model.ts.
 *
 * Components are flattened into the messages and groups that use them; a component is flattened
 * once and its groups are shared by every message that uses it (so per-group tables the validator
 * builds are shared too). A field inside a component is required only when the component is
 * required in its parent and the field is required in the component, as QuickFIX reads it.
 */
import { DictionaryError } from "../errors.ts";
import type { Dictionary, FieldDef, GroupDef, MemberDef, MessageDef } from "./model.ts";
import { parseXml, type XmlElement, XmlSyntaxError } from "./xml.ts";

/** Parses dictionary XML text; `source` (a file path or a label) names it in errors and in `Dictionary.source`. */
export function parseDictionary(xml: string, source: string): Dictionary {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    if (e instanceof XmlSyntaxError) {
      const el = e.element === "" ? "" : ` in <${e.element}>`;
      throw new DictionaryError(`${source}:${e.line}: malformed XML${el}: ${e.message}`, { cause: e });
    }
    throw e;
  }
  return new Builder(root, source).build();
}

const cache = new Map<string, Dictionary>();

/** Loads (once; later calls return the cached model) the dictionary at `path`. Throws DictionaryError. */
export function loadDictionary(path: string): Dictionary {
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DictionaryError(`Cannot read dictionary "${path}": ${why}`, { cause: e });
  }
  const dict = parseDictionary(text, path);
  cache.set(path, dict);
  return dict;
}

/** The dictionary files shipped in fixtures/dictionaries, by the BeginString (or app version) they serve. */
export const BUILTIN_DICTIONARY_FILES: Readonly<Record<string, string>> = {
  "FIX.4.0": "FIX40.xml",
  "FIX.4.1": "FIX41.xml",
  "FIX.4.2": "FIX42.xml",
  "FIX.4.3": "FIX43.xml",
  "FIX.4.4": "FIX44.xml",
  "FIX.5.0": "FIX50.xml",
  "FIX.5.0SP1": "FIX50SP1.xml",
  "FIX.5.0SP2": "FIX50SP2.xml",
  "FIXT.1.1": "FIXT11.xml",
};

/** ApplVerID (1128/1137) values and the application dictionary each names. */
export const APPL_VER_ID_TO_VERSION: Readonly<Record<string, string>> = {
  "2": "FIX.4.0",
  "3": "FIX.4.1",
  "4": "FIX.4.2",
  "5": "FIX.4.3",
  "6": "FIX.4.4",
  "7": "FIX.5.0",
  "8": "FIX.5.0SP1",
  "9": "FIX.5.0SP2",
};

/** Path of a shipped dictionary file, resolved relative to this module. */
export function builtinDictionaryPath(file: string): string {
  const url = new URL(`../../fixtures/dictionaries/${file}`, import.meta.url);
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : url.href;
}

const builtinCache = new Map<string, Dictionary>();

/**
 * A shipped dictionary by BeginString: "FIX.4.0" .. "FIX.4.4"; "FIXT.1.1" gives the FIXT 1.1
 * transport dictionary combined with the FIX 5.0 SP2 application messages (see combineDictionaries);
 * "FIX.5.0", "FIX.5.0SP1", "FIX.5.0SP2" give the application dictionaries alone.
 * Throws DictionaryError (exit code 2) for an unknown BeginString.
 */
export function builtinDictionary(beginString: string): Dictionary {
  const hit = builtinCache.get(beginString);
  if (hit !== undefined) return hit;
  const file = BUILTIN_DICTIONARY_FILES[beginString];
  if (file === undefined) {
    throw new DictionaryError(
      `No built-in dictionary for BeginString "${beginString}" (known: ${
        Object.keys(BUILTIN_DICTIONARY_FILES).join(", ")
      })`,
    );
  }
  let dict = loadDictionary(builtinDictionaryPath(file));
  if (beginString === "FIXT.1.1") dict = combineDictionaries(dict, builtinDictionary("FIX.5.0SP2"));
  builtinCache.set(beginString, dict);
  return dict;
}

/**
 * One dictionary from a FIXT transport dictionary (BeginString, header, trailer, admin messages)
 * and an application dictionary (application messages): what a FIXT 1.1 session validates against.
 * Fields of both are kept; on a tag defined in both, the application's definition wins (it is the
 * newer one). Admin messages come from the transport dictionary.
 */
export function combineDictionaries(transportDict: Dictionary, app: Dictionary): Dictionary {
  // A combined dictionary given as the transport (the built-in "FIXT.1.1" is FIXT 1.1 + FIX 5.0 SP2):
  // its transport part alone, so the other application version's messages do not leak in.
  const transport = transportDict.parts?.transport ?? transportDict;
  const fieldsByTag = new Map<number, FieldDef>(transport.fieldsByTag);
  for (const [tag, f] of app.fieldsByTag) fieldsByTag.set(tag, f);
  const fieldsByName = new Map<string, FieldDef>();
  for (const f of fieldsByTag.values()) fieldsByName.set(f.name, f);
  const messagesByType = new Map<string, MessageDef>(app.messagesByType);
  for (const [t, m] of transport.messagesByType) messagesByType.set(t, m);
  const messagesByName = new Map<string, MessageDef>();
  for (const m of messagesByType.values()) messagesByName.set(m.name, m);
  return {
    beginString: transport.beginString,
    major: transport.major,
    minor: transport.minor,
    servicePack: transport.servicePack,
    fieldsByTag,
    fieldsByName,
    messagesByType,
    messagesByName,
    header: transport.header,
    trailer: transport.trailer,
    source: `${transport.source} + ${app.source}`,
    parts: { transport, app },
  };
}

/** A member list under construction, with the tags it covers. */
interface Flat {
  members: MemberDef[];
}

class Builder {
  readonly #root: XmlElement;
  readonly #source: string;
  readonly #fieldsByTag = new Map<number, FieldDef>();
  readonly #fieldsByName = new Map<string, FieldDef>();
  readonly #componentEls = new Map<string, XmlElement>();
  /** Flattened components (members relative to the component: required as the component says). */
  readonly #components = new Map<string, readonly MemberDef[]>();
  readonly #resolving = new Set<string>();

  constructor(root: XmlElement, source: string) {
    this.#root = root;
    this.#source = source;
  }

  #fail(el: XmlElement, msg: string): never {
    throw new DictionaryError(`${this.#source}:${el.line}: ${describe(el)}: ${msg}`);
  }

  #attr(el: XmlElement, name: string): string {
    const v = el.attrs.get(name);
    if (v === undefined || v === "") this.#fail(el, `missing attribute '${name}'`);
    return v;
  }

  #required(el: XmlElement): boolean {
    const r = el.attrs.get("required");
    if (r === undefined) return false;
    if (r === "Y" || r === "y") return true;
    if (r === "N" || r === "n") return false;
    return this.#fail(el, `attribute required='${r}' must be Y or N`);
  }

  build(): Dictionary {
    const root = this.#root;
    if (root.name !== "fix") this.#fail(root, "the root element must be <fix>");
    const type = root.attrs.get("type") ?? "FIX";
    if (type !== "FIX" && type !== "FIXT") this.#fail(root, `type='${type}' must be FIX or FIXT`);
    const major = this.#int(root, "major");
    const minor = this.#int(root, "minor");
    const spText = root.attrs.get("servicepack");
    const servicePack = spText === undefined || spText === "" ? 0 : this.#int(root, "servicepack");
    const beginString = type === "FIXT"
      ? `FIXT.${major}.${minor}`
      : `FIX.${major}.${minor}${servicePack > 0 ? `SP${servicePack}` : ""}`;

    const section = (name: string): XmlElement | undefined => {
      const found = root.children.filter((c) => c.name === name);
      if (found.length > 1) this.#fail(found[1]!, `<${name}> appears more than once`);
      return found[0];
    };
    for (const c of root.children) {
      if (!["header", "trailer", "messages", "components", "fields"].includes(c.name)) {
        this.#fail(c, "unexpected element under <fix>");
      }
    }
    const fieldsEl = section("fields");
    if (fieldsEl === undefined) this.#fail(root, "no <fields> section");
    this.#loadFields(fieldsEl);
    const componentsEl = section("components");
    if (componentsEl !== undefined) {
      for (const c of componentsEl.children) {
        if (c.name !== "component") this.#fail(c, "only <component> elements may appear in <components>");
        const name = this.#attr(c, "name");
        if (this.#componentEls.has(name)) this.#fail(c, `component '${name}' defined twice`);
        this.#componentEls.set(name, c);
      }
      // Resolve every component, used or not, so a broken one is reported even when unused.
      for (const name of this.#componentEls.keys()) this.#component(name, componentsEl);
    }
    const headerEl = section("header");
    const trailerEl = section("trailer");
    const header = this.#message(headerEl, "", "Header", "admin");
    const trailer = this.#message(trailerEl, "", "Trailer", "admin");
    const messagesByType = new Map<string, MessageDef>();
    const messagesByName = new Map<string, MessageDef>();
    const messagesEl = section("messages");
    for (const m of messagesEl?.children ?? []) {
      if (m.name !== "message") this.#fail(m, "only <message> elements may appear in <messages>");
      const name = this.#attr(m, "name");
      const msgType = this.#attr(m, "msgtype");
      const cat = m.attrs.get("msgcat") ?? "app";
      if (cat !== "admin" && cat !== "app") this.#fail(m, `msgcat='${cat}' must be admin or app`);
      if (messagesByType.has(msgType)) this.#fail(m, `msgtype '${msgType}' defined twice`);
      if (messagesByName.has(name)) this.#fail(m, `message '${name}' defined twice`);
      const def = this.#message(m, msgType, name, cat);
      messagesByType.set(msgType, def);
      messagesByName.set(name, def);
    }
    return {
      beginString,
      major,
      minor,
      servicePack,
      fieldsByTag: this.#fieldsByTag,
      fieldsByName: this.#fieldsByName,
      messagesByType,
      messagesByName,
      header,
      trailer,
      source: this.#source,
    };
  }

  #int(el: XmlElement, attr: string): number {
    const v = this.#attr(el, attr);
    if (!/^\d+$/.test(v)) this.#fail(el, `attribute ${attr}='${v}' must be a non-negative integer`);
    return Number(v);
  }

  #loadFields(fieldsEl: XmlElement): void {
    for (const f of fieldsEl.children) {
      if (f.name !== "field") this.#fail(f, "only <field> elements may appear in <fields>");
      const tag = this.#int(f, "number");
      if (tag <= 0) this.#fail(f, "a field number must be positive");
      const name = this.#attr(f, "name");
      const type = this.#attr(f, "type").toUpperCase();
      if (this.#fieldsByTag.has(tag)) this.#fail(f, `field number ${tag} defined twice`);
      if (this.#fieldsByName.has(name)) this.#fail(f, `field name '${name}' defined twice`);
      const enums = new Map<string, string>();
      for (const v of f.children) {
        if (v.name !== "value") this.#fail(v, "only <value> elements may appear in a <field>");
        const e = v.attrs.get("enum");
        if (e === undefined || e === "") this.#fail(v, "missing attribute 'enum'");
        if (enums.has(e)) this.#fail(v, `enum value '${e}' repeated`);
        enums.set(e, v.attrs.get("description") ?? e);
      }
      const def: FieldDef = { tag, name, type, enums };
      this.#fieldsByTag.set(tag, def);
      this.#fieldsByName.set(name, def);
    }
  }

  #fieldByName(el: XmlElement): FieldDef {
    const name = this.#attr(el, "name");
    const f = this.#fieldsByName.get(name);
    if (f === undefined) this.#fail(el, `field '${name}' is not defined in <fields>`);
    return f;
  }

  /** Flattens a component once (members required as the component itself says). */
  #component(name: string, at: XmlElement): readonly MemberDef[] {
    const done = this.#components.get(name);
    if (done !== undefined) return done;
    const el = this.#componentEls.get(name);
    if (el === undefined) this.#fail(at, `component '${name}' is not defined in <components>`);
    if (this.#resolving.has(name)) this.#fail(el, `component '${name}' contains itself`);
    this.#resolving.add(name);
    const flat: Flat = { members: [] };
    this.#members(el, flat, true);
    this.#resolving.delete(name);
    this.#checkNoDuplicates(el, flat.members);
    this.#components.set(name, flat.members);
    return flat.members;
  }

  /** Appends the flattened members of `el`'s children; `parentRequired` ANDs into required flags. */
  #members(el: XmlElement, out: Flat, parentRequired: boolean): void {
    for (const c of el.children) {
      if (c.name === "field") {
        const f = this.#fieldByName(c);
        out.members.push({ kind: "field", tag: f.tag, required: parentRequired && this.#required(c) });
      } else if (c.name === "group") {
        const g = this.#group(c);
        out.members.push({ kind: "group", group: g, required: parentRequired && this.#required(c) });
      } else if (c.name === "component") {
        const req = parentRequired && this.#required(c);
        for (const m of this.#component(this.#attr(c, "name"), c)) {
          out.members.push(m.required && !req ? { ...m, required: false } : m);
        }
      } else {
        this.#fail(c, "only <field>, <group> and <component> may appear here");
      }
    }
  }

  #group(el: XmlElement): GroupDef {
    const count = this.#fieldByName(el);
    const flat: Flat = { members: [] };
    this.#members(el, flat, true);
    const first = flat.members[0];
    if (first === undefined) this.#fail(el, `group '${count.name}' has no fields`);
    this.#checkNoDuplicates(el, flat.members);
    const delimiterTag = first.kind === "field" ? first.tag : first.group.countTag;
    const allTags = new Set<number>();
    const requiredTags = new Set<number>([delimiterTag]);
    const groupsByCountTag = new Map<number, GroupDef>();
    for (const m of flat.members) {
      if (m.kind === "field") {
        allTags.add(m.tag);
        if (m.required) requiredTags.add(m.tag);
      } else {
        allTags.add(m.group.countTag);
        for (const t of m.group.allTags) allTags.add(t);
        if (m.required) requiredTags.add(m.group.countTag);
        groupsByCountTag.set(m.group.countTag, m.group);
      }
    }
    return {
      countTag: count.tag,
      delimiterTag,
      members: flat.members,
      allTags,
      name: count.name,
      requiredTags,
      groupsByCountTag,
    };
  }

  /** A tag may appear once per level (message body or group entry); a dictionary repeating one is broken. */
  #checkNoDuplicates(el: XmlElement, members: readonly MemberDef[]): void {
    const seen = new Set<number>();
    for (const m of members) {
      const t = m.kind === "field" ? m.tag : m.group.countTag;
      if (seen.has(t)) {
        this.#fail(el, `field '${this.#fieldsByTag.get(t)?.name ?? t}' appears more than once at one level`);
      }
      seen.add(t);
    }
  }

  #message(el: XmlElement | undefined, msgType: string, name: string, category: string): MessageDef {
    const flat: Flat = { members: [] };
    if (el !== undefined) {
      this.#members(el, flat, true);
      this.#checkNoDuplicates(el, flat.members);
    }
    const topLevelTags = new Set<number>();
    const requiredTags = new Set<number>();
    const groupsByCountTag = new Map<number, GroupDef>();
    for (const m of flat.members) {
      const t = m.kind === "field" ? m.tag : m.group.countTag;
      topLevelTags.add(t);
      if (m.required) requiredTags.add(t);
      if (m.kind === "group") groupsByCountTag.set(t, m.group);
    }
    return { msgType, name, category, members: flat.members, topLevelTags, requiredTags, groupsByCountTag };
  }
}

/** `<message name='X'>` style description of an element for error messages. */
function describe(el: XmlElement): string {
  const name = el.attrs.get("name");
  const num = el.attrs.get("number");
  let s = `<${el.name}`;
  if (name !== undefined) s += ` name='${name}'`;
  if (num !== undefined) s += ` number='${num}'`;
  return s + ">";
}

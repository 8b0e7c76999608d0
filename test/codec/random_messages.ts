/**
 * Seeded random FIX messages that are valid for a dictionary: used by the round-trip property test,
 * the fuzzer (as seeds to mutate) and anyone needing realistic traffic. Same seed, same messages.
 */
import {
  type Field,
  type FieldValue,
  type FixMessage,
  formatTimestamp,
  LENGTH_TO_DATA_TAG,
} from "../../src/codec/mod.ts";
import type { Dictionary, MemberDef, MessageDef } from "../../src/dictionary/model.ts";
import { createPrng, type Prng as AppPrng } from "../../src/app/prng.ts";

/** A seeded PRNG (the product's mulberry32, src/app/prng.ts): tests must be reproducible from their seed. */
export class Prng {
  #p: AppPrng;
  constructor(seed: number) {
    this.#p = createPrng(seed);
  }
  /** A uniform 32-bit unsigned integer (the float times 2^32: exact, the float is that integer / 2^32). */
  next(): number {
    return this.#p.next() * 4294967296;
  }
  /** A float in [0, 1). */
  float(): number {
    return this.#p.next();
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }
  /** A random element. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const TEXT = ALNUM + " -_.:/#";

function word(rng: Prng, min: number, max: number, chars = ALNUM): string {
  let s = "";
  for (let n = rng.int(min, max); n > 0; n--) s += chars[rng.int(0, chars.length - 1)];
  return s;
}

const BASE_MS = Date.UTC(2026, 10, 22, 0, 0, 0, 0);
const pad = (n: number, w: number) => String(n).padStart(w, "0");

function date(rng: Prng): string {
  return `${rng.int(1990, 2040)}${pad(rng.int(1, 12), 2)}${pad(rng.int(1, 28), 2)}`;
}

/** A random value of a field of `type` (or one of its enum values). */
export function randomValue(rng: Prng, type: string, enums: ReadonlyMap<string, string>): FieldValue {
  if (enums.size > 0) {
    const values = [...enums.keys()];
    if (type.startsWith("MULTIPLE")) {
      const picked = new Set<string>();
      for (let n = rng.int(1, Math.min(3, values.length)); n > 0; n--) picked.add(rng.pick(values));
      return [...picked].join(" ");
    }
    const v = rng.pick(values);
    if (type === "BOOLEAN" && rng.chance(0.5)) return v === "Y";
    return v;
  }
  switch (type) {
    case "INT":
      return rng.chance(0.5) ? rng.int(-1000, 1_000_000) : String(rng.int(0, 99999));
    case "LENGTH":
    case "SEQNUM":
    case "NUMINGROUP":
      return rng.int(0, 100000);
    case "DAYOFMONTH":
      return rng.int(1, 31);
    case "FLOAT":
    case "PRICE":
    case "QTY":
    case "AMT":
    case "PERCENTAGE":
    case "PRICEOFFSET": {
      const x = rng.int(-99999999, 99999999) / 10 ** rng.int(0, 6);
      return rng.chance(0.5) ? x : x.toFixed(rng.int(0, 8));
    }
    case "CHAR":
      return word(rng, 1, 1);
    case "BOOLEAN":
      return rng.chance(0.5);
    case "UTCTIMESTAMP":
    case "TIME":
      return formatTimestamp(
        BASE_MS + rng.int(-1e9, 1e9) * 1000 + rng.int(0, 999),
        rng.pick(["s", "ms", "us", "ns"] as const),
        rng.int(0, 999999),
      );
    case "UTCDATEONLY":
    case "UTCDATE":
    case "LOCALMKTDATE":
    case "DATE":
      return date(rng);
    case "UTCTIMEONLY":
      return `${pad(rng.int(0, 23), 2)}:${pad(rng.int(0, 59), 2)}:${pad(rng.int(0, 59), 2)}` +
        (rng.chance(0.5) ? `.${pad(rng.int(0, 999), 3)}` : "");
    case "TZTIMEONLY":
      return `${pad(rng.int(0, 23), 2)}:${pad(rng.int(0, 59), 2)}` + rng.pick(["", ":07", ":07.250"]) +
        rng.pick(["", "Z", "+01", "-05:30"]);
    case "TZTIMESTAMP":
      return `${date(rng)}-${pad(rng.int(0, 23), 2)}:${pad(rng.int(0, 59), 2)}:${pad(rng.int(0, 59), 2)}` +
        rng.pick(["Z", "+09", "-04:00"]);
    case "MONTHYEAR":
      return date(rng).slice(0, rng.pick([6, 8]));
    case "CURRENCY":
      return rng.pick(["USD", "EUR", "JPY", "GBP"]);
    case "COUNTRY":
      return rng.pick(["US", "GB", "JP", "DE"]);
    case "EXCHANGE":
      return rng.pick(["XNYS", "XLON", "N", "O"]);
    case "LANGUAGE":
      return rng.pick(["en", "fr", "ja"]);
    default:
      return word(rng, 1, 16, TEXT);
  }
}

/** Bytes of a data field: printable text, sometimes with SOH and '=' inside (which data fields may hold). */
function dataValue(rng: Prng): string {
  let s = word(rng, 1, 24, TEXT);
  if (rng.chance(0.5)) s = s.slice(0, 3) + "\x01" + "9=1" + "\x01" + s.slice(3);
  return s;
}

/** How much optional content a generated message gets. */
export interface RandomMessageOptions {
  /** Probability that an optional field or group is present. Default 0.35. */
  optionalRate?: number;
  /** Largest number of entries per repeating group. Default 3. */
  maxEntries?: number;
}

/**
 * A random message of type `def`, valid for `dict`: standard header (49, 56, 34, 52 and random optional
 * header fields), body members in dictionary order, groups with nested entries, sometimes a signature.
 * Fields come in the order `encodeMessage` writes them, so the decoded fields equal `fields` in order.
 */
export function randomMessage(
  dict: Dictionary,
  def: MessageDef,
  rng: Prng,
  options: RandomMessageOptions = {},
): FixMessage {
  const optionalRate = options.optionalRate ?? 0.35;
  const maxEntries = options.maxEntries ?? 3;
  const fields: Field[] = [];
  const skip = new Set([8, 9, 35, 10]);

  const value = (tag: number): FieldValue => {
    const f = dict.fieldsByTag.get(tag)!;
    return randomValue(rng, f.type, f.enums);
  };

  const members = (list: readonly MemberDef[], depth: number, forceFirst: boolean, rate: number): void => {
    const pendingData = new Map<number, string>();
    list.forEach((m, idx) => {
      const required = m.required || (forceFirst && idx === 0);
      if (m.kind === "field") {
        if (skip.has(m.tag)) return;
        const dataTag = LENGTH_TO_DATA_TAG.get(m.tag);
        if (dataTag !== undefined && list.some((x) => x.kind === "field" && x.tag === dataTag)) {
          if (required || rng.chance(rate)) {
            const data = dataValue(rng);
            fields.push([m.tag, data.length]);
            pendingData.set(dataTag, data);
          }
          return;
        }
        const pending = pendingData.get(m.tag);
        if (pending !== undefined) {
          fields.push([m.tag, pending]);
          return;
        }
        if (dict.fieldsByTag.get(m.tag)?.type === "DATA") return; // only with its length field
        if (required || rng.chance(rate)) fields.push([m.tag, value(m.tag)]);
        return;
      }
      if (!required && !rng.chance(depth > 1 ? rate / 2 : rate)) return;
      // Some counts are enumerated (NoSides: 1 or 2).
      const allowed = [...(dict.fieldsByTag.get(m.group.countTag)?.enums.keys() ?? [])].map(Number);
      const n = allowed.length > 0 ? rng.pick(allowed) : rng.int(1, depth > 1 ? 1 : maxEntries);
      fields.push([m.group.countTag, n]);
      for (let e = 0; e < n; e++) members(m.group.members, depth + 1, true, rate);
    });
  };

  members(dict.header.members, 1, false, optionalRate / 4);
  members(def.members, 1, false, optionalRate);
  members(dict.trailer.members, 1, false, optionalRate / 4);
  return { msgType: def.msgType, fields };
}

/** The wire text a FieldValue becomes (as the Encoder writes it). */
export function wireText(v: FieldValue): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "Y" : "N";
  if (typeof v === "number") return String(v);
  return new TextDecoder("latin1").decode(v);
}

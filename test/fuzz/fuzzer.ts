/**
 * The fuzzer behind test/fuzz/fuzz_test.ts (bounded) and scripts/fuzz.ts (long runs).
 *
 * Each iteration builds a byte stream from valid FIX 4.4 messages, mutated (bit flips, random and
 * non-ASCII bytes, truncation, repeated, dropped and reordered fields, huge lengths, spliced
 * frames, junk), often with BodyLength and CheckSum fixed up afterwards so the damage reaches the
 * view and the validator instead of stopping at the framer. The stream goes to a Framer in random
 * chunks; every frame goes through MessageView, validate() under several option sets, group
 * reading and typed getters. Checked each time:
 *  - no exception escapes;
 *  - the framer's buffered bytes never exceed the largest frame plus one chunk;
 *  - every byte pushed is accounted for: in a frame, in a garbled report (with a reason), or still
 *    buffered; garbled reasons are known ones;
 *  - every reject carries a known SessionRejectReason, its spec text and a positive RefTagID.
 * An iteration depends only on (seed, iteration), so a failure is reproduced by those two numbers.
 */
import {
  checksum,
  encodeMessage,
  Encoder,
  Framer,
  type GarbledReason,
  MessageView,
  toReadable,
} from "../../src/codec/mod.ts";
import {
  builtinDictionary,
  type Dictionary,
  SESSION_REJECT_TEXT,
  validate,
  validationOptions,
} from "../../src/dictionary/mod.ts";
import type { MessageDef } from "../../src/dictionary/model.ts";
import { Prng, randomMessage } from "../codec/random_messages.ts";

/** A broken invariant, with what is needed to reproduce it. */
export class FuzzFailure extends Error {
  constructor(
    message: string,
    readonly seed: number,
    readonly iteration: number,
    readonly input: Uint8Array,
  ) {
    super(`${message} (seed ${seed}, iteration ${iteration}; input: ${JSON.stringify(toReadable(input))})`);
    this.name = "FuzzFailure";
  }
}

/** Totals over a run, to show the fuzzer reached every layer. */
export interface FuzzStats {
  iterations: number;
  bytes: number;
  frames: number;
  garbled: number;
  rejects: number;
  valid: number;
  reasons: Map<number, number>;
  garbledReasons: Map<string, number>;
}

const MAX_FRAME = 64 * 1024;
const MAX_CHUNK = 4096;
const KNOWN_GARBLED: ReadonlySet<GarbledReason> = new Set<GarbledReason>([
  "junk before BeginString",
  "BodyLength missing or not the second field",
  "BodyLength invalid",
  "BodyLength too large",
  "BodyLength mismatch: no CheckSum where BodyLength points",
  "CheckSum mismatch",
  "CheckSum malformed",
  "MsgType missing or not the third field",
]);

const OPTION_SETS = [
  validationOptions(),
  validationOptions({
    rejectUndefinedTags: false,
    rejectTagsNotInMessage: false,
    validateUserDefinedFields: true,
  }),
  validationOptions({ checkGroups: false, checkFieldOrder: false, checkRepeatedTags: false }),
  validationOptions({
    checkMsgType: false,
    checkDataFormat: false,
    checkEnumValues: false,
    checkFieldsHaveValues: false,
  }),
];

/** Runs fuzz iterations against the FIX 4.4 dictionary. */
export class Fuzzer {
  readonly seed: number;
  readonly stats: FuzzStats = {
    iterations: 0,
    bytes: 0,
    frames: 0,
    garbled: 0,
    rejects: 0,
    valid: 0,
    reasons: new Map(),
    garbledReasons: new Map(),
  };
  readonly #dict: Dictionary;
  readonly #defs: MessageDef[];
  readonly #enc = new Encoder(1024);
  readonly #view = new MessageView();

  constructor(seed: number) {
    this.seed = seed;
    this.#dict = builtinDictionary("FIX.4.4");
    this.#defs = [...this.#dict.messagesByType.values()];
  }

  /** Runs iteration `i` (deterministic in seed and i); throws FuzzFailure on a broken invariant. */
  iteration(i: number): void {
    const rng = new Prng((Math.imul(this.seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
    const frames: Uint8Array[] = [];
    for (let n = rng.int(1, 4); n > 0; n--) frames.push(this.#mutatedFrame(rng));
    if (rng.chance(0.2)) frames.splice(rng.int(0, frames.length), 0, randomBytes(rng, rng.int(1, 64)));
    const stream = concat(frames);
    this.stats.iterations++;
    this.stats.bytes += stream.length;
    try {
      this.#checkStream(stream, rng);
      // The raw bytes straight into a view too: layouts the framer would refuse.
      this.#checkView(MessageView.parse(stream), stream);
      for (const f of frames) this.#checkView(MessageView.parse(f), f);
    } catch (e) {
      if (e instanceof FuzzFailure) throw e;
      throw new FuzzFailure(
        `exception escaped: ${e instanceof Error ? (e.stack ?? e.message) : e}`,
        this.seed,
        i,
        stream,
      );
    }
  }

  #fail(msg: string, input: Uint8Array): never {
    throw new FuzzFailure(msg, this.seed, this.stats.iterations - 1, input);
  }

  #checkStream(stream: Uint8Array, rng: Prng): void {
    let framed = 0;
    let dropped = 0;
    const framer = new Framer({
      onFrame: (buf, s, e) => {
        framed += e - s;
        this.stats.frames++;
        const sum = checksum(buf, s, e - 7);
        const written = (buf[e - 4]! - 48) * 100 + (buf[e - 3]! - 48) * 10 + (buf[e - 2]! - 48);
        if (sum !== written) this.#fail("framer handed out a frame with a wrong CheckSum", stream);
        this.#checkView(this.#view.parseInto(buf, s, e), stream);
      },
      onGarbled: (g) => {
        if (!KNOWN_GARBLED.has(g.reason)) this.#fail(`unknown garbled reason ${g.reason}`, stream);
        if (g.length <= 0) this.#fail(`garbled report without bytes at ${g.offset}`, stream);
        dropped += g.length;
        this.stats.garbled++;
        this.stats.garbledReasons.set(g.reason, (this.stats.garbledReasons.get(g.reason) ?? 0) + 1);
      },
    }, { maxMessageSize: MAX_FRAME });
    for (let at = 0; at < stream.length;) {
      const n = Math.min(stream.length - at, rng.chance(0.3) ? rng.int(1, 8) : rng.int(1, MAX_CHUNK));
      framer.push(stream.subarray(at, at + n));
      at += n;
      if (framer.buffered > MAX_FRAME + MAX_CHUNK) {
        this.#fail(`framer holds ${framer.buffered} bytes`, stream);
      }
    }
    if (framed + dropped + framer.buffered !== stream.length) {
      this.#fail(
        `bytes unaccounted for: ${stream.length} pushed, ${framed} framed, ${dropped} dropped, ${framer.buffered} buffered`,
        stream,
      );
    }
  }

  #checkView(v: MessageView, input: Uint8Array): void {
    for (const options of OPTION_SETS) {
      const r = validate(v, this.#dict, options);
      if (r === undefined) {
        this.stats.valid++;
        continue;
      }
      this.stats.rejects++;
      this.stats.reasons.set(r.reason, (this.stats.reasons.get(r.reason) ?? 0) + 1);
      if (SESSION_REJECT_TEXT[r.reason] === undefined || r.text !== SESSION_REJECT_TEXT[r.reason]) {
        this.#fail(`reject with unknown reason or text: ${JSON.stringify(r)}`, input);
      }
      // RefTagID 0 or a negative number is the answer for a field numbered so ("Invalid tag number", 371=0, 371=-1).
      if (r.refTagId !== undefined && !Number.isInteger(r.refTagId)) {
        this.#fail(`reject with a bad RefTagID: ${JSON.stringify(r)}`, input);
      }
    }
    // Readers must not throw on any input either.
    v.msgType;
    v.seqNum;
    for (const tag of [34, 52, 38, 44, 54, 60, 95, 96, 453]) {
      v.getInt(tag);
      v.getFloat(tag);
      v.getDecimalScaled(tag, 4);
      v.getTimestamp(tag);
      v.getDateOnly(tag);
      v.getBoolean(tag);
      v.getChar(tag);
      v.getBytes(tag);
    }
    const def = this.#dict.messagesByType.get(v.msgType);
    if (def !== undefined) {
      for (const g of def.groupsByCountTag.values()) {
        for (const e of v.group(g.countTag, g.delimiterTag, g.allTags)) {
          e.getString(g.delimiterTag);
          for (const inner of g.groupsByCountTag.values()) {
            e.group(inner.countTag, inner.delimiterTag, inner.allTags);
          }
        }
      }
    }
    v.copy();
  }

  /** A valid message, mutated 0..4 times, often with BodyLength and CheckSum made right again. */
  #mutatedFrame(rng: Prng): Uint8Array {
    const def = rng.pick(this.#defs);
    const msg = randomMessage(this.#dict, def, rng, { optionalRate: rng.pick([0.05, 0.3, 0.7]) });
    let bytes: Uint8Array = encodeMessage(this.#enc, "FIX.4.4", msg).slice();
    const rounds = rng.chance(0.15) ? 0 : rng.int(1, 4);
    for (let k = 0; k < rounds; k++) bytes = mutate(bytes, rng);
    if (rng.chance(0.6)) bytes = fixUp(bytes);
    return bytes;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function randomBytes(rng: Prng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    b[i] = rng.chance(0.3) ? rng.pick([1, 0x3d, 0x38, 0x39, 0x30, 0x7c, 0xff, 0x80, 0xc3]) : rng.int(0, 255);
  }
  return b;
}

/** Splits a frame into its fields (each with its trailing SOH); data fields may be cut oddly: fine. */
function fields(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 1) {
      out.push(b.subarray(s, i + 1));
      s = i + 1;
    }
  }
  if (s < b.length) out.push(b.subarray(s));
  return out;
}

/** Bytes of a string whose chars are all below 256 (one byte each, as FIX sees them). */
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** One random mutation. */
function mutate(b: Uint8Array, rng: Prng): Uint8Array {
  if (b.length === 0) return randomBytes(rng, 8);
  const f = fields(b);
  switch (rng.int(0, 11)) {
    case 0: { // bit flips
      const c = b.slice();
      for (let n = rng.int(1, 4); n > 0; n--) c[rng.int(0, c.length - 1)]! ^= 1 << rng.int(0, 7);
      return c;
    }
    case 1: { // random or non-ASCII bytes overwritten
      const c = b.slice();
      for (let n = rng.int(1, 6); n > 0; n--) {
        c[rng.int(0, c.length - 1)] = rng.pick([0, 1, 0x3d, 0x80, 0xff, rng.int(0, 255)]);
      }
      return c;
    }
    case 2: // truncation
      return b.slice(0, rng.int(0, b.length - 1));
    case 3: { // a field repeated
      const k = rng.int(0, f.length - 1);
      f.splice(rng.int(0, f.length), 0, f[k]!);
      return concat(f);
    }
    case 4: { // two fields swapped
      const a = rng.int(0, f.length - 1), z = rng.int(0, f.length - 1);
      [f[a], f[z]] = [f[z]!, f[a]!];
      return concat(f);
    }
    case 5: // a field dropped
      f.splice(rng.int(0, f.length - 1), 1);
      return concat(f);
    case 6: { // a huge or negative number where a number was
      const k = rng.int(0, f.length - 1);
      const eq = f[k]!.indexOf(0x3d);
      if (eq < 0) return b;
      const v = rng.pick([
        "99999999999999999999",
        "4294967296",
        "2147483648",
        "-1",
        "1e9",
        "000000000007",
        "99999",
      ]);
      f[k] = concat([f[k]!.subarray(0, eq + 1), ascii(v), new Uint8Array([1])]);
      return concat(f);
    }
    case 7: { // a data length field lying about its data
      const v = rng.pick(["95", "212", "93", "354", "90"]);
      f.splice(rng.int(1, f.length), 0, ascii(`${v}=${rng.pick([0, 1, 5, 100, 100000])}\x01`));
      return concat(f);
    }
    case 8: { // a group count off by some
      const counts = f.map((x, i) => [x, i] as const).filter(([x]) =>
        /^(453|268|146|267|552|78|555|382|802)=/.test(new TextDecoder().decode(x.subarray(0, 4)))
      );
      if (counts.length === 0) return b;
      const [x, i] = rng.pick(counts);
      const eq = x.indexOf(0x3d);
      f[i] = concat([x.subarray(0, eq + 1), ascii(String(rng.int(0, 30))), new Uint8Array([1])]);
      return concat(f);
    }
    case 9: { // junk fields: empty value, no '=', tag 0, long tag, unknown tag
      const junk = rng.pick([
        "58=\x01",
        "abc\x01",
        "0=1\x01",
        "12345678901=1\x01",
        "4999=x\x01",
        "=5\x01",
        "\x01",
        "9999=\xff\xfe\x01",
      ]);
      f.splice(rng.int(0, f.length), 0, ascii(junk));
      return concat(f);
    }
    case 10: { // fields moved between header, body and trailer
      const k = rng.int(0, f.length - 1);
      const [moved] = f.splice(k, 1);
      f.splice(rng.pick([0, 1, 2, 3, f.length - 1, f.length]), 0, moved!);
      return concat(f);
    }
    default: { // a splice of two copies at random points
      const a = rng.int(0, b.length), z = rng.int(0, b.length);
      return concat([b.subarray(0, a), b.subarray(z)]);
    }
  }
}

/** Rewrites BodyLength and CheckSum of a mutated frame when its 8=, 9= and 10= can still be found. */
function fixUp(b: Uint8Array): Uint8Array {
  const s = new TextDecoder("latin1").decode(b);
  // deno-lint-ignore no-control-regex
  const m = /^(8=[^\x01]*\x01)9=[^\x01]*\x01/.exec(s);
  if (m === null) return b;
  const tail = s.lastIndexOf("\x0110=");
  const bodyStart = m[0].length;
  const bodyEnd = tail < bodyStart ? b.length : tail + 1;
  const body = b.subarray(bodyStart, bodyEnd);
  const head = ascii(`${m[1]}9=${body.length}\x01`);
  const noSum = concat([head, body]);
  const sum = checksum(noSum, 0, noSum.length);
  return concat([noSum, ascii(`10=${String(sum).padStart(3, "0")}\x01`)]);
}

/**
 * Differential test of the Validator's remembered layouts (validate_checks.ts sameShape, one pass since
 * 6b007ff): a validator that has learnt the layout of a valid message must judge every message exactly
 * as a fresh validator (the full check, allFields) judges it: same reject reason, same RefTagID, or
 * valid. Random valid messages of every type of the built-in dictionaries (test/codec/random_messages.ts)
 * are mutated (bad values, empty values, fields swapped, removed, repeated, renumbered, group counts
 * changed, one to three mutations at once), under strict validation and with single checks switched off.
 * Seeded and bounded: the same messages on every run.
 */
import assert from "node:assert/strict";
import { checksum, encodeMessage, Encoder, MessageView, toReadable } from "../../src/codec/mod.ts";
import { builtinDictionary, type ValidationOptions, Validator } from "../../src/dictionary/mod.ts";
import { Prng, randomMessage, wireText } from "../codec/random_messages.ts";

type Pair = [number, string];

/** A frame of `pairs` (35 first, no 8/9/10: added here, BodyLength and CheckSum right). */
function frameOf(begin: string, pairs: readonly Pair[]): Uint8Array {
  let body = "";
  for (const [t, v] of pairs) body += `${t}=${v}\x01`;
  const text = `8=${begin}\x019=${body.length}\x01${body}`;
  const out = new Uint8Array(text.length + 7);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  const sum = String(checksum(out, 0, text.length)).padStart(3, "0");
  const tail = `10=${sum}\x01`;
  for (let i = 0; i < tail.length; i++) out[text.length + i] = tail.charCodeAt(i);
  return out;
}

/** Values that break one check or another: enums, formats, empty, timestamps, counts. */
const BAD_VALUES = [
  "",
  "Q",
  "ZZ",
  "1x",
  "-1",
  "0",
  "99999",
  "1.5.5",
  "20261301-00:00:00",
  "20260230-12:00:00",
  "20261122-24:00:00",
  "20261122-23:59:60",
  "N",
  "Y",
  "abc def",
  "007",
];
/** Tags put in place of others: header, body, trailer, group members and counts, undefined, user-defined. */
const OTHER_TAGS = [
  1,
  11,
  34,
  38,
  44,
  49,
  52,
  54,
  55,
  56,
  58,
  60,
  89,
  93,
  97,
  268,
  269,
  447,
  448,
  453,
  5000,
  9999,
];

function mutate(rng: Prng, pairs: Pair[]): Pair[] {
  const out = pairs.map((p) => [p[0], p[1]] as Pair);
  const n = rng.int(1, 3);
  for (let k = 0; k < n; k++) {
    if (out.length < 2) break;
    // Index 0 is 35=: now and then another type, known or not (unknown types share one layout).
    if (rng.chance(0.05)) {
      out[0]![1] = rng.pick(["ZZ", "ZY", "D", "8", "0", ""]);
      continue;
    }
    const i = rng.int(1, out.length - 1);
    switch (rng.int(0, 6)) {
      case 0:
        out[i]![1] = rng.pick(BAD_VALUES);
        break;
      case 1: {
        // A count or any number off by one.
        const v = Number(out[i]![1]);
        out[i]![1] = Number.isInteger(v) ? String(Math.max(0, v + (rng.chance(0.5) ? 1 : -1))) : "";
        break;
      }
      case 2:
        out.splice(i, 1);
        break;
      case 3:
        if (i + 1 < out.length) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
        break;
      case 4:
        out.splice(rng.int(1, out.length), 0, [out[i]![0], out[i]![1]]);
        break;
      case 5:
        out[i]![0] = rng.pick(OTHER_TAGS);
        break;
      default:
        out.splice(rng.int(1, out.length), 0, [rng.pick(OTHER_TAGS), rng.pick(BAD_VALUES) || "x"]);
    }
  }
  return out;
}

const VARIANTS: Array<Partial<ValidationOptions>> = [
  {},
  { checkDataFormat: false },
  { checkEnumValues: false },
  { checkFieldsHaveValues: false },
  { rejectTagsNotInMessage: false, rejectUndefinedTags: false, validateUserDefinedFields: false },
  { checkFieldOrder: false, checkRepeatedTags: false },
  { checkGroups: false },
  { checkRequiredFields: false },
  { checkMsgType: false },
];

for (const begin of ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1"]) {
  Deno.test(`${begin}: a validator with remembered layouts judges mutated messages as a fresh one`, () => {
    const dict = builtinDictionary(begin);
    const rng = new Prng(20261207 + begin.length * 7 + begin.charCodeAt(6));
    const enc = new Encoder(256);
    let compared = 0, rejects = 0, viaLayout = 0;
    const reasons = new Set<number>();
    for (const validation of VARIANTS) {
      const learnt = new Validator({ dictionary: dict, validation });
      for (const def of dict.messagesByType.values()) {
        for (let k = 0; k < 3; k++) {
          // FIXT: a session-level message is validated against the transport dictionary alone (as by
          // QuickFIX), whose definitions of shared header tags may differ (MessageEncoding's enum).
          const from = def.category === "admin" ? dict.parts?.transport ?? dict : dict;
          const msg = randomMessage(from, def, rng, { optionalRate: k === 0 ? 0.8 : 0.3, maxEntries: 3 });
          // FIXT: the default application version throughout (an ApplVerID would name another, and a
          // Logon's DefaultApplVerID other than 9 would change it for the messages after it: session state).
          msg.fields = msg.fields.filter(([t]) => t !== 1128 && t !== 1129)
            .map(([t, v]) => [t, t === 1137 ? "9" : v]);
          const parsed = MessageView.parse(encodeMessage(enc, begin, msg).slice());
          const base: Pair[] = [[35, msg.msgType], ...msg.fields.map(([t, v]) => [t, wireText(v)] as Pair)];
          // The layout learnt (valid under strict rules, so under every variant).
          assert.equal(learnt.validate(parsed), undefined, `${begin} ${def.name}: ${toReadable(parsed.buf)}`);
          if (begin === "FIXT.1.1" && rng.chance(0.3)) {
            // FIXT: now and then the message of another application version (ApplVerID 1128 in the
            // header): other tables, their own layouts; judged as by a fresh validator, valid or not.
            base.splice(1, 0, [1128, rng.pick(["7", "8", "9"])]);
            const other = frameOf(begin, base);
            assert.deepEqual(
              learnt.validate(MessageView.parse(other)),
              new Validator({ dictionary: dict, validation }).validate(MessageView.parse(other)),
              `${begin} ${def.name}: ${toReadable(other)}`,
            );
          }
          for (let j = 0; j < 12; j++) {
            const pairs = mutate(rng, base);
            const bytes = frameOf(begin, pairs);
            const fresh = new Validator({ dictionary: dict, validation }).validate(MessageView.parse(bytes));
            const got = learnt.validate(MessageView.parse(bytes));
            assert.deepEqual(
              got,
              fresh,
              `${begin} ${JSON.stringify(validation)} ${def.name}: ${toReadable(bytes)}`,
            );
            // Back to the base layout now and then (a valid mutation taught the validator its own).
            if (rng.chance(0.3)) learnt.validate(MessageView.parse(frameOf(begin, base)));
            compared++;
            if (pairs.length === base.length) viaLayout++;
            if (fresh !== undefined) {
              rejects++;
              reasons.add(fresh.reason);
            }
          }
        }
      }
    }
    // The mix exercised both paths and the usual rejects.
    assert.ok(compared > 1000, `compared ${compared}`);
    assert.ok(viaLayout > compared / 4, `same length as the layout: ${viaLayout} of ${compared}`);
    assert.ok(rejects > compared / 2, `rejects ${rejects} of ${compared}`);
    for (const r of [0, 1, 2, 4, 5, 6, 13]) assert.ok(reasons.has(r), `reason ${r} seen: ${[...reasons]}`);
  });
}

/** Property test: decode(encode(m)) == m for random valid messages of every FIX 4.4 message type. */
import assert from "node:assert/strict";
import {
  encodeMessage,
  Encoder,
  Framer,
  type Garbled,
  MessageView,
  toReadable,
} from "../../src/codec/mod.ts";
import { builtinDictionary, validate } from "../../src/dictionary/mod.ts";
import { Prng, randomMessage, wireText } from "./random_messages.ts";

const SEED = 20261122;
const PER_TYPE = 12;

Deno.test("round trip: every FIX 4.4 message type, random valid messages, framed in random chunks", () => {
  const dict = builtinDictionary("FIX.4.4");
  const rng = new Prng(SEED);
  const enc = new Encoder(256);
  const stream: Uint8Array[] = [];
  const expected: Array<Array<[number, string]>> = [];
  let groups = 0;
  for (const def of dict.messagesByType.values()) {
    for (let k = 0; k < PER_TYPE; k++) {
      const msg = randomMessage(dict, def, rng, { optionalRate: k % 3 === 0 ? 0.9 : 0.35 });
      const frame = encodeMessage(enc, "FIX.4.4", msg);
      const want: Array<[number, string]> = [
        [35, msg.msgType],
        ...msg.fields.map(([t, v]) => [t, wireText(v)] as [number, string]),
      ];
      // Decoded straight from the encoder's buffer: same fields, same order, valid.
      const v = MessageView.parse(frame);
      const got = v.toPairs();
      assert.deepEqual(got.slice(2, -1), want, `${def.name} #${k}: ${toReadable(frame)}`);
      assert.equal(got[0]![1], "FIX.4.4");
      assert.equal(Number(got[1]![1]), frame.length - got[0]![1].length - 3 - got[1]![1].length - 3 - 7);
      assert.equal(validate(v, dict), undefined, `${def.name} #${k}: ${toReadable(frame)}`);
      for (const [t] of msg.fields) if (def.groupsByCountTag.has(t)) groups++;
      stream.push(frame.slice());
      expected.push(want);
    }
  }
  assert.ok(groups > 200, `groups exercised: ${groups}`);

  // The same messages as one byte stream, cut at random places, through the framer.
  const total = stream.reduce((n, f) => n + f.length, 0);
  const all = new Uint8Array(total);
  let p = 0;
  for (const f of stream) {
    all.set(f, p);
    p += f.length;
  }
  let i = 0;
  const bad: Garbled[] = [];
  const view = new MessageView();
  const framer = new Framer({
    onFrame: (buf, s, e) => {
      view.parseInto(buf, s, e);
      assert.deepEqual(view.toPairs().slice(2, -1), expected[i], `frame ${i}`);
      assert.equal(validate(view, dict), undefined);
      i++;
    },
    onGarbled: (g) => bad.push(g),
  }, { maxMessageSize: 1 << 20 });
  for (let at = 0; at < total;) {
    const n = Math.min(total - at, rng.int(1, 700));
    framer.push(all.subarray(at, at + n));
    at += n;
  }
  assert.deepEqual(bad, []);
  assert.equal(i, stream.length);
  assert.equal(framer.buffered, 0);
});

Deno.test("round trip and validity for every message type of every shipped version (FIX 4.0 to FIXT 1.1)", () => {
  const enc = new Encoder(256);
  for (const begin of ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIXT.1.1"]) {
    const dict = builtinDictionary(begin);
    const rng = new Prng(SEED + begin.length);
    for (const def of dict.messagesByType.values()) {
      for (let k = 0; k < 3; k++) {
        const msg = randomMessage(dict, def, rng);
        const frame = encodeMessage(enc, begin, msg);
        const v = MessageView.parse(frame);
        const want = [[35, msg.msgType], ...msg.fields.map(([t, x]) => [t, wireText(x)])];
        assert.deepEqual(v.toPairs().slice(2, -1), want, `${begin} ${def.name}: ${toReadable(frame)}`);
        assert.equal(validate(v, dict), undefined, `${begin} ${def.name}: ${toReadable(frame)}`);
      }
    }
  }
});

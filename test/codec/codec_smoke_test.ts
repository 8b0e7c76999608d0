import assert from "node:assert/strict";
import { Encoder, Framer, type Garbled, MessageView, toReadable } from "../../src/codec/mod.ts";

Deno.test("encoder writes BodyLength and CheckSum; framer and view read them back", () => {
  const enc = new Encoder(64);
  enc.begin("FIX.4.4", "D").str(49, "TW").str(56, "ISLD").int(34, 2).timestamp(
    52,
    Date.UTC(2026, 10, 22, 1, 2, 3, 45),
  )
    .str(11, "ord-1").char(54, "1").decimal(38, 100).decimal(44, 1.2345);
  const frame = enc.finish();
  assert.equal(
    toReadable(frame),
    "8=FIX.4.4|9=80|35=D|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|11=ord-1|54=1|38=100|44=1.2345|10=" +
      toReadable(frame).slice(-4),
  );
  const frames: string[] = [];
  const bad: Garbled[] = [];
  const fr = new Framer({
    onFrame: (b, s, e) => frames.push(toReadable(b, s, e)),
    onGarbled: (g) => bad.push(g),
  });
  const twice = new Uint8Array(frame.length * 2);
  twice.set(frame);
  twice.set(frame, frame.length);
  for (const byte of twice) fr.push(new Uint8Array([byte]));
  assert.equal(frames.length, 2);
  assert.deepEqual(bad, []);
  const v = MessageView.parse(frame);
  assert.equal(v.msgType, "D");
  assert.equal(v.getInt(34), 2);
  assert.equal(v.getDecimalScaled(44, 6), 1234500);
  assert.equal(v.getTimestamp(52)?.epochMs, Date.UTC(2026, 10, 22, 1, 2, 3, 45));
});

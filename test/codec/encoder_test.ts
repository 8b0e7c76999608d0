import assert from "node:assert/strict";
import { encodeMessage, Encoder, toReadable } from "../../src/codec/mod.ts";
import { ExecutionReport, NewOrderSingle } from "../../src/dictionary/generated/fix44.ts";

Deno.test("BuiltMessage: the encoder fast path writes exactly the bytes of its field list; once the list is read, the list is what counts", () => {
  const m = ExecutionReport.build({
    orderID: "O1",
    clOrdID: "C1",
    execID: "E1",
    execType: "0",
    ordStatus: "0",
    symbol: "EUR/USD",
    side: "1",
    orderQty: 1000,
    ordType: "2",
    price: "1.0851",
    timeInForce: "0",
    leavesQty: 1000,
    cumQty: 0,
    avgPx: 0,
    transactTime: Date.UTC(2026, 10, 22, 5, 0, 0, 123),
  });
  const enc = new Encoder();
  enc.begin("FIX.4.4", "8");
  assert.equal(m.writeBody!(enc), true);
  const fast = enc.finish().slice();
  const slow = encodeMessage(new Encoder(), "FIX.4.4", { msgType: "8", fields: [...m.fields] }).slice();
  assert.equal(toReadable(fast), toReadable(slow));
  assert.equal(
    toReadable(fast),
    "8=FIX.4.4|9=121|35=8|37=O1|11=C1|17=E1|150=0|39=0|55=EUR/USD|54=1|38=1000|40=2|44=1.0851|59=0|151=1000|14=0|6=0|60=20261122-05:00:00.123|10=127|",
  );
  // The list has been read (and may be changed): the fast path steps aside.
  m.fields.push([58, "changed"]);
  assert.equal(m.writeBody!(new Encoder()), false);
  // The builder copied its input: changing the caller's object later changes nothing.
  const input = { clOrdID: "A", symbol: "X", side: "1", transactTime: 0, orderQty: 1, ordType: "1" } as const;
  const copy: NewOrderSingle = { ...input };
  const nos = NewOrderSingle.build(copy);
  copy.clOrdID = "B";
  assert.deepEqual(nos.fields[0], [11, "A"]);
});

Deno.test("Encoder.finishOwned: frames stay intact while later messages are written, across new and grown buffers", () => {
  const owned = new Encoder(256);
  const plain = new Encoder(256);
  const kept: [Uint8Array, string][] = [];
  for (let i = 0; i < 3000; i++) {
    // Mostly small messages, now and then one bigger than a whole buffer's spare room.
    const text = i % 500 === 7 ? "x".repeat(70_000) : `order ${i}`;
    owned.begin("FIX.4.4", "D").str(11, `C${i}`).int(34, i + 1).str(58, text);
    plain.begin("FIX.4.4", "D").str(11, `C${i}`).int(34, i + 1).str(58, text);
    const frame = owned.finishOwned();
    const expected = toReadable(plain.finish());
    assert.equal(toReadable(frame), expected, `message ${i}`);
    kept.push([frame, expected]);
    if (i % 10 === 3) {
      // A plain finish() in between is valid until the next begin and must not touch owned frames.
      owned.begin("FIX.4.4", "0").int(34, 1);
      assert.equal(toReadable(owned.finish()), toReadable(plain.begin("FIX.4.4", "0").int(34, 1).finish()));
    }
  }
  for (const [frame, expected] of kept) assert.equal(toReadable(frame), expected);
  // Frames are cut from shared buffers (no buffer per message).
  assert.ok(new Set(kept.map(([f]) => f.buffer)).size < 100);
});

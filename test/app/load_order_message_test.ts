/**
 * The load generator's NewOrderSingle (LoadOrder, src/app/load/order_message.ts) against the typed
 * builder it replaces: the same fields in the same order, the same bytes from the session's encoder,
 * the same calls on any other FieldSink, and the outbound queue's size estimate of its field list.
 */
import assert from "node:assert/strict";
import { LoadGenerator, ORDER_FIELDS } from "../../src/app/load/generator.ts";
import { LoadOrder } from "../../src/app/load/order_message.ts";
import { Encoder, type FieldSink, type FieldValue, type FixMessage } from "../../src/codec/encoder.ts";
import * as fix44 from "../../src/dictionary/generated/fix44.ts";
import { loose, pick } from "../../src/dictionary/typed.ts";
import { estimateBytes } from "../../src/engine/flow/outbound_queue.ts";

const NewOrderSingle = loose(pick(fix44.NewOrderSingle, ORDER_FIELDS));

/** The builder's message with the values of `o`. */
function reference(o: LoadOrder): FixMessage {
  return NewOrderSingle.adopt({
    clOrdID: o.clOrdID,
    symbol: o.symbol,
    side: o.side,
    transactTime: o.transactTime,
    orderQty: o.orderQty,
    ordType: "2",
    price: o.price,
    timeInForce: o.timeInForce,
  });
}

/** Frame bytes as the session writes an application message: header, then writeBody into the encoder. */
function encoded(m: FixMessage, enc: Encoder): Uint8Array {
  enc.begin("FIX.4.4", m.msgType).str(49, "BENCH").str(56, "LP").int(34, 7);
  assert.equal(m.writeBody!(enc), true);
  return enc.finish().slice();
}

/** Records a sink's calls. */
function recorder(calls: string[]): FieldSink {
  return {
    field: (tag: number, value: FieldValue) => calls.push(`field ${tag} ${typeof value} ${String(value)}`),
    timestamp: (tag: number, ms: number) => calls.push(`timestamp ${tag} ${ms}`),
  };
}

Deno.test("LoadOrder: 20,000 generated orders encode to the typed builder's bytes, with its fields and sink calls", () => {
  const g = new LoadGenerator({
    sessions: 1,
    mix: { newOrder: 1, cancel: 0, replace: 0, marketData: 0 },
    maxOpenOrdersPerSession: 1e9,
    seed: 7,
  });
  const a = new Encoder(), b = new Encoder();
  let us = Date.UTC(2026, 11, 7, 20, 0, 0) * 1000 + 123;
  const prices = new Set<string>();
  for (let n = 0; n < 20_000; n++) {
    us += 37.5;
    const m = g.next(0, us)!;
    assert.ok(m instanceof LoadOrder);
    assert.equal(m.msgType, "D");
    assert.equal(m.clOrdID, `L${n.toString(36)}`);
    assert.equal(m.transactTime, Math.floor(us / 1000));
    const ref = reference(m);
    assert.deepEqual(encoded(m, a), encoded(ref, b));
    const mine: string[] = [], theirs: string[] = [];
    m.writeBody(recorder(mine));
    ref.writeBody!(recorder(theirs));
    assert.deepEqual(mine, theirs);
    // The queue's estimate is the field list's count (the builder's own may stand for 64 of them).
    assert.equal(estimateBytes(m), estimateBytes({ msgType: "D", fields: ref.fields }));
    if (n % 1000 === 0) {
      assert.deepEqual(m.fields, ref.fields);
      assert.equal(m.writeBody(a), false, "once its list was read, the list is encoded");
      assert.equal(estimateBytes(m), estimateBytes({ msgType: "D", fields: ref.fields }));
    }
    prices.add(m.price);
  }
  assert.ok(prices.size > 50, "many prices");
});

Deno.test("LoadOrder: fields can be set (the list then is the message) and it serialises as {msgType, fields}", () => {
  const g = new LoadGenerator({ sessions: 1, mix: { newOrder: 1, cancel: 0, replace: 0, marketData: 0 } });
  const m = g.next(0, Date.UTC(2026, 11, 7) * 1000)!;
  const list = [...m.fields];
  list[1] = [55, "OTHER"];
  m.fields = list;
  assert.equal(m.fields, list);
  assert.equal(m.writeBody!(new Encoder()), false);
  assert.deepEqual(JSON.parse(JSON.stringify(m)).fields[1], [55, "OTHER"]);
  assert.equal(JSON.parse(JSON.stringify(m)).msgType, "D");
});

Deno.test("Encoder.strBase36 writes prefix + n.toString(36) exactly", () => {
  const a = new Encoder(), b = new Encoder();
  const ns = [0, 1, 9, 10, 35, 36, 37, 1295, 1296, 46655, 46656, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1];
  for (let k = 0; k < 2000; k++) ns.push(Math.floor(Math.random() * 2 ** (1 + (k % 52))));
  for (const prefix of ["", "L", "BENCH-7-", "é€"]) {
    for (const n of ns) {
      a.begin("FIX.4.4", "D").strBase36(11, prefix, n).str(55, "X");
      b.begin("FIX.4.4", "D").str(11, prefix + n.toString(36)).str(55, "X");
      assert.deepEqual(a.finish(), b.finish(), `${prefix} ${n}`);
    }
  }
});

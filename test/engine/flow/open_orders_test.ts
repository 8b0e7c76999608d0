import assert from "node:assert/strict";
import { type FixMessage, MessageView, Tag } from "../../../src/codec/mod.ts";
import { OpenOrders } from "../../../src/engine/flow/open_orders.ts";
import { frame } from "../helpers.ts";

function d(id: string): FixMessage {
  return {
    msgType: "D",
    fields: [[Tag.ClOrdID, id], [Tag.Symbol, "IBM"], [Tag.Side, "2"], [Tag.OrderQty, 10]],
  };
}

function ack(id: string, status = "0"): MessageView {
  return MessageView.parse(
    frame(
      "FIX.4.4",
      "8",
      `49=V|56=T|34=2|52=<TIME>|37=X${id}|11=${id}|17=e|150=0|39=${status}|55=IBM|54=2|151=10|14=0|6=0`,
    ),
  );
}

Deno.test("open orders: answers in order and out of order find their requests; latency counted once each", () => {
  const o = new OpenOrders();
  for (let i = 0; i < 100; i++) o.onSent(d(`o${i}`), i);
  assert.equal(o.size, 100, "unacknowledged orders are known");
  assert.equal(o.get("o42")?.clOrdId, "o42");
  // Out of order first (beyond the scan window: the index is built), then the rest in order.
  assert.equal(o.onReceived(ack("o90"), 200)?.clOrdId, "o90");
  assert.equal(o.onReceived(ack("o90"), 201), undefined, "a second report is no new ack");
  for (let i = 0; i < 100; i++) if (i !== 90) assert.equal(o.onReceived(ack(`o${i}`), 300)?.side, "2");
  assert.equal(o.ackSeconds.D.count, 100);
  assert.equal(o.open().length, 100);
  assert.equal(o.size, 100);
  assert.deepEqual(o.get("o7")?.copyFields, [[Tag.Symbol, "IBM"]]);
  assert.equal(o.onReceived(ack("o7", "4"), 400), undefined);
  assert.equal(o.size, 99, "cancelled order done");
});

Deno.test("open orders: a peer that never answers is forgotten beyond the limit; cancel before ack", () => {
  const o = new OpenOrders(50);
  for (let i = 0; i < 200; i++) o.onSent(d(`n${i}`), i);
  assert.equal(o.size, 50, "only the last 50 unanswered remembered");
  assert.equal(o.forgotten, 150);
  assert.equal(o.get("n10"), undefined);
  assert.equal(o.onReceived(ack("n10"), 500), undefined, "an answer to a forgotten request is unknown");
  // Cancel an order not acknowledged yet: the cancel's answer finishes it; its late ack does not reopen it.
  o.onSent({ msgType: "F", fields: [[Tag.OrigClOrdID, "n199"], [Tag.ClOrdID, "c1"], [Tag.Side, "2"]] }, 600);
  assert.equal(o.get("n199")?.cancelPending, "c1");
  assert.equal(o.size, 49, "the cancel request took the oldest one's place");
  o.onReceived(
    MessageView.parse(
      frame(
        "FIX.4.4",
        "8",
        "49=V|56=T|34=3|52=<TIME>|37=X|11=c1|41=n199|17=e|150=4|39=4|55=IBM|54=2|151=0|14=0|6=0",
      ),
    ),
    601,
  );
  assert.equal(o.ackSeconds.F.count, 1);
  assert.equal(o.size, 48);
  o.onReceived(ack("n199"), 602);
  assert.equal(o.open().length, 0, "finished before its ack: not open");
  o.clear();
  assert.equal(o.size, 0);
});

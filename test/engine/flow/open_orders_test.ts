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

function ack(id: string, execType = "0"): MessageView {
  return MessageView.parse(
    frame(
      "FIX.4.4",
      "8",
      `49=V|56=T|34=2|52=<TIME>|37=X${id}|11=${id}|17=e|150=${execType}|39=${execType}|55=IBM|54=2|151=${
        execType === "0" ? 10 : 0
      }|14=0|6=0`,
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

function er(fields: string, msgType = "8"): MessageView {
  return MessageView.parse(frame("FIX.4.4", msgType, `49=V|56=T|34=2|52=<TIME>|${fields}`));
}

/** o1 sent (IBM, sell 10) and acknowledged by a New report. */
function ackedO1(): OpenOrders {
  const o = new OpenOrders();
  o.onSent(d("o1"), 0);
  assert.equal(
    o.onReceived(er("37=X1|11=o1|17=e1|150=0|39=0|55=IBM|54=2|151=10|14=0|6=0"), 1)?.clOrdId,
    "o1",
  );
  return o;
}

Deno.test("open orders: a replace rejected after Pending Replace leaves the order on its ClOrdID (the kill switch's cancel names it)", () => {
  const o = ackedO1();
  o.onSent({ msgType: "G", fields: [[Tag.OrigClOrdID, "o1"], [Tag.ClOrdID, "o1r"], [Tag.OrderQty, 5]] }, 2);
  o.onReceived(er("37=X1|11=o1r|41=o1|17=e2|150=E|39=E|55=IBM|54=2|151=10|14=0|6=0"), 3);
  assert.deepEqual(o.open().map((x) => x.clOrdId), ["o1"], "pending replace: still o1");
  o.onReceived(er("37=X1|11=o1r|41=o1|39=0|434=2|58=too late", "9"), 4);
  assert.deepEqual(o.open().map((x) => [x.clOrdId, x.orderQty]), [["o1", 10]]);
  assert.deepEqual(o.cancelRequest(o.open()[0]!, "KS1", Date.UTC(2026, 0, 5)).fields.slice(0, 2), [
    [Tag.OrigClOrdID, "o1"],
    [Tag.ClOrdID, "KS1"],
  ]);
  // Replaced after a Pending Replace (its answer already taken): the order moves to the new ClOrdID.
  o.onSent({ msgType: "G", fields: [[Tag.OrigClOrdID, "o1"], [Tag.ClOrdID, "o1s"], [Tag.OrderQty, 5]] }, 5);
  o.onReceived(er("37=X1|11=o1s|41=o1|17=e3|150=E|39=E|55=IBM|54=2|151=10|14=0|6=0"), 6);
  o.onReceived(er("37=X1|11=o1s|41=o1|17=e4|150=5|39=0|55=IBM|54=2|38=5|151=5|14=0|6=0"), 7);
  assert.deepEqual(o.open().map((x) => [x.clOrdId, x.orderQty]), [["o1s", "5"]]);
  assert.equal(o.get("o1"), undefined);
  assert.equal(o.size, 1);
});

Deno.test("open orders: a cancel rejected after Pending Cancel is no longer pending (the kill switch cancels it again)", () => {
  const o = ackedO1();
  o.onSent({ msgType: "F", fields: [[Tag.OrigClOrdID, "o1"], [Tag.ClOrdID, "c1"], [Tag.Side, "2"]] }, 2);
  assert.equal(o.get("o1")?.cancelPending, "c1");
  o.onReceived(er("37=X1|11=c1|41=o1|17=e2|150=6|39=6|55=IBM|54=2|151=10|14=0|6=0"), 3);
  assert.equal(o.get("o1")?.cancelPending, "c1", "pending cancel: still in flight");
  o.onReceived(er("37=X1|11=c1|41=o1|39=0|434=1|102=0", "9"), 4);
  assert.equal(o.get("o1")?.cancelPending, undefined);
  assert.equal(o.open().length, 1);
  // A cancel reject saying the order is done (filled meanwhile) ends it.
  o.onSent({ msgType: "F", fields: [[Tag.OrigClOrdID, "o1"], [Tag.ClOrdID, "c2"], [Tag.Side, "2"]] }, 5);
  o.onReceived(er("37=X1|11=c2|41=o1|39=2|434=1|102=0", "9"), 6);
  assert.equal(o.size, 0);
  assert.equal(o.open().length, 0);
});

Deno.test("open orders: Pending New answers but does not acknowledge; New does, once; reports that cannot follow change nothing", () => {
  const o = new OpenOrders();
  o.onSent(d("o1"), 0);
  assert.equal(o.onReceived(er("37=X1|11=o1|17=e1|150=A|39=A|55=IBM|54=2|151=10|14=0|6=0"), 1), undefined);
  assert.equal(o.ackSeconds.D.count, 1, "latency to the first report");
  assert.equal(o.open().length, 0, "pending new: not open (not cancelled by the kill switch yet)");
  assert.equal(o.size, 1);
  assert.equal(o.get("o1")?.orderId, "X1");
  assert.equal(
    o.onReceived(er("37=X1|11=o1|17=e2|150=0|39=0|55=IBM|54=2|151=10|14=0|6=0"), 2)?.clOrdId,
    "o1",
  );
  assert.equal(o.onReceived(er("37=X1|11=o1|17=e2|150=0|39=0|55=IBM|54=2|151=10|14=0|6=0"), 3), undefined);
  assert.equal(o.ackSeconds.D.count, 1);
  // A partial fill keeps it open, a repeated New after it changes nothing, the last fill ends it.
  o.onReceived(er("37=X1|11=o1|17=e3|150=F|39=1|55=IBM|54=2|32=4|31=10|151=6|14=4|6=10"), 4);
  o.onReceived(er("37=X1|11=o1|17=e2|150=0|39=0|55=IBM|54=2|151=10|14=0|6=0"), 5);
  assert.equal(o.open().length, 1);
  o.onReceived(er("37=X1|11=o1|17=e4|150=F|39=2|55=IBM|54=2|32=6|31=10|151=0|14=10|6=10"), 6);
  assert.equal(o.size, 0);
  // A report after the order ended (a late Pending Cancel) does not bring it back.
  o.onReceived(er("37=X1|11=o1|17=e5|150=6|39=6|55=IBM|54=2|151=0|14=10|6=10"), 7);
  assert.equal(o.size, 0);
  // Done for day ends the order for the kill switch.
  o.onSent(d("o2"), 8);
  o.onReceived(er("37=X2|11=o2|17=e6|150=0|39=0|55=IBM|54=2|151=10|14=0|6=0"), 9);
  o.onReceived(er("37=X2|11=o2|17=e7|150=3|39=3|55=IBM|54=2|151=0|14=0|6=0"), 10);
  assert.equal(o.open().length, 0);
});

import assert from "node:assert/strict";
import { MessageView, Tag } from "../../../src/codec/mod.ts";
import { OpenOrders } from "../../../src/engine/flow/open_orders.ts";
import { OutboundQueue } from "../../../src/engine/flow/outbound_queue.ts";
import { TokenBucket } from "../../../src/engine/flow/token_bucket.ts";
import {
  constantTimeEqual,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
} from "../../../src/engine/auth/password.ts";
import { UserDirectory } from "../../../src/engine/auth/users.ts";
import { frame } from "../helpers.ts";

const d = (id: string) => ({
  msgType: "D",
  fields: [[Tag.ClOrdID, id], [Tag.Symbol, "IBM"], [Tag.Side, "1"], [Tag.OrderQty, 100]] as [
    number,
    string | number,
  ][],
});

Deno.test("token bucket: burst, then one token per 1/rate seconds; reconfigure keeps earned tokens", () => {
  const b = new TokenBucket({ perSecond: 2, burst: 3 }, 0);
  assert.deepEqual([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)], [true, true, true, false]);
  assert.equal(b.nextTokenAtMs(0), 500);
  assert.equal(b.tryTake(499), false);
  assert.equal(b.tryTake(500), true);
  b.reconfigure({ perSecond: 10 }, 500);
  assert.equal(b.capacity, 10);
  assert.equal(b.nextTokenAtMs(500), 600);
});

Deno.test("outbound queue: critical before high before normal before low, FIFO within a priority", () => {
  const q = new OutboundQueue();
  q.push(d("o1"), true, q.priorityOf("D"), 0);
  q.push({ msgType: "8", fields: [] }, true, q.priorityOf("8"), 0);
  q.push({ msgType: "B", fields: [] }, true, q.priorityOf("B"), 0);
  q.push(d("o2"), true, q.priorityOf("D"), 0);
  q.push({ msgType: "F", fields: [[Tag.ClOrdID, "c1"]] }, true, q.priorityOf("F"), 0);
  assert.deepEqual([q.depth("critical"), q.depth("high"), q.depth("normal"), q.depth("low")], [1, 2, 1, 1]);
  const order: string[] = [];
  for (let m = q.take(1); m; m = q.take(1)) order.push(`${m.message.msgType}:${m.priority}`);
  assert.deepEqual(order, ["F:critical", "D:high", "D:high", "B:normal", "8:low"]);
  assert.equal(q.bytes, 0);
  assert.equal(q.waitSeconds.high.count, 2);
});

Deno.test("outbound queue: the starvation guard lets a message that waited too long go first", () => {
  const q = new OutboundQueue({ starvationMs: 50 });
  q.push({ msgType: "8", fields: [] }, true, "low", 0);
  q.push(d("o1"), true, "high", 10);
  q.push(d("o2"), true, "high", 20);
  assert.equal(q.take(40)!.message.msgType, "D"); // the report waited 40 ms: not yet
  assert.equal(q.take(60)!.message.msgType, "8"); // 60 ms: it goes ahead of o2
  assert.equal(q.starvationPromotions, 1);
  assert.equal(q.take(60)!.message.fields[0]![1], "o2");
});

Deno.test("outbound queue: priorities configurable by MsgType; remove() withdraws matching messages", () => {
  const q = new OutboundQueue({ priorities: { "8": "critical", B: "low" } });
  assert.equal(q.priorityOf("8"), "critical");
  assert.equal(q.priorityOf("B"), "low");
  assert.equal(q.priorityOf("D"), "high");
  q.push(d("o1"), true, "high", 0);
  q.push({ msgType: "B", fields: [] }, true, "low", 0);
  q.push(d("o2"), true, "high", 0);
  assert.equal(q.remove((m) => m.message.msgType === "D").length, 2);
  assert.equal(q.length, 1);
  assert.equal(q.take(0)!.message.msgType, "B");
});

function report(fields: string): MessageView {
  return MessageView.parse(frame("FIX.4.4", "8", `49=V|56=T|34=2|52=<TIME>|${fields}`));
}

Deno.test("open orders: D acked by 8 is open; cancel request F for it; 8 canceled closes it; ack latency measured", () => {
  const o = new OpenOrders();
  o.onSent({ ...d("o1"), fields: [[Tag.Account, "ACC1"], ...d("o1").fields] }, 1000);
  assert.equal(o.open().length, 0, "not acked yet");
  const acked = o.onReceived(report("37=X1|11=o1|17=e1|150=0|39=0|55=IBM|54=1|151=100|14=0|6=0"), 1002.5);
  assert.equal(acked?.clOrdId, "o1");
  assert.equal(o.open().length, 1);
  assert.equal(o.ackSeconds.D.count, 1);
  assert.ok(Math.abs(o.ackSeconds.D.sum - 0.0025) < 1e-9);
  const f = o.cancelRequest(o.open()[0]!, "c1", Date.UTC(2026, 0, 5, 12));
  assert.deepEqual(f.fields, [
    [Tag.OrigClOrdID, "o1"],
    [Tag.ClOrdID, "c1"],
    [Tag.OrderID, "X1"],
    [Tag.Account, "ACC1"],
    [Tag.Symbol, "IBM"],
    [Tag.Side, "1"],
    [Tag.TransactTime, "20260105-12:00:00.000"],
    [Tag.OrderQty, 100],
  ]);
  o.onSent(f, 2000);
  assert.equal(o.open()[0]!.cancelPending, "c1");
  o.onReceived(report("37=X1|11=c1|41=o1|17=e2|150=4|39=4|55=IBM|54=1|151=0|14=0|6=0"), 2001);
  assert.equal(o.open().length, 0);
  assert.equal(o.size, 0);
  assert.equal(o.ackSeconds.F.count, 1);
});

Deno.test("open orders: a replace moves the order to its new ClOrdID; a reject or a fill closes an order", () => {
  const o = new OpenOrders();
  o.onSent(d("o1"), 0);
  o.onReceived(report("37=X1|11=o1|17=e1|150=0|39=0|55=IBM|54=1|151=100|14=0|6=0"), 1);
  o.onSent({ msgType: "G", fields: [[Tag.OrigClOrdID, "o1"], [Tag.ClOrdID, "o1r"], [Tag.OrderQty, 50]] }, 2);
  o.onReceived(report("37=X1|11=o1r|41=o1|17=e2|150=5|39=0|55=IBM|54=1|38=50|151=50|14=0|6=0"), 3);
  assert.deepEqual(o.open().map((x) => [x.clOrdId, x.orderQty]), [["o1r", "50"]]);
  o.onReceived(report("37=X1|11=o1r|17=e3|150=F|39=2|55=IBM|54=1|151=0|14=50|6=1"), 4);
  assert.equal(o.size, 0, "filled");
  o.onSent(d("o2"), 5);
  o.onReceived(report("37=NONE|11=o2|17=e4|150=8|39=8|55=IBM|54=1|151=0|14=0|6=0"), 6);
  assert.equal(o.size, 0, "rejected");
});

Deno.test("passwords: PBKDF2 hash verifies the right password only; bad hash text is a config error", async () => {
  const h = await hashPassword("s3cr3t-pw", 1000);
  assert.match(h, /^pbkdf2-sha256\$1000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  const p = parsePasswordHash(h, "users.alice.passwordHash");
  assert.equal(await verifyPassword("s3cr3t-pw", p), true);
  assert.equal(await verifyPassword("s3cr3t-px", p), false);
  assert.throws(
    () => parsePasswordHash("sha1$x", "users.bob.passwordHash"),
    /users\.bob\.passwordHash: not a fixg password hash/,
  );
  assert.equal(constantTimeEqual("abc", "abc"), true);
  assert.equal(constantTimeEqual("abc", "abd"), false);
  assert.equal(constantTimeEqual("abc", "abcd"), false);
});

Deno.test("users: Logon 553/554 checked; reasons name a known user, never the password nor an unknown name (a password typed as the user name)", async () => {
  const users = new UserDirectory({ alice: { passwordHash: await hashPassword("pw-alice", 1000) } });
  const logon = (extra: string) =>
    MessageView.parse(frame("FIX.4.4", "A", `49=T|56=G|34=1|52=<TIME>|98=0|108=30|${extra}`));
  assert.deepEqual(await users.check(logon("553=alice|554=pw-alice|")), { accept: true });
  assert.deepEqual(await users.check(logon("553=alice|554=nope|")), {
    accept: false,
    reason: 'wrong password for user "alice"',
  });
  assert.deepEqual(await users.check(logon("553=mallory|554=x|")), {
    accept: false,
    reason: "unknown user (name withheld: 7 characters)",
  });
  const typo = await users.check(logon("553=pw-alice-typed-as-name|554=|"));
  assert.equal(JSON.stringify(typo).includes("pw-alice"), false);
  assert.deepEqual(await users.check(logon("")), { accept: false, reason: "Username (553) missing" });
  assert.deepEqual(await users.check(logon("553=alice|554=pw-alice|"), ["bob"]), {
    accept: false,
    reason: 'user "alice" may not use this session',
  });
});

/**
 * Orders withdrawn from a session closed on a lost lease (never numbered): sent by the session when this
 * gateway opens it again, else reported not sent (seq 0) — when another gateway owns it, when the
 * gateway stops, or after the hold time (a ManualScheduler: no sleeps). No database needed.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import type { FixMessage } from "../../src/codec/mod.ts";
import type { Application, SendFailure, SessionHandle } from "../../src/engine/application.ts";
import { Logger } from "../../src/engine/log.ts";
import { CarriedOrders } from "../../src/engine/send_failed.ts";
import { Tag } from "../../src/mod.ts";

const order = (id: string): FixMessage => ({ msgType: "D", fields: [[Tag.ClOrdID, id], [Tag.Symbol, "X"]] });

function app() {
  const failed: SendFailure[] = [];
  const a: Application = { onSendFailed: (info) => void failed.push(info) };
  return { a, failed };
}

/** A session handle that records sends (refusing the ClOrdIDs in `refuse`). */
function session(refuse: string[] = []) {
  const sent: string[] = [];
  const s = {
    send(m: FixMessage) {
      const id = String(m.fields.find((f) => f[0] === Tag.ClOrdID)![1]);
      if (refuse.includes(id)) throw new Error(`refused ${id}`);
      sent.push(id);
      return 0;
    },
  } as unknown as SessionHandle;
  return { s, sent };
}

const quiet = () => new Logger({ level: "error" });

Deno.test("carried orders: sent in order when the session opens here again; one refused is reported", () => {
  const clock = new ManualScheduler(0);
  const c = new CarriedOrders(quiet(), clock, 1000);
  const { a, failed } = app();
  c.hold("K", [order("1"), order("2")], "lease lost", a, session().s);
  c.hold("K", [order("3")], "lease lost", a, session().s); // a second close before reopening: appended
  const next = session(["2"]);
  c.sendHeld("K", next.s);
  assert.deepEqual(next.sent, ["1", "3"]);
  assert.deepEqual(failed.map((f) => [f.seq, f.msgType, f.clOrdId, f.reason]), [[0, "D", "2", "refused 2"]]);
  clock.advance(5000); // nothing left to report
  assert.equal(failed.length, 1);
});

Deno.test("carried orders: reported not sent (seq 0) when another gateway owns the session, after the hold time, at stop", () => {
  const clock = new ManualScheduler(0);
  const c = new CarriedOrders(quiet(), clock, 1000);
  const { a, failed } = app();
  c.hold("A", [order("a1")], "lease lost", a, session().s);
  c.hold("B", [order("b1"), order("b2")], "lease lost", a, session().s);
  c.hold("C", [order("c1")], "lease lost", a, session().s);
  c.report("A", "another gateway owns the session now");
  assert.deepEqual(failed.map((f) => f.clOrdId), ["a1"]);
  assert.match(failed[0]!.reason, /^lease lost; another gateway owns the session now$/);
  c.hold("D", [order("d1")], "lease lost", a, session().s);
  clock.advance(999);
  assert.equal(failed.length, 1);
  clock.advance(1); // B, C and D reach the hold time together: in the order they were held
  assert.deepEqual(failed.map((f) => f.clOrdId), ["a1", "b1", "b2", "c1", "d1"]);
  assert.match(failed[4]!.reason, /not opened again here within 1 s/);
  c.hold("F", [order("f1")], "lease lost", a, session().s);
  c.reportAll("the gateway stopped");
  assert.deepEqual(failed.map((f) => f.clOrdId), ["a1", "b1", "b2", "c1", "d1", "f1"]);
  // Reported once: nothing is held any more.
  c.sendHeld("F", session().s);
  c.reportAll("again");
  clock.advance(5000);
  assert.equal(failed.length, 6);
  // After reportAll (the gateway stopped) nothing is held: reported at once, no timer left.
  c.hold("E", [order("e1")], "lease lost", a, session().s);
  assert.deepEqual(failed.map((f) => f.clOrdId).slice(6), ["e1"]);
  assert.match(failed[6]!.reason, /the gateway stopped/);
});

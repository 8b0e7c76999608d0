/**
 * Read spinning on both sides of a real session: a fixg initiator (`socketTuning.readSpinUs`, the library's
 * quick helper) trades with the in-process simulator (`readSpinUs`, as `simulate-lp --read-spin-us`): the
 * orders are acknowledged with the right ClOrdIDs and both gateways report the knob in force.
 */
import assert from "node:assert/strict";
import type { MessageView } from "../../src/codec/mod.ts";
import { defaultLpConfig } from "../../src/app/lp/mod.ts";
import { NewOrderSingle } from "../../src/dictionary/generated/fix44.ts";
import type { Application, SessionHandle } from "../../src/engine/application.ts";
import { startLoopbackSimulator } from "../../src/engine/lp_host.ts";
import { startInitiator } from "../../src/engine/quick.ts";
import { Tag } from "../../src/codec/mod.ts";
import { openLibc } from "../../src/sys/libc.ts";

// libc is opened once per process and kept (src/sys/libc.ts): open it before the test, so that the
// resource sanitizer (--sanitize-resources) does not count it against the test.
openLibc();

Deno.test("read spinning on both sides: orders acknowledged through spinning reads, knobs reported", async () => {
  const sim = await startLoopbackSimulator(defaultLpConfig(), { targetCompId: "SPIN", readSpinUs: 1000 });
  const acks: string[] = [];
  let done: () => void = () => {};
  const allAcked = new Promise<void>((r) => (done = r));
  let session: SessionHandle | undefined;
  let loggedOn: () => void = () => {};
  const logon = new Promise<void>((r) => (loggedOn = r));
  const app: Application = {
    onLogon(s: SessionHandle) {
      session = s;
      loggedOn();
    },
    onMessage(view: MessageView) {
      if (view.msgType !== "8" || view.getString(Tag.ExecType) !== "0") return;
      acks.push(view.getString(Tag.ClOrdID)!);
      if (acks.length === 3) done();
    },
  };
  const client = await startInitiator({
    port: sim.port,
    senderCompId: "SPIN",
    targetCompId: "LP",
    socketTuning: { readSpinUs: 1000 },
  }, app);
  try {
    await logon;
    for (const id of ["S1", "S2", "S3"]) {
      session!.send(NewOrderSingle.build({
        clOrdID: id,
        symbol: "EUR/USD",
        side: "1",
        transactTime: Date.now(),
        orderQty: 100000,
        ordType: "2",
        price: "1.0001",
        timeInForce: "0",
      }));
    }
    await allAcked;
    assert.deepEqual(acks, ["S1", "S2", "S3"]);
    const spin = { knob: "read-spin", requested: "1000 µs", effective: "1000 µs", ok: true };
    assert.deepEqual(client.tuningReports().find((r) => r.knob === "read-spin"), spin);
    assert.deepEqual(sim.gateway.tuningReports().find((r) => r.knob === "read-spin"), spin);
  } finally {
    await client.stop();
    await sim.stop();
  }
});

/**
 * `fixg send` of an order whose ClOrdID (its request id) was sent before in this epoch: the engine
 * answers with the first answer and sends nothing (docs/engine_library.md), and fixg send says so
 * instead of 'sent ... as MsgSeqNum N' followed by a wait for answers that came long before.
 */
import assert from "node:assert/strict";
import { startLpAndEngine } from "../_helpers/engine.ts";
import { fixgOutput, tempDir } from "../_helpers/mod.ts";

const KEY = "FIX.4.4:CLIENT->LP";

Deno.test("fixg send with a ClOrdID sent before: 'already sent as MsgSeqNum N', nothing sent, no wait", async () => {
  await using dir = await tempDir("fixg-send-again-");
  const env = await startLpAndEngine({ dir: dir.path });
  try {
    const order = "35=D|11=again-1|55=EUR/USD|54=1|38=100|40=2|44=1.01|60=20260101-00:00:00";
    const args = ["send", "--engine", env.socket, "--session", KEY, "--timeout", "30"];
    // A limit order below the market rests: its answer is the ack (New), then the wait runs out.
    const first = await fixgOutput([
      "send",
      "--engine",
      env.socket,
      "--session",
      KEY,
      "--timeout",
      "1",
      order,
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.split("\n")[0], `sent 35=D ClOrdID again-1 as MsgSeqNum 2 on ${KEY}`);
    const t0 = Date.now();
    const again = await fixgOutput([...args, order]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(
      again.stdout,
      `already sent 35=D ClOrdID again-1 as MsgSeqNum 2 on ${KEY}: its ClOrdID is its request id, ` +
        `answered with the first answer; nothing sent now (a new order needs a new ClOrdID)\n`,
    );
    assert.ok(Date.now() - t0 < 25_000, "no wait for answers that came before");
    const json = await fixgOutput([...args, "--json", order]);
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((e) => [e.event, e.status, e.seq, e.alreadySent]),
      [["sent", "accepted", 2, true]],
    );
    // Nothing went out: the next number is the one after the first send.
    const list = JSON.parse((await fixgOutput(["sessions", "--engine", env.socket, "--json"])).stdout);
    assert.equal(list[0].nextSenderSeq, 3);
  } finally {
    await env.stop();
  }
});

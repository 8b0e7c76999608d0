/**
 * `fixg send` of a message without a ClOrdID (11): its only answer is a reject by RefSeqNum (45), which
 * is waited for like any answer (until --timeout) and exits 1. The counterparty reads slowly here
 * (`--slow-reader-ms`), so the reject comes well after the send's result, as it does on a real link.
 * Also: a --timeout longer than a timer holds is refused.
 */
import assert from "node:assert/strict";
import { engineReady, engineRunArgs, simulatorArgs } from "../_helpers/engine.ts";
import { fixgOutput, freePort, spawnFixg, tempDir } from "../_helpers/mod.ts";

Deno.test("fixg send without a ClOrdID: a session-level Reject arriving after the send result is printed, exit 1", async () => {
  await using dir = await tempDir("fixg-send-noid-");
  const port = freePort();
  const socket = `${dir.path}/engine.sock`;
  const lp = spawnFixg([...simulatorArgs(port, "memory", "CLIENT"), "--slow-reader-ms", "300"]);
  const gw = spawnFixg(engineRunArgs(port, `${dir.path}/journal`, socket));
  try {
    await lp.until(() => /"event":"listening"/.test(lp.text.out), "simulator listening", 15_000);
    await engineReady(gw);
    // A NewOrderSingle with its ClOrdID forgotten: the LP answers 35=3 Required tag missing (371=11).
    const r = await fixgOutput([
      "send",
      "--engine",
      socket,
      "--session",
      "FIX.4.4:CLIENT->LP",
      "--timeout",
      "10",
      "35=D|55=EUR/USD|54=1|38=100|40=1|60=20260101-00:00:00",
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], "sent 35=D as MsgSeqNum 2 on FIX.4.4:CLIENT->LP");
    assert.match(
      lines[1]!,
      /^answer 8=FIX\.4\.4\|9=\d+\|35=3\|34=2\|.*\|45=2\|58=Required tag missing\|371=11\|372=D\|373=1\|/,
    );
    assert.equal(lines.length, 2);
    assert.equal(r.stderr, "fixg: the message was rejected or refused\n");
  } finally {
    await gw.stop();
    await lp.stop();
  }
});

Deno.test("fixg send --timeout beyond what a timer holds (1e7 s): refused, exit 2, before connecting", async () => {
  const r = await fixgOutput(
    ["send", "--engine", "/nonexistent/engine.sock", "--session", "K", "--timeout", "1e7", "35=D|11=x"],
  );
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, 'fixg: --timeout: at most 2147483 seconds (got "1e7")\n');
});

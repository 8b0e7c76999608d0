/**
 * `fixg sessions --engine PATH --session KEY --reset | --next-sender-seq N | --next-target-seq N`: RESET and
 * SET_SEQ from the command line through a running engine (a short-lived library: claim, command, release).
 */
import assert from "node:assert/strict";
import { connectEngine } from "../../src/engine/library_client.ts";
import { startEngineOverLp } from "../_helpers/engine_in_process.ts";
import { fixgOutput, waitFor } from "../_helpers/mod.ts";

const KEY = "FIX.4.4:CLIENT->LP";

async function fixg(args: string[]) {
  const o = await fixgOutput(args);
  return { code: o.code, out: o.stdout, err: o.stderr };
}

Deno.test("fixg sessions --session KEY --reset / --next-sender-seq: done 0, refused 1 (never below the sender number), usage 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-seq-cli-" });
  const engine = await startEngineOverLp({ dir });
  const { socket, server, gw } = engine;
  try {
    await engine.loggedOn();
    const seq = (...args: string[]) => fixg(["sessions", "--engine", socket, "--session", KEY, ...args]);
    const below = await seq("--next-sender-seq", "1");
    const forward = await seq("--next-sender-seq", "9", "--json");
    // Usage errors never reach the engine.
    const usage = [await seq("--reset", "--next-sender-seq", "5"), await seq("--next-sender-seq", "0")];
    assert.equal(below.code, 1, below.err);
    assert.equal(
      below.err.trim(),
      `fixg: set-seq of ${KEY} refused: SEQ_BELOW_SENT: nextSenderSeq 1 is below the next number 2: MsgSeqNum 1 was used already (reset to start again at 1)`,
    );
    assert.equal(forward.code, 0, forward.err);
    assert.deepEqual(JSON.parse(forward.out), {
      session: KEY,
      command: "set-seq",
      result: "done",
      code: 0,
      reason: "",
      nextSenderSeq: 9,
      nextTargetSeq: 2,
    });
    assert.equal(gw.runner(KEY)!.status().nextSenderSeq, 9);
    for (const u of usage) assert.equal(u.code, 2, u.err);
    assert.match(usage[0]!.err, /--reset and --next-sender-seq\/--next-target-seq: give one or the other/);
    assert.match(usage[1]!.err, /--next-sender-seq: not a sequence number from 1 to 2147483648: "0"/);
    // Held by another library: the claim is refused, nothing changes.
    const other = await connectEngine({ socket, name: "oms", reconnect: false });
    await other.claim(KEY, {});
    const held = await seq("--reset");
    assert.equal(held.code, 1, held.err);
    assert.match(held.err, /reset of FIX\.4\.4:CLIENT->LP: claim refused: .*oms#/);
    await other.close();
    await waitFor(() => server.holderOf(KEY) === undefined, "released");
    const reset = await seq("--reset");
    assert.equal(reset.code, 0, reset.err);
    assert.equal(reset.out.trim(), `reset ${KEY}: next out 2, next in 1`);
    await waitFor(() => gw.runner(KEY)!.status().nextTargetSeq === 2, "the LP's Logon 141=Y");
  } finally {
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

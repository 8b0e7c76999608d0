/**
 * A LibrarySession the library no longer holds (released, or its re-claim refused) does not take sends:
 * `send` answers `refused` and `submit` resolves `refused` NOT_CLAIMED (12), at once, saying to claim it
 * again. Before, `send` answered `queued`, the engine refused it (NOT_CLAIMED) and the refusal was dropped
 * because the session was no longer the library's: onSendFailed never ran, the order was lost silently.
 * A library that is closed answers `submit` refused with why (it answered back-pressure, "not connected").
 */
import assert from "node:assert/strict";
import { connectEngine, type SendFailure } from "../../src/mod.ts";
import { ENGINE_SESSION_KEY as KEY, startEngineOverLp } from "../_helpers/engine_in_process.ts";
import { waitFor } from "./helpers.ts";

const order = (id: string) => ({
  msgType: "D",
  fields: [[11, id], [55, "X"], [54, "1"], [38, 1], [40, "1"], [60, "20260101-00:00:00"]] as [
    number,
    string | number,
  ][],
});

Deno.test("connectEngine: send and submit on a released session are refused at once, never lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-released-send-" });
  const atLp: string[] = [];
  const engine = await startEngineOverLp({
    dir,
    lpApp: { onMessage: (v) => void atLp.push(`${v.msgType} ${v.getString(11)}`) },
  });
  const failures: SendFailure[] = [];
  const lib = await connectEngine({ socket: engine.socket, name: "oms" });
  try {
    await engine.loggedOn();
    const s = await lib.claim(KEY, { onSendFailed: (f) => void failures.push(f) });
    assert.equal((await s.submit(order("a"))).status, "accepted");
    await lib.release(KEY);
    assert.deepEqual(s.send(order("b")), {
      kind: "refused",
      reason: `${KEY} is not claimed by this library (released): claim it again to send`,
      cause: "filter",
    });
    assert.deepEqual(await s.submit(order("c")), {
      requestId: "c",
      status: "refused",
      seq: 0,
      code: 12,
      text: `${KEY} is not claimed by this library (released): claim it again to send`,
    });
    // Claimed again (a new LibrarySession): it sends.
    const again = await lib.claim(KEY, {});
    assert.equal((await again.submit(order("d"))).status, "accepted");
    await waitFor(() => atLp.length >= 2, "2 orders at the LP");
    assert.deepEqual(atLp, ["D a", "D d"]);
    assert.deepEqual(failures, []);
    await lib.close();
    const closed = await again.submit(order("e"));
    assert.deepEqual([closed.status, closed.code, closed.text], ["refused", 0, "library closed"]);
  } finally {
    await lib.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

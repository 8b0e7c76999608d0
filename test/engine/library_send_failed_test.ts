/**
 * SEND_FAILED while no library holds the session: the engine keeps it and gives it to the next library
 * that claims the session (after LIVE), whose onSendFailed gets it once; the request id it names is
 * forgotten (never sent: a retry is a new attempt, not the old "queued" answer).
 */
import assert from "node:assert/strict";
import { startInitiator } from "../../src/engine/quick.ts";
import { connectEngine } from "../../src/engine/library_client.ts";
import { EngineServer } from "../../src/engine/library_server.ts";
import { Logger } from "../../src/engine/log.ts";
import type { SendFailure } from "../../src/engine/application.ts";
import { ErrorCode } from "../../src/engine/protocol.ts";
import { waitFor } from "./helpers.ts";

const KEY = "FIX.4.4:CLIENT->LP";

Deno.test("a send failure reported while the session is engine-managed reaches the next library that claims it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-sf-" });
  const socket = `${dir}/e.sock`;
  const logger = new Logger({ level: "error" });
  const server = new EngineServer({ socket, logger });
  // Nobody listens on port 1: the session exists, never logged on.
  const gw = await startInitiator({
    port: 1,
    senderCompId: "CLIENT",
    targetCompId: "LP",
    logger,
    reconnect: { initialMs: 60_000, maxMs: 60_000, factor: 1, jitter: 0, attempts: 0 },
  }, server.app);
  server.attach(gw);
  await server.start();
  const lib = await connectEngine({ socket, name: "t", reconnect: false });
  try {
    const failed: SendFailure[] = [];
    let s = await lib.claim(KEY, {});
    // Queued (not logged on): remembered under its ClOrdID.
    const q = await s.submit({ msgType: "D", fields: [[11, "Q1"], [55, "X"]] });
    assert.equal(q.status, "queued");
    await lib.release(KEY);
    // The store (or a lost lease) reports it never sent while no library holds the session.
    server.app.onSendFailed!({ seq: 0, msgType: "D", clOrdId: "Q1", reason: "lease lost" }, gw.runner(KEY)!);
    s = await lib.claim(KEY, { onSendFailed: (info) => void failed.push(info) });
    await waitFor(() => failed.length === 1, "reported to the new holder");
    assert.deepEqual([...failed], [{ seq: 0, msgType: "D", clOrdId: "Q1", reason: "lease lost" }]);
    const again = await s.submit({ msgType: "D", fields: [[11, "Q1"], [55, "X"]] }, { ifLoggedOn: true });
    assert.deepEqual([again.status, again.code], ["refused", ErrorCode.NOT_LOGGED_ON]);
    await lib.release(KEY);
    s = await lib.claim(KEY, { onSendFailed: (info) => void failed.push(info) });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(failed.length, 1, "given once");
  } finally {
    await lib.close();
    server.stop();
    await gw.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

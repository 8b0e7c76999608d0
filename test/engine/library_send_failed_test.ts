/**
 * Never a silent loss for attached libraries. SEND_FAILED while no library holds the session: the engine keeps it and gives it to the next library
 * that claims the session (after LIVE), whose onSendFailed gets it once; the request id it names is
 * forgotten (never sent: a retry is a new attempt, not the old "queued" answer). NOT_RESENT: an order the
 * resend policy gap-fills reaches the holder's onNotResent, as in-process.
 */
import assert from "node:assert/strict";
import { startInitiator } from "../../src/engine/quick.ts";
import { connectEngine } from "../../src/engine/library_client.ts";
import { EngineServer } from "../../src/engine/library_server.ts";
import { Logger } from "../../src/engine/log.ts";
import type { SendFailure } from "../../src/engine/application.ts";
import { ErrorCode } from "../../src/engine/protocol.ts";
import { ManualClock } from "../../src/engine/clock.ts";
import { startGateway } from "../ops/helpers.ts";
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

Deno.test("an order the resend policy gap-fills reaches the attached library's onNotResent (NOT_RESENT)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-nr-" });
  const socket = `${dir}/e.sock`;
  const received: string[] = [];
  const acc = await startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: LP, targetCompId: CLIENT, checkLatency: false }
`,
    {
      logger: new Logger({ level: "error" }),
      app: {
        onMessage: (v) =>
          void (v.msgType === "D" &&
            received.push(`${v.getString(11)}${v.getBoolean(43) === true ? " possdup" : ""}`)),
      },
    },
  );
  const clock = new ManualClock(Date.now());
  const server = new EngineServer({ socket, logger: new Logger({ level: "error" }) });
  const ini = await startGateway(
    `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${
      acc.gw.ports[0]
    }, senderCompId: CLIENT, targetCompId: LP, checkLatency: false, resendMaxAgeSec: 60 }
`,
    { logger: new Logger({ level: "error" }), clock: { nowMs: () => clock.nowMs() }, app: server.app },
  );
  server.attach(ini.gw);
  await server.start();
  const lib = await connectEngine({ socket, name: "t", reconnect: false });
  try {
    await waitFor(() => ini.gw.runners()[0]!.loggedOn && acc.gw.runners()[0]!.loggedOn, "logged on");
    const notResent: string[] = [];
    const s = await lib.claim(KEY, {
      onNotResent: (seq, m) => void notResent.push(`${seq} ${m.getString(11)}`),
    });
    const old = await s.submit({
      msgType: "D",
      fields: [[11, "old-1"], [55, "X"], [54, "1"], [38, 1], [40, "1"], [60, "20260101-00:00:00"]],
    });
    assert.equal(old.status, "accepted");
    await waitFor(() => received.length === 1, "old-1 at the LP");
    clock.advance(600_000); // ten minutes later
    // The counterparty asks for it again (as after a takeover): gap-filled, not resent.
    acc.gw.runners()[0]!.setSequence(undefined, old.seq);
    assert.equal(
      (await s.submit({
        msgType: "D",
        fields: [[11, "new-2"], [55, "X"], [54, "1"], [38, 1], [40, "1"], [60, "20260101-00:00:00"]],
      }))
        .status,
      "accepted",
    );
    await waitFor(() => received.includes("new-2"), "new-2 at the LP", 10_000);
    await waitFor(() => notResent.length === 1, "onNotResent");
    assert.deepEqual(notResent, [`${old.seq} old-1`]);
    assert.deepEqual(received, ["old-1", "new-2"]);
  } finally {
    await lib.close();
    server.stop();
    await ini.gw.stop();
    await acc.gw.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

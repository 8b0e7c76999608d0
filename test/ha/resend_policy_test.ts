/**
 * The resend policy: stored orders older than `resendMaxAgeSec` are gap-filled instead of resent when
 * the counterparty asks for them again (as after a takeover), and the application is told of each one
 * (`onNotResent`); younger ones are resent with PossDupFlag=Y. An application hook can decide instead.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../../src/engine/clock.ts";
import type { Application } from "../../src/engine/application.ts";
import { Tag } from "../../src/mod.ts";
import { LogCapture, newOrder, startGateway } from "../ops/helpers.ts";
import { waitFor } from "../_helpers/wait.ts";

async function run(initiatorExtra: string, app: Partial<Application>) {
  const received: string[] = [];
  const acc = await startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: LP, targetCompId: TW, checkLatency: false }
`,
    {
      logger: new LogCapture().logger("error"),
      app: {
        onMessage(v) {
          if (v.msgType === "D") {
            received.push(
              `${v.getString(Tag.ClOrdID)}${v.getBoolean(Tag.PossDupFlag) === true ? " possdup" : ""}`,
            );
          }
        },
      },
    },
  );
  const clock = new ManualClock(Date.now());
  const notResent: string[] = [];
  const logs = new LogCapture();
  const ini = await startGateway(
    `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${
      acc.gw.ports[0]
    }, senderCompId: TW, targetCompId: LP, checkLatency: false${initiatorExtra} }
`,
    {
      logger: logs.logger("warn", "text"),
      // The clock's time only (the system's timers): advancing it ages the stored orders without
      // running ten minutes of the session's heartbeat timers.
      clock: { nowMs: () => clock.nowMs() },
      app: {
        ...app,
        onNotResent(seq, m) {
          notResent.push(`${seq} ${m.getString(Tag.ClOrdID)}`);
        },
      },
    },
  );
  try {
    const client = ini.gw.runners()[0]!;
    const server = acc.gw.runners()[0]!;
    await waitFor(() => client.loggedOn && server.loggedOn, "logged on");
    client.send(newOrder("old-1"));
    client.send(newOrder("old-2"));
    await waitFor(() => received.length === 2, "two orders");
    clock.advance(600_000); // ten minutes later
    client.send(newOrder("new-3"));
    await waitFor(() => received.length === 3, "third order");
    // The counterparty asks for everything from 2 again (as a new owner's counterparty would).
    server.setSequence(undefined, 2);
    client.send(newOrder("new-4"));
    await waitFor(
      () => received.some((x) => x.startsWith("new-4")),
      "the resend and the fourth order",
      10_000,
    )
      .catch((e) => {
        throw new Error(`${e.message}: ${received}; ${logs.lines.slice(-5).join(" | ")}`);
      });
    return { received, notResent, logs: logs.lines.join("\n") };
  } finally {
    await ini.gw.stop();
    await acc.gw.stop();
  }
}

Deno.test("resend policy: orders older than resendMaxAgeSec are gap-filled and reported, younger ones resent", async () => {
  const r = await run(", resendMaxAgeSec: 60", {});
  assert.deepEqual(r.notResent, ["2 old-1", "3 old-2"]);
  assert.deepEqual(r.received, ["old-1", "old-2", "new-3", "new-3 possdup", "new-4"]);
  assert.match(r.logs, /not-resent.*MsgSeqNum 2 \(MsgType D, ClOrdID old-1\) sent 600 s ago: gap-filled/);
});

Deno.test("resend policy: the application's hook decides per message", async () => {
  const r = await run("", { resendPolicy: (m) => m.getString(Tag.ClOrdID) !== "old-2" });
  assert.deepEqual(r.notResent, ["3 old-2"]);
  assert.deepEqual(r.received, ["old-1", "old-2", "new-3", "old-1 possdup", "new-3 possdup", "new-4"]);
});

Deno.test("resend policy: without one, everything is resent", async () => {
  const r = await run("", {});
  assert.deepEqual(r.notResent, []);
  assert.deepEqual(r.received, [
    "old-1",
    "old-2",
    "new-3",
    "old-1 possdup",
    "old-2 possdup",
    "new-3 possdup",
    "new-4",
  ]);
});

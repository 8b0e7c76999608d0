/**
 * An application (in-process, a library's SEND, `fixg send`) cannot send the session's own messages:
 * Logon (A), ResendRequest (2), SequenceReset (4) and Logout (5) are refused, nothing numbered or written.
 * Before, they went out as application messages with the next MsgSeqNum: a SequenceReset-GapFill moved
 * the counterparty's expected number (or was rejected), a Logon mid-session was a protocol error there.
 */
import assert from "node:assert/strict";
import type { MessageView } from "../../src/codec/mod.ts";
import type { SendResult, SessionHandle } from "../../src/engine/application.ts";
import { Logger } from "../../src/engine/log.ts";
import { startAcceptor, startInitiator } from "../../src/engine/quick.ts";

Deno.test("send of a Logon, ResendRequest, SequenceReset or Logout: refused, no MsgSeqNum used, the session goes on", async () => {
  const seen: string[] = [];
  let done!: () => void;
  const got = new Promise<void>((resolve) => done = resolve);
  const logger = new Logger({ level: "error" });
  const record = (view: MessageView) => {
    seen.push(`${view.msgType}:${view.getInt(34)}`);
    if (view.msgType === "D") done();
  };
  const lp = await startAcceptor({ port: 0, senderCompId: "LP", targetCompId: "CLIENT", logger }, {
    onMessage: record,
    fromAdmin: record,
  });
  let results: SendResult[] = [];
  const client = await startInitiator(
    { port: lp.ports[0]!, senderCompId: "CLIENT", targetCompId: "LP", logger },
    {
      onLogon(session: SessionHandle) {
        results = [
          session.send({ msgType: "4", fields: [[123, "Y"], [36, 1]] }),
          session.send({ msgType: "A", fields: [[98, 0], [108, 30]] }),
          session.send({ msgType: "2", fields: [[7, 1], [16, 0]] }),
          session.send({ msgType: "5", fields: [[58, "bye"]] }),
          session.send({ msgType: "D", fields: [[11, "after"], [55, "X"], [54, "1"], [38, 1], [40, "1"]] }),
        ];
      },
    },
  );
  const timer = setTimeout(() => done(), 5000);
  try {
    await got;
  } finally {
    clearTimeout(timer);
    await client.stop();
    await lp.stop();
  }
  for (const [i, t] of ["4", "A", "2", "5"].entries()) {
    const r = results[i]!;
    assert.equal(r.kind, "refused", `35=${t}: ${JSON.stringify(r)}`);
    if (r.kind === "refused") {
      assert.equal(r.cause, "filter");
      assert.match(r.reason, new RegExp(`^35=${t} refused on FIX\\.4\\.4:CLIENT->LP: `));
    }
  }
  assert.deepEqual(results[4], { kind: "sent", seq: 2 });
  // The counterparty saw the Logon and the order, numbered 1 and 2: nothing in between.
  assert.deepEqual(seen.slice(0, 2), ["A:1", "D:2"]);
});

/**
 * SessionHandle.send of a `{ msgType, fields }` message with a number that is not finite (NaN, Infinity)
 * throws a RangeError naming the tag, before anything happens: no MsgSeqNum taken, nothing queued. Before,
 * sent at once it threw from the encoder after taking its MsgSeqNum (the next message went out after a
 * gap), and queued (not logged on) it was answered `queued`, then threw as the queue drained at logon: the
 * connection was closed and the message lost without a word to the application. (The typed builders
 * refuse such values at build: test/dictionary/typed_values_test.ts.)
 */
import assert from "node:assert/strict";
import { type FixMessage, Logger, type SessionHandle, startAcceptor, startInitiator } from "../../src/mod.ts";

const order = (id: string, px: number): FixMessage => ({
  msgType: "D",
  fields: [[11, id], [55, "X"], [54, "1"], [60, "20260101-00:00:00"], [38, 1], [40, "2"], [44, px]],
});
const refusal =
  "35=D: tag 44 is NaN, not a finite number: nothing sent (give a finite number, or the value as text)";

Deno.test("send of a non-finite number throws before taking a MsgSeqNum or a place in the queue", async () => {
  const logger = new Logger({ level: "error" });
  const seen: string[] = [];
  let last!: () => void;
  const done = new Promise<void>((r) => last = r);
  const lp = await startAcceptor({ port: 0, senderCompId: "LP", targetCompId: "CLIENT", logger }, {
    onMessage(v) {
      seen.push(`${v.seqNum} ${v.getString(11)}`);
      if (v.getString(11) === "live-ok") last();
    },
  });
  const results: string[] = [];
  const attempt = (s: SessionHandle, id: string, px: number) => {
    try {
      const r = s.send(order(id, px));
      results.push(`${id} ${r.kind}${r.kind === "sent" ? ` ${r.seq}` : ""}`);
    } catch (e) {
      results.push(`${id} ${(e as Error).name}: ${(e as Error).message}`);
    }
  };
  const client = await startInitiator({
    port: lp.ports[0]!,
    senderCompId: "CLIENT",
    targetCompId: "LP",
    logger,
  }, {
    onCreate(s) {
      attempt(s, "queued-bad", NaN); // Not logged on yet.
      attempt(s, "queued-ok", 1);
    },
    onLogon(s) {
      attempt(s, "live-bad", NaN);
      attempt(s, "live-ok", 1);
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([done, new Promise((r) => timer = setTimeout(r, 5000))]);
    assert.deepEqual(seen, ["2 queued-ok", "3 live-ok"]);
    assert.deepEqual(results, [
      `queued-bad RangeError: ${refusal}`,
      "queued-ok queued",
      `live-bad RangeError: ${refusal}`,
      "live-ok queued",
    ]);
  } finally {
    clearTimeout(timer);
    await client.stop();
    await lp.stop();
  }
});

/**
 * Retried request ids through the engine's endpoint (docs/library_protocol.md, "Sends"): answered with the
 * original answer (ACCEPTED and the original MsgSeqNum) and not sent again, for (at least) the last 10 000
 * request ids of the session; exactly how far back (library_ids.ts: max + max/8 while none was forgotten),
 * and the first id past that is a new send. Orders counted at the counterparty.
 */
import assert from "node:assert/strict";
import { type Command, SendStatus } from "../../src/engine/protocol.ts";
import type { Application } from "../../src/engine/application.ts";
import { RawEngineClient } from "../_helpers/engine_protocol.ts";
import { waitFor } from "./helpers.ts";
import { ENGINE_SESSION_KEY as KEY, startEngineOverLp } from "../_helpers/engine_in_process.ts";

const te = new TextEncoder();
const order = (id: string) =>
  te.encode(`35=D\x0111=${id}\x0155=EUR/USD\x0154=1\x0138=100\x0140=1\x0160=20260101-00:00:00\x01`);
const send = (requestId: string, clOrdId = requestId): Command => ({
  type: "send",
  key: KEY,
  requestId,
  body: order(clOrdId),
});

async function withEngine(
  recentRequests: number | undefined,
  body: (a: RawEngineClient, lpOrders: () => string[]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fixg-reqids-" });
  const atLp: string[] = [];
  const lpApp: Application = {
    onMessage(v) {
      if (v.msgType === "D") atLp.push(v.getString(11)!);
    },
  };
  const engine = await startEngineOverLp({
    dir,
    lpApp,
    server: recentRequests === undefined ? {} : { recentRequests },
  });
  let a: RawEngineClient | undefined;
  try {
    await engine.loggedOn();
    a = await RawEngineClient.attach(engine.socket, "ids");
    await a.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await a.next("live");
    await body(a, () => atLp);
  } finally {
    a?.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Sends `ids` in batches of 1,000 (under the in-flight limit), each answered ACCEPTED with the next seq. */
async function sendAll(a: RawEngineClient, ids: string[], firstSeq: number): Promise<void> {
  for (let i = 0; i < ids.length; i += 1_000) {
    const batch = ids.slice(i, i + 1_000);
    for (const id of batch) await a.send(send(id));
    for (let k = 0; k < batch.length; k++) {
      const r = await a.next("send-result", (e) => e.requestId === batch[k]);
      assert.deepEqual([r.status, r.seq], [SendStatus.ACCEPTED, firstSeq + i + k]);
    }
  }
}

Deno.test("request ids (recentRequests 8, so 9 kept): the 9th back answers with its MsgSeqNum, the 10th is sent again", async () => {
  await withEngine(8, async (a, atLp) => {
    const ids = Array.from({ length: 12 }, (_, i) => `r${i + 1}`);
    await sendAll(a, ids, 2); // r1 -> 2 ... r12 -> 13
    await waitFor(() => atLp().length === 12, "12 orders at the LP");
    // r4 is the 9th id back (r12 is the 1st): its original answer, nothing sent (other body, same id).
    await a.send(send("r4", "other-body"));
    let r = await a.next("send-result");
    assert.deepEqual([r.requestId, r.status, r.seq, r.code], ["r4", SendStatus.ACCEPTED, 5, 0]);
    // And again, twice in a row: the same.
    await a.send(send("r12"));
    await a.send(send("r4"));
    r = await a.next("send-result");
    assert.deepEqual([r.requestId, r.seq], ["r12", 13]);
    r = await a.next("send-result");
    assert.deepEqual([r.requestId, r.seq], ["r4", 5]);
    assert.equal(atLp().length, 12, "no retry sent");
    // r3 is the 10th back: forgotten, so a new send, seq 14 (no retry took a number).
    await a.send(send("r3"));
    r = await a.next("send-result");
    assert.deepEqual([r.requestId, r.status, r.seq], ["r3", SendStatus.ACCEPTED, 14]);
    await waitFor(() => atLp().length === 13, "r3 at the LP");
    assert.equal(atLp().at(-1), "r3");
  });
});

Deno.test("request ids, the default window: 11,250 back answers (10,000 promised), 11,251 back is a new send", async () => {
  await withEngine(undefined, async (a, atLp) => {
    const n = 11_251;
    const ids = Array.from({ length: n }, (_, i) => `q${i + 1}`);
    await sendAll(a, ids, 2); // q_i -> seq i + 1
    await waitFor(() => atLp().length === n, "every order at the LP");
    // Counting the newest (q11251) as 1 back: 10,000 back is the promise, 11,250 back the ring's end.
    for (const back of [1, 10_000, 10_001, 11_250]) {
      const id = `q${n - back + 1}`;
      await a.send(send(id));
      const r = await a.next("send-result");
      assert.deepEqual(
        [r.requestId, r.status, r.seq],
        [id, SendStatus.ACCEPTED, n - back + 2],
        `${back} back`,
      );
    }
    assert.equal(atLp().length, n, "no retry sent");
    // q1 is 11,251 back: a new send, seq n + 2 (no retry took a number).
    await a.send(send("q1"));
    const r = await a.next("send-result");
    assert.deepEqual([r.requestId, r.status, r.seq], ["q1", SendStatus.ACCEPTED, n + 2]);
    await waitFor(() => atLp().length === n + 1, "q1 at the LP");
    assert.equal(atLp().at(-1), "q1");
  });
});

/**
 * A resend whose store read fails (the PostgreSQL store during a database failover: the primary killed,
 * a connection terminated; the new owner's first resend after a takeover is exactly when that happens)
 * must not gap-fill messages that are stored: a SequenceReset-GapFill over them tells the counterparty
 * to skip orders it never received, and they are lost without a word. The session ends the connection
 * instead; the counterparty asks again after it reconnects, when the store reads again. A memory store
 * whose first read fails stands for the database; the peer is in-process.
 */
import assert from "node:assert/strict";
import { Logger } from "../../src/engine/log.ts";
import { SessionRunner } from "../../src/engine/session_runner.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { SessionStore } from "../../src/store/types.ts";
import { frame, PeerSocket, sessionConfig, turns, waitFor } from "../engine/helpers.ts";

const STORED = 10;

Deno.test("a resend whose store read fails ends the connection instead of gap-filling stored orders", async () => {
  const inner = await new MemoryMessageStore().openSession("k", Date.now());
  for (let seq = 1; seq <= STORED; seq++) {
    await inner.appendOutbound(
      seq,
      frame("FIX.4.4", "D", `49=TW|56=ISLD|34=${seq}|52=<TIME>|11=ORD-${seq}|55=IBM|54=1|38=100|40=1|`),
    );
  }
  let reads = 0;
  const store = new Proxy(inner, {
    get(t, k) {
      if (k === "getOutbound") {
        return (from: number, to: number) => {
          reads++;
          // The first read fails (the database failing over); the store reads again afterwards.
          if (reads > 1) return t.getOutbound(from, to);
          return Promise.reject(Object.assign(new Error("read: connection terminated"), { code: "57P01" }));
        };
      }
      const v = Reflect.get(t, k);
      return typeof v === "function" ? v.bind(t) : v;
    },
  }) as SessionStore;
  const lines: string[] = [];
  const peer = new PeerSocket(64 * 1024);
  const runner = SessionRunner.create(sessionConfig("initiator"), store, {}, {
    logger: new Logger({ level: "info", sink: (l) => lines.push(l) }),
  });
  const attached = runner.attach(peer);
  await waitFor(() => peer.buffered > 0, "our Logon");
  peer.drain();
  peer.send(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await waitFor(() => runner.loggedOn, "logon");
  peer.frames.length = 0;
  // The counterparty missed our orders 2..10: it asks for them.
  peer.send(frame("FIX.4.4", "2", "49=ISLD|56=TW|34=2|52=<TIME>|7=2|16=0|"));
  for (let i = 0; i < 50 && !peer.closed; i++) {
    peer.drain();
    await turns(1);
  }
  peer.drain();
  assert.equal(reads, 1);
  const gapFills = peer.frames.filter((f) => f.includes("|35=4|"));
  assert.deepEqual(gapFills, [], "stored orders gap-filled: the counterparty skips them");
  assert.ok(peer.closed, "the connection stays up after the failed read");
  assert.ok(lines.some((l) => l.includes("resend-read-failed")), lines.join("\n"));
  // Counted (fixg_resend_read_failures_total): a read that keeps failing shows as a rising count, one a
  // reconnect, not only as log lines.
  assert.equal(runner.counters.resendReadFailures, 1);
  await attached;

  // The counterparty reconnects and asks again: the orders come, resent as they are (PossDupFlag=Y),
  // and only our two Logons (11, 12: admin) are gap-filled.
  const peer2 = new PeerSocket(64 * 1024);
  const again = runner.attach(peer2);
  await waitFor(() => peer2.buffered > 0, "our second Logon");
  peer2.drain();
  assert.ok(peer2.frames[0]!.includes("|35=A|") && peer2.frames[0]!.includes("|34=12|"), peer2.frames[0]);
  peer2.frames.length = 0;
  peer2.send(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=3|52=<TIME>|98=0|108=30|"));
  await waitFor(() => runner.loggedOn, "second logon");
  peer2.send(frame("FIX.4.4", "2", "49=ISLD|56=TW|34=4|52=<TIME>|7=2|16=0|"));
  for (let i = 0; i < 50 && peer2.frames.filter((f) => f.includes("|35=4|")).length === 0; i++) {
    peer2.drain();
    await turns(1);
  }
  peer2.drain();
  assert.equal(reads, 2);
  const resent = peer2.frames.filter((f) => f.includes("|35=D|"));
  assert.deepEqual(
    resent.map((f) => [/\|34=(\d+)\|/.exec(f)![1], /\|43=(\w)\|/.exec(f)?.[1], /\|11=([^|]+)\|/.exec(f)![1]]),
    Array.from({ length: 9 }, (_, i) => [String(i + 2), "Y", `ORD-${i + 2}`]),
  );
  const fills = peer2.frames.filter((f) => f.includes("|35=4|"));
  assert.equal(fills.length, 1, fills.join("\n"));
  assert.match(fills[0]!, /\|34=11\|.*\|36=13\|/);
  assert.equal(runner.counters.resendReadFailures, 1);
  peer2.close();
  await again;
});

/**
 * A gateway stopped while its cluster opens a session it just won (a takeover in progress: the round's
 * acquireSession awaits the session's store) stops that session too, and the orders it held for the
 * session (withdrawn when the session's lease was lost before) are reported not sent, never left in a
 * session nobody stops: stop() takes its list of runners at once, and the session opened after that was
 * not in it (its held orders were handed to it, queued until a Logon that never comes: lost without a
 * word). A cluster stand-in that owns nothing by itself; a memory store; no database, no connection.
 */
import assert from "node:assert/strict";
import type { FixMessage } from "../../src/codec/mod.ts";
import type { SendFailure } from "../../src/engine/application.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { Tag } from "../../src/mod.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";

const KEY = "FIX.4.4:TW->ISLD";
const order = (id: string): FixMessage => ({ msgType: "D", fields: [[Tag.ClOrdID, id], [Tag.Symbol, "X"]] });

Deno.test("cluster: a session opened by a takeover while the gateway stops is stopped, its held orders reported not sent", async () => {
  const failed: SendFailure[] = [];
  const gw = new Gateway({
    store: new MemoryMessageStore(),
    app: { onSendFailed: (f) => void failed.push(f) },
    logger: new Logger({ level: "error" }),
    cluster: { owns: () => false },
  });
  gw.addAcceptor({
    host: "127.0.0.1",
    port: 0,
    sessions: [{
      config: {
        ...DEFAULT_SESSION_SETTINGS,
        id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
        role: "acceptor",
      },
    }],
  });
  await gw.start();
  assert.equal(gw.runner(KEY), undefined, "owned by nobody yet: not opened");
  // The cluster wins the lease: the session opens; an order waits for its Logon.
  await gw.acquireSession(KEY);
  const first = gw.runner(KEY)!;
  assert.equal(first.send(order("c1")).kind, "queued");
  // The lease is lost: the order is withdrawn and held for the session's next opening here.
  await gw.releaseSession(KEY, "lease lost");
  assert.equal(gw.runner(KEY), undefined);
  assert.equal(failed.length, 0);
  // A round wins the lease again and opens the session while the gateway stops (SIGTERM).
  const opening = gw.acquireSession(KEY);
  const stopping = gw.stop();
  await opening;
  await stopping;
  // The order is reported, once, with seq 0 (never numbered): never left queued in a session nobody stops.
  assert.deepEqual(failed.map((f) => [f.seq, f.msgType, f.clOrdId]), [[0, "D", "c1"]]);
  assert.equal(gw.runner(KEY), undefined, "a session left open after the gateway stopped");
});

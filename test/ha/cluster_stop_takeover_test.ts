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
import { frame, RawClient, startAcceptor, waitFor } from "../engine/helpers.ts";

/** The acceptor's session: TW (this gateway) -> ISLD. */
const TW_ISLD = { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" };
const KEY = "FIX.4.4:TW->ISLD";
const order = (id: string): FixMessage => ({ msgType: "D", fields: [[Tag.ClOrdID, id], [Tag.Symbol, "X"]] });

Deno.test("cluster: a session opened by a takeover while the gateway stops is stopped, its held orders reported not sent", async () => {
  const failed: SendFailure[] = [];
  const gw = await startAcceptor({
    config: { id: TW_ISLD },
    gateway: { app: { onSendFailed: (f) => void failed.push(f) }, cluster: { owns: () => false } },
  });
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

Deno.test("cluster: a dynamic session's Logon whose lease is won while the gateway stops is not taken: the connection closes, stop() ends", async () => {
  let claimed: ((v: boolean) => void) | undefined;
  const gw = new Gateway({
    store: new MemoryMessageStore(),
    app: {},
    logger: new Logger({ level: "error" }),
    cluster: { owns: () => false, claim: () => new Promise<boolean>((r) => (claimed = r)) },
  });
  gw.addAcceptor({
    host: "127.0.0.1",
    port: 0,
    sessions: [],
    templates: [{
      config: {
        ...DEFAULT_SESSION_SETTINGS,
        id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "*" },
        role: "acceptor",
      },
    }],
  });
  await gw.start();
  const client = await RawClient.connect(gw.ports[0]!);
  try {
    await client.send(frame("FIX.4.4", "A", "49=CLIENT1|56=TW|34=1|52=<TIME>|98=0|108=30|"));
    await waitFor(() => claimed !== undefined, "the Logon's lease claim");
    // The gateway stops (SIGTERM) while the claim waits on the database; then the lease is won.
    let stopped = false;
    const stopping = gw.stop().then(() => (stopped = true));
    claimed!(true);
    await waitFor(() => client.closed || stopped, "the connection closed or the stop done", 2000);
    await waitFor(() => client.closed, "the connection closed", 2000);
    // No Logon answer from a gateway that stops: the session would stay logged on, stopped by nobody,
    // and stop() would wait for its connection for as long as the counterparty keeps it.
    assert.deepEqual(client.frames, []);
    await stopping;
    assert.equal(gw.runners().some((r) => r.connected), false);
  } finally {
    client.close();
    await client.finished();
    await gw.stop();
  }
});

Deno.test("cluster: a lease lost while its session was still opening (the database slow) leaves no session open under no lease", async () => {
  const inner = new MemoryMessageStore();
  let opened: (() => void) | undefined;
  const store = new Proxy(inner, {
    get(t, k) {
      if (k === "openSession") {
        return async (key: string, nowMs: number) => {
          await new Promise<void>((r) => (opened = r)); // the statements wait on a slow database
          return await t.openSession(key, nowMs);
        };
      }
      const v = Reflect.get(t, k);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
  const gw = await startAcceptor({
    config: { id: TW_ISLD },
    gateway: { store, cluster: { owns: () => false } },
  });
  try {
    // The cluster won the lease; the session's store is opening...
    const opening = gw.acquireSession(KEY);
    await waitFor(() => opened !== undefined, "the store's opening");
    // ...when the lease is lost (not renewed in time: the same slow database).
    const released = gw.releaseSession(KEY, "lease of 1000 ms not renewed in time");
    opened!();
    await opening;
    await released;
    // Nothing of it stays: a session kept open here would be reused by this gateway's next lease of it
    // (with the store of the old epoch: fenced at its first commit, stopped under a live lease).
    assert.equal(gw.runner(KEY), undefined, "a session open under no lease");
  } finally {
    await gw.stop();
  }
});

/**
 * A dynamic (template) acceptor session whose Logon is being taken when the gateway stops: stop() takes
 * its list of runners at once, so a session created after that (its store still opening, or its cluster
 * lease still being claimed) was stopped by nobody: an idle runner left in the gateway, its session store
 * never closed. Now a session that finishes opening after stop began is stopped, forgotten and its store
 * closed, and none is opened once stop began. In-process: memory listener and connection, manual
 * scheduler, memory store; the cluster is a stand-in (no database).
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { MemoryListener } from "../../src/conformance/in_process.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import type { GatewayOptions } from "../../src/engine/gateway_types.ts";
import { Logger } from "../../src/engine/log.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { SessionStore } from "../../src/store/types.ts";
import { memoryPair } from "../../src/transport/memory.ts";
import { frame, waitFor } from "./helpers.ts";

/** A memory store whose openSession waits for `release()` while gated; counts opened and closed sessions. */
class GatedStore extends MemoryMessageStore {
  asked = 0;
  opened = 0;
  closed = 0;
  #gate: Promise<void> | undefined;
  release: () => void = () => {};

  constructor(gated: boolean) {
    super();
    if (gated) this.#gate = new Promise<void>((r) => (this.release = r));
  }

  override async openSession(key: string, nowMs: number): Promise<SessionStore> {
    this.asked++;
    await this.#gate;
    const s = await super.openSession(key, nowMs);
    this.opened++;
    const close = s.close.bind(s);
    s.close = () => (this.closed++, close());
    return s;
  }
}

/** A gateway with one template acceptor TW -> '*' on a memory listener, on a manual scheduler. */
async function templateGateway(store: GatedStore, extra: Partial<GatewayOptions> = {}) {
  const clock = new ManualScheduler(1_000_000);
  const listener = new MemoryListener("memory", 1);
  const gw = new Gateway({
    store,
    app: {},
    logger: new Logger({ level: "error" }),
    scheduler: clock,
    ...extra,
  });
  gw.addAcceptor({
    host: "memory",
    port: 1,
    listener,
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
  // A client connects and sends its Logon (CLIENT1 -> TW): the dynamic session FIX.4.4:TW->CLIENT1.
  const [client, server] = memoryPair();
  listener.offer(server);
  const logon = frame("FIX.4.4", "A", "49=CLIENT1|56=TW|34=1|52=<TIME>|98=0|108=30|");
  await client.write(logon);
  return { gw, clock, client };
}

/** Everything the client reads until its connection closes. */
async function readToClose(client: { read(b: Uint8Array): Promise<number | null> }): Promise<number> {
  const buf = new Uint8Array(4096);
  let total = 0;
  for (let n = await client.read(buf); n !== null; n = await client.read(buf)) total += n;
  return total;
}

Deno.test("gateway stop while a dynamic session's store opens: the session is stopped and forgotten, its store closed, no runner left", async () => {
  const store = new GatedStore(true);
  const { gw, clock, client } = await templateGateway(store);
  await waitFor(() => store.asked === 1, "the dynamic session's store asked for");
  assert.equal(gw.runners().length, 0);
  // SIGTERM while the store opens; then the store answers.
  const stopping = gw.stop();
  store.release();
  await stopping;
  assert.equal(await readToClose(client), 0, "no Logon answer from a gateway that stopped");
  assert.deepEqual(gw.runners().map((r) => r.key), [], "a runner left after the gateway stopped");
  assert.deepEqual([store.opened, store.closed], [1, 1], "the session's store opened and closed");
  assert.equal(clock.pendingCount, 0, "no timer left");
});

Deno.test("gateway stop while a dynamic session's cluster lease is claimed: nothing is opened once the claim is won, no runner left", async () => {
  const store = new GatedStore(false);
  let claimed: ((v: boolean) => void) | undefined;
  const { gw, clock, client } = await templateGateway(store, {
    cluster: { owns: () => false, claim: () => new Promise<boolean>((r) => (claimed = r)) },
  });
  await waitFor(() => claimed !== undefined, "the Logon's lease claim");
  const stopping = gw.stop();
  claimed!(true);
  await stopping;
  assert.equal(await readToClose(client), 0, "no Logon answer from a gateway that stopped");
  assert.deepEqual(gw.runners().map((r) => r.key), [], "a runner left after the gateway stopped");
  assert.deepEqual([store.asked, store.opened, store.closed], [0, 0, 0], "no session store opened");
  assert.equal(clock.pendingCount, 0, "no timer left");
});

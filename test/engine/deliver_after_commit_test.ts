/**
 * A store with `durableBeforeDeliver` (the PostgreSQL store): an inbound message reaches the
 * application only after the store committed it (flush resolved); a failed commit (fenced) means
 * it is never delivered and the session disconnects.
 */
import assert from "node:assert/strict";
import { Framer, type MessageView, toReadable } from "../../src/codec/mod.ts";
import { Logger } from "../../src/engine/log.ts";
import { SessionRunner } from "../../src/engine/session_runner.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { FencedError } from "../../src/store/postgres.ts";
import type { SeqNums, SessionStore, StoredMessage } from "../../src/store/types.ts";
import { memoryPair } from "../../src/transport/memory.ts";
import type { Connection } from "../../src/transport/types.ts";
import { frame, waitFor } from "./helpers.ts";

const config: SessionConfig = {
  ...DEFAULT_SESSION_SETTINGS,
  id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
  role: "initiator",
};

/** A memory store whose inbound commits the test holds and then resolves or fails. */
class HeldStore implements SessionStore {
  readonly durableBeforeDeliver = true;
  /** When true, each inbound write (and every flush after it) waits for the test's `commit`/`fail`. */
  hold = false;
  /** When set, flush() rejects with it (the PostgreSQL store's lease check) once the held commit landed. */
  flushError: Error | undefined;
  readonly inbound: number[] = [];
  #gate: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  constructor(readonly inner: SessionStore) {}
  get sessionKey() {
    return this.inner.sessionKey;
  }
  seqNums(): SeqNums {
    return this.inner.seqNums();
  }
  creationTimeMs(): number {
    return this.inner.creationTimeMs();
  }
  appendOutbound(seq: number, bytes: Uint8Array) {
    return this.inner.appendOutbound(seq, bytes);
  }
  appendInbound(seq: number, bytes: Uint8Array): void | Promise<void> {
    this.inner.appendInbound(seq, bytes);
    this.inbound.push(seq);
    if (!this.hold) return;
    if (this.#gate === undefined) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#gate = { promise, resolve, reject };
    }
    return this.#gate.promise;
  }
  setNextTargetSeq(seq: number) {
    return this.inner.setNextTargetSeq(seq);
  }
  setNextSenderSeq(seq: number) {
    return this.inner.setNextSenderSeq(seq);
  }
  getOutbound(from: number, to: number): Promise<StoredMessage[]> {
    return this.inner.getOutbound(from, to);
  }
  reset(nowMs: number) {
    return this.inner.reset(nowMs);
  }
  async flush(): Promise<void> {
    // As the PostgreSQL store: wait for the commit, then check the lease.
    if (this.#gate !== undefined) await this.#gate.promise;
    else await this.inner.flush();
    if (this.flushError !== undefined) throw this.flushError;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  /** The held inbound commit lands. */
  commit(): void {
    this.#gate?.resolve();
    this.#gate = undefined;
  }
  /** The held inbound commit fails (another gateway took the session). */
  fail(e: Error): void {
    this.#gate?.reject(e);
  }
}

/** The counterparty's end: every frame received as "35=X:34=n". */
async function collect(conn: Connection, into: string[]): Promise<void> {
  const f = new Framer({
    onFrame: (b, s, e) => {
      const t = toReadable(b, s, e);
      const get = (tag: number) => new RegExp(`\\|${tag}=([^|]*)`).exec(t)?.[1];
      into.push(`${get(35)}:${get(34)}`);
    },
    onGarbled: () => {},
  });
  const buf = new Uint8Array(65536);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) return;
    f.push(buf.subarray(0, n));
  }
}

const news = (seq: number, text: string) =>
  frame("FIX.4.4", "B", `49=ISLD|56=TW|34=${seq}|52=<TIME>|148=${text}|`);

/** Lets every pending timer, I/O callback and microtask run (no fixed sleep: one macrotask turn). */
const turn = () => new Promise((r) => setTimeout(r, 0));

async function loggedOn(admin = false) {
  const [ours, theirs] = memoryPair();
  const store = new HeldStore(await new MemoryMessageStore().openSession("k", Date.now()));
  const delivered: string[] = [];
  const log: string[] = [];
  const app = {
    onMessage: (v: MessageView) => delivered.push(`${v.msgType}:${v.seqNum}:${v.getString(148)}`),
    ...(admin
      ? {
        fromAdmin: (v: MessageView) => delivered.push(`admin ${v.msgType}:${v.seqNum}`),
        onLogout: (_s: unknown, reason: string) => delivered.push(`onLogout ${reason}`),
      }
      : {}),
  };
  const runner = SessionRunner.create(config, store, app, {
    logger: new Logger({ level: "error", format: "json", sink: (l) => log.push(l) }),
  });
  const wire: string[] = [];
  const reading = collect(theirs, wire);
  const attached = runner.attach(ours);
  await waitFor(() => wire.length === 1, "our Logon");
  await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await waitFor(() => runner.loggedOn, "logon");
  return { runner, store, theirs, wire, delivered, log, attached, reading };
}

Deno.test("durableBeforeDeliver: onMessage waits for the inbound commit; messages keep their order", async () => {
  const { runner, store, theirs, delivered, attached, reading } = await loggedOn();
  store.hold = true;
  await theirs.write(news(2, "first"));
  await waitFor(() => store.inbound.includes(2), "message 2 appended");
  await theirs.write(news(3, "second"));
  await waitFor(() => store.inbound.includes(3), "message 3 appended");
  await turn();
  await turn();
  assert.deepEqual(delivered, [], "nothing delivered before the commit");
  assert.equal(runner.status().nextTargetSeq, 4);
  store.hold = false;
  store.commit();
  await waitFor(() => delivered.length === 2, "both delivered after the commit");
  assert.deepEqual(delivered, ["B:2:first", "B:3:second"]);
  // Later messages (commit not held) are delivered after it, in order.
  await theirs.write(news(4, "third"));
  await waitFor(() => delivered.length === 3, "message 4");
  assert.deepEqual(delivered, ["B:2:first", "B:3:second", "B:4:third"]);
  assert.equal(runner.counters.storeErrors, 0);
  theirs.close();
  await attached;
  await reading;
});

Deno.test("durableBeforeDeliver: a failed (fenced) inbound commit is never delivered and the session disconnects", async () => {
  const { runner, store, theirs, wire, delivered, log, attached, reading } = await loggedOn();
  store.hold = true;
  await theirs.write(news(2, "lost"));
  await waitFor(() => store.inbound.includes(2), "message 2 appended");
  await turn();
  assert.deepEqual(delivered, []);
  store.fail(new FencedError('Session "k": fenced, another gateway owns it now'));
  // attach() returns when the session dropped the connection; the counterparty sees it closed.
  await attached;
  await reading;
  assert.equal(runner.connected, false);
  assert.equal(runner.counters.storeErrors, 1);
  assert.match(runner.status().lastError ?? "", /^store: Session "k": fenced/);
  await turn();
  assert.deepEqual(delivered, [], "never delivered");
  assert.deepEqual(wire, ["A:1"], "nothing sent after the logon");
  const events = log.map((l) => JSON.parse(l) as { event: string; msg: string });
  assert.deepEqual(events.map((e) => `${e.event}: ${e.msg}`), [
    'store-error: Session "k": fenced, another gateway owns it now; session stops sending',
    'store-error: inbound commit failed: Session "k": fenced, another gateway owns it now; 1 inbound message(s) not delivered',
  ]);
});

Deno.test("durableBeforeDeliver: fromAdmin and onLogout keep their place behind messages waiting for the commit", async () => {
  const { store, theirs, wire, delivered, attached, reading } = await loggedOn(true);
  assert.deepEqual(delivered, ["admin A:1"], "the Logon (its commit not held)");
  store.hold = true;
  await theirs.write(news(2, "a"));
  await theirs.write(frame("FIX.4.4", "0", "49=ISLD|56=TW|34=3|52=<TIME>|"));
  await theirs.write(news(4, "b"));
  await theirs.write(frame("FIX.4.4", "5", "49=ISLD|56=TW|34=5|52=<TIME>|"));
  // The session answers the Logout and disconnects; the application has seen nothing of it yet.
  await attached;
  await reading;
  assert.deepEqual(store.inbound, [1, 2, 3, 4, 5]);
  assert.deepEqual(wire, ["A:1", "5:2"]);
  await turn();
  assert.deepEqual(delivered, ["admin A:1"]);
  store.hold = false;
  store.commit();
  await waitFor(() => delivered.length === 6, "everything after the commit");
  assert.deepEqual(delivered, [
    "admin A:1",
    "B:2:a",
    "admin 0:3",
    "B:4:b",
    "admin 5:5",
    "onLogout Logout received",
  ]);
});

Deno.test("durableBeforeDeliver: a message whose own commit landed is delivered even when a later flush fails (lease no longer certain)", async () => {
  const { store, theirs, delivered, attached, reading } = await loggedOn();
  store.hold = true;
  await theirs.write(news(2, "committed"));
  await waitFor(() => store.inbound.includes(2), "message 2 appended");
  await turn();
  assert.deepEqual(delivered, []);
  // The commit lands, then the lease check fails: the message is counted as received in the store,
  // so the next owner will not ask for it again; it must reach the application here.
  store.flushError = new FencedError('Session "k": the lease may have expired (not renewed in time)');
  store.hold = false;
  store.commit();
  await waitFor(() => delivered.length === 1, "message 2 delivered");
  assert.deepEqual(delivered, ["B:2:committed"]);
  theirs.close();
  await attached;
  await reading;
});

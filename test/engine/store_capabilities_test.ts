/**
 * Store capabilities (store/types.ts) instead of `instanceof PostgresMessageStore`: a fake store that
 * declares `requestIds`, `commitMetrics` and `observeCommits` (a memory store underneath) is used by the
 * library endpoint and the metrics exactly as the PostgreSQL store is, through the engine's statistics
 * wrapper (InstrumentedStore forwards them). Before the capabilities the engine recognised only the
 * PostgreSQL class: the fake's request ids, replay and commit metrics were ignored.
 */
import assert from "node:assert/strict";
import { type EngineCommand } from "../../src/engine/boundary.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { SendStatus } from "../../src/engine/protocol.ts";
import { startEngineOverLp } from "../_helpers/engine_in_process.ts";
import { orderBody, RawEngineClient } from "../_helpers/engine_protocol.ts";
import { InstrumentedStore } from "../../src/engine/store_stats.ts";
import { gatewayFamilies } from "../../src/ops/metrics.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { CommitMetrics, RequestIdStore } from "../../src/store/types.ts";
import { frame, waitFor } from "./helpers.ts";

const KEY = "FIX.4.4:CLIENT->LP";

/** A memory store declaring the PostgreSQL store's capabilities, recording what the engine asks of them. */
class CapableStore extends MemoryMessageStore {
  readonly calls: string[] = [];
  /** What `inboundAfter` answers: one committed execution report another gateway received. */
  readonly committed = frame("FIX.4.4", "8", "49=LP|56=CLIENT|34=1|52=20260101-00:00:00|11=old|39=0|");
  readonly requestIds: RequestIdStore = {
    note: (key, seq, id) => {
      this.calls.push(`note ${key} ${seq} ${id}`);
      return true;
    },
    read: (key, max) => {
      this.calls.push(`read ${key} ${max}`);
      return Promise.resolve(new Map([["old-1", 1]]));
    },
    flushSession: (key) => {
      this.calls.push(`flushSession ${key}`);
      return Promise.resolve();
    },
    inboundAfter: (key, after, limit) => {
      this.calls.push(`inboundAfter ${key} ${after} ${limit}`);
      return Promise.resolve(after < 1 ? [{ seq: 1, raw: this.committed }] : []);
    },
  };
  commits = 0;
  observers: Array<(ms: number, n: number) => void> = [];
  commitMetrics(): CommitMetrics {
    return {
      commits: this.commits,
      messages: 2 * this.commits,
      fenced: 1,
      retries: 0,
      leases: new Map([[KEY, 3]]),
    };
  }
  observeCommits(f: (ms: number, n: number) => void): void {
    this.observers.push(f);
  }
}

Deno.test("store capabilities: the endpoint uses a store's requestIds (notes, seeds, replays) through the wrapper", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-capable-" });
  const lpGot: string[] = [];
  const fake = new CapableStore();
  // As build.ts does: the gateway's store is the statistics wrapper around the configured store.
  const engine = await startEngineOverLp({
    dir,
    store: new InstrumentedStore(fake),
    lpApp: { onMessage: (v) => void lpGot.push(v.getString(11) ?? "") },
  });
  const raw = await RawEngineClient.connect(engine.socket);
  const events = raw.events;
  const write = (c: EngineCommand) => raw.send(c);
  const order = orderBody;
  try {
    await engine.loggedOn();
    await write({ type: "hello", version: 1, name: "t", secret: "" });
    await write({ type: "claim", key: KEY, replay: true, lastProcessedInSeq: 0 });
    await waitFor(() => events.some((e) => e.type === "live"), "LIVE");
    // The replay is the store's inbound of record, not the endpoint's memory ring.
    const replayed = events.filter((e) => e.type === "message");
    assert.equal(replayed.length, 1);
    assert.deepEqual(replayed[0], { type: "message", key: KEY, seq: 1, replayed: true, raw: fake.committed });
    assert.deepEqual(events.find((e) => e.type === "live"), { type: "live", key: KEY, replayed: 1 });
    // A request id the store says was accepted is answered from it: nothing is sent again.
    await write({ type: "send", key: KEY, requestId: "old-1", body: order("old-1") });
    await write({ type: "send", key: KEY, requestId: "c1", body: order("c1") });
    await waitFor(() => events.filter((e) => e.type === "send-result").length === 2, "two answers");
    const answers = events.filter((e) => e.type === "send-result");
    assert.deepEqual(answers[0], {
      type: "send-result",
      key: KEY,
      requestId: "old-1",
      status: SendStatus.ACCEPTED,
      seq: 1,
      code: 0,
      text: "",
    });
    assert.equal(answers[1]!.type === "send-result" && answers[1]!.status, SendStatus.ACCEPTED);
    const seq = answers[1]!.type === "send-result" ? answers[1]!.seq : 0;
    assert.equal(seq, 2, "after the Logon (1)");
    await waitFor(() => lpGot.length === 1, "the order at the LP");
    assert.deepEqual(lpGot, ["c1"]);
    // The claim seeds the request ids, flushes the session's queued writes and reads the replay; the
    // send notes its id with its MsgSeqNum and is answered after the session's flush.
    assert.deepEqual(fake.calls, [
      `read ${KEY} 10000`,
      `flushSession ${KEY}`,
      `inboundAfter ${KEY} 0 10000`,
      `note ${KEY} 2 c1`,
      `flushSession ${KEY}`,
    ]);
  } finally {
    raw.close();
    await raw.done;
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store capabilities: /metrics reads commitMetrics and observes commits of any store declaring them", () => {
  const fake = new CapableStore();
  const gw = new Gateway({
    store: new InstrumentedStore(fake),
    app: {},
    logger: new Logger({ level: "error" }),
  });
  fake.commits = 5;
  const fams = gatewayFamilies(gw, () => []);
  const byName = (n: string) => fams.find((f) => f.name === n);
  assert.deepEqual(byName("fixg_store_commits_total")?.samples, [{ labels: {}, value: 5 }]);
  assert.deepEqual(byName("fixg_store_committed_messages_total")?.samples, [{ labels: {}, value: 10 }]);
  assert.deepEqual(byName("fixg_store_fenced_total")?.samples, [{ labels: {}, value: 1 }]);
  assert.deepEqual(byName("fixg_cluster_leases_held")?.samples, [{ labels: {}, value: 1 }]);
  assert.deepEqual(byName("fixg_cluster_epoch")?.samples, [{ labels: { session: KEY }, value: 3 }]);
  // One observer for the commit histogram, however many scrapes.
  assert.equal(fake.observers.length, 1);
  fake.observers[0]!(2, 4);
  const again = gatewayFamilies(gw, () => []);
  assert.equal(fake.observers.length, 1);
  const h = again.find((f) => f.name === "fixg_store_commit_seconds")!;
  assert.equal(JSON.stringify(h.samples).includes('"count":1'), true, JSON.stringify(h.samples));
  // A store without the capabilities: no store commit families.
  const plain = new Gateway({ store: new InstrumentedStore(new MemoryMessageStore()), app: {} });
  assert.equal(gatewayFamilies(plain, () => []).some((f) => f.name === "fixg_store_commits_total"), false);
});

/**
 * The library endpoint: a SET_SEQ sent after SENDs is carried out after them, also while a first claim
 * is still reading the session's request ids (the SENDs are held until that read ends). Before: the
 * SET_SEQ ran at once, ahead of the held SENDs, which were then numbered from the new number
 * (docs/library_protocol.md: "after what the library sent before it").
 */
import assert from "node:assert/strict";
import { type EngineCommand } from "../../src/engine/boundary.ts";
import { startEngineOverLp } from "../_helpers/engine_in_process.ts";
import { orderBody, RawEngineClient } from "../_helpers/engine_protocol.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { RequestIdStore } from "../../src/store/types.ts";
import { waitFor } from "./helpers.ts";

const KEY = "FIX.4.4:CLIENT->LP";

/** A memory store whose request-id read (the first claim's seeding) ends when the test says. */
class SlowSeedStore extends MemoryMessageStore {
  release!: () => void;
  readonly requestIds: RequestIdStore = {
    note: () => true,
    read: () => new Promise((r) => this.release = () => r(new Map())),
    flushSession: () => Promise.resolve(),
    inboundAfter: () => Promise.resolve([]),
  };
}

Deno.test("library endpoint: SET_SEQ after SENDs held by the first claim's seeding runs after them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-seq-order-" });
  const lpSeqs: string[] = [];
  const store = new SlowSeedStore();
  const engine = await startEngineOverLp({
    dir,
    store,
    lpApp: { onMessage: (v) => void lpSeqs.push(`${v.getString(11)}@${v.getString(34)}`) },
  });
  const { gw } = engine;
  const raw = await RawEngineClient.connect(engine.socket);
  const events = raw.events;
  const write = (c: EngineCommand) => raw.send(c);
  const order = orderBody;
  try {
    await engine.loggedOn();
    await write({ type: "hello", version: 1, name: "t", secret: "" });
    await write({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await waitFor(() => store.release !== undefined, "the seeding read started");
    await write({ type: "send", key: KEY, requestId: "a", body: order("a") });
    await write({ type: "send", key: KEY, requestId: "b", body: order("b") });
    await write({ type: "set-seq", key: KEY, tag: 7, nextSenderSeq: 20, nextTargetSeq: 0 });
    // Give the endpoint time to read all three before the seeding read ends (with the defect the SET_SEQ
    // is carried out here; fixed, nothing happens until the release, and this wait runs out).
    await waitFor(() => gw.runner(KEY)!.status().nextSenderSeq === 20, "an early SET_SEQ", 500).catch(
      () => {},
    );
    store.release();
    await waitFor(() => events.some((e) => e.type === "seq-result"), "SEQ_RESULT");
    await waitFor(() => lpSeqs.length === 2, "both orders at the LP");
    assert.deepEqual(lpSeqs, ["a@2", "b@3"], "the orders numbered before the SET_SEQ");
    const r = events.find((e) => e.type === "seq-result");
    assert.equal(r?.type === "seq-result" && r.code, 0);
    assert.equal(gw.runner(KEY)!.status().nextSenderSeq, 20);
  } finally {
    raw.close();
    await raw.done;
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

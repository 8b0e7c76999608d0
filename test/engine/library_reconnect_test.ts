/**
 * The library side of an engine restart: `connectEngine` reconnects with backoff when the engine's
 * socket goes away and comes back, claims its sessions again from the last inbound MsgSeqNum its
 * application processed, and gets what arrived meanwhile from the journal, marked replayed, once.
 */
import assert from "node:assert/strict";
import type { SessionHandle } from "../../src/engine/application.ts";
import { connectEngine } from "../../src/engine/library_client.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { waitFor } from "./helpers.ts";
import { startEngineOverLp } from "../_helpers/engine_in_process.ts";

const KEY = "FIX.4.4:CLIENT->LP";

/**
 * The engine over a file journal (replays read it) and an LP whose ExecutionReports the test sends by
 * hand (`report(id)`); `loggedOn()` waits for both sides' logon.
 */
async function reconnectRig(dir: string) {
  let lpSession: SessionHandle | undefined;
  const store = await FileJournal.open({ dir: `${dir}/journal`, fsync: "none" });
  const engine = await startEngineOverLp({
    dir,
    store,
    lpApp: { onLogon: (s) => lpSession = s },
    server: { journalDir: `${dir}/journal` },
  });
  const report = (id: string) =>
    lpSession!.send({
      msgType: "8",
      fields: [[37, id], [11, id], [17, id], [150, "0"], [39, "0"], [55, "EUR/USD"], [54, "1"], [151, 1], [
        14,
        0,
      ], [
        6,
        0,
      ]],
    });
  const loggedOn = () =>
    waitFor(() => engine.gw.runner(KEY)?.loggedOn === true && lpSession?.loggedOn === true, "logon");
  return { engine, report, loggedOn };
}

Deno.test("library reconnects after an engine restart and re-claims from its last processed MsgSeqNum", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-reconnect-" });
  const { engine, report, loggedOn } = await reconnectRig(dir);
  const { server, gw } = engine;
  const seen: string[] = [];
  const statuses: string[] = [];
  const lib = await connectEngine({
    socket: engine.socket,
    name: "oms",
    maxBackoffMs: 50,
    onStatus: (e) => statuses.push(e),
  });
  try {
    await loggedOn();
    const session = await lib.claim(KEY, {
      onMessage: (v, s) =>
        seen.push(`${v.getInt(34)}:${v.getString(11)}:${s.replaying ? "replayed" : "live"}`),
    }, { lastProcessedInSeq: 0 });
    report("r1");
    report("r2");
    await waitFor(() => seen.length === 2, "two live reports");
    assert.deepEqual(seen, ["2:r1:live", "3:r2:live"]);
    assert.equal(session.lastProcessedInSeq, 3);

    // The engine goes away (its socket too); reports keep coming and are journaled meanwhile.
    server.stop();
    await waitFor(() => !lib.connected, "the library sees the engine gone");
    report("r3");
    report("r4");
    await waitFor(() => gw.runner(KEY)!.status().nextTargetSeq === 6, "reports journaled");
    await server.start();
    await waitFor(() => seen.length === 4, "the missed reports replayed");
    report("r5");
    await waitFor(() => seen.length === 5, "live again");
    assert.deepEqual(seen, ["2:r1:live", "3:r2:live", "4:r3:replayed", "5:r4:replayed", "6:r5:live"]);
    assert.equal(server.holderOf(KEY), "oms#2");
    assert.ok(statuses.includes("disconnected") && statuses.includes("reconnecting"), statuses.join(","));
    assert.equal(statuses.filter((s) => s === "connected").length, 2);
  } finally {
    await lib.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a live-only claim re-claims after a reconnect from where it started, not from MsgSeqNum 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-reconnect-" });
  const { engine, report, loggedOn } = await reconnectRig(dir);
  const { server, gw } = engine;
  const seen: string[] = [];
  const lib = await connectEngine({ socket: engine.socket, name: "blotter", maxBackoffMs: 50 });
  try {
    await loggedOn();
    report("before-1");
    report("before-2");
    await waitFor(() => gw.runner(KEY)!.status().nextTargetSeq === 4, "two reports before the claim");
    const session = await lib.claim(KEY, {
      onMessage: (v, s) =>
        seen.push(`${v.getInt(34)}:${v.getString(11)}:${s.replaying ? "replayed" : "live"}`),
    });
    assert.equal(session.lastProcessedInSeq, 3);
    server.stop();
    await waitFor(() => !lib.connected, "the library sees the engine gone");
    report("gap");
    await waitFor(() => gw.runner(KEY)!.status().nextTargetSeq === 5, "journaled");
    await server.start();
    await waitFor(() => seen.length === 1, "the report of the gap");
    assert.deepEqual(seen, ["4:gap:replayed"]);
  } finally {
    await lib.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * An engine restart between two lives of a library (issue 17): the `fixg run` process is stopped and
 * started again on the same journal; the library resubmits the orders it had sent (request id =
 * ClOrdID) plus new ones. The engine, reading what its journal shows sent, answers the old ones with
 * their first MsgSeqNums and sends only the new ones: the counterparty gets each ClOrdID once.
 */
import assert from "node:assert/strict";
import { JournalReader, msgTypeOf } from "../../src/store/reader.ts";
import { MessageView } from "../../src/codec/mod.ts";
import { engineReady, runIpcLibrary, startLpAndEngine } from "../_helpers/engine.ts";
import { spawnFixg } from "../_helpers/mod.ts";

const KEY = "FIX.4.4:CLIENT->LP";

async function library(socket: string, log: string, n: number) {
  const o = await runIpcLibrary(socket, KEY, log, n, 0);
  const out = new TextDecoder().decode(o.stdout);
  assert.equal(o.code, 0, out + new TextDecoder().decode(o.stderr));
  return JSON.parse(/answers (.*)/.exec(out)![1]!) as string[];
}

Deno.test("engine restarted between two library runs: retried ClOrdIDs answered from the journal, not sent twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-eng-restart-" });
  const env = await startLpAndEngine({ dir, lpStore: `${dir}/lp-journal`, gwStore: `${dir}/gw-journal` });
  const socket = env.socket;
  const log = `${dir}/processed.log`;
  try {
    const first = await library(socket, log, 5);
    assert.deepEqual(first, ["accepted:2", "accepted:3", "accepted:4", "accepted:5", "accepted:6"]);

    assert.equal((await env.gw.stop()).code, 0);
    env.gw = spawnFixg(env.gwArgs);
    await engineReady(env.gw, "logon again");

    // ord-1..5 again (their first answers, from the journal) and ord-6..8 new (after the Logout, 7, and the new Logon, 8).
    const second = await library(socket, log, 8);
    assert.deepEqual(second.slice(0, 5), first);
    assert.deepEqual(second.slice(5), ["accepted:9", "accepted:10", "accepted:11"]);
    const lines = Deno.readTextFileSync(log).trim().split("\n");
    assert.equal(lines.length, 16);
  } finally {
    await env.stop();
  }
  const orders: string[] = [];
  JournalReader.open(`${dir}/lp-journal`).forEach((r) => {
    if (r.type === "message" && r.direction === "in" && msgTypeOf(r.payload) === "D") {
      orders.push(MessageView.parse(r.payload).getString(11)!);
    }
  });
  assert.deepEqual(orders, ["ord-1", "ord-2", "ord-3", "ord-4", "ord-5", "ord-6", "ord-7", "ord-8"]);
  await Deno.remove(dir, { recursive: true });
});

/**
 * Replay after takeover from PostgreSQL (issue 17: on claim "the engine replays every inbound application
 * message after [lastProcessedInSeq] from the journal"; issue 18: the store of record is PostgreSQL): a
 * library claims on gateway A and gets ExecutionReports; the session moves to gateway B; the library
 * claims on B with an earlier position and receives exactly the inbound application messages after it —
 * those A received included — in order, once each, marked replayed.
 */
import assert from "node:assert/strict";
import { startAcceptor } from "../../src/engine/quick.ts";
import { connectEngine } from "../../src/engine/library_client.ts";
import { Logger } from "../../src/engine/log.ts";
import type { Application } from "../../src/engine/application.ts";
import { openPostgresStore } from "../../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";
import { freePort } from "../interop/peers.ts";
import { waitFor } from "../engine/helpers.ts";
import { clusterEngines, moveSession } from "./cluster_engines.ts";
import { ackingLp, order } from "../_helpers/orders.ts";

const KEY = "FIX.4.4:CLIENT->LP";
const logger = () => new Logger({ level: "error" });

/** What a library's application saw: [MsgSeqNum, MsgType, ClOrdID, replayed]. */
function recorder(out: Array<[number, string, string, boolean]>): Application {
  return {
    onMessage(v, s) {
      out.push([
        v.getInt(34)!,
        v.msgType,
        v.getString(11) ?? "",
        (s as { replaying?: boolean }).replaying === true,
      ]);
    },
  };
}

Deno.test({
  name:
    "PostgreSQL store: a claim on the new owner after a move replays the inbound messages the old owner received, once each, marked replayed",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const dir = await Deno.makeTempDir({ prefix: "fixg-pgreplay-" });
  const port = freePort();
  const lp = await startAcceptor(
    { port, senderCompId: "LP", targetCompId: "CLIENT", logger: logger() },
    ackingLp(),
  );
  const ops = await openPostgresStore({ url: PG_URL!, schema, maxConnections: 1, retryMs: 0 });
  const engines = clusterEngines({ dir, schema, port });
  const gateway = engines.gateway;
  try {
    const a = await gateway("A");
    await waitFor(() => a.runner(KEY)?.loggedOn === true, "A logged on", 10_000);
    const b = await gateway("B");
    const libA = await connectEngine({ socket: `${dir}/A.sock`, name: "t", reconnect: false });
    const onA: Array<[number, string, string, boolean]> = [];
    const sa = await libA.claim(KEY, recorder(onA));
    for (const id of ["C1", "C2", "C3"]) assert.equal((await sa.submit(order(id))).status, "accepted");
    await waitFor(() => onA.length === 3, "3 ExecutionReports on A");
    assert.deepEqual(onA.map((m) => [m[1], m[2], m[3]]), [["8", "C1", false], ["8", "C2", false], [
      "8",
      "C3",
      false,
    ]]);
    await libA.close();

    await moveSession(ops, KEY, { node: "B", gw: b });

    // The library processed C1's report only: it claims on B from there.
    const libB = await connectEngine({ socket: `${dir}/B.sock`, name: "t", reconnect: false });
    try {
      const onB: Array<[number, string, string, boolean]> = [];
      await libB.claim(KEY, recorder(onB), { lastProcessedInSeq: onA[0]![0] });
      assert.deepEqual(onB, [[onA[1]![0], "8", "C2", true], [onA[2]![0], "8", "C3", true]]);
    } finally {
      await libB.close();
    }
  } finally {
    await engines.stop();
    await lp.stop();
    await ops.close();
    await dropSchema(schema);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

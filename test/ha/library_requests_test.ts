/**
 * Library request ids survive a move between gateways (issue 18: the PostgreSQL store keeps "the library
 * request ids of accepted sends"): a library sends through gateway A's engine endpoint, the session is
 * moved to gateway B, and the library retries its request id through B's endpoint: the answer is the
 * original one (accepted, same MsgSeqNum) and the LP receives the order once.
 */
import assert from "node:assert/strict";
import { startAcceptor } from "../../src/engine/quick.ts";
import { connectEngine } from "../../src/engine/library_client.ts";
import { Logger } from "../../src/engine/log.ts";
import { openPostgresStore } from "../../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";
import { freePort } from "../interop/peers.ts";
import { waitFor } from "../engine/helpers.ts";
import { clusterEngines, moveSession } from "./cluster_engines.ts";
import { ackingLp, order } from "../_helpers/orders.ts";

const KEY = "FIX.4.4:CLIENT->LP";
const logger = () => new Logger({ level: "error" });

Deno.test({
  name:
    "library request ids in PostgreSQL: a retried id through the new owner after a move gets the original answer, sent once",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const dir = await Deno.makeTempDir({ prefix: "fixg-reqids-" });
  const port = freePort();
  const seen: string[] = [];
  const lp = await startAcceptor(
    { port, senderCompId: "LP", targetCompId: "CLIENT", logger: logger() },
    ackingLp(seen),
  );
  const ops = await openPostgresStore({ url: PG_URL!, schema, maxConnections: 1, retryMs: 0 });
  const engines = clusterEngines({ dir, schema, port });
  const gateway = engines.gateway;
  try {
    const a = await gateway("A");
    await waitFor(() => a.runner(KEY)?.loggedOn === true, "A logged on", 10_000);
    const b = await gateway("B");
    const libA = await connectEngine({ socket: `${dir}/A.sock`, name: "t", reconnect: false });
    const sa = await libA.claim(KEY, {});
    const r1 = await sa.submit(order("C1"), { requestId: "req-1" });
    const r2 = await sa.submit(order("C2")); // request id = ClOrdID
    assert.deepEqual([r1.status, r2.status], ["accepted", "accepted"]);
    assert.equal(r2.seq, r1.seq + 1);
    // Answered once committed: the rows (with their request ids) are there when the answer arrives.
    const rows = await ops.sql.unsafe(
      `select req_id, seq from "${schema}".outbound where req_id is not null order by seq`,
    );
    assert.deepEqual(rows.map((r) => [r.req_id, Number(r.seq)]), [["req-1", r1.seq], ["C2", r2.seq]]);
    await libA.close();
    await waitFor(() => seen.length === 2, "the LP has both orders");

    // Wait until B is a live member, then move the session to it.
    await moveSession(ops, KEY, { node: "B", gw: b });

    // The library, now attached to B, retries both: the original answers, nothing sent again.
    const libB = await connectEngine({ socket: `${dir}/B.sock`, name: "t", reconnect: false });
    try {
      const sb = await libB.claim(KEY, {});
      const again1 = await sb.submit(order("C1"), { requestId: "req-1" });
      const again2 = await sb.submit(order("C2"));
      assert.deepEqual([again1.status, again1.seq], ["accepted", r1.seq]);
      assert.deepEqual([again2.status, again2.seq], ["accepted", r2.seq]);
      const r3 = await sb.submit(order("C3"), { requestId: "req-3" });
      assert.equal(r3.status, "accepted");
      assert.ok(r3.seq > r2.seq + 2, "after A's Logout and B's Logon");
      await waitFor(() => seen.includes("C3"), "C3 at the LP");
      assert.deepEqual(seen, ["C1", "C2", "C3"], "each order once");
    } finally {
      await libB.close();
    }
  } finally {
    await engines.stop();
    await lp.stop();
    await ops.close();
    await dropSchema(schema);
    await Deno.remove(dir, { recursive: true });
  }
});

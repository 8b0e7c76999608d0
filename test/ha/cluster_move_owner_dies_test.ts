/**
 * An operator move whose owner dies before handing the session over (the move still `requested`, the
 * owner's lease run out): the target takes the session at its next round (epoch + 1) and the move is
 * done. Before, only a `released` move let the target take it, and no other gateway may while a move is
 * under way: the session stayed without an owner until the command withdrew the move (`--timeout-ms`,
 * 30 s by default) or, the command killed, the move expired (two minutes). Rounds by hand, PostgreSQL.
 */
import assert from "node:assert/strict";
import { Cluster } from "../../src/engine/cluster.ts";
import { awaitMoves, readMoves, requestMove } from "../../src/engine/cluster_ops.ts";
import { openPostgresStore, type PostgresMessageStore } from "../../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";

function host() {
  const calls: string[] = [];
  return {
    calls,
    acquireSession: (k: string, fromTemplate?: boolean) => (
      calls.push(`acquire ${k}${fromTemplate ? " from template" : ""}`), Promise.resolve()
    ),
    hasTemplateFor: (k: string) => k === "D",
    releaseSession: (k: string, why: string) => (calls.push(`release ${k}: ${why}`), Promise.resolve()),
    handOverSession: (k: string) => (calls.push(`hand over ${k}`), Promise.resolve()),
  };
}

Deno.test({
  name:
    "cluster move: the owner dies before handing over; the target takes the session at its next round, move done",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const stores: PostgresMessageStore[] = [];
  try {
    for (const n of ["A", "B"]) stores.push(await openPostgresStore({ url: PG_URL!, schema, nodeId: n }));
    const [sa, sb] = stores as [PostgresMessageStore, PostgresMessageStore];
    // S is configured on both (pinned to A); D is a dynamic session B has a template for.
    const sessions = [{ key: "S", owner: "A" }];
    const a = new Cluster(sa, { nodeId: "A", leaseMs: 60_000 }, sessions);
    const b = new Cluster(sb, { nodeId: "B", leaseMs: 60_000 }, sessions);
    const ha = host(), hb = host();
    a.attach(ha);
    b.attach(hb);
    await a.tick();
    await b.tick();
    assert.equal(await a.claim("D"), true);
    assert.equal(a.epochOf("S"), 1);
    assert.equal(a.epochOf("D"), 1);
    assert.deepEqual(await requestMove(sb, "S", "B"), { from: "A", fromEpoch: 1 });
    assert.deepEqual(await requestMove(sb, "D", "B"), { from: "A", fromEpoch: 1 });
    // A dies before its round: its heartbeat and its leases run out (written here, not waited for).
    await sb.control.unsafe(
      `update ${sb.t("members")} set heartbeat = now() - interval '10 minutes' where node_id = 'A'`,
    );
    await sb.control.unsafe(`update ${sb.t("sessions")} set lease_until = now() - interval '1 millisecond'`);
    await b.tick();
    assert.equal(b.epochOf("S"), 2, `B took S: ${hb.calls.join(", ")}`);
    assert.equal(b.epochOf("D"), 2, `B took D: ${hb.calls.join(", ")}`);
    assert.deepEqual(hb.calls.sort(), ["acquire D from template", "acquire S"]);
    const moves = await readMoves(sb);
    assert.deepEqual([moves.get("S")?.state, moves.get("S")?.epoch], ["done", 2]);
    assert.deepEqual([moves.get("D")?.state, moves.get("D")?.epoch], ["done", 2]);
    const r = await awaitMoves(sb, [
      { session: "S", from: "A", to: "B", fromEpoch: 1 },
      { session: "D", from: "A", to: "B", fromEpoch: 1 },
    ], 1000);
    assert.deepEqual(r.map((x) => [x.state, x.epoch]), [["done", 2], ["done", 2]]);
    assert.deepEqual(ha.calls, ["acquire S", "acquire D"], "A (dead) handed nothing over");
    await b.stop();
  } finally {
    for (const s of stores) await s.close().catch(() => {});
    await dropSchema(schema);
  }
});

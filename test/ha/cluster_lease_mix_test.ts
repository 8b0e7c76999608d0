/**
 * Gateways of one cluster with different `leaseMs` (a rolling change of the setting, or one gateway
 * configured apart): each heartbeats every lease/4 of its own and records its lease in `members.lease_ms`.
 * Before, every round judged the others by its own lease: a gateway with a 1 s lease took one with a 10 s
 * lease, whose last heartbeat was 2 s old, for dead, left it out of placement and ended its connections
 * (pg_terminate_backend) every round. Each member is now judged by the longer of its lease and the
 * judge's, as `fixg cluster status` and the moves already judge it by its own. Against PostgreSQL.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { Cluster } from "../../src/engine/cluster.ts";
import { openPostgresStore } from "../../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";
import { untilSleeping } from "./ha_helpers.ts";

Deno.test({
  name:
    "cluster: a gateway with a longer lease is not taken for dead (nor its connections ended) by one with a shorter lease",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const a = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A" });
  const b = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
  try {
    const clock = new ManualScheduler(1_000_000);
    const host = { acquireSession: () => Promise.resolve(), releaseSession: () => Promise.resolve() };
    const ca = new Cluster(a, { nodeId: "A", leaseMs: 10_000 }, [], undefined, clock);
    const cb = new Cluster(b, { nodeId: "B", leaseMs: 1_000 }, [], undefined, clock);
    ca.attach(host);
    cb.attach(host);
    await ca.tick();
    // A heartbeats every 2.5 s: its last one is 2 s old, well within its lease.
    await b.sql.unsafe(
      `update "${schema}".members set heartbeat = now() - interval '2 seconds' where node_id = 'A'`,
    );
    // (A query of the npm client runs once it is awaited or then'd.)
    const busy = a.sql.unsafe(`select pg_sleep(1.5)`).then(() => "done", (e: Error) => e.message);
    await untilSleeping(b.sql, a.appName, "A's statement did not start");
    await cb.tick();
    assert.deepEqual(cb.live, ["A", "B"]);
    assert.equal(await busy, "done", "A's connection was ended by B's round");
  } finally {
    await a.close().catch(() => {});
    await b.close().catch(() => {});
    await dropSchema(schema);
  }
});

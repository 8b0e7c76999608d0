/**
 * The cluster's lease arithmetic on a ManualScheduler (no sleeps): a lease is valid by the gateway's
 * own clock until the send time of its last renewal + leaseMs; a round renews it; past that the session
 * is released, and it is not taken again (a new epoch) until the release — the close of its store,
 * which waits for commits still being retried — is done. Against PostgreSQL for the rows.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { Cluster } from "../../src/engine/cluster.ts";
import { openPostgresStore } from "../../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";

const LEASE = 1000;

Deno.test({
  name:
    "cluster (manual clock): valid until renewal + lease, renewed by a round, released once expired, not taken again before the release is done",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const store = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A", lockTimeoutMs: LEASE / 2 });
  try {
    const clock = new ManualScheduler(1_000_000);
    const c = new Cluster(
      store,
      { nodeId: "A", leaseMs: LEASE },
      [{ key: "S", owner: "A" }],
      undefined,
      clock,
    );
    const calls: string[] = [];
    let finishRelease!: () => void;
    c.attach({
      acquireSession: (k) => (calls.push(`acquire ${k} epoch ${c.epochOf(k)}`), Promise.resolve()),
      releaseSession: (k) => {
        calls.push(`release ${k}`);
        return new Promise<void>((r) => (finishRelease = r));
      },
    });
    await c.tick();
    assert.deepEqual(calls, ["acquire S epoch 1"]);
    assert.equal(store.leaseValid!("S"), true);
    clock.advance(LEASE - 1);
    assert.equal(store.leaseValid!("S"), true);
    // A round just before the end renews: valid until then + LEASE.
    await c.tick();
    assert.equal(c.stats.renewals, 1);
    clock.advance(LEASE - 1);
    assert.equal(store.leaseValid!("S"), true);
    clock.advance(1);
    assert.equal(store.leaseValid!("S"), false, "not renewed for a whole lease: no longer certainly ours");
    // The next round gives the session up (the socket closes); its release is still running.
    await c.tick();
    assert.deepEqual(calls, ["acquire S epoch 1", "release S"]);
    assert.equal(c.owns("S"), false);
    // The row is free in the database too (as when the database was out of reach for a lease)...
    await store.sql.unsafe(
      `update "${schema}".sessions set lease_until = now() - interval '1 millisecond' where session_key = 'S'`,
    );
    // ...but while the release runs, the session is not taken again: a new epoch would fence the old
    // store session's commits still being retried, whose messages were already numbered.
    await c.tick();
    assert.deepEqual(calls, ["acquire S epoch 1", "release S"]);
    finishRelease();
    await new Promise((r) => setTimeout(r, 0)); // the release's bookkeeping settles
    await c.tick();
    assert.deepEqual(calls, ["acquire S epoch 1", "release S", "acquire S epoch 2"]);
    assert.equal(store.leaseValid!("S"), true);
    await c.stop();
  } finally {
    await store.close().catch(() => {});
    await dropSchema(schema);
  }
});

/**
 * A cluster round stuck on the database (a network partition: the control connection's statement waits
 * for an answer that never comes, for as long as TCP keepalive takes — minutes; or a heartbeat waiting for
 * a synchronous standby that is gone) must not keep the gateway's sessions connected past their lease:
 * "on losing the lease it closes the session's socket itself" (docs/ha.md "Leases"). Otherwise a session
 * whose lease ran out stays logged on with the counterparty while another gateway, which reaches the
 * database, takes the lease and logs on too: the counterparty refuses the second Logon of a session
 * already logged on until the first connection times out. No database here: a control connection that
 * answers the cluster's statements, then hangs; the rounds run on a ManualScheduler.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { Cluster } from "../../src/engine/cluster.ts";
import type { ControlRow } from "../../src/store/cluster_store.ts";
import { fakeClusterStore, settle } from "./fake_cluster_store.ts";

const LEASE = 1000;

/** A ClusterStore whose control connection answers the cluster's statements until `hang` is set. */
function fakeStore() {
  const state = { hang: false, owner: null as string | null, epoch: 0, statements: 0 };
  const never = new Promise<ControlRow[]>(() => {});
  const store = fakeClusterStore((s, p) => {
    state.statements++;
    if (state.hang) return never;
    if (s.startsWith("select node_id from members") || s.startsWith("insert into members")) {
      return Promise.resolve([{ node_id: "A" }]); // the live members; the heartbeat's own row
    }
    if (s.startsWith("select session_key, owner")) {
      const free = state.owner === null;
      return Promise.resolve([{ session_key: "S", owner: state.owner, free, orphaned: free }]);
    }
    if (s.startsWith("update sessions set owner = $2, epoch = epoch + 1")) {
      state.owner = String(p[1]);
      return Promise.resolve([{ epoch: ++state.epoch }]);
    }
    return undefined; // a renewal; no members row yet, terminate, moves, the session row's insert
  });
  return { store, state };
}

Deno.test("cluster (manual clock): a round stuck on the database does not keep a session past its lease", async () => {
  const { store, state } = fakeStore();
  const clock = new ManualScheduler(1_000_000);
  const c = new Cluster(store, { nodeId: "A", leaseMs: LEASE }, [{ key: "S", owner: "A" }], undefined, clock);
  const calls: string[] = [];
  await c.start({
    acquireSession: (k) => (calls.push(`acquire ${k}`), Promise.resolve()),
    releaseSession: (k, why) => (calls.push(`release ${k}: ${why}`), Promise.resolve()),
  });
  assert.deepEqual(calls, ["acquire S"]);
  // One more round renews the lease: valid until 1,000,250 + LEASE.
  clock.advance(LEASE / 4);
  await settle();
  assert.equal(c.stats.renewals, 1);
  // The database stops answering: the next round waits on its heartbeat, for good.
  state.hang = true;
  clock.advance(LEASE / 4);
  await settle();
  const stuckAt = state.statements;
  assert.equal(store.leaseValid!("S"), true);
  // Rounds fall due every LEASE / 4 while the stuck one waits. Just before the lease runs out the
  // session is still held...
  clock.advanceTo(1_000_000 + LEASE / 4 + LEASE - 1);
  await settle();
  assert.deepEqual(calls, ["acquire S"]);
  assert.equal(c.owns("S"), true);
  // ...and at the first round due after it, it is given up (its socket closed), although the stuck round
  // never returned.
  clock.advanceTo(1_000_000 + LEASE / 4 + LEASE + LEASE / 4);
  await settle();
  assert.equal(store.leaseValid!("S"), false);
  assert.deepEqual(calls, [
    "acquire S",
    `release S: lease of ${LEASE} ms not renewed in time (stalled or the database out of reach)`,
  ]);
  assert.equal(c.owns("S"), false);
  assert.equal(state.statements, stuckAt, "no second round started beside the stuck one");
});

Deno.test("cluster (manual clock): stop() waits at most a lease for a round stuck on the database", async () => {
  const { store, state } = fakeStore();
  const clock = new ManualScheduler(1_000_000);
  const c = new Cluster(store, { nodeId: "A", leaseMs: LEASE }, [{ key: "S", owner: "A" }], undefined, clock);
  await c.start({ acquireSession: () => Promise.resolve(), releaseSession: () => Promise.resolve() });
  state.hang = true;
  clock.advance(LEASE / 4); // a round starts and waits for good
  await settle();
  let stopped = false;
  void c.stop().then(() => (stopped = true));
  await settle();
  assert.equal(stopped, false);
  clock.advance(LEASE - 1);
  await settle();
  assert.equal(stopped, false);
  clock.advance(1);
  await settle();
  assert.equal(stopped, true, "the gateway's stop waits on the stuck round");
  assert.equal(c.owns("S"), false);
});

/**
 * A dynamic session being handed over by an operator move (logged out, its store closing, its lease
 * given back next) is not claimed again by the gateway handing it over: a Logon that comes in once the
 * session was closed, before the lease is given back, found the lease still held here and reopened the
 * session (with the lease's old epoch) just before the lease went away under it: every flush then failed
 * and the dead session stayed in the gateway's table, taking every later Logon of that counterparty here.
 * No database: a control connection that answers the cluster's statements; a ManualScheduler.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { Cluster } from "../../src/engine/cluster.ts";
import type { ControlRow } from "../../src/store/cluster_store.ts";
import { fakeClusterStore, settle } from "./fake_cluster_store.ts";

const LEASE = 1000;

/** Node A of A and B; the moves of `state.moves`; a claim's lease won with the next epoch. */
function fakeStore() {
  const state = { moves: [] as ControlRow[], epoch: 0 };
  const store = fakeClusterStore((s) => {
    if (s.startsWith("select node_id from members")) {
      return Promise.resolve([{ node_id: "A" }, { node_id: "B" }]);
    }
    if (s.startsWith("insert into members")) return Promise.resolve([{ node_id: "A" }]);
    if (s.startsWith("select *,") && s.includes("from moves")) return Promise.resolve(state.moves);
    if (s.startsWith("update sessions set owner = $2, epoch = epoch + 1")) {
      return Promise.resolve([{ epoch: ++state.epoch }]);
    }
    return undefined;
  });
  return { store, state };
}

Deno.test("cluster (manual clock): a dynamic session handed over by a move is not claimed again here meanwhile", async () => {
  const { store, state } = fakeStore();
  const clock = new ManualScheduler(1_000_000);
  const c = new Cluster(store, { nodeId: "A", leaseMs: LEASE }, [], undefined, clock);
  let handedOver: (() => void) | undefined;
  const calls: string[] = [];
  await c.start({
    acquireSession: () => Promise.resolve(),
    releaseSession: (k) => (calls.push(`release ${k}`), Promise.resolve()),
    handOverSession: (k) => {
      calls.push(`hand over ${k}`);
      return new Promise<void>((r) => (handedOver = r));
    },
  });
  // The counterparty logged on here first: the lease is ours (epoch 1).
  assert.equal(await c.claim("D"), true);
  // An operator moves it to B: the next round hands it over (the session logs out, its store closes).
  state.moves = [{
    session_key: "D",
    target: "B",
    from_owner: "A",
    from_epoch: 1,
    state: "requested",
    error: null,
    epoch: null,
    age: 0,
  }];
  clock.advance(LEASE / 4);
  await settle();
  assert.deepEqual(calls, ["hand over D"]);
  // A Logon of that counterparty now: not taken here (the session is on its way out, its lease given
  // back next), so the counterparty moves on to the next address.
  assert.equal(await c.claim("D"), false, "claimed again while being handed over");
  handedOver!();
  await settle();
  assert.equal(c.owns("D"), false);
  await c.stop();
});

Deno.test("cluster (manual clock): a dynamic session's lease won after stop() began is given back at once", async () => {
  const { store } = fakeStore();
  const statements: { s: string; p: unknown[] }[] = [];
  let won: ((rows: ControlRow[]) => void) | undefined;
  const inner = store.control.unsafe.bind(store.control);
  (store as { control: unknown }).control = {
    unsafe(q: string, p: unknown[] = []): Promise<ControlRow[]> {
      const s = q.replace(/\s+/g, " ").trim();
      statements.push({ s, p });
      // The Logon's lease: the database answers once the gateway's stop has begun.
      if (s.startsWith("update sessions set owner = $2, epoch = epoch + 1")) {
        return new Promise<ControlRow[]>((r) => (won = r));
      }
      return inner(q, p);
    },
  };
  const clock = new ManualScheduler(1_000_000);
  const c = new Cluster(store, { nodeId: "A", leaseMs: LEASE }, [], undefined, clock);
  await c.start({ acquireSession: () => Promise.resolve(), releaseSession: () => Promise.resolve() });
  const claim = c.claim("D");
  await settle();
  assert.ok(won !== undefined, "the claim's statement was sent");
  await c.stop();
  statements.length = 0;
  won!([{ epoch: 7 }]);
  assert.equal(await claim, false, "a gateway that stopped took the session");
  assert.equal(c.owns("D"), false);
  // Given back (expired) with its epoch: the other gateways take it at once instead of after a lease.
  assert.deepEqual(
    statements.filter((x) => x.s.startsWith("update sessions set lease_until = now() - interval")).map((x) =>
      x.p
    ),
    [["D", "A", 7]],
  );
});

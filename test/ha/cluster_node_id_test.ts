/**
 * One nodeId, two processes (docs/ha.md "Leases, membership, placement"). The rounds end the connections
 * of a gateway whose heartbeat stopped by the name its `members` row records (`app_name`,
 * fixg:<nodeId>:<instance>). Before, every process wrote its own name into its nodeId's row at each
 * round: a gateway restarted (same nodeId) while its old process was stalled mid-statement (SIGSTOP, a VM
 * pause) replaced the old name, so nobody ended the old connections and the rows they held blocked the
 * takeover of their sessions for good; and a second live gateway configured with the same nodeId took
 * sessions beside the first, the two overwriting each other's name. Now a second live process with the
 * nodeId takes nothing and says so, and a restarted one ends its stalled predecessor's connections
 * before it takes the row over. Against PostgreSQL; rounds run by hand.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { Cluster } from "../../src/engine/cluster.ts";
import { openPostgresStore } from "../../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";
import { untilSleeping } from "./ha_helpers.ts";

const LEASE = 1000;

Deno.test({
  name:
    "cluster: a second live gateway with the same nodeId takes nothing; a restarted one ends its stalled predecessor's connections and takes its sessions",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const opts = {
    url: PG_URL!,
    schema,
    nodeId: "A",
    lockTimeoutMs: LEASE / 2,
    idleInTransactionMs: LEASE / 2,
  };
  const first = await openPostgresStore(opts);
  const second = await openPostgresStore(opts);
  try {
    assert.notEqual(first.appName, second.appName);
    const clock = new ManualScheduler(1_000_000);
    const calls: string[] = [];
    const host = (who: string) => ({
      acquireSession: (k: string) => (calls.push(`${who} acquire ${k}`), Promise.resolve()),
      releaseSession: (k: string) => (calls.push(`${who} release ${k}`), Promise.resolve()),
    });
    const c1 = new Cluster(
      first,
      { nodeId: "A", leaseMs: LEASE },
      [{ key: "S", owner: "A" }],
      undefined,
      clock,
    );
    const c2 = new Cluster(
      second,
      { nodeId: "A", leaseMs: LEASE },
      [{ key: "S", owner: "A" }, { key: "T", owner: "A" }],
      undefined,
      clock,
    );
    c1.attach(host("first"));
    c2.attach(host("second"));
    const appName = async () =>
      String(
        (await first.sql.unsafe(`select app_name from "${schema}".members where node_id = 'A'`))[0]?.app_name,
      );
    await c1.tick();
    assert.deepEqual(calls, ["first acquire S"]);
    // The second process, while the first heartbeats: it takes nothing (T is free and pinned to "A")
    // and leaves the row as it is.
    await c2.tick();
    assert.deepEqual(calls, ["first acquire S"]);
    assert.equal(c2.owns("T"), false);
    assert.equal(c2.stats.duplicateRounds, 1);
    assert.equal(await appName(), first.appName);
    // The first process stalls in the middle of a statement that holds S's outbound position row (the
    // server keeps it: the statement is running, so idle_in_transaction_session_timeout does not apply);
    // its heartbeat and S's lease run out.
    const stalled = first.sql.begin(async (tx) => {
      await tx.unsafe(`update "${schema}".positions set pos = pos where session_key = 'S' and dir = 'out'`);
      await tx.unsafe(`select pg_sleep(30)`);
    });
    stalled.catch(() => {});
    await untilSleeping(second.sql, first.appName, "the stalled statement did not start");
    await second.sql.unsafe(
      `update "${schema}".members set heartbeat = now() - interval '10 seconds' where node_id = 'A'`,
    );
    await second.sql.unsafe(
      `update "${schema}".sessions set lease_until = now() - interval '10 seconds' where session_key = 'S'`,
    );
    // The second process's round: it ends the stalled process's connections (the row lock goes with
    // them), takes the row over and both sessions.
    await c2.tick();
    assert.equal(c2.stats.tickErrors, 0);
    assert.deepEqual(calls, ["first acquire S", "second acquire S", "second acquire T"]);
    assert.equal(c2.epochOf("S"), 2);
    assert.equal(await appName(), second.appName);
    await assert.rejects(stalled, /terminat/i);
    await c2.stop();
  } finally {
    await first.close().catch(() => {});
    await second.close().catch(() => {});
    await dropSchema(schema);
  }
});

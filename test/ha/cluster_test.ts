/** Leases, takeover and placement of src/engine/cluster.ts against PostgreSQL, rounds driven by hand. */
import assert from "node:assert/strict";
import { buildGateway } from "../../src/engine/build.ts";
import { Cluster, preferredOwner } from "../../src/engine/cluster.ts";
import { loadConfig, parseConfig } from "../../src/engine/config.ts";
import { ConfigError } from "../../src/errors.ts";
import { checkLoadedConfig } from "../../src/ops/config_validate.ts";
import { reloadGateway } from "../../src/ops/reload.ts";
import { Logger } from "../../src/engine/log.ts";
import { gatewayFamilies } from "../../src/ops/metrics.ts";
import { freePort } from "../interop/peers.ts";
import { openPostgresStore, type PostgresMessageStore } from "../../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";

const ignore = PG_MISSING !== undefined;
const LEASE = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A host that records what the cluster asks of it. */
function host() {
  const calls: string[] = [];
  return {
    calls,
    acquireSession: (k: string) => (calls.push(`acquire ${k}`), Promise.resolve()),
    releaseSession: (k: string, why: string) => (calls.push(`release ${k}: ${why}`), Promise.resolve()),
  };
}

async function withStores(
  n: number,
  fn: (stores: PostgresMessageStore[], schema: string) => Promise<void>,
  extra: { idleInTransactionMs?: number } = {},
) {
  const schema = freshSchema();
  const stores: PostgresMessageStore[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const nodeId = String.fromCharCode(65 + i);
      stores.push(
        await openPostgresStore({ url: PG_URL!, schema, nodeId, lockTimeoutMs: LEASE / 2, ...extra }),
      );
    }
    await fn(stores, schema);
  } finally {
    for (const s of stores) await s.close().catch(() => {});
    await dropSchema(schema);
  }
}

Deno.test("cluster: rendezvous placement is stable, balanced, and a live pin wins", () => {
  const keys = Array.from({ length: 3000 }, (_, i) => `FIX.4.4:C${i}->LP`);
  const count = (live: string[]) => {
    const c: Record<string, number> = {};
    for (const k of keys) {
      c[preferredOwner({ key: k }, live)!] = (c[preferredOwner({ key: k }, live)!] ?? 0) + 1;
    }
    return c;
  };
  const three = count(["A", "B", "C"]);
  for (const n of ["A", "B", "C"]) assert.ok(three[n]! > 900 && three[n]! < 1100, JSON.stringify(three));
  // Removing C moves only C's sessions.
  for (const k of keys) {
    const was = preferredOwner({ key: k }, ["A", "B", "C"]);
    if (was !== "C") assert.equal(preferredOwner({ key: k }, ["A", "B"]), was);
  }
  assert.equal(preferredOwner({ key: "K", owner: "B" }, ["A", "B"]), "B");
  assert.equal(preferredOwner({ key: "K", owner: "Z" }, ["A"]), "A");
  assert.equal(preferredOwner({ key: "K" }, []), undefined);
});

Deno.test({
  name:
    "cluster: the lease in database time: renewed while alive, taken with a new epoch once expired, the old owner releases",
  ignore,
}, async () => {
  await withStores(2, async ([sa, sb]) => {
    const sessions = [{ key: "S", owner: "A" }];
    const a = new Cluster(sa!, { nodeId: "A", leaseMs: LEASE }, sessions);
    const b = new Cluster(sb!, { nodeId: "B", leaseMs: LEASE }, sessions);
    const ha = host(), hb = host();
    a.attach(ha);
    b.attach(hb);
    await a.tick();
    await b.tick();
    assert.deepEqual(ha.calls, ["acquire S"]);
    assert.equal(a.epochOf("S"), 1);
    assert.ok(a.owns("S") && !b.owns("S"));
    // Alive: rounds renew the lease; the standby's rounds leave the session alone.
    for (let i = 0; i < 6; i++) {
      await sleep(LEASE / 4);
      await a.tick();
      await b.tick();
    }
    assert.ok(a.owns("S") && !b.owns("S"));
    assert.deepEqual(hb.calls, []);
    // A stalls (no rounds). B's rounds take the session once the lease ran out (database time): epoch 2.
    const t0 = performance.now();
    while (!b.owns("S")) {
      await sleep(LEASE / 4);
      await b.tick();
    }
    assert.ok(performance.now() - t0 >= LEASE * 0.5, "not before the lease ran out");
    assert.equal(b.epochOf("S"), 2);
    assert.deepEqual(hb.calls, ["acquire S"]);
    // A's next round: the lease is gone (by its own clock first): it releases the session, not renewing.
    await a.tick();
    assert.equal(ha.calls.length, 2);
    assert.match(ha.calls[1]!, /^release S: lease/);
    assert.ok(!a.owns("S"));
    assert.equal(sa!.leaseValid!("S"), false);
    await b.stop();
    await a.stop();
  });
});

Deno.test({
  name: "cluster: a stalled owner's connection holding the row lock is ended, so the standby can take over",
  ignore,
}, async () => {
  await withStores(2, async ([sa, sb], schema) => {
    const sessions = [{ key: "S", owner: "A" }];
    const a = new Cluster(sa!, { nodeId: "A", leaseMs: LEASE }, sessions);
    const b = new Cluster(sb!, { nodeId: "B", leaseMs: LEASE }, sessions);
    a.attach(host());
    await a.tick();
    assert.ok(a.owns("S"));
    // A "stalls" inside a transaction that holds the session's row (as a SIGSTOP mid-commit would).
    let held!: () => void;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const locked = new Promise<void>((r) => (held = r));
    const stalled = sa!.sql.begin(async (tx) => {
      await tx.unsafe(`update "${schema}".positions set pos = pos where session_key = 'S'`);
      held();
      await new Promise((r) => (idle = setTimeout(r, 20_000)));
    }).catch((e) => e);
    await locked;
    await sleep(LEASE * 1.5); // A's heartbeat and lease go stale
    b.attach(host());
    const t0 = performance.now();
    while (!b.owns("S") && performance.now() - t0 < 5000) {
      await b.tick();
      await sleep(LEASE / 4);
    }
    assert.ok(b.owns("S"), "B took the session over");
    clearTimeout(idle);
    assert.ok((await stalled) instanceof Error, "A's stalled transaction was ended");
    assert.equal(b.epochOf("S"), 2);
  }, { idleInTransactionMs: 600_000 }); // only the cluster's termination can free the row here
});

Deno.test({
  name: "cluster: /metrics has the leases held, their epochs and the PostgreSQL store's group commits",
  ignore,
}, async () => {
  const schema = freshSchema();
  const dir = await Deno.makeTempDir({ prefix: "fixg-metrics-" });
  const port = freePort(); // nothing listens: the session is owned, not connected
  Deno.writeTextFileSync(
    `${dir}/gw.yaml`,
    [
      `store: { type: postgres, url: "${PG_URL}", schema: ${schema} }`,
      `cluster: { nodeId: M, leaseMs: ${LEASE} }`,
      `log: { level: error }`,
      `sessions:`,
      `  - { role: initiator, senderCompId: X, targetCompId: Y, beginString: FIX.4.4, host: 127.0.0.1, port: ${port}, owner: M }`,
    ].join("\n") + "\n",
  );
  const gw = await buildGateway(await loadConfig(`${dir}/gw.yaml`));
  try {
    await gw.start();
    const fams = gatewayFamilies(gw);
    const get = (name: string) => fams.find((f) => f.name === name);
    assert.deepEqual(get("fixg_cluster_leases_held")?.samples, [{ labels: {}, value: 1 }]);
    assert.deepEqual(get("fixg_cluster_epoch")?.samples, [{ labels: { session: "FIX.4.4:X->Y" }, value: 1 }]);
    assert.deepEqual(get("fixg_store_fenced_total")?.samples, [{ labels: {}, value: 0 }]);
    assert.equal(get("fixg_store_commit_seconds")?.type, "histogram");
  } finally {
    await gw.stop();
    await dropSchema(schema);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "cluster: a gateway restarted with the same nodeId is not cut off as its dead predecessor",
  ignore,
}, async () => {
  await withStores(2, async ([sa, sb], schema) => {
    const a = new Cluster(sa!, { nodeId: "A", leaseMs: LEASE }, []);
    a.attach(host());
    await a.tick(); // A registered, then dies: its heartbeat goes stale
    await sleep(LEASE * 1.2);
    const restarted = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A" });
    try {
      await restarted.sql`select 1`; // the new process's connection is open
      const b = new Cluster(sb!, { nodeId: "B", leaseMs: LEASE }, []);
      b.attach(host());
      await b.tick(); // ends the connections of the dead A process, not the new one's
      assert.deepEqual([...await restarted.sql`select 1 as one`], [{ one: 1 }]);
      assert.notEqual(restarted.appName, sa!.appName);
    } finally {
      await restarted.close();
    }
  });
});

Deno.test({
  name:
    "fixg cluster status: exit 1 with a session without a live owner, 2 unreachable (password never printed)",
  ignore,
}, async () => {
  const fixg = new URL("../../fixg", import.meta.url).pathname;
  const run = async (args: string[]) => {
    const o = await new Deno.Command(fixg, { args, stdout: "piped", stderr: "piped" }).output();
    return { code: o.code, out: new TextDecoder().decode(o.stdout), err: new TextDecoder().decode(o.stderr) };
  };
  await withStores(1, async ([s], schema) => {
    await s!.openSession("FIX.4.4:X->Y", 1); // opened without a cluster: no lease
    const r = await run(["cluster", "status", "--store", PG_URL!, "--schema", schema]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /FIX\.4\.4:X->Y\s+A\s+1\s+none/);
    assert.match(r.out, /1 of 1 sessions without a live owner/);
  });
  const bad = await run(["cluster", "status", "--store", "postgres://fixg:hunter2@127.0.0.1:1/x"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.err.trim().split("\n").length, 1);
  assert.doesNotMatch(bad.err + bad.out, /hunter2/);
  assert.match(bad.err, /fixg:\*\*\*@127\.0\.0\.1:1/);
  const usage = await run(["cluster", "status"]);
  assert.equal(usage.code, 2);
});

Deno.test({
  name: "cluster: a session whose commit fails for good gives its lease up (not stuck under a live lease)",
  ignore,
}, async () => {
  await withStores(1, async ([s], schema) => {
    const c = new Cluster(s!, { nodeId: "A", leaseMs: LEASE }, [{ key: "S", owner: "A" }]);
    const h = host();
    c.attach(h);
    await c.tick();
    const st = await s!.openSession("S", 1); // with the epoch the lease won
    await s!.sql.unsafe(`alter table "${schema}".outbound rename to outbound_gone`);
    await assert.rejects(
      Promise.resolve(st.appendOutbound(1, new Uint8Array([65]))),
      /STORE_FAILED|does not exist/,
    );
    await until(() => h.calls.some((x) => x.startsWith("release S: store failure")));
    assert.ok(!c.owns("S"));
    await until(async () => {
      const [r] = await s!.sql.unsafe(`select lease_until < now() as expired from "${schema}".sessions`);
      return r?.expired === true;
    });
  });
});

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(20);
  }
}

Deno.test("cluster config: checked without connecting; cluster needs the PostgreSQL store, which needs a URL", async () => {
  const ok = parseConfig(
    [
      `store: { type: postgres, url: "postgres://u:pw@127.0.0.1:1/x?target_session_attrs=read-write", schema: fx }`,
      `cluster: { nodeId: gw-a, leaseMs: 1500 }`,
      `sessions:`,
      `  - { role: initiator, senderCompId: A, targetCompId: B, host: 127.0.0.1, port: 9, owner: gw-b }`,
    ].join("\n"),
    "ha.yaml",
  );
  assert.deepEqual(ok.cluster, { nodeId: "gw-a", leaseMs: 1500 });
  assert.equal(ok.store.type, "postgres");
  assert.equal(ok.store.schema, "fx");
  assert.equal(ok.sessions[0]!.owner, "gw-b");
  assert.equal((await checkLoadedConfig(ok)).warnings.length, 0);
  const bad = (text: string) =>
    assert.throws(() => parseConfig(text, "ha.yaml"), (e: Error) => e instanceof ConfigError);
  bad(`store: { type: postgres }\nsessions: []\n`);
  bad(`cluster: { nodeId: a }\nsessions: []\n`);
  bad(`store: { type: postgres, url: "postgres://h/x" }\ncluster: { leaseMs: 1000 }\nsessions: []\n`);
  bad(
    `store: { type: postgres, url: "postgres://h/x" }\ncluster: { nodeId: a, leaseMs: 10 }\nsessions: []\n`,
  );
});

Deno.test({
  name: "cluster: a reload that changes cluster: or a session's owner: needs a restart (left as it was)",
  ignore,
}, async () => {
  const schema = freshSchema();
  const yaml = (lease: number, owner: string) =>
    [
      `store: { type: postgres, url: "${PG_URL}", schema: ${schema} }`,
      `cluster: { nodeId: M, leaseMs: ${lease} }`,
      `log: { level: error }`,
      `sessions:`,
      `  - { role: initiator, senderCompId: X, targetCompId: Y, beginString: FIX.4.4, host: 127.0.0.1, port: ${freePort()}, owner: ${owner} }`,
    ].join("\n") + "\n";
  const current = parseConfig(yaml(LEASE, "M"), "a.yaml");
  const gw = await buildGateway(current);
  try {
    const next = parseConfig(
      yaml(LEASE * 2, "N").replace(/port: \d+/, `port: ${current.sessions[0]!.port}`),
      "a.yaml",
    );
    const o = await reloadGateway(gw, current, next, new Logger({ level: "error", sink: () => {} }));
    assert.deepEqual(o.needsRestart, ["cluster: changed", "sessions[0] (FIX.4.4:X->Y): owner changed"]);
  } finally {
    await gw.stop();
    await dropSchema(schema);
  }
});

Deno.test(
  { name: "cluster: a graceful stop hands the leases back and leaves the membership", ignore },
  async () => {
    await withStores(1, async ([sa], schema) => {
      const a = new Cluster(sa!, { nodeId: "A", leaseMs: 60_000 }, [{ key: "S", owner: "A" }]);
      a.attach(host());
      await a.tick();
      assert.ok(a.owns("S"));
      await a.stop();
      assert.ok(!a.owns("S"));
      const [m] = await sa!.sql.unsafe(
        `select count(*)::int as n from "${schema}".members where node_id = 'A'`,
      );
      assert.equal(m!.n, 0, "A left the membership");
      const [r] = await sa!.sql.unsafe(`select lease_until < now() as free, owner from "${schema}".sessions`);
      // Free at once (60 s before the lease would have run out): a standby takes it at its next round.
      assert.deepEqual({ free: r!.free, owner: r!.owner }, { free: true, owner: "A" });
    });
  },
);

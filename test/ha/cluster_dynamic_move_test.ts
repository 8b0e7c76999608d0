/**
 * `fixg cluster move` of a dynamic acceptor session (a template's, `targetCompId: "*"`; issue 18). Before,
 * its owner logged it out and gave the lease back, but the target took only the sessions of its own
 * configured list, so the move ended `timed-out` (exit 1) although the session was then taken by whichever
 * gateway the counterparty reached next. Now the target takes it from the template that makes it (epoch +
 * 1, numbers from the committed tail) and waits for the counterparty's Logon, the move is `done`, and the
 * other gateways refuse the counterparty meanwhile (`not-owner`); a target without such a template fails
 * the move at its next round with that reason instead of letting it time out.
 */
import assert from "node:assert/strict";
import { Cluster, type ClusterHost } from "../../src/engine/cluster.ts";
import { awaitMoves, readMoves, requestMove } from "../../src/engine/cluster_ops.ts";
import { openPostgresStore, type PostgresMessageStore } from "../../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";
import { JournalReader } from "../../src/store/record_reader.ts";
import { msgTypeOf } from "../../src/store/reader.ts";
import { acceptorClientConfig, type Child, db, endRun, root, spawnGateway, until } from "./ha_helpers.ts";
import { freePort } from "../interop/peers.ts";

const KEY = "FIX.4.4:GW->CLIENT";
const field = (f: string, tag: number) => f.match(new RegExp(`\x01${tag}=([^\x01]*)\x01`))?.[1];

async function fixg(args: string[]) {
  const o = await new Deno.Command(`${root}fixg`, { args, stdout: "piped", stderr: "piped" }).output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout), err: new TextDecoder().decode(o.stderr) };
}

/** The stores of gateways `nodes` on a fresh schema; `close()` closes them and drops the schema. */
async function nodeStores(nodes: string[]) {
  const schema = freshSchema();
  const stores: PostgresMessageStore[] = [];
  const close = async () => {
    for (const s of stores) await s.close().catch(() => {});
    await dropSchema(schema);
  };
  try {
    for (const n of nodes) stores.push(await openPostgresStore({ url: PG_URL!, schema, nodeId: n }));
  } catch (e) {
    await close();
    throw e;
  }
  return { schema, stores, close };
}

/**
 * A host that records what the cluster asks of it; `template`: it has the template `FIX.4.4:GW->*`
 * (making KEY); `record`: it tells the cluster its template keys (a gateway of an earlier version does not).
 */
function host(template: boolean, record = true) {
  const calls: string[] = [];
  const h: ClusterHost & { calls: string[] } = {
    calls,
    acquireSession: (
      k,
      fromTemplate,
    ) => (calls.push(`acquire ${k}${fromTemplate ? " (template)" : ""}`), Promise.resolve()),
    releaseSession: (k, why) => (calls.push(`release ${k}: ${why}`), Promise.resolve()),
    handOverSession: (k, why) => (calls.push(`hand over ${k}: ${why}`), Promise.resolve()),
    hasTemplateFor: (k) => template && k.startsWith("FIX.4.4:GW->"),
  };
  if (record) h.templateKeys = () => template ? ["FIX.4.4:GW->*"] : [];
  return h;
}

Deno.test({
  name:
    "cluster move of a dynamic session, rounds by hand: the target takes it from its template (epoch + 1, done); the others refuse its Logon meanwhile; one taken on its Logon at the target first is done too",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const { stores: [sa, sb, sc], close } = await nodeStores(["A", "B", "C"]);
  try {
    // No configured session: KEY exists only as a dynamic session (a template's).
    const a = new Cluster(sa!, { nodeId: "A", leaseMs: 60_000 }, []);
    const b = new Cluster(sb!, { nodeId: "B", leaseMs: 60_000 }, []);
    const c = new Cluster(sc!, { nodeId: "C", leaseMs: 60_000 }, []);
    const [ha, hb, hc] = [host(true), host(true), host(true)];
    a.attach(ha);
    b.attach(hb);
    c.attach(hc);
    for (const x of [a, b, c]) await x.tick();
    // The counterparty logged on at A first: A holds the lease (epoch 1).
    assert.equal(await a.claim(KEY), true);
    assert.deepEqual(await requestMove(sa!, KEY, "B"), { from: "A", fromEpoch: 1 });
    await a.tick();
    await until(async () => (await readMoves(sa!)).get(KEY)?.state === "released", "released");
    assert.deepEqual(ha.calls, [`acquire ${KEY}`, `hand over ${KEY}: moved to B by an operator`]);
    // The lease is back and free, but the move is under way: neither the old owner nor a third gateway
    // takes the session on a Logon (the counterparty moves on to the next address).
    assert.equal(await a.claim(KEY), false, "the old owner took it back on a Logon");
    assert.equal(await c.claim(KEY), false, "a third gateway took it on a Logon");
    // The target's round takes it from its template, epoch 2, and the move is done.
    await b.tick();
    assert.equal(b.epochOf(KEY), 2);
    assert.deepEqual(hb.calls, [`acquire ${KEY} (template)`]);
    const done = await awaitMoves(sa!, [{ session: KEY, from: "A", to: "B", fromEpoch: 1 }], 5000);
    assert.deepEqual(
      { ok: done[0]!.ok, state: done[0]!.state, epoch: done[0]!.epoch },
      { ok: true, state: "done", epoch: 2 },
    );
    // Back to A, the counterparty reaching A before A's round: its Logon takes the lease (epoch 3) and
    // A's next round marks the move done.
    await requestMove(sa!, KEY, "A");
    await b.tick();
    await until(async () => (await readMoves(sa!)).get(KEY)?.state === "released", "released to A");
    assert.equal(await c.claim(KEY), false);
    assert.equal(await a.claim(KEY), true);
    assert.equal(a.epochOf(KEY), 3);
    await a.tick();
    const back = await awaitMoves(sa!, [{ session: KEY, from: "B", to: "A", fromEpoch: 2 }], 5000);
    assert.deepEqual({ ok: back[0]!.ok, epoch: back[0]!.epoch }, { ok: true, epoch: 3 });
    for (const x of [a, b, c]) await x.stop();
  } finally {
    await close();
  }
});

Deno.test({
  name:
    "cluster move of a dynamic session to a gateway without a template for it that recorded nothing (an earlier version): failed at the target's round with that reason, not timed out; the owner keeps it",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const { stores: [sa, sb], close } = await nodeStores(["A", "B"]);
  try {
    const a = new Cluster(sa!, { nodeId: "A", leaseMs: 60_000 }, []);
    const b = new Cluster(sb!, { nodeId: "B", leaseMs: 60_000 }, []);
    const [ha, hb] = [host(true), host(false, false)];
    a.attach(ha);
    b.attach(hb);
    await a.tick();
    await b.tick();
    assert.equal(await a.claim(KEY), true);
    await requestMove(sa!, KEY, "B");
    await b.tick();
    const t0 = performance.now();
    const r = await awaitMoves(sa!, [{ session: KEY, from: "A", to: "B", fromEpoch: 1 }], 30_000);
    assert.ok(performance.now() - t0 < 1000, "ended at once");
    assert.deepEqual(
      { ok: r[0]!.ok, state: r[0]!.state, error: r[0]!.error },
      {
        ok: false,
        state: "failed",
        error: `B has no template for session ${KEY} (nor the session) in its configuration`,
      },
    );
    // The owner's next round finds the move failed: the session stays where it is, logged on.
    await a.tick();
    assert.equal(a.epochOf(KEY), 1);
    assert.deepEqual(ha.calls, [`acquire ${KEY}`]);
    assert.deepEqual(hb.calls, []);
    await a.stop();
    await b.stop();
  } finally {
    await close();
  }
});

Deno.test({
  name:
    "cluster move of a dynamic session to a gateway without a template for it: exit 2 at once, one line, nothing asked; rebalance plans it over the gateways with one",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const { schema, stores: [sa, sb, sc], close } = await nodeStores(["A", "B", "C"]);
  // Over A, B and C the rendezvous hash prefers B for this session, over A and C it prefers C.
  const key = "FIX.4.4:GW->CLIENT2";
  const store = ["--store", PG_URL!, "--schema", schema];
  try {
    const a = new Cluster(sa!, { nodeId: "A", leaseMs: 60_000 }, []);
    const b = new Cluster(sb!, { nodeId: "B", leaseMs: 60_000 }, [{ key: "FIX.4.4:GW->STATIC" }]);
    const c = new Cluster(sc!, { nodeId: "C", leaseMs: 60_000 }, []);
    const [ha, hb, hc] = [host(true), host(false), host(true)];
    a.attach(ha);
    b.attach(hb);
    c.attach(hc);
    for (const x of [a, b, c]) await x.tick();
    // What each gateway recorded it can take.
    const rows = await sa!.control.unsafe(
      `select node_id, sessions, templates from "${schema}".members order by node_id`,
    );
    assert.deepEqual(rows.map((r) => [r.node_id, r.sessions, r.templates]), [
      ["A", [], ["FIX.4.4:GW->*"]],
      ["B", ["FIX.4.4:GW->STATIC"], []],
      ["C", [], ["FIX.4.4:GW->*"]],
    ]);
    assert.equal(await a.claim(key), true);
    const t0 = performance.now();
    const refused = await fixg(["cluster", "move", ...store, "--session", key, "--to", "B"]);
    assert.ok(performance.now() - t0 < 10_000);
    assert.equal(refused.code, 2, refused.err);
    assert.equal(refused.out, "");
    assert.equal(
      refused.err.trim(),
      `fixg: "B" has no template for session "${key}" (nor the session) in its configuration (its templates: none)`,
    );
    assert.equal((await sa!.control.unsafe(`select * from "${schema}".moves`)).length, 0, "nothing asked");
    await a.tick();
    assert.deepEqual(ha.calls, [`acquire ${key}`], "the owner keeps it, logged on");
    // The rebalance places it over A and C (B has no template): C; never B.
    const plan = await fixg(["cluster", "rebalance", ...store, "--dry-run", "--json"]);
    assert.equal(plan.code, 0, plan.err);
    assert.deepEqual(JSON.parse(plan.out).plan, [{ sessionKey: key, from: "A", to: "C", epoch: 1 }]);
    // And carries it out (the gateways' rounds run while the command waits).
    const cmd = new Deno.Command(`${root}fixg`, {
      args: ["cluster", "rebalance", ...store, "--json"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let ended = false;
    const out = cmd.output().finally(() => (ended = true));
    const deadline = performance.now() + 20_000;
    while (!ended && performance.now() < deadline) {
      for (const x of [a, b, c]) await x.tick();
      await new Promise((r) => setTimeout(r, 50));
    }
    const o = await out;
    const res = JSON.parse(new TextDecoder().decode(o.stdout)).results;
    assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
    assert.deepEqual(
      res.map((r: Record<string, unknown>) => [r.session, r.from, r.to, r.epoch, r.ok]),
      [[key, "A", "C", 2, true]],
    );
    assert.equal(c.epochOf(key), 2);
    assert.deepEqual(hc.calls, [`acquire ${key} (template)`]);
    for (const x of [a, b, c]) await x.stop();
  } finally {
    await close();
  }
});

/** fixg.yaml of a cluster member with one acceptor template (GW <- any CompID) on `port`. */
function templateConfig(node: string, schema: string, port: number): string {
  return [
    `store: { type: postgres, url: "${PG_URL}", schema: ${schema} }`,
    `cluster: { nodeId: ${node}, leaseMs: 1000 }`,
    `log: { level: info }`,
    `sessions:`,
    `  - { role: acceptor, senderCompId: GW, targetCompId: "*", beginString: FIX.4.4, bindHost: 127.0.0.1, port: ${port}, validation: { enabled: false } }`,
  ].join("\n") + "\n";
}

Deno.test({
  name:
    "cluster move of a dynamic acceptor session: exit 0, epoch + 1; the counterparty (two addresses) logs on at B with the next numbers, nothing resent, no gap; every order stored once, in order",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const dir = await Deno.makeTempDir({ prefix: "fixg-dynmove-" });
  const sql = db();
  const children: Child[] = [];
  const store = ["--store", PG_URL!, "--schema", schema];
  try {
    const [pa, pb] = [freePort(), freePort()];
    Deno.writeTextFileSync(`${dir}/A.yaml`, templateConfig("A", schema, pa));
    Deno.writeTextFileSync(`${dir}/B.yaml`, templateConfig("B", schema, pb));
    Deno.writeTextFileSync(`${dir}/client.yaml`, acceptorClientConfig(dir, [pa, pb]));
    const a = spawnGateway(`${dir}/A.yaml`, 0, 1);
    children.push(a);
    await until(() => a.events.some((e) => e.ev === "started"), "A started", 30_000);
    const b = spawnGateway(`${dir}/B.yaml`, 0, 1);
    children.push(b);
    await until(() => b.events.some((e) => e.ev === "started"), "B started", 30_000);
    const client = spawnGateway(`${dir}/client.yaml`, 300, 200);
    children.push(client);
    const orders = async () => {
      const rows = await sql.unsafe(
        `select seq, bytes from "${schema}".inbound where session_key = $1 order by seq`,
        [KEY],
      );
      const texts = rows.map((r) => new TextDecoder().decode(r.bytes as Uint8Array));
      const ids = texts.filter((t) => t.includes("\x0135=D\x01"))
        .map((t) => t.slice(t.indexOf("\x0111=") + 4, t.indexOf("\x01", t.indexOf("\x0111=") + 4)));
      return { seqs: rows.map((r) => Number(r.seq)), texts, ids };
    };
    await until(
      async () => (await orders().catch(() => ({ ids: [] }))).ids.length >= 50,
      "50 orders in at A",
      30_000,
      children,
    );
    const moved = await fixg(["cluster", "move", ...store, "--session", KEY, "--to", "B", "--json"]);
    assert.equal(moved.code, 0, moved.err + moved.out);
    const r = JSON.parse(moved.out);
    assert.deepEqual(
      { session: r.session, from: r.from, to: r.to, fromEpoch: r.fromEpoch, epoch: r.epoch, ok: r.ok },
      { session: KEY, from: "A", to: "B", fromEpoch: 1, epoch: 2, ok: true },
    );
    assert.match(moved.err, /move FIX\.4\.4:GW->CLIENT: B took it \(epoch 2\)/);
    console.log(`dynamic move A -> B: ${r.ms} ms from the request to B holding the lease (lease 1000 ms)`);
    await until(() => client.events.filter((e) => e.ev === "logon").length >= 2, "logged on at B", 20_000, [
      client,
      a,
      b,
    ]);
    await until(() => client.events.some((e) => e.ev === "sent-all"), "client sent its orders", 20_000);
    let got = { seqs: [] as number[], texts: [] as string[], ids: [] as string[] };
    await until(async () => (got = await orders()).ids.length >= 300, "300 orders in the store", 15_000);
    const st = await fixg(["cluster", "status", ...store, "--json"]);
    assert.equal(st.code, 0, st.err);
    const row = JSON.parse(st.out).sessions.find((s: { sessionKey: string }) => s.sessionKey === KEY);
    assert.deepEqual({ owner: row.owner, epoch: row.epoch }, { owner: "B", epoch: 2 });
    // What the gateways recorded they can take (`fixg cluster move` checks a target against it).
    const takes = await sql.unsafe(
      `select node_id, sessions, templates from "${schema}".members order by node_id`,
    );
    assert.deepEqual(takes.map((x) => [x.node_id, x.sessions, x.templates]), [
      ["A", [], ["FIX.4.4:GW->*"]],
      ["B", [], ["FIX.4.4:GW->*"]],
    ]);
    client.child.kill("SIGTERM");
    await client.child.status;
    assert.deepEqual(got.ids, Array.from({ length: 300 }, (_, i) => `solo-${i + 1}`), "each order once");
    assert.ok(
      !got.texts.some((t) => t.includes("\x0135=D\x01") && t.includes("\x0143=Y\x01")),
      "no order resent",
    );
    // What the client received from A then B: numbers continuous, nothing resent, and it never asked for
    // a resend (no gap); A's Logout, then B's Logon with the next number.
    const inbound: { seq: number; type: string; text: string }[] = [];
    const sent: { seq: number; type: string }[] = [];
    JournalReader.open(`${dir}/client-journal`).forEach((rec) => {
      if (rec.type !== "message") return;
      const text = new TextDecoder().decode(rec.payload);
      if (rec.direction === "in") inbound.push({ seq: rec.seq, type: msgTypeOf(rec.payload), text });
      else sent.push({ seq: rec.seq, type: msgTypeOf(rec.payload) });
    });
    inbound.forEach((m, i) => assert.equal(m.seq, i + 1, `inbound ${i}: ${m.text}`));
    assert.ok(inbound.every((m) => !m.text.includes("\x0143=Y\x01")), "nothing resent to the client");
    assert.ok(!sent.some((m) => m.type === "2"), "the client never asked for a resend (no gap)");
    assert.deepEqual(inbound.filter((m) => m.type === "A").length, 2, "A's Logon, then B's");
    const logout = inbound.findIndex((m) => m.type === "5");
    assert.ok(logout > 0 && inbound[logout + 1]!.type === "A", "B's Logon right after A's Logout");
    // The other direction: the client tried A first after the Logout, and A refused the Logon without a
    // word (not-owner), which cost the client a number (never reused). B asked for it (one ResendRequest)
    // and the client gap-filled from it past its Logon at B: the numbers the fill covers are the client's
    // Logons after its first, and they are the only numbers the gateways did not store.
    const logons = sent.filter((m) => m.type === "A").map((m) => m.seq);
    const fills = got.texts.filter((t) => t.includes("\x0135=4\x01") && t.includes("\x01123=Y\x01"));
    assert.equal(fills.length, 1, JSON.stringify(fills));
    const from = Number(field(fills[0]!, 34)), to = Number(field(fills[0]!, 36));
    const covered = Array.from({ length: to - from }, (_, i) => from + i);
    assert.deepEqual(covered, logons.slice(1, 1 + covered.length), `the client's Logons: ${logons}`);
    assert.deepEqual(logons.slice(1 + covered.length), [], "no Logon after the fill but the stop");
    const stored = got.seqs.at(-1)!;
    const missing = Array.from({ length: stored }, (_, i) => i + 1).filter((q) => !got.seqs.includes(q));
    assert.deepEqual(missing, covered.slice(1), "every other number stored");
    const gwOut = await sql.unsafe(
      `select bytes from "${schema}".outbound where session_key = $1 order by seq`,
      [KEY],
    );
    const asked = gwOut.map((x) => new TextDecoder().decode(x.bytes as Uint8Array)).filter((b) =>
      b.includes("\x0135=2\x01")
    );
    assert.equal(asked.length, 1, "B's one ResendRequest");
    assert.equal(Number(field(asked[0]!, 7)), from);
    assert.match(a.stderr(), /session-move/);
    assert.match(b.stderr(), /dynamic session FIX\.4\.4:GW->CLIENT from template \(moved here\)/);
    for (const c of [client, a, b]) assert.doesNotMatch(c.stderr(), /too low/i);
  } finally {
    await endRun({ children, sql, schema, dir });
  }
});

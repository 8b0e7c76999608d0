/**
 * Operator moves (issue 18: "rebalancing ... on an operator command"): `fixg cluster move` hands a live
 * initiator session from gateway A to gateway B. The counterparty (`fixg simulate-lp` with its own file
 * journal) sees A's Logout, then B's Logon with the next sequence number: no gap, no number too low, no
 * duplicate order. `fixg cluster status --json` shows B with epoch + 1, and `fixg cluster rebalance
 * --dry-run` lists the move back to the pinned owner.
 */
import assert from "node:assert/strict";
import { freePort } from "../interop/peers.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";
import { JournalReader } from "../../src/store/record_reader.ts";
import { msgTypeOf } from "../../src/store/reader.ts";
import {
  acceptorClientConfig,
  acceptorConfig,
  type Child,
  db,
  endRun,
  root,
  spawnGateway,
  startLp,
  until,
  writeMemberConfig,
} from "./ha_helpers.ts";
import { Cluster } from "../../src/engine/cluster.ts";
import { awaitMoves, MOVE_EXPIRY_MS, readMoves, requestMove } from "../../src/engine/cluster_ops.ts";
import { openPostgresStore, type PostgresMessageStore } from "../../src/store/postgres.ts";

const KEY = "FIX.4.4:CLIENT->LP";
const ORDERS = 20;

async function fixg(args: string[]) {
  const o = await new Deno.Command(`${root}fixg`, { args, stdout: "piped", stderr: "piped" }).output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout), err: new TextDecoder().decode(o.stderr) };
}

Deno.test({
  name:
    "cluster move: A logs the session out, B logs on with the next numbers (LP: no gap, none too low, no duplicate); status and rebalance dry-run",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const dir = await Deno.makeTempDir({ prefix: "fixg-move-" });
  const lp = await startLp({ journalDir: `${dir}/lp` });
  const children = [];
  const store = ["--store", PG_URL!, "--schema", schema];
  try {
    const cfg = (node: string) => writeMemberConfig(dir, node, schema, lp.port);
    const a = spawnGateway(cfg("A"), ORDERS, 500);
    children.push(a);
    await until(() => a.events.some((e) => e.ev === "settled"), "A's orders acknowledged", 30_000);
    const b = spawnGateway(cfg("B"), ORDERS, 500);
    children.push(b);
    await until(() => b.events.some((e) => e.ev === "started"), "B started", 30_000);

    // Usage errors: exit 2, one line.
    const badNode = await fixg(["cluster", "move", ...store, "--session", KEY, "--to", "Z"]);
    assert.equal(badNode.code, 2, badNode.err);
    assert.match(badNode.err, /"Z" is not a live gateway of the cluster \(live: A, B\)/);
    const badKey = await fixg(["cluster", "move", ...store, "--session", "FIX.4.4:X->Y", "--to", "B"]);
    assert.equal(badKey.code, 2, badKey.err);
    assert.match(badKey.err, /unknown session "FIX\.4\.4:X->Y" \(the store has FIX\.4\.4:CLIENT->LP\)/);
    // Pinned to A and owned by A: nothing to rebalance.
    const none = await fixg(["cluster", "rebalance", ...store, "--dry-run", "--json"]);
    assert.equal(none.code, 0, none.err);
    assert.deepEqual(JSON.parse(none.out).plan, []);

    const moved = await fixg(["cluster", "move", ...store, "--session", KEY, "--to", "B", "--json"]);
    assert.equal(moved.code, 0, moved.err + moved.out);
    const r = JSON.parse(moved.out);
    assert.deepEqual(
      { session: r.session, from: r.from, to: r.to, fromEpoch: r.fromEpoch, epoch: r.epoch, ok: r.ok },
      { session: KEY, from: "A", to: "B", fromEpoch: 1, epoch: 2, ok: true },
    );
    assert.match(moved.err, /move FIX\.4\.4:CLIENT->LP: B took it \(epoch 2\)/);
    console.log(`move A -> B: ${r.ms} ms from the request to B holding the lease (lease 1000 ms)`);

    const st = await fixg(["cluster", "status", ...store, "--json"]);
    assert.equal(st.code, 0, st.err);
    const row = JSON.parse(st.out).sessions.find((s: { sessionKey: string }) => s.sessionKey === KEY);
    assert.equal(row.owner, "B");
    assert.equal(row.epoch, 2);

    await until(() => b.events.some((e) => e.ev === "settled"), "B's orders acknowledged", 30_000);
    // The pin says A: a rebalance would move it back, exactly this one move.
    const plan = await fixg(["cluster", "rebalance", ...store, "--dry-run", "--json"]);
    assert.equal(plan.code, 0, plan.err);
    assert.deepEqual(JSON.parse(plan.out).plan, [{ sessionKey: KEY, from: "B", to: "A", epoch: 2 }]);
    const human = await fixg(["cluster", "rebalance", ...store, "--dry-run"]);
    assert.equal(human.out.trim(), `${KEY}: B -> A (epoch 2)`);
    // Already there: exit 0, nothing done.
    const again = await fixg(["cluster", "move", ...store, "--session", KEY, "--to", "B"]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /already owned by B \(epoch 2\)/);
    // The rebalance itself: back to A, epoch 3.
    const rb = await fixg(["cluster", "rebalance", ...store, "--json"]);
    assert.equal(rb.code, 0, rb.err + rb.out);
    const res = JSON.parse(rb.out).results;
    assert.equal(res.length, 1);
    assert.deepEqual(
      { from: res[0].from, to: res[0].to, epoch: res[0].epoch, ok: res[0].ok },
      { from: "B", to: "A", epoch: 3, ok: true },
    );
    assert.match(rb.err, /rebalance: 1 move\(s\) over A, B/);
    const balanced = await fixg(["cluster", "rebalance", ...store]);
    assert.equal(balanced.code, 0, balanced.err);
    assert.equal(balanced.out.trim(), "balanced: no move needed");

    for (const c of children) {
      c.child.kill("SIGTERM");
      await c.child.status;
    }
    const exit = await lp.stop();
    const stats = exit.summary as { ordersReceived: number; acks: number; rejects: number };
    assert.equal(stats.ordersReceived, 2 * ORDERS, "every order once");
    assert.equal(stats.rejects, 0, "no duplicate ClOrdID");
    assert.doesNotMatch(exit.stderr + exit.stdout, /too low/i);
    // What the LP received, in order: numbers continuous from 1, A's Logout then B's Logon next.
    const inbound: { seq: number; type: string; text: string }[] = [];
    const outTypes: string[] = [];
    JournalReader.open(`${dir}/lp`).forEach((rec) => {
      if (rec.type !== "message") return;
      const text = new TextDecoder().decode(rec.payload);
      if (rec.direction === "in") inbound.push({ seq: rec.seq, type: msgTypeOf(rec.payload), text });
      else outTypes.push(msgTypeOf(rec.payload));
    });
    inbound.forEach((m, i) => assert.equal(m.seq, i + 1, `inbound ${i}: ${m.text}`));
    assert.ok(inbound.every((m) => !m.text.includes("\x0143=Y\x01")), "nothing resent");
    const logouts = inbound.filter((m) => m.type === "5");
    assert.equal(logouts.length, 3, "A's Logout at the move, B's at the rebalance, A's at its stop");
    for (const l of logouts.slice(0, 2)) {
      assert.equal(
        inbound[inbound.indexOf(l) + 1]!.type,
        "A",
        "the next owner's Logon right after the Logout",
      );
    }
    assert.ok(!outTypes.includes("2"), "the LP never asked for a resend (no gap)");
    assert.equal(inbound.filter((m) => m.type === "A").length, 3);
  } finally {
    await endRun({ children, lp, schema, dir });
  }
});

/** The stores of gateways A and B on a fresh schema; `close()` closes both and drops the schema. */
async function nodeStores() {
  const schema = freshSchema();
  const stores: PostgresMessageStore[] = [];
  const close = async () => {
    for (const s of stores) await s.close().catch(() => {});
    await dropSchema(schema);
  };
  try {
    for (const n of ["A", "B"]) stores.push(await openPostgresStore({ url: PG_URL!, schema, nodeId: n }));
  } catch (e) {
    await close();
    throw e;
  }
  return { schema, sa: stores[0]!, sb: stores[1]!, close };
}

/** A host that records what the cluster asks of it; `failHandOver` makes the logout fail. */
function host(failHandOver = false) {
  const calls: string[] = [];
  return {
    calls,
    acquireSession: (k: string) => (calls.push(`acquire ${k}`), Promise.resolve()),
    releaseSession: (k: string, why: string) => (calls.push(`release ${k}: ${why}`), Promise.resolve()),
    handOverSession: (k: string, why: string) => {
      calls.push(`hand over ${k}: ${why}`);
      return failHandOver ? Promise.reject(new Error("logout failed")) : Promise.resolve();
    },
  };
}

Deno.test({
  name:
    "cluster move, rounds by hand: requested -> owner hands over -> released -> target takes (epoch + 1) -> done; a failed hand-over and a timeout end the move (exit 1)",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const { schema, sa, sb, close } = await nodeStores();
  try {
    const sessions = [{ key: "S", owner: "A" }, { key: "T", owner: "A" }];
    const a = new Cluster(sa, { nodeId: "A", leaseMs: 60_000 }, sessions);
    const b = new Cluster(sb, { nodeId: "B", leaseMs: 60_000 }, sessions);
    const ha = host(), hb = host();
    a.attach(ha);
    b.attach(hb);
    await a.tick();
    await b.tick();
    assert.ok(a.owns("S") && a.owns("T"));
    // Asked: nothing happens until the owner's round.
    assert.deepEqual(await requestMove(sa, "S", "B"), { from: "A", fromEpoch: 1 });
    await b.tick();
    assert.deepEqual(hb.calls, []);
    const st = await fixg(["cluster", "status", "--store", PG_URL!, "--schema", schema]);
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /^moving: S A -> B \(requested\)$/m);
    const sj = await fixg(["cluster", "status", "--store", PG_URL!, "--schema", schema, "--json"]);
    assert.deepEqual(JSON.parse(sj.out).moves, [{ sessionKey: "S", from: "A", to: "B", state: "requested" }]);
    await a.tick();
    await until(async () => (await readMoves(sa)).get("S")?.state === "released", "released");
    assert.deepEqual(ha.calls.slice(-1), ["hand over S: moved to B by an operator"]);
    assert.ok(!a.owns("S"));
    await a.tick(); // the old owner (also the pinned one) leaves it to the target
    assert.ok(!a.owns("S"));
    await b.tick();
    assert.equal(b.epochOf("S"), 2);
    assert.deepEqual(hb.calls, ["acquire S"]);
    const done = await awaitMoves(sa, [{ session: "S", from: "A", to: "B", fromEpoch: 1 }], 5000);
    assert.deepEqual(
      { ok: done[0]!.ok, state: done[0]!.state, epoch: done[0]!.epoch },
      { ok: true, state: "done", epoch: 2 },
    );
    // Timed out (no round ran): the request is withdrawn and the owner keeps the session.
    const lines: string[] = [];
    await requestMove(sa, "T", "B");
    const late = await awaitMoves(
      sa,
      [{ session: "T", from: "A", to: "B", fromEpoch: 1 }],
      100,
      (l) => lines.push(l),
    );
    assert.equal(late[0]!.state, "timed-out");
    assert.match(lines[0]!, /^move T: asked A to log it out \(\d+ ms\)$/);
    assert.equal(lines.length, 1);
    await a.tick();
    assert.ok(a.owns("T"), "a withdrawn move is not carried out");
    assert.ok(!ha.calls.some((c) => c.startsWith("hand over T")));
    // The CLI: exit 1 when the move times out, saying which.
    const cli = await fixg([
      "cluster",
      "move",
      "--store",
      PG_URL!,
      "--schema",
      schema,
      "--session",
      "T",
      "--to",
      "B",
      "--timeout-ms",
      "100",
    ]);
    assert.equal(cli.code, 1, cli.err);
    assert.match(cli.out, /^T: move A -> B timed-out: not done within 100 ms/);
    // A hand-over that fails: the move is failed with the owner's reason.
    const fa = new Cluster(sa, { nodeId: "A", leaseMs: 60_000 }, sessions);
    const bad = host(true);
    fa.attach(bad);
    await a.stop(); // A "restarts" with a host whose logout fails
    await fa.tick();
    const fromEpoch = fa.epochOf("T")!;
    await requestMove(sa, "T", "B");
    await fa.tick();
    const failed = await awaitMoves(sa, [{ session: "T", from: "A", to: "B", fromEpoch }], 5000);
    assert.deepEqual(
      { ok: failed[0]!.ok, state: failed[0]!.state, error: failed[0]!.error },
      { ok: false, state: "failed", error: "A: logout failed" },
    );
    // The half-closed session was given up and is placed again as usual (pinned to A: A takes it).
    assert.ok(!fa.owns("T"));
    assert.ok(
      bad.calls.includes("release T: hand-over failed (logout failed); lease given up"),
      bad.calls.join(),
    );
    await fa.tick();
    assert.equal(fa.epochOf("T"), fromEpoch + 1);
    await fa.stop();
    await b.stop();
  } finally {
    await close();
  }
});

Deno.test({
  name:
    "cluster move of an acceptor session: the counterparty (two addresses) is logged out by A and logs on to B; every order stored once, in order, none too low",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const dir = await Deno.makeTempDir({ prefix: "fixg-move-acc-" });
  const sql = db();
  const children: Child[] = [];
  const key = "FIX.4.4:GW->CLIENT";
  try {
    const [pa, pb] = [freePort(), freePort()];
    Deno.writeTextFileSync(`${dir}/A.yaml`, acceptorConfig("A", schema, pa));
    Deno.writeTextFileSync(`${dir}/B.yaml`, acceptorConfig("B", schema, pb));
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
        [
          key,
        ],
      );
      const seqs = rows.map((r) => Number(r.seq));
      const ids = rows.map((r) => new TextDecoder().decode(r.bytes as Uint8Array))
        .filter((t) => t.includes("\x0135=D\x01"))
        .map((t) => t.slice(t.indexOf("\x0111=") + 4, t.indexOf("\x01", t.indexOf("\x0111=") + 4)));
      return { seqs, ids };
    };
    await until(
      async () => (await orders().catch(() => ({ ids: [] }))).ids.length >= 50,
      "50 orders in",
      30_000,
    );
    const moved = await fixg([
      "cluster",
      "move",
      "--store",
      PG_URL!,
      "--schema",
      schema,
      "--session",
      key,
      "--to",
      "B",
    ]);
    assert.equal(moved.code, 0, moved.err + moved.out);
    assert.match(moved.out, /moved A -> B, epoch 1 -> 2/);
    await until(() => client.events.filter((e) => e.ev === "logon").length >= 2, "logged on to B", 20_000)
      .catch((e) => {
        throw new Error(
          `${e.message}\nclient: ${client.stderr().slice(-3000)}\nA: ${a.stderr().slice(-2000)}\nB: ${
            b.stderr().slice(-2000)
          }`,
        );
      });
    await until(() => client.events.some((e) => e.ev === "sent-all"), "client sent its orders", 20_000);
    let got = { seqs: [] as number[], ids: [] as string[] };
    await until(async () => (got = await orders()).ids.length >= 300, "300 orders in the store", 15_000);
    assert.deepEqual(
      got.ids,
      Array.from({ length: 300 }, (_, i) => `solo-${i + 1}`),
      "each order once, in order",
    );
    got.seqs.forEach((q, i) => i === 0 || assert.ok(q > got.seqs[i - 1]!, `inbound numbers increase (${q})`));
    assert.match(a.stderr(), /session-move/);
    for (const c of [client, a, b]) assert.doesNotMatch(c.stderr(), /too low/i);
  } finally {
    await endRun({ children, sql, schema, dir });
  }
});

Deno.test({
  name:
    "cluster move: a released move nobody carries out expires after MOVE_EXPIRY_MS and placement takes the session again",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const { schema, sa, sb, close } = await nodeStores();
  try {
    const a = new Cluster(sa, { nodeId: "A", leaseMs: 60_000 }, [{ key: "S", owner: "A" }]);
    // B is live (its heartbeat younger than its lease) but runs no round after the request: it never takes S.
    const b = new Cluster(sb, { nodeId: "B", leaseMs: 60_000 }, []);
    const ha = host();
    a.attach(ha);
    b.attach(host());
    await a.tick();
    await b.tick();
    await requestMove(sa, "S", "B");
    await a.tick();
    await until(async () => (await readMoves(sa)).get("S")?.state === "released", "released");
    // (B runs no round from here on: a round of a target without the session fails the move at once.)
    await a.tick();
    assert.ok(!a.owns("S"), "left to the move's target while the move is under way");
    // The move's last step ages past the expiry (as if the command was killed and B never took it).
    await sa.sql.unsafe(
      `update "${schema}".moves set updated = now() - $1::float8 * interval '1 millisecond'`,
      [MOVE_EXPIRY_MS + 1000],
    );
    await a.tick();
    assert.equal(a.epochOf("S"), 2, "the pinned owner took it again");
    await a.stop();
    await b.stop();
  } finally {
    await close();
  }
});

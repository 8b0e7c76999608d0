/** The store contract and the fencing / group-commit behaviour of the PostgreSQL store. */
import assert from "node:assert/strict";
import { InstrumentedStore } from "../../src/engine/store_stats.ts";
import { openPostgresStore, type PostgresMessageStore } from "../../src/store/postgres.ts";
import { msg, storeContract } from "./contract.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

const ignore = PG_MISSING !== undefined;

storeContract("postgres store", async () => {
  const schema = freshSchema();
  const store = await openPostgresStore({ url: PG_URL!, schema });
  return {
    store,
    reopen: async () => {
      await store.close();
      return await openPostgresStore({ url: PG_URL!, schema });
    },
    cleanup: () => dropSchema(schema),
  };
}, { ignore });

/** Two gateways' stores on one schema (A and B), closed and dropped afterwards. */
async function pair(fn: (a: PostgresMessageStore, b: PostgresMessageStore) => Promise<void>): Promise<void> {
  const schema = freshSchema();
  const a = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A" });
  const b = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
  try {
    await fn(a, b);
  } finally {
    await a.close().catch(() => {});
    await b.close().catch(() => {});
    await dropSchema(schema);
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test({
  name: "postgres store: a deposed owner is fenced: its writes reject, nothing of them is committed",
  ignore,
}, async () => {
  await pair(async (a, b) => {
    const sa = await a.openSession("S1", 1);
    for (let i = 1; i <= 3; i++) await sa.appendOutbound(i, msg(i, "A"));
    await sa.appendInbound(1, msg(1, "IN"));
    // B takes the session over: the epoch moves on, both numbers come from A's committed tail.
    const sb = await b.openSession("S1", 2);
    assert.deepEqual(sb.seqNums(), { nextSenderSeq: 4, nextTargetSeq: 2 });
    const w = Promise.resolve(sa.appendOutbound(4, msg(4, "A-late")));
    await assert.rejects(
      w,
      (e: Error & { code?: string }) => e.code === "STORE_FENCED" && /fenced/.test(e.message),
    );
    await assert.rejects(sa.flush(), /fenced/);
    // Sticky: every later write of A is refused at once.
    await assert.rejects(Promise.resolve(sa.appendOutbound(5, msg(5, "A"))), /fenced/);
    await sb.appendOutbound(4, msg(4, "B"));
    const got = await sb.getOutbound(1, 0);
    assert.deepEqual(
      got.map((m) => text(m.bytes)),
      [msg(1, "A"), msg(2, "A"), msg(3, "A"), msg(4, "B")].map(text),
    );
    assert.equal(a.stats.fenced, 1);
    const [row] = await b.sessionRows();
    assert.equal(row!.owner, "B");
    assert.equal(row!.epoch, 2);
    assert.equal(row!.nextSenderSeq, 5);
  });
});

Deno.test({
  name:
    "postgres store: a fenced session reports each numbered outbound message it will never commit, once (onNotCommitted)",
  ignore,
}, async () => {
  await pair(async (a, b) => {
    const sa = await a.openSession("N", 1);
    const reported: { seq: number; text: string; reason: string }[] = [];
    sa.onNotCommitted = (ms, reason) => {
      for (const m of ms) reported.push({ seq: m.seq, text: text(m.bytes), reason });
    };
    await sa.appendOutbound(1, msg(1, "A"));
    await b.openSession("N", 2); // B takes the session over
    // One group: outbound 2 and 3 and an inbound message; the commit is fenced.
    const w = Promise.resolve(sa.appendOutbound(2, msg(2, "A")));
    void sa.appendInbound(1, msg(1, "IN"));
    void sa.appendOutbound(3, msg(3, "A"));
    await assert.rejects(w, /fenced/);
    // Refused at once afterwards: reported too.
    await assert.rejects(Promise.resolve(sa.appendOutbound(4, msg(4, "A"))), /fenced/);
    assert.deepEqual(reported.map((r) => [r.seq, r.text]), [[2, text(msg(2, "A"))], [3, text(msg(3, "A"))], [
      4,
      text(msg(4, "A")),
    ]]);
    assert.ok(reported.every((r) => /fenced/.test(r.reason)));
  });
});

Deno.test({
  name:
    "postgres store behind the gateway's statistics wrapper: commit before delivery and the not-committed report still hold",
  ignore,
}, async () => {
  await pair(async (a, b) => {
    const s = await new InstrumentedStore(a).openSession("I", 1);
    assert.equal(s.durableBeforeSend, true);
    assert.equal(s.durableBeforeDeliver, true);
    const reported: number[] = [];
    s.onNotCommitted = (ms) => reported.push(...ms.map((m) => m.seq));
    await s.appendOutbound(1, msg(1));
    await b.openSession("I", 2); // B takes the session over
    await assert.rejects(Promise.resolve(s.appendOutbound(2, msg(2))), /fenced/);
    assert.deepEqual(reported, [2]);
  });
});

Deno.test({
  name:
    "postgres store: an inbound number received again after the expected number was set back replaces the stored row (plain insert, then upsert)",
  ignore,
}, async () => {
  await pair(async (a) => {
    const s = await a.openSession("U", 1);
    for (let i = 1; i <= 3; i++) await s.appendInbound(i, msg(i, "first"));
    await s.setNextTargetSeq(2);
    await s.appendInbound(2, msg(2, "again"));
    await s.appendOutbound(1, msg(1, "out"));
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 2, nextTargetSeq: 3 });
    const inbound = (await a.records()).filter((r) => r.sessionKey === "U" && r.direction === "in");
    assert.deepEqual(
      inbound.map((r) => [r.seq, text(r.payload)]).sort((x, y) => Number(x[0]) - Number(y[0])),
      [[1, text(msg(1, "first"))], [2, text(msg(2, "again"))], [3, text(msg(3, "first"))]],
    );
    assert.equal(a.stats.retries, 0);
  });
});

Deno.test({
  name:
    "postgres store: close waits for a commit still being retried (the cluster opens the session again only after it, so its new epoch cannot fence that commit)",
  ignore,
}, async () => {
  const schema = freshSchema();
  const a = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A", lockTimeoutMs: 50 });
  const b = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
  try {
    const s = await a.openSession("W", 1);
    await s.appendOutbound(1, msg(1));
    // Another connection holds the session row: A's commit of 2 fails (lock timeout) and is retried.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const held = new Promise<void>((r) => (locked = r));
    const holder = b.sql.begin(async (tx) => {
      await tx.unsafe(`update "${schema}".positions set pos = pos where session_key = 'W'`);
      locked();
      await gate;
    });
    await held;
    const reported: number[] = [];
    s.onNotCommitted = (ms) => reported.push(...ms.map((m) => m.seq));
    void s.appendOutbound(2, msg(2));
    let closed = false;
    const closing = s.close().then(() => (closed = true));
    const t0 = Date.now();
    while (Date.now() - t0 < 300) await new Promise((r) => setTimeout(r, 20));
    assert.equal(closed, false, "close returned while the commit of 2 was still being retried");
    assert.ok(a.stats.retries > 0);
    release();
    await holder;
    await closing;
    // The commit landed before close returned: reopening (a new epoch) finds 2 committed.
    const again = await a.openSession("W", 2);
    assert.deepEqual(again.seqNums().nextSenderSeq, 3);
    assert.deepEqual((await again.getOutbound(1, 0)).map((m) => m.seq), [1, 2]);
    assert.deepEqual(reported, []);
  } finally {
    await a.close().catch(() => {});
    await b.close().catch(() => {});
    await dropSchema(schema);
  }
});

Deno.test({
  name: "postgres store: the other sessions of a fenced session's group commit without it",
  ignore,
}, async () => {
  await pair(async (a, b) => {
    const x = await a.openSession("X", 1);
    const y = await a.openSession("Y", 1);
    await b.openSession("X", 1); // B takes X only
    // One synchronous run: both writes go in one group.
    const wx = Promise.resolve(x.appendOutbound(1, msg(1, "X")));
    const wy = y.appendOutbound(1, msg(1, "Y"));
    await assert.rejects(wx, /fenced/);
    await wy;
    assert.deepEqual((await y.getOutbound(1, 0)).map((m) => text(m.bytes)), [text(msg(1, "Y"))]);
    const rows = await a.sessionRows();
    assert.deepEqual(rows.map((r) => [r.sessionKey, r.nextSenderSeq, r.owner]), [["X", 1, "B"], [
      "Y",
      2,
      "A",
    ]]);
  });
});

Deno.test({
  name:
    "postgres store: group commit: writes of many sessions made while a commit is in flight share the next one",
  ignore,
}, async () => {
  await pair(async (a) => {
    const ss = [];
    for (let i = 0; i < 10; i++) ss.push(await a.openSession(`G${i}`, 1));
    const before = a.stats.commits;
    const all: Promise<void>[] = [];
    for (let seq = 1; seq <= 50; seq++) {
      for (const s of ss) all.push(Promise.resolve(s.appendOutbound(seq, msg(seq))));
      if (seq % 10 === 0) await new Promise((r) => setTimeout(r, 0)); // let a commit start meanwhile
    }
    await Promise.all(all);
    const commits = a.stats.commits - before;
    // 500 messages in a handful of commits (one per synchronous run at most), never one per message.
    assert.ok(commits >= 1 && commits <= 5, `commits ${commits}`);
    for (const s of ss) assert.equal((await s.getOutbound(1, 0)).length, 50);
  });
});

Deno.test({
  name: "postgres store: a commit whose connection is killed is retried on a new one, committed once",
  ignore,
}, async () => {
  await pair(async (a, b) => {
    const s = await a.openSession("R", 1);
    await s.appendOutbound(1, msg(1));
    const w: Promise<void>[] = [];
    for (let i = 2; i <= 100; i++) w.push(Promise.resolve(s.appendOutbound(i, msg(i))));
    // Kill every connection of A's pool (as a primary restart would) while the group commits.
    await b.sql`select pg_terminate_backend(pid) from pg_stat_activity
      where application_name = ${a.appName} and pid <> pg_backend_pid() and backend_type = 'client backend'`;
    await Promise.all(w);
    await s.appendOutbound(101, msg(101));
    const got = await s.getOutbound(1, 0);
    assert.deepEqual(got.map((m) => m.seq), Array.from({ length: 101 }, (_, i) => i + 1));
  });
});

Deno.test({
  name:
    "postgres store: a connection stalled inside a transaction is ended by the server (its row locks freed)",
  ignore,
}, async () => {
  const schema = freshSchema();
  const a = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A", idleInTransactionMs: 200 });
  const b = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
  try {
    await a.openSession("L", 1);
    // A stalls holding the session row's lock (as a gateway stopped between UPDATE and COMMIT would).
    let stalled: Promise<unknown> | undefined;
    const held = new Promise<void>((locked) => {
      stalled = a.sql.begin(async (tx) => {
        await tx.unsafe(`update "${schema}".positions set pos = pos where session_key = 'L'`);
        locked();
        await new Promise((r) => setTimeout(r, 2000)); // idle in the transaction
        await tx`select 1`;
      }).catch((e) => e);
    });
    await held;
    const t0 = performance.now();
    await b.openSession("L", 2); // takes the row over: waits for A's lock until the server ends A's connection
    const waited = performance.now() - t0;
    assert.ok(waited < 1500, `waited ${waited} ms`);
    assert.ok((await stalled) instanceof Error, "A's stalled transaction was ended");
  } finally {
    await a.close().catch(() => {});
    await b.close().catch(() => {});
    await dropSchema(schema);
  }
});

Deno.test({
  name: "postgres store: fixg journal export reads it (commit order, both directions, masked passwords)",
  ignore,
}, async () => {
  const schema = freshSchema();
  const store = await openPostgresStore({ url: PG_URL!, schema });
  try {
    const s = await store.openSession("FIX.4.4:A->B", 1);
    await s.appendOutbound(
      1,
      new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=A\x0134=1\x01554=secret\x0110=000\x01"),
    );
    await s.appendInbound(1, msg(1, "IN"));
    await s.appendOutbound(2, msg(2, "OUT"));
    const out = await new Deno.Command(new URL("../../fixg", import.meta.url).pathname, {
      args: ["journal", "export", PG_URL!, "--schema", schema, "--format", "csv"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const rows = text.trim().split("\n").slice(1).map((l) => l.split(",").slice(1, 6));
    assert.deepEqual(rows, [
      ["FIX.4.4:A->B", "out", "0", "1", "A"],
      ["FIX.4.4:A->B", "in", "0", "1", "D"],
      ["FIX.4.4:A->B", "out", "0", "2", "D"],
    ]);
    assert.match(text, /554=\*\*\*/);
    assert.doesNotMatch(text, /secret/);
  } finally {
    await store.close();
    await dropSchema(schema);
  }
});

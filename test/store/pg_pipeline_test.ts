/**
 * Overlapping group commits of the PostgreSQL store (docs/ha.md "Overlapping group commits"): a group's
 * statement commits locally, a barrier then waits for the standby; later groups (of other sessions, and
 * the same session's next writes) start meanwhile. The barrier is held or failed here through a wrapper
 * of the pool's `unsafe`, against the real database.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { PostgresMessageStore } from "../../src/store/postgres.ts";
import { syncBarrier } from "../../src/store/postgres_commit.ts";
import type { PgSessionStore } from "../../src/store/postgres_session.ts";
import { openPostgresStore } from "../../src/store/postgres.ts";
import type { Sql } from "../../src/store/postgres_schema.ts";
import { msg } from "./contract.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

const ignore = PG_MISSING !== undefined;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** What the test does to the n-th barrier (1-based): hold it until `gate`, then fail it with `fail`. */
interface BarrierPlan {
  gate?: Promise<void>;
  fail?: unknown;
}

/**
 * A pool whose barriers (`pg_logical_emit_message`, syncBarrier) follow `plan` and whose group
 * statements follow `statements` (by the same numbering); counts barriers started and done, and group
 * statements started.
 */
function hookedPool(real: Sql, plan: Map<number, BarrierPlan>, statements = new Map<number, BarrierPlan>()) {
  const count = { started: 0, done: 0, statements: 0 };
  const sql = new Proxy(real, {
    get(t, k) {
      if (k !== "unsafe") return Reflect.get(t, k);
      // deno-lint-ignore no-explicit-any
      return (q: string, params?: any[]) => {
        if (/^with v as/.test(q.trim())) {
          const p = statements.get(++count.statements);
          if (p === undefined) return t.unsafe(q, params);
          return (async () => {
            if (p.gate !== undefined) await p.gate;
            if (p.fail !== undefined) throw p.fail;
            return await t.unsafe(q, params);
          })();
        }
        if (!/pg_logical_emit_message/.test(q)) return t.unsafe(q, params);
        const n = ++count.started;
        return (async () => {
          const p = plan.get(n);
          if (p?.gate !== undefined) await p.gate;
          if (p?.fail !== undefined) throw p.fail;
          const r = await t.unsafe(q, params);
          count.done++;
          return r;
        })();
      };
    },
  }) as Sql;
  return { sql, count };
}

/** Gates not opened by a failed test are opened at its end (so that close() does not wait forever). */
const gates: (() => void)[] = [];

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  gates.push(open);
  return { promise, open };
}

async function until(f: () => boolean | Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await f())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A store on a fresh schema whose barriers follow `plan`, plus a plain connection to look at the rows. */
async function withStore(
  plan: Map<number, BarrierPlan>,
  fn: (
    store: PostgresMessageStore,
    count: { started: number; done: number; statements: number },
    db: Sql,
    schema: string,
  ) => Promise<void>,
  o: { pipelineSessions?: boolean; statements?: Map<number, BarrierPlan> } = {},
): Promise<void> {
  const schema = freshSchema();
  const real = postgres(PG_URL!, { max: 4, onnotice: () => {}, target_session_attrs: "primary" });
  const db = postgres(PG_URL!, { max: 1, onnotice: () => {}, target_session_attrs: "primary" });
  const { sql, count } = hookedPool(real, plan, o.statements);
  const store = new PostgresMessageStore(sql, schema, {
    url: PG_URL!,
    nodeId: "A",
    retryMs: 3000,
    pipelineSessions: o.pipelineSessions ?? true,
  });
  await store.createSchema();
  try {
    await fn(store, count, db, schema);
  } finally {
    for (const open of gates.splice(0)) open();
    await store.close().catch(() => {});
    await db.end({ timeout: 1 });
    await dropSchema(schema);
  }
}

/** Outbound rows of `key`: "seq:text". */
async function rows(db: Sql, schema: string, key: string): Promise<string[]> {
  const r = await db.unsafe(
    `select seq, bytes from "${schema}".outbound where session_key = $1 order by seq`,
    [
      key,
    ],
  );
  return r.map((x) => `${Number(x.seq)}:${text(x.bytes as Uint8Array)}`);
}

async function pos(db: Sql, schema: string, key: string): Promise<number> {
  const r = await db.unsafe(`select pos from "${schema}".positions where session_key = $1 and dir = 'out'`, [
    key,
  ]);
  return Number(r[0]!.pos);
}

Deno.test({
  name:
    "postgres pipeline: a later commit replicated first is not released before the earlier one of its session; other sessions overlap",
  ignore,
}, async () => {
  const g1 = gate();
  await withStore(new Map([[1, { gate: g1.promise }]]), async (store, count, db, schema) => {
    const s = await store.openSession("S", 1) as PgSessionStore;
    const other = await store.openSession("T", 1) as PgSessionStore;
    const order: string[] = [];
    const w1 = Promise.resolve(s.appendOutbound(1, msg(1, "one"))).then(() => order.push("S1"));
    // The first group's statement landed (committed locally): its barrier is held.
    await until(() => count.started === 1, "the first barrier");
    assert.equal(s.pos.out, 1);
    // The session's next write goes in the next group, expecting the position the first one left.
    const w2 = Promise.resolve(s.appendOutbound(2, msg(2, "two"))).then(() => order.push("S2"));
    const wt = Promise.resolve(other.appendOutbound(1, msg(1, "t"))).then(() => order.push("T1"));
    await until(() => count.done >= 1 && order.includes("T1"), "the later barriers");
    await until(async () => (await rows(db, schema, "S")).length === 2, "the second statement");
    assert.deepEqual(await rows(db, schema, "S"), [`1:${text(msg(1, "one"))}`, `2:${text(msg(2, "two"))}`]);
    assert.equal(await pos(db, schema, "S"), 2);
    // The other session's commit overlapped and was released; S2 is on the standby but waits for S1.
    await until(() => count.done === 1, "the barrier of S2 and T1");
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(order, ["T1"]);
    let flushed = false;
    const f = s.flush().then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(flushed, false);
    g1.open();
    await Promise.all([w1, w2, wt, f]);
    assert.deepEqual(order, ["T1", "S1", "S2"]);
    assert.equal(count.started, 2); // S2 and T1 went in one group
    assert.equal(store.stats.commits, 2);
  });
});

Deno.test({
  name:
    "postgres pipeline: a landed commit lost with the primary is written again before the later one of its session (no gap)",
  ignore,
}, async () => {
  const g1 = gate();
  const lost = Object.assign(new Error("connection reset"), { code: "ECONNRESET" });
  await withStore(new Map([[1, { gate: g1.promise, fail: lost }]]), async (store, count, db, schema) => {
    const s = await store.openSession("S", 1) as PgSessionStore;
    const order: number[] = [];
    const w1 = Promise.resolve(s.appendOutbound(1, msg(1, "one"))).then(() => order.push(1));
    await until(() => count.started === 1, "the first barrier");
    // As if the primary died before the standby had it: the promoted one lacks the first commit.
    await db.unsafe(`delete from "${schema}".outbound where session_key = 'S'`);
    await db.unsafe(
      `update "${schema}".positions set pos = 0, next_seq = 1 where session_key = 'S' and dir = 'out'`,
    );
    const w2 = Promise.resolve(s.appendOutbound(2, msg(2, "two"))).then(() => order.push(2));
    // The second statement expects position 1: the row is behind, so it cannot land (retried).
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(await rows(db, schema, "S"), []);
    assert.equal(await pos(db, schema, "S"), 0);
    g1.open(); // the first barrier fails (connection lost): checked, written again, then the second
    await Promise.all([w1, w2]);
    assert.deepEqual(order, [1, 2]);
    assert.deepEqual(await rows(db, schema, "S"), [`1:${text(msg(1, "one"))}`, `2:${text(msg(2, "two"))}`]);
    assert.equal(await pos(db, schema, "S"), 2);
    assert.ok(store.stats.retries >= 2, `retries ${store.stats.retries}`);
  });
});

Deno.test({
  name:
    "postgres pipeline: an earlier commit that fails for good fails the later ones of its session: nothing of them stored, all reported",
  ignore,
}, async () => {
  const g1 = gate();
  const broken = Object.assign(new Error("disk full"), { code: "53100" });
  await withStore(new Map([[1, { gate: g1.promise, fail: broken }]]), async (store, count, db, schema) => {
    const s = await store.openSession("S", 1) as PgSessionStore;
    const reported: number[] = [];
    s.onNotCommitted = (ms) => reported.push(...ms.map((m) => m.seq));
    const w1 = Promise.resolve(s.appendOutbound(1, msg(1, "one")));
    await until(() => count.started === 1, "the first barrier");
    await db.unsafe(`delete from "${schema}".outbound where session_key = 'S'`);
    await db.unsafe(
      `update "${schema}".positions set pos = 0, next_seq = 1 where session_key = 'S' and dir = 'out'`,
    );
    const w2 = Promise.resolve(s.appendOutbound(2, msg(2, "two")));
    await new Promise((r) => setTimeout(r, 40));
    g1.open();
    await assert.rejects(w1, (e: Error & { code?: string }) => e.code === "STORE_FAILED");
    await assert.rejects(w2, (e: Error & { code?: string }) => e.code === "STORE_FAILED");
    await assert.rejects(s.flush(), /disk full/);
    await store.drain();
    assert.deepEqual(reported, [1, 2]);
    // The second message never landed after the missing first one.
    assert.deepEqual(await rows(db, schema, "S"), []);
    assert.equal(await pos(db, schema, "S"), 0);
    assert.equal(count.started, 1);
  });
});

Deno.test({
  name:
    "postgres pipeline: fencing with a commit waiting for the standby: the takeover is not blocked, the later write is fenced, nothing released",
  ignore,
}, async () => {
  const g1 = gate();
  await withStore(new Map([[1, { gate: g1.promise }]]), async (store, count, db, schema) => {
    const s = await store.openSession("S", 1) as PgSessionStore;
    const reported: number[] = [];
    s.onNotCommitted = (ms) => reported.push(...ms.map((m) => m.seq));
    const w1 = Promise.resolve(s.appendOutbound(1, msg(1, "A1")));
    await until(() => count.started === 1, "the first barrier");
    // Another gateway takes the session while A's first commit waits for the standby: the row is not
    // locked by it (committed locally), and the new owner's tail has it.
    const b = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
    try {
      const sb = await b.openSession("S", 2);
      assert.deepEqual(sb.seqNums(), { nextSenderSeq: 2, nextTargetSeq: 1 });
      const w2 = Promise.resolve(s.appendOutbound(2, msg(2, "A2")));
      await assert.rejects(w2, (e: Error & { code?: string }) => e.code === "STORE_FENCED");
      // The landed one is not released by the deposed owner either (the new owner resends it); only the
      // fenced one is reported as never committed.
      await assert.rejects(w1, (e: Error & { code?: string }) => e.code === "STORE_FENCED");
      assert.deepEqual(reported, [2]);
      assert.equal(store.stats.fenced, 1);
      g1.open();
      await store.drain();
      assert.deepEqual(reported, [2]);
      await sb.appendOutbound(2, msg(2, "B2"));
      assert.deepEqual(
        (await sb.getOutbound(1, 0)).map((m) => text(m.bytes)),
        [msg(1, "A1"), msg(2, "B2")].map(text),
      );
      assert.equal(await pos(db, schema, "S"), 2);
    } finally {
      await b.close();
    }
  });
});

Deno.test({
  name:
    "postgres pipeline (default): a group in flight does not hold up other sessions' groups; its session's next write waits for it",
  ignore,
}, async () => {
  const g1 = gate();
  await withStore(new Map(), async (store, count, db, schema) => {
    const s = await store.openSession("S", 1) as PgSessionStore;
    const t = await store.openSession("T", 1) as PgSessionStore;
    const order: string[] = [];
    const s1 = Promise.resolve(s.appendOutbound(1, msg(1, "s"))).then(() => order.push("S1"));
    await until(() => count.statements === 1, "S's statement");
    // S's group is in flight (held): T's group starts beside it and is released first.
    void Promise.resolve(t.appendOutbound(1, msg(1, "t"))).then(() => order.push("T1"));
    await until(() => order.includes("T1"), "T's commit beside S's");
    assert.deepEqual(order, ["T1"]);
    assert.equal(count.statements, 2);
    // S's next write waits for S's group in flight (one statement per session at a time).
    const s2 = Promise.resolve(s.appendOutbound(2, msg(2, "s"))).then(() => order.push("S2"));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(count.statements, 2);
    assert.deepEqual(await rows(db, schema, "S"), []);
    g1.open();
    await Promise.all([s1, s2]);
    assert.deepEqual(order, ["T1", "S1", "S2"]);
    assert.equal(count.statements, 3);
    assert.equal(count.started, 0); // synchronous commits: no barrier
    assert.deepEqual(await rows(db, schema, "S"), [`1:${text(msg(1, "s"))}`, `2:${text(msg(2, "s"))}`]);
    assert.equal(await pos(db, schema, "S"), 2);
  }, { pipelineSessions: false, statements: new Map([[1, { gate: g1.promise }]]) });
});

Deno.test({
  name:
    "postgres pipeline: the barrier returns only once the synchronous standby has flushed every commit made before it",
  ignore,
}, async () => {
  const sql = postgres(PG_URL!, { max: 2, onnotice: () => {}, target_session_attrs: "primary" });
  const schema = freshSchema();
  try {
    const sync = await sql.unsafe(`select 1 from pg_stat_replication where sync_state = 'sync'`);
    if (sync.length === 0) {
      console.warn("no synchronous standby streaming: nothing to check");
      return;
    }
    await sql.unsafe(`create schema "${schema}"`);
    await sql.unsafe(`create table "${schema}".w (n int8, b text)`);
    let behindStandby = 0;
    for (let i = 0; i < 40; i++) {
      // A commit that does not wait for any flush, as a group statement's.
      await sql.unsafe(
        `with x as (insert into "${schema}".w values ($1, repeat('x', 2000)))
         select set_config('synchronous_commit', 'off', true)`,
        [i],
      );
      const lsn = String((await sql.unsafe(`select pg_current_wal_insert_lsn()::text as lsn`))[0]!.lsn);
      await syncBarrier(sql);
      const r = await sql.unsafe(
        `select coalesce(bool_and(flush_lsn >= $1::pg_lsn), false) as ok from pg_stat_replication
         where sync_state = 'sync'`,
        [lsn],
      );
      if (r[0]!.ok !== true) behindStandby++;
    }
    assert.equal(
      behindStandby,
      0,
      `${behindStandby} of 40 barriers returned before the standby had the commit`,
    );
  } finally {
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await sql.end({ timeout: 1 });
  }
});

Deno.test({
  name:
    "postgres pipeline: fenced while a landed commit waits for the standby and that commit was lost with the primary: it is reported, not dropped silently",
  ignore,
}, async () => {
  const g1 = gate();
  await withStore(new Map([[1, { gate: g1.promise }]]), async (store, count, db, schema) => {
    const s = await store.openSession("S", 1) as PgSessionStore;
    const reported: number[] = [];
    s.onNotCommitted = (ms) => reported.push(...ms.map((m) => m.seq));
    const w1 = Promise.resolve(s.appendOutbound(1, msg(1, "A1")));
    await until(() => count.started === 1, "the first barrier");
    // The primary fails before the standby had it, and the promoted standby does not have it either.
    await db.unsafe(`delete from "${schema}".outbound where session_key = 'S'`);
    await db.unsafe(
      `update "${schema}".positions set pos = 0, next_seq = 1 where session_key = 'S' and dir = 'out'`,
    );
    const b = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
    try {
      const sb = await b.openSession("S", 2);
      assert.deepEqual(sb.seqNums(), { nextSenderSeq: 1, nextTargetSeq: 1 });
      // A's next commit (its inbound chain) is fenced: message 1 is nowhere, so it is reported.
      const w2 = Promise.resolve(s.appendInbound(1, msg(1, "in")));
      const fenced = (e: Error & { code?: string }) => e.code === "STORE_FENCED";
      await assert.rejects(w2, fenced);
      await assert.rejects(w1, fenced);
      assert.deepEqual(reported, [1]);
      g1.open();
      await store.drain();
      assert.deepEqual(reported, [1]);
      assert.deepEqual(await rows(db, schema, "S"), []);
    } finally {
      await b.close();
    }
  });
});

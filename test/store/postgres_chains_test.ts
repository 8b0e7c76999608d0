/**
 * A session's two commit chains in the PostgreSQL store (issue 18, schema 4, docs/ha.md "What an order
 * waits for"): the inbound direction commits on a position row of its own, beside the session's
 * outbound commit in flight, and each chain is fenced by the epoch in its own row.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { ManualScheduler } from "../../src/clock.ts";
import { openPostgresStore, PostgresMessageStore } from "../../src/store/postgres.ts";
import type { PgSessionStore } from "../../src/store/postgres_session.ts";
import type { Sql } from "../../src/store/postgres_schema.ts";
import type { SessionStore } from "../../src/store/types.ts";
import { msg } from "./contract.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

const ignore = PG_MISSING !== undefined;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Gateways A and B on one schema, plus plain connections (`db`: one holds a lock, one reads). */
async function withStores(
  fn: (a: PostgresMessageStore, b: PostgresMessageStore, db: Sql, schema: string) => Promise<void>,
): Promise<void> {
  const schema = freshSchema();
  const a = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A" });
  const b = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
  const db = postgres(PG_URL!, { max: 2, onnotice: () => {}, target_session_attrs: "primary" });
  try {
    await fn(a, b, db, schema);
  } finally {
    await a.close().catch(() => {});
    await b.close().catch(() => {});
    await db.end({ timeout: 1 });
    await dropSchema(schema);
  }
}

/** A transaction of `db` that holds what `lock` locks until `release()`. */
function hold(
  db: Sql,
  lock: (tx: Sql) => Promise<unknown>,
): { held: Promise<void>; release: () => void; done: Promise<unknown> } {
  let release!: () => void, locked!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const held = new Promise<void>((r) => (locked = r));
  const done = db.begin(async (tx) => {
    await lock(tx as unknown as Sql);
    locked();
    await gate;
  });
  return { held, release, done };
}

/** Settled within `ms`: "ok", "rejected: <code>", or "pending". */
async function within(p: Promise<unknown>, ms: number): Promise<string> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const r = await Promise.race([
    p.then(() => "ok", (e: { code?: string }) => `rejected: ${e.code}`),
    new Promise<string>((res) => (t = setTimeout(() => res("pending"), ms))),
  ]);
  clearTimeout(t);
  return r;
}

async function stored(db: Sql, schema: string, table: string, key: string): Promise<string[]> {
  const r = await db.unsafe(
    `select seq, bytes from "${schema}"."${table}" where session_key = $1 order by gen, seq`,
    [key],
  );
  return r.map((x) => `${Number(x.seq)}:${text(x.bytes as Uint8Array)}`);
}

/**
 * Locks the row(s) the session's outbound commit updates: its outbound position row (schema 4), or —
 * before it — the session's one row (which carried both directions: the inbound commit then waits too).
 */
async function lockOutbound(tx: Sql, schema: string, key: string): Promise<void> {
  const v4 = await tx.unsafe(`select to_regclass($1) is not null as x`, [`"${schema}".positions`]);
  if (v4[0]!.x === true) {
    await tx.unsafe(`update "${schema}".positions set pos = pos where session_key = $1 and dir = 'out'`, [
      key,
    ]);
  } else {
    await tx.unsafe(`update "${schema}".sessions set pos = pos where session_key = $1`, [key]);
  }
}

Deno.test({
  name:
    "postgres chains: an inbound commit lands while the session's outbound commit waits for its row (held by another connection)",
  ignore,
}, async () => {
  await withStores(async (a, b, db, schema) => {
    const s: SessionStore = await a.openSession("S", 1);
    await s.appendOutbound(1, msg(1, "out"));
    await s.appendInbound(1, msg(1, "in"));
    const h = hold(db, (tx) => lockOutbound(tx, schema, "S"));
    await h.held;
    // The outbound commit's statement is sent and waits for the row lock.
    const out2 = Promise.resolve(s.appendOutbound(2, msg(2, "out")));
    await new Promise((r) => setTimeout(r, 50));
    // The inbound commit of the same session does not queue behind it: it lands on its own row.
    const in2 = Promise.resolve(s.appendInbound(2, msg(2, "in")));
    let landed: string;
    try {
      assert.equal(await within(out2, 0), "pending");
      landed = await within(in2, 2000);
    } finally {
      if (await within(in2, 0) === "pending") h.release(); // before: it waited (the store closes then)
    }
    assert.equal(landed, "ok", "the inbound commit waited for the outbound one");
    assert.equal(await within(out2, 0), "pending");
    assert.deepEqual(await stored(db, schema, "inbound", "S"), [
      `1:${text(msg(1, "in"))}`,
      `2:${text(msg(2, "in"))}`,
    ]);
    assert.deepEqual(await stored(db, schema, "outbound", "S"), [`1:${text(msg(1, "out"))}`]);
    h.release();
    await h.done;
    await out2;
    await s.flush();
    assert.deepEqual(await stored(db, schema, "outbound", "S"), [
      `1:${text(msg(1, "out"))}`,
      `2:${text(msg(2, "out"))}`,
    ]);
    // Both chains' numbers are the committed tail for the next owner.
    const t = await b.openSession("S", 2);
    assert.deepEqual(t.seqNums(), { nextSenderSeq: 3, nextTargetSeq: 3 });
    assert.deepEqual((await t.getOutbound(1, 0)).map((m) => m.seq), [1, 2]);
    assert.equal(a.stats.retries, 0);
  });
});

Deno.test({
  name:
    "postgres chains: a deposed owner's inbound-only commit and outbound-only commit after a takeover are fenced: no row written, STORE_FENCED",
  ignore,
}, async () => {
  await withStores(async (a, b, db, schema) => {
    const si = await a.openSession("I", 1);
    const so = await a.openSession("O", 1);
    for (const s of [si, so]) {
      await s.appendOutbound(1, msg(1, "A"));
      await s.appendInbound(1, msg(1, "A"));
    }
    const ti = await b.openSession("I", 2);
    const to = await b.openSession("O", 2);
    const rowsBefore = await db.unsafe(
      `select session_key, dir, epoch, pos, next_seq from "${schema}".positions order by 1, 2`,
    );
    const fenced = (e: Error & { code?: string }) => e.code === "STORE_FENCED" && /fenced/.test(e.message);
    await assert.rejects(Promise.resolve(si.appendInbound(2, msg(2, "A-late"))), fenced);
    await assert.rejects(Promise.resolve(so.appendOutbound(2, msg(2, "A-late"))), fenced);
    assert.equal(a.stats.fenced, 2);
    // Nothing of either commit: the position rows are as B's takeover left them, no message rows.
    assert.deepEqual(
      await db.unsafe(
        `select session_key, dir, epoch, pos, next_seq from "${schema}".positions order by 1, 2`,
      ),
      rowsBefore,
    );
    assert.deepEqual(rowsBefore.map((r) => [r.session_key, r.dir, Number(r.epoch), Number(r.next_seq)]), [
      ["I", "in", 2, 2],
      ["I", "out", 2, 2],
      ["O", "in", 2, 2],
      ["O", "out", 2, 2],
    ]);
    for (const k of ["I", "O"]) {
      assert.deepEqual(await stored(db, schema, "inbound", k), [`1:${text(msg(1, "A"))}`]);
      assert.deepEqual(await stored(db, schema, "outbound", k), [`1:${text(msg(1, "A"))}`]);
    }
    // The new owner continues both chains.
    await ti.appendInbound(2, msg(2, "B"));
    await to.appendOutbound(2, msg(2, "B"));
    assert.deepEqual(await stored(db, schema, "inbound", "I"), [
      `1:${text(msg(1, "A"))}`,
      `2:${text(msg(2, "B"))}`,
    ]);
    assert.deepEqual(await stored(db, schema, "outbound", "O"), [
      `1:${text(msg(1, "A"))}`,
      `2:${text(msg(2, "B"))}`,
    ]);
  });
});

Deno.test({
  name:
    "postgres chains: commits of both chains waiting for their rows behind a takeover re-check the epoch after the wait and are fenced",
  ignore,
}, async () => {
  await withStores(async (a, _b, db, schema) => {
    const s = await a.openSession("S", 1);
    await s.appendOutbound(1, msg(1, "A"));
    await s.appendInbound(1, msg(1, "A"));
    // A takeover in progress (as the cluster's lease acquisition: the epoch of the sessions row; the
    // trigger writes it into both position rows and holds them until its commit).
    const h = hold(
      db,
      (tx) =>
        tx.unsafe(`update "${schema}".sessions set epoch = epoch + 1, owner = 'B' where session_key = 'S'`),
    );
    await h.held;
    const w = [
      Promise.resolve(s.appendOutbound(2, msg(2, "A"))),
      Promise.resolve(s.appendInbound(2, msg(2, "A"))),
    ];
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await Promise.all(w.map((p) => within(p, 0))), ["pending", "pending"]);
    h.release();
    await h.done;
    assert.deepEqual(await Promise.all(w.map((p) => within(p, 3000))), [
      "rejected: STORE_FENCED",
      "rejected: STORE_FENCED",
    ]);
    assert.deepEqual(await stored(db, schema, "inbound", "S"), [`1:${text(msg(1, "A"))}`]);
    assert.deepEqual(await stored(db, schema, "outbound", "S"), [`1:${text(msg(1, "A"))}`]);
    const r = await db.unsafe(
      `select dir, epoch, pos from "${schema}".positions where session_key = 'S' order by dir`,
    );
    assert.deepEqual(r.map((x) => [x.dir, Number(x.epoch), Number(x.pos)]), [["in", 2, 1], ["out", 2, 1]]);
  });
});

Deno.test({
  name:
    "postgres chains: a reset waits for both chains, writes both rows in one commit (same generation and creation time), and the chains continue",
  ignore,
}, async () => {
  await withStores(async (a, b, db, schema) => {
    const s = await a.openSession("R", 1);
    await s.appendOutbound(1, msg(1, "g0"));
    await s.appendInbound(1, msg(1, "g0"));
    // Queued in one synchronous run: out 2, in 2, the reset, then the new generation's first messages.
    const w = [
      s.appendOutbound(2, msg(2, "g0")),
      s.appendInbound(2, msg(2, "g0")),
      s.reset(5000),
      s.appendOutbound(1, msg(1, "g1")),
      s.appendInbound(1, msg(1, "g1")),
    ];
    await Promise.all(w);
    const r = await db.unsafe(
      `select dir, pos, next_seq, gen, creation_ms from "${schema}".positions where session_key = 'R' order by dir`,
    );
    assert.deepEqual(
      r.map((x) => [x.dir, Number(x.pos), Number(x.next_seq), Number(x.gen), Number(x.creation_ms)]),
      [
        ["in", 2, 2, 1, 5000],
        ["out", 2, 2, 1, 5000],
      ],
    );
    await s.appendInbound(2, msg(2, "g1"));
    const t = await b.openSession("R", 2);
    assert.deepEqual(t.seqNums(), { nextSenderSeq: 2, nextTargetSeq: 3 });
    assert.equal(t.creationTimeMs(), 5000);
    assert.deepEqual((await t.getOutbound(1, 0)).map((m) => text(m.bytes)), [text(msg(1, "g1"))]);
    assert.deepEqual(await stored(db, schema, "outbound", "R"), [
      `1:${text(msg(1, "g0"))}`,
      `2:${text(msg(2, "g0"))}`,
      `1:${text(msg(1, "g1"))}`,
    ]);
  });
});

/**
 * Session S of gateway A with its outbound commit of message 2 in flight, outcome unknown: its
 * statement committed (`landed`) or not, then its connection was "lost" before the answer (retried
 * after a backoff on the manual clock, so still in flight). Then A's next inbound commit is fenced (B
 * took S over first) or fails for good (B takes S over after it). Returns what A reported as never
 * committed when the inbound commit was rejected (`early`) and after the lost statement's retry
 * (`reported`), and the outbound messages of B's tail.
 */
async function lostOutboundBeside(
  landed: boolean,
  inbound: "fenced" | "fails",
): Promise<{ early: number[]; reported: number[]; tail: string[] }> {
  const schema = freshSchema();
  const real = postgres(PG_URL!, { max: 4, onnotice: () => {}, target_session_attrs: "primary" });
  let lose = false, lost = 0, failIn = false;
  const sql = new Proxy(real, {
    get(t, k) {
      if (k !== "unsafe") return Reflect.get(t, k);
      // deno-lint-ignore no-explicit-any
      return (...args: any[]) => {
        const group = /^with v as/.test(String(args[0]).trim());
        if (group && failIn && args[1][11].length > 0) {
          failIn = false;
          return Promise.reject(Object.assign(new Error("disk full (test)"), { code: "53100" }));
        }
        if (!lose || !group || args[1][7].length === 0) {
          return t.unsafe(...(args as Parameters<Sql["unsafe"]>));
        }
        lose = false;
        return (async () => {
          if (landed) await t.unsafe(...(args as Parameters<Sql["unsafe"]>));
          lost++;
          throw Object.assign(new Error("connection lost (test)"), { code: "CONNECTION_CLOSED" });
        })();
      };
    },
  }) as Sql;
  const clock = new ManualScheduler();
  const a = new PostgresMessageStore(sql, schema, { url: PG_URL!, nodeId: "A", scheduler: clock });
  await a.createSchema();
  const b = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
  try {
    const s = await a.openSession("S", 1) as PgSessionStore;
    const reported: number[] = [];
    s.onNotCommitted = (ms) => reported.push(...ms.map((m) => m.seq));
    await s.appendOutbound(1, msg(1, "A1"));
    await s.appendInbound(1, msg(1, "in1"));
    lose = true;
    const w2 = Promise.resolve(s.appendOutbound(2, msg(2, "A2")));
    const end = performance.now() + 3000;
    while (lost === 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 2));
    assert.equal(lost, 1);
    assert.equal(await within(w2, 0), "pending");
    if (inbound === "fenced") await b.openSession("S", 2);
    failIn = inbound === "fails";
    // A's next inbound commit is fenced or fails; the outbound one still in flight is stopped with it.
    const w3 = Promise.resolve(s.appendInbound(2, msg(2, "in2")));
    const code = inbound === "fenced" ? "STORE_FENCED" : "STORE_FAILED";
    const stopped = (e: Error & { code?: string }) => e.code === code;
    await assert.rejects(w3, stopped);
    await assert.rejects(w2, stopped);
    await assert.rejects(s.flush(), stopped);
    assert.equal(a.stats.fenced, inbound === "fenced" ? 1 : 0);
    const early = [...reported];
    const t = inbound === "fenced" ? b.openedSession("S")! : await b.openSession("S", 2);
    assert.deepEqual(t.seqNums(), { nextSenderSeq: landed ? 3 : 2, nextTargetSeq: 2 });
    clock.advance(1000); // the retry of the lost statement (fenced when it had not landed)
    await a.drain();
    assert.deepEqual(await stored(b.sql, schema, "inbound", "S"), [`1:${text(msg(1, "in1"))}`]);
    const tail = (await t.getOutbound(1, 0)).map((m) => text(m.bytes));
    return { early, reported, tail };
  } finally {
    clock.advance(60_000);
    await a.close().catch(() => {});
    await b.close().catch(() => {});
    await dropSchema(schema);
  }
}

Deno.test({
  name:
    "postgres chains: a fence found by the inbound chain does not report the outbound commit in flight as never committed when it had landed (the new owner resends it)",
  ignore,
}, async () => {
  const r = await lostOutboundBeside(true, "fenced");
  assert.deepEqual(r.tail, [msg(1, "A1"), msg(2, "A2")].map(text));
  assert.deepEqual([r.early, r.reported], [[], []]);
});

Deno.test({
  name:
    "postgres chains: a fence found by the inbound chain reports the outbound commit in flight that had not landed (never sent by anyone)",
  ignore,
}, async () => {
  const r = await lostOutboundBeside(false, "fenced");
  assert.deepEqual(r.tail, [msg(1, "A1")].map(text));
  assert.deepEqual([r.early, r.reported], [[2], [2]]);
});

Deno.test({
  name:
    "postgres chains: an inbound commit failing for good does not report the outbound commit in flight before its outcome: landed, never reported (the next owner resends it)",
  ignore,
}, async () => {
  const r = await lostOutboundBeside(true, "fails");
  assert.deepEqual(r.tail, [msg(1, "A1"), msg(2, "A2")].map(text));
  assert.deepEqual([r.early, r.reported], [[], []]);
});

Deno.test({
  name:
    "postgres chains: an inbound commit failing for good: the outbound commit in flight that had not landed is reported once its retry is fenced",
  ignore,
}, async () => {
  const r = await lostOutboundBeside(false, "fails");
  assert.deepEqual(r.tail, [msg(1, "A1")].map(text));
  assert.deepEqual([r.early, r.reported], [[], [2]]);
});

Deno.test({
  name:
    "postgres chains: a takeover chosen as a deadlock's victim (its trigger holding one position row, a commit the other) is run again, not failed",
  ignore,
}, async () => {
  await withStores(async (a, b, db, schema) => {
    await a.openSession("D", 1); // rows as the trigger made them: 'in' before 'out'
    // A transaction of the earlier owner holds the session's outbound row (a group statement's lock)...
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inLocked!: Promise<unknown>;
    const locks = (stmt: string) => `select 1 from "${schema}".positions where session_key = 'D' and ${stmt}`;
    const holdingOut = new Promise<void>((heldOut) => {
      const done = db.begin(async (tx) => {
        await tx.unsafe(locks(`dir = 'out' for update`));
        heldOut();
        await gate;
        // ... and then wants the inbound row, which the takeover's trigger locked meanwhile: a cycle.
        inLocked = tx.unsafe(locks(`dir = 'in' for update`));
        await inLocked;
      });
      done.catch(() => {});
    });
    await holdingOut;
    // The takeover: its trigger updates 'in', then waits for 'out'.
    const taken = b.openSession("D", 2);
    taken.catch(() => {});
    const end = performance.now() + 3000;
    for (;;) {
      const w = await db.unsafe(
        `select count(*)::int as n from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
        [b.appName],
      );
      if (w[0]!.n === 1) break;
      assert.ok(performance.now() < end, "the takeover never waited for the outbound row");
      await new Promise((r) => setTimeout(r, 5));
    }
    release();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await within(inLocked, 0), "pending", "the inbound row was not held by the takeover");
    // PostgreSQL ends one of them (deadlock_timeout); the takeover, ended first, is run again.
    const t = await taken;
    assert.deepEqual(t.seqNums(), { nextSenderSeq: 1, nextTargetSeq: 1 });
    const r = await db.unsafe(
      `select dir, epoch from "${schema}".positions where session_key = 'D' order by dir`,
    );
    assert.deepEqual(r.map((x) => [x.dir, Number(x.epoch)]), [["in", 2], ["out", 2]]);
    const fencedA = (e: Error & { code?: string }) => e.code === "STORE_FENCED";
    const sa = a.openedSession("D")!;
    await assert.rejects(Promise.resolve(sa.appendOutbound(1, msg(1, "A"))), fencedA);
  });
});

/**
 * A commit whose outcome stays unknown past `retryMs` (its connection lost, the database out of reach
 * for longer: a failover that takes Patroni 30 s) must not be reported as never committed while it may
 * have landed (docs/ha.md "Orders are never lost silently"): the application, told "not sent", would
 * send the order again, and the next owner resends the first one from `outbound` (PossDupFlag=Y): two
 * orders at the counterparty. The session stops at `retryMs` (nothing more of it reaches the wire), the
 * commit is still retried, and it is reported by its outcome: landed, never; fenced (another owner took
 * the session) and not in the database, once. A pool that loses its connections on command stands for
 * the unreachable database; the real one answers again when it is "back".
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { PostgresMessageStore } from "../../src/store/postgres.ts";
import type { PgSessionStore } from "../../src/store/postgres_session.ts";
import type { Sql } from "../../src/store/postgres_schema.ts";
import { waitFor } from "../_helpers/wait.ts";
import { msg } from "./contract.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

const lost = () => Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" });

/**
 * A pool whose statements fail with a lost connection while `down`; `landThenLose`: the next group
 * statement runs (it lands), then its answer is lost and the database goes down.
 */
function flakyPool(real: Sql) {
  const state = { down: false, landThenLose: false, attempts: 0 };
  const sql = new Proxy(real, {
    get(t, k) {
      if (k !== "unsafe") return Reflect.get(t, k);
      // deno-lint-ignore no-explicit-any
      return async (q: string, params?: any[], o?: any) => {
        if (state.down) {
          state.attempts++;
          throw lost();
        }
        if (state.landThenLose && /^with v as/.test(q.trim())) {
          state.landThenLose = false;
          await t.unsafe(q, params, o);
          state.down = true;
          throw lost();
        }
        return await t.unsafe(q, params, o);
      };
    },
  }) as Sql;
  return { sql, state };
}

async function withStore(
  fn: (store: PostgresMessageStore, s: PgSessionStore, db: Sql, schema: string, state: {
    down: boolean;
    landThenLose: boolean;
    attempts: number;
  }, reports: number[][]) => Promise<void>,
): Promise<void> {
  const schema = freshSchema();
  const real = postgres(PG_URL!, { max: 4, onnotice: () => {}, target_session_attrs: "primary" });
  const db = postgres(PG_URL!, { max: 1, onnotice: () => {}, target_session_attrs: "primary" });
  const { sql, state } = flakyPool(real);
  const store = new PostgresMessageStore(sql, schema, { url: PG_URL!, nodeId: "A", retryMs: 300 });
  await store.createSchema();
  try {
    const s = await store.openSession("S", 1) as PgSessionStore;
    const reports: number[][] = [];
    s.onNotCommitted = (ms) => reports.push(ms.map((m) => m.seq));
    await s.appendOutbound(1, msg(1));
    await s.flush();
    await fn(store, s, db, schema, state, reports);
  } finally {
    state.down = false;
    await store.close().catch(() => {});
    await db.end({ timeout: 1 });
    await dropSchema(schema);
  }
}

const seqs = async (db: Sql, schema: string) =>
  (await db.unsafe(`select seq from "${schema}".outbound where session_key = 'S' order by seq`)).map((r) =>
    Number(r.seq)
  );

Deno.test({
  name:
    "postgres store: a commit that landed but whose answer was lost, the database out of reach past retryMs: the session stops, the message is not reported not sent",
  ignore: PG_MISSING !== undefined,
}, async () => {
  await withStore(async (store, s, db, schema, state, reports) => {
    state.landThenLose = true;
    await assert.rejects(s.appendOutbound(2, msg(2)), /STORE_FAILED|outcome unknown|CONNECTION_CLOSED/);
    // The session stopped after retryMs: nothing more of it is sent...
    assert.ok(s.error !== undefined);
    await assert.rejects(s.flush());
    // ...and message 2, which is in the database, is not reported as never committed.
    assert.deepEqual(reports, [], "a committed message reported not sent");
    assert.deepEqual(await seqs(db, schema), [1, 2]);
    // The database answers again: the retry finds it landed. Still not reported.
    const before = state.attempts;
    await waitFor(() => state.attempts > before, "a retry after the give-up", 10_000, 10);
    state.down = false;
    await store.drain();
    assert.deepEqual(reports, []);
    assert.deepEqual(await seqs(db, schema), [1, 2]);
  });
});

Deno.test({
  name:
    "postgres store: a commit lost with its connection, another owner takes the session before the database answers again: reported not sent once, after that",
  ignore: PG_MISSING !== undefined,
}, async () => {
  await withStore(async (store, s, db, schema, state, reports) => {
    state.down = true;
    await assert.rejects(s.appendOutbound(2, msg(2)));
    // Unknown yet: nothing reported at the give-up.
    assert.deepEqual(reports, []);
    // Another gateway takes the session over (epoch + 1), then this store reaches the database again.
    await db.unsafe(`update "${schema}".sessions set epoch = epoch + 1 where session_key = 'S'`);
    state.down = false;
    await store.drain();
    assert.deepEqual(reports, [[2]]);
    assert.deepEqual(await seqs(db, schema), [1]);
  });
});

Deno.test({
  name:
    "postgres store: a stopped session's commit that did not land is not written when the database answers again: its session is fenced, the message reported not sent",
  ignore: PG_MISSING !== undefined,
}, async () => {
  await withStore(async (store, s, db, schema, state, reports) => {
    state.down = true;
    await assert.rejects(s.appendOutbound(2, msg(2)));
    assert.deepEqual(reports, []);
    state.down = false;
    await store.drain();
    // Not written after the session stopped (the next owner would resend an order its application may
    // send again); the session's epoch moved on, so the first attempt can never land either.
    assert.deepEqual(await seqs(db, schema), [1]);
    assert.deepEqual(reports, [[2]]);
    const [row] = await db.unsafe(`select epoch from "${schema}".sessions where session_key = 'S'`);
    assert.equal(Number(row!.epoch), s.epoch + 1);
  });
});

Deno.test({
  name:
    "postgres store: an inbound commit of a stopped session is never written later (its messages were not delivered: the next owner must ask for them again)",
  ignore: PG_MISSING !== undefined,
}, async () => {
  await withStore(async (store, s, db, schema, state) => {
    await s.appendInbound(1, msg(1, "IN"));
    state.down = true;
    await assert.rejects(s.appendInbound(2, msg(2, "IN")));
    state.down = false;
    await store.drain();
    const rows = await db.unsafe(`select seq from "${schema}".inbound where session_key = 'S' order by seq`);
    assert.deepEqual(rows.map((r) => Number(r.seq)), [1]);
    const [pos] = await db.unsafe(
      `select next_seq from "${schema}".positions where session_key = 'S' and dir = 'in'`,
    );
    assert.equal(Number(pos!.next_seq), 2, "the expected number moved past a message never delivered");
  });
});

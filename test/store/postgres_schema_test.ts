/**
 * createSchema on a schema that is already complete takes no table lock: a gateway starting beside an
 * active one (whose commits hold ROW EXCLUSIVE locks on the tables) is not queued behind them and does
 * not queue them behind itself. Before: `alter table ... add column if not exists` took ACCESS EXCLUSIVE
 * on every start, so a standby's start waited for (and then blocked) the active gateway's commits — the
 * CI failure "timed out waiting for B started" in test/ha/failover_test.ts.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createSchema } from "../../src/store/postgres_schema.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

Deno.test({
  name: "postgres schema: a second createSchema beside an open writing transaction does not wait for it",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const a = postgres(PG_URL!, { max: 1, onnotice: () => {} });
  const b = postgres(PG_URL!, { max: 1, onnotice: () => {} });
  let release!: () => void;
  const released = new Promise<void>((r) => release = r);
  let holding!: () => void;
  const held = new Promise<void>((r) => holding = r);
  try {
    await createSchema(a, schema);
    // The active gateway: a commit in flight holding ROW EXCLUSIVE on sessions and outbound.
    const tx = a.begin(async (t) => {
      await t.unsafe(
        `insert into "${schema}".sessions (session_key, creation_ms) values ('K', 0)`,
      );
      await t.unsafe(
        `insert into "${schema}".outbound (session_key, gen, seq, bytes) values ('K', 0, 1, '\\x00')`,
      );
      holding();
      await released;
    });
    await held;
    // The standby starting: bounded by lock_timeout so a regression fails instead of hanging.
    await b.unsafe(`set lock_timeout = 2000`);
    let error: unknown;
    try {
      await createSchema(b, schema);
    } catch (e) {
      error = e;
    }
    release();
    await tx;
    assert.equal(error, undefined, `createSchema waited for a table lock: ${String(error)}`);
    const rows = await b.unsafe(`select count(*)::int as n from "${schema}".outbound`);
    assert.equal(rows[0]?.n, 1);
  } finally {
    release?.();
    await a.end();
    await b.end();
    await dropSchema(schema);
  }
});

Deno.test({
  name: "postgres schema: createSchema on a schema from before the version marker completes it",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const sql = postgres(PG_URL!, { max: 1, onnotice: () => {} });
  try {
    // An older fixg's tables: no req_id column, no pin column, no moves table.
    await sql.unsafe(`create schema "${schema}"`);
    await sql.unsafe(
      `create table "${schema}".sessions (session_key text primary key, epoch bigint not null default 0,
      owner text, lease_until timestamptz, lease_renewed timestamptz, next_sender_seq bigint not null default 1,
      next_target_seq bigint not null default 1, creation_ms bigint not null, gen bigint not null default 0,
      pos bigint not null default 0)`,
    );
    await sql.unsafe(`create table "${schema}".outbound (session_key text not null, gen bigint not null,
      seq bigint not null, bytes bytea not null, at timestamptz not null default now(),
      primary key (session_key, gen, seq))`);
    await createSchema(sql, schema);
    const cols = await sql.unsafe(
      `select table_name, column_name from information_schema.columns where table_schema = $1
        and column_name in ('req_id', 'pin') order by 1`,
      [schema],
    );
    assert.deepEqual(cols.map((r) => `${r.table_name}.${r.column_name}`), [
      "outbound.req_id",
      "sessions.pin",
    ]);
    const moves = await sql.unsafe(`select count(*)::int as n from "${schema}".moves`);
    assert.equal(moves[0]?.n, 0);
    // And a second call is a no-op that still succeeds.
    await createSchema(sql, schema);
  } finally {
    await sql.end();
    await dropSchema(schema);
  }
});

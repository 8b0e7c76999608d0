/**
 * createSchema on a schema that is already complete takes no table lock: a gateway starting beside an
 * active one (whose commits hold ROW EXCLUSIVE locks on the tables) is not queued behind them and does
 * not queue them behind itself. Before: `alter table ... add column if not exists` took ACCESS EXCLUSIVE
 * on every start, so a standby's start waited for (and then blocked) the active gateway's commits — the
 * CI failure "timed out waiting for B started" in test/ha/failover_test.ts.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openPostgresStore } from "../../src/store/postgres.ts";
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

/**
 * Schema 3's tables as fixg before issue 18 created them, with session `M` of generation 1 owned by `old` at
 * epoch 3: next sender 5, next target 7, write position 9.
 */
async function createSchema3(sql: postgres.Sql, schema: string): Promise<void> {
  await sql.unsafe(`create schema "${schema}"`);
  await sql.unsafe(
    `create table "${schema}".sessions (session_key text primary key, epoch bigint not null default 0,
    owner text, lease_until timestamptz, lease_renewed timestamptz, next_sender_seq bigint not null default 1,
    next_target_seq bigint not null default 1, creation_ms bigint not null, gen bigint not null default 0,
    pos bigint not null default 0, pin text)`,
  );
  for (const t of ["outbound", "inbound"]) {
    await sql.unsafe(`create table "${schema}".${t} (session_key text not null, gen bigint not null,
      seq bigint not null, bytes bytea not null, at timestamptz not null default now(),
      primary key (session_key, gen, seq))`);
  }
  await sql.unsafe(`alter table "${schema}".outbound add column req_id text`);
  await sql.unsafe(`comment on schema "${schema}" is 'fixg schema 3'`);
  await sql.unsafe(
    `insert into "${schema}".sessions (session_key, epoch, owner, next_sender_seq, next_target_seq,
      creation_ms, gen, pos) values ('M', 3, 'old', 5, 7, 1234, 1, 9)`,
  );
}

Deno.test({
  name:
    "postgres schema: a schema-3 database with a session mid-sequence opens under the current schema with the same numbers and continues (migration idempotent)",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const sql = postgres(PG_URL!, { max: 1, onnotice: () => {}, target_session_attrs: "primary" });
  const bytes = (s: string) => new TextEncoder().encode(s);
  try {
    // Schema 3's tables (as fixg before issue 18 created them), with a session of generation 1 that has
    // sent 4 and received 6 messages, owned by a gateway at epoch 3.
    await createSchema3(sql, schema);
    await sql.unsafe(
      `insert into "${schema}".outbound (session_key, gen, seq, bytes, req_id)
       select 'M', g, s, convert_to('out ' || g || ':' || s, 'UTF8'), case when g = 1 and s = 3 then 'r3' end
       from (values (0), (1)) as x(g), generate_series(1, 4) as s where g = 1 or s <= 2`,
    );
    await sql.unsafe(
      `insert into "${schema}".inbound (session_key, gen, seq, bytes)
       select 'M', 1, s, convert_to('in ' || s, 'UTF8') from generate_series(1, 6) as s`,
    );
    const a = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A" });
    try {
      const s = await a.openSession("M", 9999);
      assert.deepEqual(s.seqNums(), { nextSenderSeq: 5, nextTargetSeq: 7 });
      assert.equal(s.creationTimeMs(), 1234);
      const out = await s.getOutbound(1, 0);
      assert.deepEqual(out.map((m) => new TextDecoder().decode(m.bytes)), [
        "out 1:1",
        "out 1:2",
        "out 1:3",
        "out 1:4",
      ]);
      assert.deepEqual([...(await a.requestIds.read("M", 10))], [["r3", 3]]);
      await s.appendOutbound(5, bytes("out 1:5"));
      await s.appendInbound(7, bytes("in 7"));
      await s.close();
    } finally {
      await a.close();
    }
    const v = await sql.unsafe(
      `select obj_description(oid, 'pg_namespace') as v from pg_namespace where nspname = $1`,
      [
        schema,
      ],
    );
    assert.equal(v[0]!.v, "fixg schema 5");
    const cols = await sql.unsafe(
      `select column_name from information_schema.columns where table_schema = $1 and table_name = 'sessions'
       order by ordinal_position`,
      [schema],
    );
    assert.deepEqual(cols.map((r) => r.column_name), [
      "session_key",
      "epoch",
      "owner",
      "lease_until",
      "lease_renewed",
      "creation_ms",
      "pin",
    ]);
    const positions = async () =>
      (await sql.unsafe(
        `select dir, epoch, pos, next_seq, gen, creation_ms from "${schema}".positions order by dir`,
      )).map((
        r,
      ) => [r.dir, Number(r.epoch), Number(r.pos), Number(r.next_seq), Number(r.gen), Number(r.creation_ms)]);
    // The migrated rows: schema 3's position 9, one commit each since (epoch 3, then A's takeover: 4).
    assert.deepEqual(await positions(), [["in", 4, 10, 8, 1, 1234], ["out", 4, 10, 6, 1, 1234]]);
    // Run again (as a second gateway finding the old marker would): nothing changes.
    await sql.unsafe(`comment on schema "${schema}" is 'fixg schema 3'`);
    await createSchema(sql, schema);
    assert.deepEqual(await positions(), [["in", 4, 10, 8, 1, 1234], ["out", 4, 10, 6, 1, 1234]]);
    // The next owner continues from there.
    const b = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
    try {
      const s = await b.openSession("M", 10_000);
      assert.deepEqual(s.seqNums(), { nextSenderSeq: 6, nextTargetSeq: 8 });
      assert.deepEqual((await s.getOutbound(5, 0)).map((m) => new TextDecoder().decode(m.bytes)), [
        "out 1:5",
      ]);
    } finally {
      await b.close();
    }
  } finally {
    await sql.end();
    await dropSchema(schema);
  }
});

Deno.test({
  name:
    "postgres schema: `fixg cluster status` and `fixg journal export` on schema-3 tables fail without migrating them (gateways of that version keep committing)",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const sql = postgres(PG_URL!, { max: 1, onnotice: () => {}, target_session_attrs: "primary" });
  const v3cols = [
    "session_key",
    "epoch",
    "owner",
    "lease_until",
    "lease_renewed",
    "next_sender_seq",
    "next_target_seq",
    "creation_ms",
    "gen",
    "pos",
    "pin",
  ];
  const state = async () => ({
    marker: (await sql.unsafe(
      `select obj_description(oid, 'pg_namespace') as v from pg_namespace where nspname = $1`,
      [schema],
    ))[0]!.v,
    cols: (await sql.unsafe(
      `select column_name from information_schema.columns where table_schema = $1 and table_name = 'sessions'
       order by ordinal_position`,
      [schema],
    )).map((r) => r.column_name),
    positions: (await sql.unsafe(`select to_regclass($1) is not null as x`, [`"${schema}".positions`]))[0]!.x,
  });
  try {
    // Schema 3's tables with a session a gateway of that version is using.
    await createSchema3(sql, schema);
    const before = await state();
    assert.deepEqual(before, { marker: "fixg schema 3", cols: v3cols, positions: false });
    for (
      const args of [
        ["cluster", "status", "--store", PG_URL!, "--schema", schema],
        ["journal", "export", PG_URL!, "--schema", schema, "--format", "csv"],
      ]
    ) {
      const out = await new Deno.Command(new URL("../../fixg", import.meta.url).pathname, {
        args,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, `${args.slice(0, 2).join(" ")}: exit ${out.code}: ${err}`);
      assert.match(err, /fixg schema 3 tables.*does not upgrade them/s);
      assert.deepEqual(await state(), before, args.slice(0, 2).join(" "));
    }
    // The schema-3 gateway's commit still works (as before the commands).
    const r = await sql.unsafe(
      `update "${schema}".sessions set next_sender_seq = 6, pos = pos + 1 where session_key = 'M' and epoch = 3
       and pos = 9 returning pos`,
    );
    assert.equal(Number(r[0]!.pos), 10);
    // A gateway of this version migrates them.
    const a = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A" });
    try {
      const s = await a.openSession("M", 9999);
      assert.deepEqual(s.seqNums(), { nextSenderSeq: 6, nextTargetSeq: 7 });
      await s.close();
    } finally {
      await a.close();
    }
    assert.equal((await state()).marker, "fixg schema 5");
  } finally {
    await sql.end();
    await dropSchema(schema);
  }
});

Deno.test({
  name:
    "postgres schema: schema-4 tables are read as they are by the operator commands (no DDL) and brought to schema 5 by a gateway (members.sessions, members.templates)",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const sql = postgres(PG_URL!, { max: 1, onnotice: () => {}, target_session_attrs: "primary" });
  const state = async () => ({
    marker: (await sql.unsafe(
      `select obj_description(oid, 'pg_namespace') as v from pg_namespace where nspname = $1`,
      [schema],
    ))[0]!.v,
    cols: (await sql.unsafe(
      `select column_name from information_schema.columns where table_schema = $1 and table_name = 'members'
       order by ordinal_position`,
      [schema],
    )).map((r) => r.column_name),
  });
  const v4cols = ["node_id", "started", "heartbeat", "lease_ms", "app_name"];
  try {
    // Schema 4: today's tables without the two columns of `members`, a live gateway and a session.
    await createSchema(sql, schema);
    await sql.unsafe(`alter table "${schema}".members drop column sessions, drop column templates`);
    await sql.unsafe(`comment on schema "${schema}" is 'fixg schema 4'`);
    await sql.unsafe(
      `insert into "${schema}".members (node_id, lease_ms, app_name) values ('A', 60000, 'fixg:A:x')`,
    );
    await sql.unsafe(
      `insert into "${schema}".sessions (session_key, creation_ms, owner, epoch, lease_until)
       values ('K', 0, 'A', 1, now() + interval '1 minute')`,
    );
    const before = await state();
    assert.deepEqual(before, { marker: "fixg schema 4", cols: v4cols });
    for (
      const [args, code, out] of [
        [["cluster", "status"], 0, /all 1 sessions have a live owner/],
        [["cluster", "rebalance", "--dry-run"], 0, /balanced: no move needed \(live: A\)/],
      ] as const
    ) {
      const o = await new Deno.Command(new URL("../../fixg", import.meta.url).pathname, {
        args: [...args, "--store", PG_URL!, "--schema", schema],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(o.stdout), err = new TextDecoder().decode(o.stderr);
      assert.equal(o.code, code, `${args.join(" ")}: ${err}`);
      assert.match(text, out);
      assert.deepEqual(await state(), before, args.join(" "));
    }
    // A gateway of this version brings them up to date.
    const a = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
    await a.close();
    assert.deepEqual(await state(), { marker: "fixg schema 5", cols: [...v4cols, "sessions", "templates"] });
  } finally {
    await sql.end();
    await dropSchema(schema);
  }
});

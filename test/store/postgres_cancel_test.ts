/**
 * A group statement cancelled before its commit (SQLSTATE 57014, query_canceled: `pg_cancel_backend` by
 * an operator or a tool, a `statement_timeout` set on the role) ends with an error and its transaction
 * rolled back: nothing of the group is in the database. The store retries it as it retries a lost
 * connection (within `retryMs`, reading the position rows first), so the session goes on: the group
 * commits on the retry, its numbers contiguous, nothing written twice, nothing reported not sent. Before,
 * 57014 failed the session for good (its writes rejected STORE_FAILED and reported not sent).
 *
 * The statement is held by a trigger that waits for an advisory lock the test holds; the test cancels
 * the waiting backend from a second connection, then lets the retry through. Every statement shape of
 * the group is covered: the one-statement group (outbound and inbound rows), the transaction with the
 * deletes of numbers set back, and `pipelineSessions` (statement without a flush, then a barrier).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openPostgresStore } from "../../src/store/postgres.ts";
import type { PgSessionStore } from "../../src/store/postgres_session.ts";
import { msg } from "./contract.ts";
import { poll, watch } from "./helpers.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

type Shape = "outbound" | "inbound" | "set-back" | "pipelineSessions";

for (const shape of ["outbound", "inbound", "set-back", "pipelineSessions"] as Shape[]) {
  Deno.test({
    name:
      `postgres store: a group statement cancelled before its commit (57014) is retried and commits (${shape})`,
    ignore: PG_MISSING !== undefined,
  }, async () => {
    const schema = freshSchema();
    const lockKey = Math.floor(Math.random() * 2 ** 40);
    const db = postgres(PG_URL!, { max: 1, onnotice: () => {}, target_session_attrs: "primary" });
    const store = await openPostgresStore({
      url: PG_URL!,
      schema,
      nodeId: `cancel-${shape}`,
      retryMs: 10_000,
      pipelineSessions: shape === "pipelineSessions",
    });
    try {
      const key = "FIX.4.4:TW->LP";
      const s = await store.openSession(key, 0) as PgSessionStore;
      const reports: number[][] = [];
      s.onNotCommitted = (ms) => reports.push(ms.map((m) => m.seq));
      await s.appendOutbound(1, msg(1));
      if (shape === "set-back") await s.appendOutbound(2, msg(2));
      if (shape === "inbound") await s.appendInbound(1, msg(1, "IN"));
      await s.flush();
      const table = shape === "inbound" ? "inbound" : "outbound";
      await db.unsafe(
        `create function "${schema}".hold() returns trigger language plpgsql as $$
         begin perform pg_advisory_xact_lock(${lockKey}); return new; end $$`,
      );
      await db.unsafe(
        `create trigger hold before insert on "${schema}".${table} for each row execute function "${schema}".hold()`,
      );
      await db`select pg_advisory_lock(${lockKey})`;
      // Message 2 (sent again with other bytes for "set-back": the stored 2 is deleted in the same
      // transaction).
      const w = watch(
        shape === "inbound" ? s.appendInbound(2, msg(2, "IN")) : s.appendOutbound(2, msg(2, "B")),
      );
      const held = () =>
        db`select pid, query_start::text as qs, query from pg_stat_activity
           where application_name = ${store.appName} and wait_event_type = 'Lock' and wait_event = 'advisory'`;
      const first = await poll(async () => {
        const [r] = await held();
        return r === undefined ? undefined : { pid: Number(r.pid), qs: String(r.qs), query: String(r.query) };
      }, "the group statement held by the trigger");
      assert.match(first.query, shape === "set-back" ? /^insert into/ : /^with v as/);
      const [c] = await db`select pg_cancel_backend(${first.pid}) as ok`;
      assert.equal(c!.ok, true);
      // The statement ended with 57014, rolled back. The store runs it again (held by the trigger again)
      // instead of failing the session.
      await poll(async () => {
        if (w.state() !== "pending") return true;
        const rows = await held();
        return rows.some((r) => Number(r.pid) !== first.pid || String(r.qs) !== first.qs) ? true : undefined;
      }, "the write settled, or the statement running again");
      assert.equal(w.state(), "pending", "the cancelled group was not retried");
      assert.equal(s.error, undefined);
      // Nothing of the cancelled attempt is in the database.
      const inDb = async () =>
        (await db.unsafe(
          `select seq, bytes from "${schema}".${table} where session_key = $1 order by seq`,
          [key],
        )).map((r) =>
          `${Number(r.seq)}:${new TextDecoder().decode(r.bytes as Uint8Array).split("\x0111=")[1]}`
        );
      assert.deepEqual(
        await inDb(),
        shape === "set-back" ? ["1:A1\x0110=000\x01", "2:A2\x0110=000\x01"] : [
          shape === "inbound" ? "1:IN1\x0110=000\x01" : "1:A1\x0110=000\x01",
        ],
      );
      await db`select pg_advisory_unlock(${lockKey})`;
      await w.p;
      assert.ok(store.stats.retries >= 1);
      // The session goes on: the next number follows, each number once, nothing reported not sent.
      if (shape === "inbound") await s.appendInbound(3, msg(3, "IN"));
      else await s.appendOutbound(3, msg(3, "B"));
      await s.flush();
      const tag = shape === "inbound" ? "IN" : "B";
      assert.deepEqual(await inDb(), [
        shape === "inbound" ? "1:IN1\x0110=000\x01" : "1:A1\x0110=000\x01",
        `2:${tag}2\x0110=000\x01`,
        `3:${tag}3\x0110=000\x01`,
      ]);
      const dir = shape === "inbound" ? "in" : "out";
      const [pos] = await db.unsafe(
        `select next_seq, pos from "${schema}".positions where session_key = $1 and dir = $2`,
        [key, dir],
      );
      assert.equal(Number(pos!.next_seq), 4);
      assert.deepEqual(reports, []);
      assert.equal(s.error, undefined);
    } finally {
      await db`select pg_advisory_unlock_all()`.catch(() => {});
      await store.close().catch(() => {});
      await db.end({ timeout: 1 });
      await dropSchema(schema);
    }
  });
}

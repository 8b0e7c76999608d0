/**
 * A synchronous standby that is gone (docs/ha.md "A commit the standby may not have"): with
 * `synchronous_standby_names` naming a standby that is not streaming, a commit waits. A cancel of that
 * wait (pg_cancel_backend, a client's cancel request) makes PostgreSQL answer success with a WARNING ("the
 * transaction has already committed locally, but might not have been replicated to the standby"); a
 * terminate (pg_terminate_backend, a pooler, an operator) ends the connection after the local commit, and
 * the store's retry finds the statement landed. In both cases the commit is on the primary only: a
 * failover now would lose it. The store must not release the write (its bytes must not reach the wire)
 * until a synchronous commit after it returned without such a warning (a barrier); the write is released
 * once the standby is back.
 *
 * Runs on a primary/standby pair of its own (scripts/pg_cluster.sh in a temporary directory): "the
 * standby is gone" is `synchronous_standby_names = 'gone'` (no standby of that name; the real one keeps
 * streaming asynchronously), "back" is the standby's own name again.
 *
 * A gateway stopped (SIGTERM) while the standby is gone: `close()` waits at most `retryMs` for the
 * commits in flight, then gives them up with their outcome unknown (never released, never reported not
 * sent: they are on the primary) and returns (before, it waited for ever).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openPostgresStore, type PostgresMessageStore } from "../../src/store/postgres.ts";
import type { PgSessionStore } from "../../src/store/postgres_session.ts";
import { msg } from "./contract.ts";
import { poll, watch } from "./helpers.ts";
import { ownPair, PAIR_MISSING } from "./pg_helpers.ts";

Deno.test({
  name:
    "PostgreSQL store: a commit the synchronous standby may not have (wait cancelled, connection terminated) is not released until the standby has it",
  ignore: PAIR_MISSING !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-syncsb-" });
  await Deno.chmod(dir, 0o755);
  const pair = ownPair(dir);
  let admin: postgres.Sql | undefined, standby: postgres.Sql | undefined;
  try {
    const env = await pair.start();
    const url = env["FIXG_PG_URL"]!;
    const opts = { max: 1, onnotice: () => {}, connect_timeout: 5 };
    admin = postgres(`postgres://postgres@127.0.0.1:${env["FIXG_PG_PRIMARY_PORT"]}/fixg`, opts);
    standby = postgres(`postgres://postgres@127.0.0.1:${env["FIXG_PG_STANDBY_PORT"]}/fixg`, opts);
    const a = admin, sb = standby;
    const names = async (v: string) => {
      await a.unsafe(`alter system set synchronous_standby_names = '${v}'`);
      await a`select pg_reload_conf()`;
      // The walsender takes the new setting: the real standby is (a)synchronous from then on.
      const want = v === "standby1" ? "sync" : "async";
      await poll(async () => {
        const [r] = await a`select sync_state from pg_stat_replication where application_name = 'standby1'`;
        return r?.sync_state === want ? true : undefined;
      }, `standby1 ${want}`);
    };
    /** The backend of `store` waiting for the synchronous standby (its pid and query). */
    const waiter = (store: PostgresMessageStore) =>
      poll(async () => {
        const [r] = await a`select pid, query, query_start::text as qs from pg_stat_activity
          where application_name = ${store.appName} and wait_event = 'SyncRep'`;
        return r === undefined ? undefined : { pid: Number(r.pid), query: String(r.query), qs: String(r.qs) };
      }, "a commit waiting for the synchronous standby");
    /** Whether the standby has message `seq` of `key` in `schema`. */
    const onStandby = async (schema: string, key: string, seq: number, dir = "outbound") =>
      (await sb.unsafe(`select 1 from "${schema}".${dir} where session_key = $1 and seq = $2`, [key, seq]))
        .length === 1;

    const scenario = async (
      name: string,
      stop: "cancel" | "terminate",
      pipelineSessions: boolean,
      statementShape: RegExp,
      dir: "outbound" | "inbound" = "outbound",
    ) => {
      await t.step(name, async () => {
        const schema = `s_${stop}_${pipelineSessions ? "p" : "d"}_${dir}_${Deno.pid}`;
        const store = await openPostgresStore({
          url,
          schema,
          nodeId: "sb",
          pipelineSessions,
          retryMs: 30_000,
        });
        try {
          const key = "FIX.4.4:TW->LP";
          const s = await store.openSession(key, 0) as PgSessionStore;
          await s.appendOutbound(1, msg(1));
          await s.flush();
          await names("gone");
          // An inbound message is handed to the application once this promise resolves (commit before
          // delivery): the same rule.
          const w = watch(
            dir === "outbound" ? s.appendOutbound(2, msg(2)) : s.appendInbound(2, msg(2, "IN")),
          );
          const first = await waiter(store);
          assert.match(first.query, statementShape);
          const [r] = await a`select ${
            stop === "cancel" ? a`pg_cancel_backend(${first.pid})` : a`pg_terminate_backend(${first.pid})`
          } as ok`;
          assert.equal(r!.ok, true);
          // The wait was ended: the commit is on the primary only. The store waits for the standby again
          // (a barrier, another backend waiting) instead of releasing the write.
          const again = await poll(async () => {
            if (w.state() !== "pending") return { pid: 0, query: w.state() };
            const [x] = await a`select pid, query from pg_stat_activity
              where application_name = ${store.appName} and wait_event = 'SyncRep'
                and (pid <> ${first.pid} or query_start > ${first.qs}::timestamptz)`;
            return x === undefined ? undefined : { pid: Number(x.pid), query: String(x.query) };
          }, "the write released, or a barrier waiting for the standby");
          assert.equal(w.state(), "pending", "the write was released while only the primary had it");
          assert.match(again.query, /pg_logical_emit_message/);
          // The standby is back: the barrier returns, the write is released.
          await names("standby1");
          await a`select pg_logical_emit_message(false, 'nudge', '')`; // WAL, so the standby answers
          await w.p;
          assert.equal(await onStandby(schema, key, 2, dir), true);
          if (dir === "inbound") return;
          await s.appendOutbound(3, msg(3));
          await s.flush();
          assert.deepEqual((await s.getOutbound(1, 0)).map((m) => m.seq), [1, 2, 3]);
        } finally {
          await names("standby1").catch(() => {});
          await store.close().catch(() => {});
          await a.unsafe(`drop schema if exists "${schema}" cascade`);
        }
      });
    };
    /**
     * The gateway stops (SIGTERM) while the standby is gone: close() waits at most retryMs for the commit
     * in flight, then gives it up as outcome unknown (rejected STORE_FAILED, never reported not sent: it
     * is on the primary), reports a write queued behind it not sent (never written), logs one line with
     * the count and returns. `cancel`: the commit's wait is cancelled first, so a barrier runs again and
     * again.
     */
    const closeScenario = async (name: string, pipelineSessions: boolean, cancel: boolean) => {
      await t.step(name, async () => {
        const schema = `s_close_${pipelineSessions ? "p" : "d"}_${cancel ? "c" : "w"}_${Deno.pid}`;
        const warnings: string[] = [];
        const retryMs = 1000;
        const store = await openPostgresStore({
          url,
          schema,
          nodeId: "sbclose",
          pipelineSessions,
          retryMs,
          onWarning: (m) => warnings.push(m),
        });
        let closed: Promise<string> | undefined;
        try {
          const key = "FIX.4.4:TW->LP";
          const s = await store.openSession(key, 0) as PgSessionStore;
          const reports: number[][] = [];
          s.onNotCommitted = (ms) => reports.push(ms.map((m) => m.seq));
          await s.appendOutbound(1, msg(1));
          await s.flush();
          await names("gone");
          const w = watch(s.appendOutbound(2, msg(2)));
          const first = await waiter(store);
          if (cancel) {
            await a`select pg_cancel_backend(${first.pid})`;
            await poll(async () => {
              const [x] = await a`select pid from pg_stat_activity
                where application_name = ${store.appName} and wait_event = 'SyncRep'
                  and query like '%pg_logical_emit_message%'`;
              return x === undefined ? undefined : true;
            }, "a barrier waiting for the standby");
          }
          // Queued behind message 2 (its chain has a statement in flight): never written.
          const w3 = watch(s.appendOutbound(3, msg(3)));
          const t0 = performance.now();
          let timer: ReturnType<typeof setTimeout> | undefined;
          closed = Promise.race([
            store.close().then(() => "closed"),
            new Promise<string>((
              r,
            ) => (timer = setTimeout(() => r("close() did not return"), retryMs + 4000))),
          ]);
          const how = await closed;
          clearTimeout(timer);
          const ms = performance.now() - t0;
          assert.equal(how, "closed");
          assert.ok(ms >= retryMs - 50 && ms < retryMs + 2000, `close() took ${ms} ms`);
          // Nothing of it released (sent), its outcome unknown (not reported not sent). Message 3: queued
          // behind 2 (default mode, 2's statement in flight: never written, reported not sent), or sent to
          // the database after 2 landed (a cancelled wait; pipelineSessions): outcome unknown too.
          const queued = !pipelineSessions && !cancel;
          assert.match(w.state(), /^rejected: .*outcome unknown/);
          assert.match(w3.state(), queued ? /^rejected: / : /^rejected: .*outcome unknown/);
          assert.deepEqual(reports, queued ? [[3]] : []);
          assert.equal(warnings.length, 1);
          assert.match(
            warnings[0]!,
            queued
              ? /: 1 message\(s\) in 1 commit\(s\) of 1 session\(s\) not confirmed/
              : /: 2 message\(s\) in 2 commit\(s\) of 1 session\(s\) not confirmed/,
          );
        } finally {
          await names("standby1").catch(() => {});
          // WAL, so the standby answers (the backends left waiting for it end, the drop takes their locks).
          await a`select pg_logical_emit_message(false, 'nudge', '')`;
          await closed?.catch(() => {});
          await store.close().catch(() => {});
          await a.unsafe(`drop schema if exists "${schema}" cascade`);
        }
      });
    };
    await closeScenario("close() with the standby gone, default mode: a commit waiting", false, false);
    await closeScenario("close() with the standby gone, default mode: a barrier run again", false, true);
    await closeScenario("close() with the standby gone, pipelineSessions: a barrier waiting", true, false);
    await scenario(
      "default mode, the commit's wait cancelled (success with a WARNING)",
      "cancel",
      false,
      /^with v as/,
    );
    await scenario(
      "default mode, the commit's connection terminated (the retry finds it landed)",
      "terminate",
      false,
      /^with v as/,
    );
    await scenario(
      "default mode, an inbound commit's wait cancelled: the message is not delivered before the standby has it",
      "cancel",
      false,
      /^with v as/,
      "inbound",
    );
    await scenario(
      "pipelineSessions, the barrier's wait cancelled (success with a WARNING)",
      "cancel",
      true,
      /pg_logical_emit_message/,
    );
  } finally {
    await admin?.end({ timeout: 1 }).catch(() => {});
    await standby?.end({ timeout: 1 }).catch(() => {});
    await pair.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

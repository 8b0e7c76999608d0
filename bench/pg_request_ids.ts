/**
 * What the library request ids cost the PostgreSQL group commit (outbound.req_id, src/store/postgres_requests.ts):
 * one session, groups of 2,000 outbound messages committed one group at a time, alternately without and
 * with a request id noted for every message. Needs PostgreSQL (FIXG_PG_URL or scripts/pg_cluster.sh).
 *   ./deno run -A bench/pg_request_ids.ts
 */
import { openPostgresStore, type PgSessionStore } from "../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_URL } from "../test/store/pg_helpers.ts";
const schema = freshSchema();
const st = await openPostgresStore({ url: PG_URL!, schema, nodeId: "X" });
const N = 2000, ROUNDS = Number(Deno.args[0] ?? 8);
const msg = new TextEncoder().encode(
  "8=FIX.4.4\x019=180\x0135=D\x0134=1\x0149=CLIENT\x0156=LP\x0152=20260101-00:00:00.000\x0111=ORDER-000000001\x0155=EUR/USD\x0154=1\x0138=1000\x0140=2\x0144=1.085\x0159=0\x0160=20260101-00:00:00.000\x0110=000\x01",
);
const s = await st.openSession("K", 1) as PgSessionStore;
let seq = 1;
const res: Record<string, number[]> = { plain: [], ids: [] };
for (let r = 0; r < ROUNDS * 2; r++) {
  const ids = r % 2 === 1;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    if (ids) s.noteRequest(seq, `req-${seq}`);
    void s.appendOutbound(seq++, msg);
  }
  await s.flush();
  res[ids ? "ids" : "plain"]!.push(performance.now() - t0);
}
const med = (a: number[] = []) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(1);
console.log(
  `group of ${N} outbound messages, one commit each, ${ROUNDS} alternating runs: median without ids ${
    med(res.plain)
  } ms, with ids ${med(res.ids)} ms`,
  JSON.stringify(res, (_, v) => typeof v === "number" ? Math.round(v * 10) / 10 : v),
);
await st.close();
await dropSchema(schema);

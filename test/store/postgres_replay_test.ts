/**
 * A library's replay from the PostgreSQL store (src/store/postgres_reads.ts readInboundAfter, and the
 * endpoint's reader in src/engine/library_requests.ts): the committed inbound rows of the current
 * generation above a position, ascending, paged; admin messages other than 35=3 left out; nothing of an
 * older generation (before a sequence reset).
 */
import assert from "node:assert/strict";
import { openPostgresStore, type PgSessionStore } from "../../src/store/postgres.ts";
import { readInboundAfter } from "../../src/store/postgres_reads.ts";
import { storeRequestsOf } from "../../src/engine/library_requests.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

const KEY = "FIX.4.4:A->B";
const msg = (type: string, seq: number) =>
  new TextEncoder().encode(`8=FIX.4.4\x019=5\x0135=${type}\x0134=${seq}\x0110=000\x01`);
const seqsOf = (rows: ReadonlyArray<{ seq: number }>) => rows.map((r) => r.seq);
/** The replay's pages, as read. */
async function pagesOf(pages: AsyncIterable<ReadonlyArray<{ seq: number; raw: Uint8Array }>>) {
  const out: Array<Array<{ seq: number; raw: Uint8Array }>> = [];
  for await (const p of pages) out.push([...p]);
  return out;
}

Deno.test({
  name:
    "postgres replay reads: inbound rows after a position, paged, application messages and 35=3 only, current generation",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const st = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A" });
  try {
    const s = await st.openSession(KEY, 1) as PgSessionStore;
    // An older generation, then a reset: its rows are not replayed.
    void s.appendInbound(1, msg("8", 1));
    await s.flush();
    await s.reset(2);
    const types = ["A", "8", "0", "3", "8", "1", "2", "4", "5", "8"];
    types.forEach((t, i) => void s.appendInbound(i + 1, msg(t, i + 1)));
    // 10 001 more: the endpoint's reader pages over 10 000 rows.
    for (let q = types.length + 1; q <= types.length + 10_001; q++) void s.appendInbound(q, msg("8", q));
    await s.flush();
    assert.deepEqual(seqsOf(await readInboundAfter(st.sql, schema, KEY, 0, 5)), [1, 2, 3, 4, 5]);
    assert.deepEqual(seqsOf(await readInboundAfter(st.sql, schema, KEY, 3, 3)), [4, 5, 6]);
    const ep = storeRequestsOf(st)!;
    const pages = await pagesOf(ep.inbound(KEY, 0));
    // A page of 10 000 rows (application messages and 35=3 of them), then the rest.
    assert.deepEqual(pages.map((p) => p.length), [10_000 - 6, 11]);
    const all = pages.flat();
    assert.deepEqual(seqsOf(all.slice(0, 5)), [2, 4, 5, 10, 11]);
    assert.equal(all.length, 4 + 10_001);
    assert.equal(all[all.length - 1]!.seq, types.length + 10_001);
    assert.ok(all.every((m, i) => i === 0 || m.seq > all[i - 1]!.seq), "ascending, none twice");
    assert.equal(new TextDecoder().decode(all[1]!.raw), new TextDecoder().decode(msg("3", 4)));
    assert.deepEqual(seqsOf((await pagesOf(ep.inbound(KEY, types.length + 10_000))).flat()), [
      types.length + 10_001,
    ]);
  } finally {
    await st.close();
    await dropSchema(schema);
  }
});

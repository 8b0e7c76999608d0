/**
 * Library request ids in the PostgreSQL store (src/store/postgres_requests.ts): the id noted for an
 * outbound message is committed with it, and another owner reads it back after taking the session over.
 */
import assert from "node:assert/strict";
import { openPostgresStore, type PgSessionStore } from "../../src/store/postgres.ts";
import { pgRequestLog, readRequestIds } from "../../src/store/postgres_requests.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

const KEY = "FIX.4.4:A->B";
const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test({
  name:
    "postgres request ids: committed with their messages, read back by the next owner (first send of an id wins); none after a reset",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const a = await openPostgresStore({ url: PG_URL!, schema, nodeId: "A" });
  try {
    const sa = await a.openSession(KEY, 1) as PgSessionStore;
    const log = pgRequestLog(a);
    // Noted before the append (the runner appends in a microtask after numbering).
    assert.equal(log.note(KEY, 1, "req-1"), true);
    void sa.appendOutbound(1, bytes("one"));
    void sa.appendOutbound(2, bytes("two")); // no request id (an admin message, or sent in-process)
    void sa.appendOutbound(3, bytes("three"));
    assert.equal(log.note(KEY, 3, "req-3"), true, "noted after the append, before the commit");
    await sa.flush();
    assert.equal(log.note(KEY, 3, "late"), false, "committed already: too late");
    // The same id sent again later (a new message): the first answer is what a retry gets.
    assert.equal(log.note(KEY, 4, "req-1"), true);
    void sa.appendOutbound(4, bytes("four"));
    void sa.appendOutbound(5, bytes("five"));
    log.note(KEY, 5, "req-x");
    await sa.flush();
    // Numbers set back (the multi-statement commit): message 5 is replaced, with its id.
    void sa.appendOutbound(5, bytes("five again"));
    log.note(KEY, 5, "req-5");
    await sa.flush();
    assert.equal(log.note(KEY, 9, "other"), true);
    assert.equal(log.note("FIX.4.4:NOT->OPEN", 1, "x"), false);
    assert.deepEqual([...await readRequestIds(a, KEY, 100)], [["req-1", 1], ["req-3", 3], ["req-5", 5]]);
    const [row] = await a.sql.unsafe(
      `select count(*)::int as n from "${schema}".outbound where req_id is null`,
    );
    assert.equal(row!.n, 1, "message 2 has none");
  } finally {
    await a.close();
  }
  // Another gateway takes the session over (a new epoch) and reads them back.
  const b = await openPostgresStore({ url: PG_URL!, schema, nodeId: "B" });
  try {
    const sb = await b.openSession(KEY, 2) as PgSessionStore;
    assert.equal(sb.seqNums().nextSenderSeq, 6);
    const got = await pgRequestLog(b).read(KEY, 100);
    assert.deepEqual([...got], [["req-1", 1], ["req-3", 3], ["req-5", 5]]);
    assert.deepEqual(
      [...await readRequestIds(b, KEY, 2)],
      [["req-1", 4], ["req-5", 5]],
      "the newest `max` rows",
    );
    await sb.reset(3);
    void sb.appendOutbound(1, bytes("new-one"));
    pgRequestLog(b).note(KEY, 1, "req-new");
    await sb.flush();
    assert.deepEqual([...await readRequestIds(b, KEY, 100)], [["req-new", 1]], "the current generation only");
  } finally {
    await b.close();
    await dropSchema(schema);
  }
});

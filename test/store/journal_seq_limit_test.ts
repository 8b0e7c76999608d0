/**
 * The file journal's last number: a message at 2^32-1 would make the session's next number 2^32, which the
 * session table at the next segment's head cannot hold (u32): it wrapped to 0 there, and the next start
 * refused the whole journal ("its sequence numbers go back"), every session of the gateway with it. The
 * journal refuses such a message (STORE_BAD_SEQ); the session machine rejects it before it gets there
 * (test/session/hostile_test.ts).
 */
import assert from "node:assert/strict";
import { FileJournal } from "../../src/store/journal.ts";

const te = new TextEncoder();
const frame = (seq: number) =>
  te.encode(`8=FIX.4.4\x019=10\x0135=8\x0134=${seq}\x0149=X\x0156=Y\x0158=${"x".repeat(200)}\x0110=000\x01`);

Deno.test("file journal: a message at 2^32-1 is refused (STORE_BAD_SEQ) and the journal still opens after its segments rotate", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-seqmax-" });
  const j = await FileJournal.open({ dir, fsync: "none", segmentBytes: 4096 });
  const s = await j.openSession("FIX.4.4:A->B", Date.now());
  await s.appendInbound(1, frame(1));
  await s.setNextTargetSeq(2 ** 32 - 1);
  assert.throws(() => s.appendInbound(2 ** 32 - 1, frame(2 ** 32 - 1)), { code: "STORE_BAD_SEQ" });
  assert.throws(() => s.appendOutbound(2 ** 32 - 1, frame(2 ** 32 - 1)), { code: "STORE_BAD_SEQ" });
  assert.deepEqual(s.seqNums(), { nextSenderSeq: 1, nextTargetSeq: 2 ** 32 - 1 });
  // Enough to rotate several times: every new segment's session table carries the numbers.
  for (let q = 1; q <= 60; q++) await s.appendOutbound(q, frame(q));
  await j.close();
  const j2 = await FileJournal.open({ dir, fsync: "none", segmentBytes: 4096 });
  try {
    const s2 = await j2.openSession("FIX.4.4:A->B", Date.now());
    assert.deepEqual(s2.seqNums(), { nextSenderSeq: 61, nextTargetSeq: 2 ** 32 - 1 });
  } finally {
    await j2.close();
    await Deno.remove(dir, { recursive: true });
  }
});

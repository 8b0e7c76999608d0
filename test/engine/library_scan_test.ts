/**
 * The claim's journal scan (scanJournal): walks back from the newest segment only as far as the
 * replay and the request-id seeding need, gives the newest epoch only, and matches a full read.
 */
import assert from "node:assert/strict";
import { scanJournal } from "../../src/engine/library_server.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { listSegments } from "../../src/store/reader.ts";

const KEY = "FIX.4.4:CLIENT->LP";
const te = new TextEncoder();
const frame = (type: string, seq: number, extra: string) =>
  te.encode(`8=FIX.4.4\x019=10\x0135=${type}\x0134=${seq}\x0149=X\x0156=Y\x01${extra}10=000\x01`);

/** A journal of 4 KiB segments: `n` ExecutionReports in and `n` orders out, a Heartbeat each way now and then. */
async function journal(dir: string, n: number, resetAt?: number) {
  const j = await FileJournal.open({ dir, fsync: "none", segmentBytes: 4096 });
  const s = await j.openSession(KEY, Date.now());
  let inSeq = 1, outSeq = 1;
  for (let i = 1; i <= n; i++) {
    if (i === resetAt) {
      await s.reset(Date.now());
      inSeq = outSeq = 1;
    }
    await s.appendOutbound(outSeq, frame("D", outSeq, `11=ord-${i}\x01`));
    outSeq++;
    await s.appendInbound(inSeq, frame("8", inSeq, `11=ord-${i}\x0117=ex-${i}\x01`));
    inSeq++;
    if (i % 10 === 0) {
      await s.appendInbound(inSeq, frame("0", inSeq, ""));
      inSeq++;
    }
  }
  await j.close();
}

Deno.test("scanJournal: the newest segments only, the same messages as a full read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-scan-" });
  await journal(dir, 600);
  const total = listSegments(dir).length;
  assert.ok(total > 20, `${total} segments`);
  // Everything: 600 reports (Heartbeats left out), every order's ClOrdID with its MsgSeqNum.
  const all = await scanJournal(dir, KEY, 0);
  assert.equal(all.inbound.length, 600);
  assert.equal(all.sent.size, 600);
  assert.equal(all.sent.get("ord-1"), 1);
  assert.equal(all.sent.get("ord-600"), 600);
  assert.equal(all.segmentsRead, total);
  // After the last 5 reports' predecessor: a few segments from the end, but enough for the seeding bound.
  const lastSeq = all.inbound[all.inbound.length - 1]!.seq;
  const tail = await scanJournal(dir, KEY, lastSeq - 5, 20);
  assert.deepEqual(tail.inbound.map((m) => m.seq), all.inbound.slice(-5).map((m) => m.seq));
  assert.ok(tail.segmentsRead < total / 4, `${tail.segmentsRead} of ${total} segments`);
  assert.ok(tail.sent.size >= 20);
  assert.equal(tail.sent.get("ord-600"), 600);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("scanJournal: after a sequence reset only the new epoch counts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-scan-" });
  await journal(dir, 300, 201);
  const r = await scanJournal(dir, KEY, 0);
  // Epoch 2: orders 201..300 as MsgSeqNum 1..100; reports the same numbers, Heartbeats between.
  assert.equal(r.inbound.length, 100);
  assert.equal(r.sent.size, 100);
  assert.equal(r.sent.get("ord-201"), 1);
  assert.equal(r.sent.has("ord-200"), false);
  assert.ok(r.segmentsRead < listSegments(dir).length);
  await Deno.remove(dir, { recursive: true });
});

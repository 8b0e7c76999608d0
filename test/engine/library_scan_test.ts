/**
 * The claim's journal scan (scanJournal): walks back from the newest segment only as far as the
 * replay and the request-id seeding need, gives the newest epoch only, and matches a full read.
 */
import assert from "node:assert/strict";
import { type JournalScan, scanJournal } from "../../src/engine/library_server.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { listSegments } from "../../src/store/reader.ts";

const KEY = "FIX.4.4:CLIENT->LP";
const te = new TextEncoder();
const frame = (type: string, seq: number, extra: string) =>
  te.encode(`8=FIX.4.4\x019=10\x0135=${type}\x0134=${seq}\x0149=X\x0156=Y\x01${extra}10=000\x01`);

/** The replay's batches of a scan, as read. */
async function batchesOf(scan: JournalScan): Promise<Array<Array<{ seq: number; raw: Uint8Array }>>> {
  const out: Array<Array<{ seq: number; raw: Uint8Array }>> = [];
  for await (const b of scan.inbound()) out.push([...b]);
  return out;
}

/** Every message of a scan's replay, in order. */
async function inboundOf(scan: JournalScan): Promise<Array<{ seq: number; raw: Uint8Array }>> {
  return (await batchesOf(scan)).flat();
}

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
  const inbound = await inboundOf(all);
  assert.equal(all.inboundCount, 600);
  assert.equal(inbound.length, 600);
  assert.equal(all.sent.size, 600);
  assert.equal(all.sent.get("ord-1"), 1);
  assert.equal(all.sent.get("ord-600"), 600);
  assert.equal(all.segmentsRead, total);
  // After the last 5 reports' predecessor: a few segments from the end, but enough for the seeding bound.
  const lastSeq = inbound[inbound.length - 1]!.seq;
  const tail = await scanJournal(dir, KEY, lastSeq - 5, 20);
  assert.deepEqual((await inboundOf(tail)).map((m) => m.seq), inbound.slice(-5).map((m) => m.seq));
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
  assert.equal((await inboundOf(r)).length, 100);
  assert.equal(r.sent.size, 100);
  assert.equal(r.sent.get("ord-201"), 1);
  assert.equal(r.sent.has("ord-200"), false);
  assert.ok(r.segmentsRead < listSegments(dir).length);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("scanJournal: beyond the bytes it keeps, the replay reads a segment at a time, the same messages in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-scan-" });
  await journal(dir, 600);
  const text = (m: { raw: Uint8Array }) => new TextDecoder().decode(m.raw);
  const kept = await inboundOf(await scanJournal(dir, KEY, 0));
  assert.equal(kept.length, 600);
  // Nothing kept (0 bytes), some kept (the newest 3 000 bytes): the same messages, byte for byte.
  for (const keepBytes of [0, 3000]) {
    const scan = await scanJournal(dir, KEY, 0, 10_000, keepBytes);
    assert.equal(scan.inboundCount, 600);
    const batches = await batchesOf(scan);
    const got = batches.flat();
    assert.deepEqual(got.map(text), kept.map(text), `keepBytes ${keepBytes}`);
    // A batch per segment (4 KiB: ~20 reports): never the whole replay at once.
    assert.ok(batches.length > 20, `${batches.length} batches`);
    assert.ok(
      Math.max(...batches.map((b) => b.length)) <= 40,
      `largest ${Math.max(...batches.map((b) => b.length))}`,
    );
  }
  // With everything kept (the default 8 MiB), a batch per segment too.
  assert.ok((await batchesOf(await scanJournal(dir, KEY, 0))).length > 20);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("scanJournal: a segment removed between the scan and the replay fails the replay with its name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-scan-" });
  await journal(dir, 200);
  const scan = await scanJournal(dir, KEY, 0, 10_000, 0);
  const first = listSegments(dir)[0]!;
  Deno.removeSync(first.path);
  await assert.rejects(
    () => inboundOf(scan),
    new RegExp(`journal segment ${first.file} (unreadable|changed) during the replay`),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("scanJournal: numbers received twice in one epoch (the expected number set back) replay once, as first received, ascending", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-scan-" });
  const j = await FileJournal.open({ dir, fsync: "none", segmentBytes: 4096 });
  const s = await j.openSession(KEY, Date.now());
  for (let q = 1; q <= 100; q++) await s.appendInbound(q, frame("8", q, `17=first-${q}\x01`));
  for (let q = 50; q <= 120; q++) await s.appendInbound(q, frame("8", q, `17=second-${q}\x01`));
  await j.close();
  for (const keepBytes of [8 * 1024 * 1024, 0]) {
    const got = await inboundOf(await scanJournal(dir, KEY, 0, 10_000, keepBytes));
    assert.deepEqual(got.map((m) => m.seq), Array.from({ length: 120 }, (_, i) => i + 1));
    const ids = got.map((m) =>
      new TextDecoder().decode(m.raw).split("\x01").find((f) => f.startsWith("17="))!.slice(3)
    );
    assert.equal(ids[49], "first-50");
    assert.equal(ids[99], "first-100");
    assert.equal(ids[100], "second-101");
  }
  await Deno.remove(dir, { recursive: true });
});

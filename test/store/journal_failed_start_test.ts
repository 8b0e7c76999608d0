/**
 * A start that fails after reading HIGHWATER (the disk still full when the new segment is written, a
 * segment that cannot be created) must not forget the numbers the previous run may have sent: the next
 * start, once the disk has room, still resumes above them. Before, the failed start had already
 * rewritten HIGHWATER's header as "running" in this boot, so the next start took the reservation of a
 * power-cut run (or of a failed one, or of records dropped at the failed start) for a process crash in
 * this boot, and handed out numbers the counterparty had seen.
 */
import assert from "node:assert/strict";
import { EnvironmentError } from "../../src/errors.ts";
import { FileJournal, type OpenSegmentFile } from "../../src/store/journal.ts";
import { readHighWater } from "../../src/store/highwater.ts";
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, segmentFileName } from "../../src/store/format.ts";
import { crashImage, fixedMessage, KEY, manualClock, T0, tempDir } from "./helpers.ts";

/** Every new segment file fails its first write like a full disk. */
const fullDisk: OpenSegmentFile = (path) => {
  const f = Deno.openSync(path, { write: true, createNew: true });
  return {
    writeSync: () => {
      throw new Error("No space left on device (os error 28)");
    },
    syncData: () => f.syncData(),
    close: () => f.close(),
  };
};

/** No new segment file can be created: a file system out of inodes (ENOSPC at creat(2)). */
const noInodes: OpenSegmentFile = () => {
  throw new Error("No space left on device (os error 28)");
};

function open(dir: string, bootId: string, openSegmentFile?: OpenSegmentFile) {
  const warnings: string[] = [];
  return FileJournal.open({
    dir,
    fsync: "batch",
    seqReserve: 100,
    clock: manualClock(T0),
    bootId,
    onWarning: (m) => warnings.push(m),
    ...(openSegmentFile === undefined ? {} : { openSegmentFile }),
  }).then((journal) => ({ journal, warnings }));
}

/** A journal whose session sent 1..30; the power cut lost the records of 21..30 (reserved up to 100). */
async function powerCutImage(): Promise<string> {
  const dir = tempDir();
  const a = await open(dir, "boot-a");
  const s = await a.journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 30; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  await s.flush();
  const image = crashImage(dir);
  await a.journal.close();
  const seg = `${image}/${segmentFileName(1)}`;
  const openRec = RECORD_HEADER_BYTES + 8 + KEY.length;
  const keep = SEGMENT_HEADER_BYTES + openRec + 20 * (RECORD_HEADER_BYTES + 200);
  Deno.writeFileSync(seg, Deno.readFileSync(seg).subarray(0, keep));
  const m = readHighWater(image, new Map([[1, KEY]]));
  assert.deepEqual([m.state, m.bootId, m.marks.get(1)?.mark], ["running", "boot-a", 100]);
  return image;
}

const FAILURES: Array<[string, OpenSegmentFile, string]> = [
  ["its first write", fullDisk, "Cannot write journal segment"],
  ["its creation", noInodes, "Cannot create journal segment"],
];

for (const [what, failing, text] of FAILURES) {
  Deno.test(`a start that fails on a full disk (${what}) after a power cut: the next start still resumes above the reservation`, async () => {
    const image = await powerCutImage();
    // After the reboot the disk is full: the start fails (one line, exit 2).
    const err = await open(image, "boot-b", failing).then(() => undefined, (e) => e);
    assert.ok(err instanceof EnvironmentError, String(err));
    assert.equal(
      err.message,
      `${text} "${image}/${segmentFileName(2)}": No space left on device (os error 28)`,
    );
    // Space again, same boot: 21..100 may have reached the counterparty before the power cut.
    const b = await open(image, "boot-b");
    // Before (failing creation): 21, the failed start had marked HIGHWATER "running" for boot-b.
    assert.equal(b.journal.sessions()[0]!.nextSenderSeq, 101);
    assert.ok(
      b.warnings.some((w) => w.includes("outbound MsgSeqNum 21..100 may have reached the counterparty")),
      b.warnings.join("\n"),
    );
    await b.journal.close();
    // Once a start succeeded, its set-seq record holds the floor: the start after its clean close stays there.
    const c = await open(image, "boot-b");
    assert.equal(c.journal.sessions()[0]!.nextSenderSeq, 101);
    await c.journal.close();
  });

  Deno.test(`a start that fails (${what}) after truncating a damaged last record: the next start still counts the reservation`, async () => {
    const dir = tempDir();
    const a = await open(dir, "boot-a");
    const s = await a.journal.openSession(KEY, T0);
    for (let seq = 1; seq <= 30; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
    await s.flush();
    const image = crashImage(dir);
    await a.journal.close();
    // The last record's bytes are wrong (not cut short): its message may have been sent.
    const seg = `${image}/${segmentFileName(1)}`;
    const b = Deno.readFileSync(seg);
    b[b.length - 10] = b[b.length - 10]! ^ 0x5a;
    Deno.writeFileSync(seg, b);
    const err = await open(image, "boot-a", failing).then(() => undefined, (e) => e);
    assert.ok(err instanceof EnvironmentError, String(err));
    // The failed start truncated the damaged record (kept in quarantine/); the next one must still know
    // that records were dropped. Before (failing creation): 30, a number the counterparty may have seen.
    const c = await open(image, "boot-a");
    assert.equal(c.journal.sessions()[0]!.nextSenderSeq, 101);
    await c.journal.close();
  });
}

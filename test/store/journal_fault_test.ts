/**
 * Faults the journal must survive: a torn last record, a flipped byte mid-segment, missing or stale
 * index files, a full disk, a directory that is not writable, a held or stale lock, and a kill -9
 * of a writing process in the middle of a burst.
 */
import assert from "node:assert/strict";
import { EnvironmentError, JournalCorruptError } from "../../src/errors.ts";
import {
  FileJournal,
  type FileJournalOptions,
  type JournalFile,
  type OpenSegmentFile,
} from "../../src/store/journal.ts";
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, segmentFileName } from "../../src/store/format.ts";
import { JournalReader, verifyJournal } from "../../src/store/reader.ts";
import { readHighWater } from "../../src/store/highwater.ts";
import { repairJournal } from "../../src/store/repair.ts";
import type { SessionStore } from "../../src/store/types.ts";
import {
  appendBytes,
  crashImage,
  filesOf,
  fixedMessage,
  flipByte,
  KEY,
  KEY2,
  manualClock,
  tempDir,
} from "./helpers.ts";

const T0 = 1_700_000_000_000;
const MSG = 200;
const REC = RECORD_HEADER_BYTES + MSG;
/** Bytes of the session-open record of KEY (header + f64 creation time + key). */
const OPEN_REC = RECORD_HEADER_BYTES + 8 + KEY.length;

async function openJournal(dir: string, extra: Partial<FileJournalOptions> = {}) {
  const warnings: string[] = [];
  const journal = await FileJournal.open({
    dir,
    clock: manualClock(T0),
    onWarning: (m) => warnings.push(m),
    ...extra,
  });
  return { journal, warnings };
}

/** The session's HIGHWATER mark as the run that wrote `dir` left it (journal_dropped_records_test). */
function markOf(dir: string): number {
  return readHighWater(dir, new Map([[1, KEY]])).marks.get(1)!.mark;
}

async function write(s: SessionStore, outFrom: number, outTo: number, inFrom = 0, inTo = -1): Promise<void> {
  for (let i = outFrom; i <= outTo; i++) void s.appendOutbound(i, fixedMessage(i, "out"));
  for (let i = inFrom; i <= inTo; i++) void s.appendInbound(i, fixedMessage(i, "in"));
  await s.flush();
}

async function assertOutbound(s: SessionStore, expected: number[]): Promise<void> {
  const got = await s.getOutbound(1, 0);
  assert.deepEqual(got.map((m) => m.seq), expected);
  for (const m of got) assert.deepEqual(m.bytes, fixedMessage(m.seq, "out"));
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

Deno.test("a torn last record is truncated with a warning; both numbers come back exactly", async () => {
  const dir = tempDir();
  const { journal } = await openJournal(dir);
  const s = await journal.openSession(KEY, T0);
  await write(s, 1, 10, 1, 5);
  const image = crashImage(dir);
  await journal.close();
  // The crash cut the next record short: a header and part of a message.
  const seg = `${image}/${segmentFileName(1)}`;
  const sizeBefore = Deno.statSync(seg).size;
  const torn = new Uint8Array(REC);
  torn.set(Deno.readFileSync(seg).subarray(sizeBefore - REC));
  appendBytes(seg, torn.subarray(0, 100));
  const again = await openJournal(image);
  assert.equal(again.warnings.length, 2, again.warnings.join("\n"));
  assert.match(again.warnings[0]!, /took over the lock left by pid \d+/);
  assert.equal(
    again.warnings[1],
    `journal "${image}": truncated a torn record at the end of 0000000001.seg (100 bytes at offset ${sizeBefore}: record of ${REC} bytes cut short at 100 bytes); the bytes are kept in quarantine/`,
  );
  assert.equal(Deno.statSync(seg).size, sizeBefore);
  assert.deepEqual(
    Deno.readFileSync(`${image}/quarantine/0000000001.seg@${sizeBefore}.torn`),
    torn.subarray(0, 100),
  );
  const s2 = await again.journal.openSession(KEY, T0 + 1);
  assert.deepEqual(s2.seqNums(), { nextSenderSeq: 11, nextTargetSeq: 6 });
  await assertOutbound(s2, range(1, 10));
  await again.journal.close();
  assert.deepEqual(verifyJournal(image).problems, []);
});

Deno.test("a crash image without the last index opens silently from a scan", async () => {
  const dir = tempDir();
  const { journal } = await openJournal(dir, { segmentBytes: 4096 });
  const s = await journal.openSession(KEY, T0);
  await write(s, 1, 40, 1, 20);
  const image = crashImage(dir);
  await journal.close();
  const again = await openJournal(image, { segmentBytes: 4096 });
  assert.deepEqual(again.warnings.filter((w) => !/took over the lock/.test(w)), []);
  const s2 = await again.journal.openSession(KEY, T0);
  assert.deepEqual(s2.seqNums(), { nextSenderSeq: 41, nextTargetSeq: 21 });
  await assertOutbound(s2, range(1, 40));
  await again.journal.close();
});

Deno.test("a segment file created just before a crash (no header yet) is removed and its number reused", async () => {
  const dir = tempDir();
  const { journal } = await openJournal(dir);
  const s = await journal.openSession(KEY, T0);
  await write(s, 1, 3);
  const image = crashImage(dir);
  await journal.close();
  Deno.writeFileSync(`${image}/${segmentFileName(2)}`, new Uint8Array(20));
  const again = await openJournal(image);
  assert.ok(
    again.warnings.includes(
      `journal "${image}": removed 0000000002.seg (20 bytes, cut short before its header was written)`,
    ),
  );
  assert.deepEqual(filesOf(image).filter((f) => f.endsWith(".seg")), ["0000000001.seg", "0000000002.seg"]);
  const s2 = await again.journal.openSession(KEY, T0);
  assert.deepEqual(s2.seqNums(), { nextSenderSeq: 4, nextTargetSeq: 1 });
  await again.journal.close();
  assert.deepEqual(verifyJournal(image).problems, []);
});

Deno.test("a flipped byte mid-segment: open refuses with segment and offset, verify reports it, repair quarantines it", async () => {
  const dir = tempDir();
  const { journal } = await openJournal(dir);
  const s = await journal.openSession(KEY, T0);
  await write(s, 1, 10);
  const image = crashImage(dir);
  await journal.close();
  // Record of outbound seq 4: after the segment header and the session-open record.
  const at = SEGMENT_HEADER_BYTES + OPEN_REC + 3 * REC;
  flipByte(`${image}/${segmentFileName(1)}`, at + 120);
  await assert.rejects(openJournal(image), (e: unknown) => {
    assert.ok(e instanceof JournalCorruptError);
    assert.equal(
      e.message,
      `Journal "${image}" is damaged in 0000000001.seg at byte ${at} (${REC} bytes: CRC mismatch). Run "fixg journal verify ${image}" for every problem and "fixg journal repair ${image}" to move the damaged bytes to quarantine/ (good records are kept)`,
    );
    return true;
  });
  const report = verifyJournal(image);
  assert.deepEqual(report.problems.map((p) => [p.kind, p.file, p.offset]), [
    ["corrupt", "0000000001.seg", at],
    ["seq-gap", "0000000001.seg", at + REC],
  ]);
  // The lock was released by the failed open: repair can take it.
  const before = Deno.readFileSync(`${image}/${segmentFileName(1)}`);
  const r = repairJournal(image);
  assert.deepEqual(r.actions.map((a) => [a.kind, a.file, a.offset, a.length]), [
    ["quarantine-corrupt", "0000000001.seg", at, REC],
    ["rebuild-index", "0000000001.idx", 0, 0],
  ]);
  assert.deepEqual(
    Deno.readFileSync(`${image}/quarantine/0000000001.seg@${at}.corrupt`),
    before.subarray(at, at + REC),
  );
  assert.equal(Deno.statSync(`${image}/${segmentFileName(1)}`).size, before.length - REC);
  // Repair removed a record whose message may have been sent: the next start resumes above the
  // HIGHWATER reservation (it covers every number appended) instead of trusting the shortened journal.
  const mark = markOf(image);
  assert.ok(mark >= 10, `reserved up to ${mark}`);
  const again = await openJournal(image);
  const s2 = await again.journal.openSession(KEY, T0);
  assert.deepEqual(s2.seqNums(), { nextSenderSeq: mark + 1, nextTargetSeq: 1 });
  await assertOutbound(s2, [1, 2, 3, 5, 6, 7, 8, 9, 10]);
  await again.journal.close();
});

Deno.test("onCorrupt: skip opens past a damaged region with a warning", async () => {
  const dir = tempDir();
  const { journal } = await openJournal(dir);
  const s = await journal.openSession(KEY, T0);
  await write(s, 1, 10);
  const image = crashImage(dir);
  await journal.close();
  const at = SEGMENT_HEADER_BYTES + OPEN_REC + 9 * REC;
  flipByte(`${image}/${segmentFileName(1)}`, at + 10);
  // The last record is damaged and nothing valid follows: that is a torn tail, truncated. Its bytes
  // are wrong, not cut short (its message may have been sent): the start resumes above the reservation.
  const mark = markOf(image);
  const again = await openJournal(image, { onCorrupt: "skip" });
  assert.ok(
    again.warnings.some((w) =>
      /truncated a torn record at the end of 0000000001\.seg \(248 bytes at offset \d+: CRC mismatch\)/.test(
        w,
      )
    ),
    again.warnings.join("\n"),
  );
  const s2 = await again.journal.openSession(KEY, T0);
  assert.deepEqual(s2.seqNums(), { nextSenderSeq: mark + 1, nextTargetSeq: 1 });
  await again.journal.close();

  const dir2 = tempDir();
  const j2 = await openJournal(dir2);
  const s3 = await j2.journal.openSession(KEY, T0);
  await write(s3, 1, 10);
  const image2 = crashImage(dir2);
  await j2.journal.close();
  const mid = SEGMENT_HEADER_BYTES + OPEN_REC + 4 * REC;
  flipByte(`${image2}/${segmentFileName(1)}`, mid + 3);
  const mark2 = markOf(image2);
  const again2 = await openJournal(image2, { onCorrupt: "skip" });
  assert.equal(
    again2.warnings.find((w) => w.includes("skipped a damaged region")),
    `journal "${image2}": skipped a damaged region in 0000000001.seg at byte ${mid} (${REC} bytes: implausible record length ${
      (REC ^ (0x5a << 24)) >>> 0
    }); run "fixg journal repair" to quarantine it`,
  );
  const s4 = await again2.journal.openSession(KEY, T0);
  assert.deepEqual(s4.seqNums(), { nextSenderSeq: mark2 + 1, nextTargetSeq: 1 });
  await assertOutbound(s4, [1, 2, 3, 4, 6, 7, 8, 9, 10]);
  await again2.journal.close();
});

Deno.test("a byte flipped in a sealed, indexed segment while running: resend skips that message with a warning; the next start refuses", async () => {
  const dir = tempDir();
  const a = await openJournal(dir);
  const s = await a.journal.openSession(KEY, T0);
  await write(s, 1, 5);
  await a.journal.close();
  const b = await openJournal(dir);
  // Damage after start-up checked the segment: only the resend can find it.
  flipByte(`${dir}/${segmentFileName(1)}`, SEGMENT_HEADER_BYTES + OPEN_REC + REC + 60);
  const s2 = await b.journal.openSession(KEY, T0);
  assert.deepEqual(s2.seqNums(), { nextSenderSeq: 6, nextTargetSeq: 1 });
  await assertOutbound(s2, [1, 3, 4, 5]);
  assert.deepEqual(b.warnings, [
    `journal "${dir}": outbound message 2 of "${KEY}" at 0000000001.seg byte ${
      SEGMENT_HEADER_BYTES + OPEN_REC + REC
    } is damaged; it will be gap-filled`,
  ]);
  await b.journal.close();
  // The index still lists the damaged record: verify says so too, and start-up refuses it.
  assert.deepEqual(verifyJournal(dir).problems.map((p) => p.kind), ["corrupt", "seq-gap", "index-stale"]);
  await assert.rejects(() => openJournal(dir), JournalCorruptError);
});

Deno.test("missing and stale index files are rebuilt from the records", async () => {
  const dir = tempDir();
  const a = await openJournal(dir, { segmentBytes: 4096 });
  const s = await a.journal.openSession(KEY, T0);
  await write(s, 1, 30, 1, 20);
  await a.journal.close();
  const segs = filesOf(dir).filter((f) => f.endsWith(".seg"));
  assert.equal(segs.length, 4);
  assert.deepEqual(filesOf(dir).filter((f) => f.endsWith(".idx")).length, 4);
  Deno.removeSync(`${dir}/0000000002.idx`);
  Deno.copyFileSync(`${dir}/0000000001.idx`, `${dir}/0000000003.idx`);
  flipByte(`${dir}/0000000004.idx`, 40);
  assert.deepEqual(verifyJournal(dir).problems.map((p) => [p.kind, p.file, p.message]), [
    [
      "index-stale",
      "0000000003.idx",
      "it describes segment 1; it is rebuilt from the records at the next open (or by repair)",
    ],
    [
      "index-stale",
      "0000000004.idx",
      "index CRC mismatch; it is rebuilt from the records at the next open (or by repair)",
    ],
  ]);
  const b = await openJournal(dir, { segmentBytes: 4096 });
  assert.deepEqual(b.warnings, [
    `journal "${dir}": rebuilt the index of 0000000002.seg (missing)`,
    `journal "${dir}": rebuilt the index of 0000000003.seg (it describes segment 1)`,
    `journal "${dir}": rebuilt the index of 0000000004.seg (index CRC mismatch)`,
  ]);
  const s2 = await b.journal.openSession(KEY, T0);
  assert.deepEqual(s2.seqNums(), { nextSenderSeq: 31, nextTargetSeq: 21 });
  await assertOutbound(s2, range(1, 30));
  await b.journal.close();
  assert.deepEqual(verifyJournal(dir).problems, []);
});

Deno.test("an index that no longer covers its segment is stale and rebuilt", async () => {
  const dir = tempDir();
  const a = await openJournal(dir);
  const s = await a.journal.openSession(KEY, T0);
  await write(s, 1, 3);
  await a.journal.close();
  // Someone appended a valid record behind the index's back: it must be seen.
  const seg = Deno.readFileSync(`${dir}/${segmentFileName(1)}`);
  appendBytes(`${dir}/${segmentFileName(1)}`, seg.subarray(seg.length - REC));
  const b = await openJournal(dir);
  assert.equal(
    b.warnings[0],
    `journal "${dir}": rebuilt the index of 0000000001.seg (it covers ${seg.length} bytes, the segment has ${
      seg.length + REC
    })`,
  );
  await b.journal.close();
});

function limitedDisk(limitBytes: number): OpenSegmentFile {
  let total = 0;
  return (path: string): JournalFile => {
    const f = Deno.openSync(path, { write: true, createNew: true });
    return {
      writeSync(p: Uint8Array): number {
        if (total >= limitBytes) throw new Error("No space left on device (os error 28)");
        const n = f.writeSync(p.subarray(0, Math.min(p.length, limitBytes - total)));
        total += n;
        return n;
      },
      syncData: () => f.syncData(),
      close: () => f.close(),
    };
  };
}

Deno.test("a full disk fails the append with a clear error; later appends fail too; nothing acknowledged is lost", async () => {
  const dir = tempDir();
  const first = SEGMENT_HEADER_BYTES + OPEN_REC;
  const limit = first + 25 * REC + 100;
  const a = await openJournal(dir, { openSegmentFile: limitedDisk(limit), batchMessages: 10 });
  const s = await a.journal.openSession(KEY, T0);
  let acked = 0;
  let failure: unknown;
  for (let i = 1; i <= 60 && failure === undefined; i++) {
    try {
      await s.appendOutbound(i, fixedMessage(i, "out"));
      acked = i;
    } catch (e) {
      failure = e;
    }
  }
  assert.ok(failure instanceof EnvironmentError);
  assert.equal(failure.exitCode, 1);
  assert.equal(
    failure.message,
    `Journal write failed on "${dir}/0000000001.seg": No space left on device (os error 28). Nothing after this point is journaled; sessions must stop sending`,
  );
  assert.equal(acked, 25);
  await assert.rejects(
    Promise.resolve(s.appendOutbound(99, fixedMessage(99, "out"))),
    /No space left on device/,
  );
  await assert.rejects(s.flush(), /No space left on device/);
  await assert.rejects(s.getOutbound(1, 0), /No space left on device/);
  assert.equal(a.warnings.at(-1), failure.message);
  await a.journal.close();
  // With space again: the torn record is truncated; the stored messages are those of the disk, but
  // 26 (in the failed write) and 99 (appended after the failure) may have reached the counterparty:
  // the session resumes above them (HIGHWATER) and gap-fills them instead of reusing them.
  const b = await openJournal(dir);
  assert.match(b.warnings.join("\n"), /truncated a torn record at the end of 0000000001\.seg \(100 bytes/);
  assert.equal(
    b.warnings.at(-1),
    `journal "${dir}": session ${KEY}: outbound MsgSeqNum 26..99 may have reached the counterparty but are not in the journal (the journal's last write failed); the session resumes at 100 and gap-fills them on resend instead of reusing them`,
  );
  const s2 = await b.journal.openSession(KEY, T0);
  assert.deepEqual(s2.seqNums(), { nextSenderSeq: 100, nextTargetSeq: 1 });
  await assertOutbound(s2, range(1, 25));
  await b.journal.close();
});

Deno.test("a real ENOSPC (/dev/full) when a new segment is written surfaces the OS error", async () => {
  const dir = tempDir();
  let opened = 0;
  const a = await openJournal(dir, {
    segmentBytes: 4096,
    openSegmentFile: (path) =>
      ++opened === 1
        ? Deno.openSync(path, { write: true, createNew: true })
        : Deno.openSync("/dev/full", { write: true }),
  });
  const s = await a.journal.openSession(KEY, T0);
  const results: string[] = [];
  for (let i = 1; i <= 30; i++) {
    try {
      await s.appendOutbound(i, fixedMessage(i, "out"));
      results.push("ok");
    } catch (e) {
      results.push((e as Error).message);
      break;
    }
  }
  // 4096-byte segments hold 15 records of 248 bytes after the header and session table.
  assert.equal(results.filter((r) => r === "ok").length, 15);
  assert.equal(
    results.at(-1),
    `Journal write failed on "${dir}/0000000002.seg": No space left on device (os error 28). Nothing after this point is journaled; sessions must stop sending`,
  );
  await a.journal.close();
});

Deno.test("a journal directory that cannot be written: EnvironmentError, exit code 2, a clear message", async () => {
  const parentFile = `${tempDir()}/file`;
  Deno.writeFileSync(parentFile, new Uint8Array(0));
  await assert.rejects(FileJournal.open({ dir: `${parentFile}/journal` }), (e: unknown) => {
    assert.ok(e instanceof EnvironmentError);
    assert.equal(e.exitCode, 2);
    assert.match(
      e.message,
      new RegExp(`^Cannot create journal directory "${parentFile}/journal": Not a directory`),
    );
    return true;
  });
  // A directory without write permission (root ignores modes: /sys refuses writes to everyone).
  const ro = tempDir();
  Deno.chmodSync(ro, 0o555);
  let target = ro;
  try {
    Deno.writeFileSync(`${ro}/probe`, new Uint8Array(0));
    target = "/sys";
  } catch {
    // Not root: the mode is enforced.
  }
  await assert.rejects(FileJournal.open({ dir: target }), (e: unknown) => {
    assert.ok(e instanceof EnvironmentError);
    assert.equal(e.exitCode, 2);
    assert.match(
      e.message,
      new RegExp(`^Journal directory "${target}" is not writable: (Permission denied|Read-only file system)`),
    );
    return true;
  });
  Deno.chmodSync(ro, 0o755);
});

Deno.test("a journal held by a live process is refused; a stale lock is taken over with a warning", async () => {
  const dir = tempDir();
  const a = await openJournal(dir);
  await assert.rejects(openJournal(dir), (e: unknown) => {
    assert.ok(e instanceof EnvironmentError);
    assert.equal(e.exitCode, 2);
    assert.match(
      e.message,
      new RegExp(
        `^Journal "${dir}" is held by a live gateway \\(pid ${Deno.pid} on .+ since \\d{4}-.+\\); stop it first$`,
      ),
    );
    return true;
  });
  assert.throws(() => repairJournal(dir), /is held by a live gateway/);
  assert.throws(
    () => repairJournal(dir, { dryRun: true }),
    /is held by a live gateway .*; stop it before repairing/,
  );
  await a.journal.close();
  assert.equal(Deno.readTextFileSync(`${dir}/LOCK`), "");
  Deno.writeTextFileSync(
    `${dir}/LOCK`,
    JSON.stringify({
      pid: 999999,
      host: "old-host",
      sinceIso: "2024-01-02T03:04:05.000Z",
      purpose: "gateway",
    }),
  );
  const b = await openJournal(dir);
  assert.deepEqual(b.warnings, [
    `journal "${dir}": took over the lock left by pid 999999 on old-host (since 2024-01-02T03:04:05.000Z); that process is gone`,
  ]);
  await b.journal.close();
});

Deno.test("resets are recorded as new epochs: the old epoch's messages stay in the journal", async () => {
  const dir = tempDir();
  const a = await openJournal(dir);
  const s = await a.journal.openSession(KEY, T0);
  await write(s, 1, 3, 1, 2);
  await s.reset(T0 + 5000);
  await write(s, 1, 2);
  await a.journal.close();
  const seen: string[] = [];
  JournalReader.open(dir).forEach((r) => {
    seen.push(`${r.type} e${r.epoch} ${r.direction ?? "-"} ${r.seq}/${r.seq2}`);
  });
  assert.deepEqual(seen, [
    "session-open e1 - 1/1",
    "message e1 out 1/0",
    "message e1 out 2/0",
    "message e1 out 3/0",
    "message e1 in 1/0",
    "message e1 in 2/0",
    "seq-reset e2 - 1/1",
    "message e2 out 1/0",
    "message e2 out 2/0",
  ]);
  const b = await openJournal(dir);
  const s2 = await b.journal.openSession(KEY, T0);
  assert.equal(s2.creationTimeMs(), T0 + 5000);
  assert.deepEqual(s2.seqNums(), { nextSenderSeq: 3, nextTargetSeq: 1 });
  await assertOutbound(s2, [1, 2]);
  await b.journal.close();
  const report = verifyJournal(dir);
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.sessions[0]!.epochs, [
    { epoch: 1, createdMs: T0, out: { first: 1, last: 3, count: 3 }, in: { first: 1, last: 2, count: 2 } },
    { epoch: 2, createdMs: T0 + 5000, out: { first: 1, last: 2, count: 2 }, in: undefined },
  ]);
});

Deno.test("every segment starts with the session table, so old segments can go", async () => {
  const dir = tempDir();
  const a = await openJournal(dir, { segmentBytes: 4096 });
  const s = await a.journal.openSession(KEY, T0);
  const s2 = await a.journal.openSession(KEY2, T0 + 1);
  await write(s, 1, 20);
  await s2.setNextTargetSeq(7);
  await a.journal.close();
  const heads = new Map<number, string[]>();
  JournalReader.open(dir).forEach((r) => {
    if (r.type !== "session-open") return;
    const l = heads.get(r.segment) ?? [];
    l.push(`${r.sessionKey} ${r.seq}/${r.seq2} @${r.offset}`);
    heads.set(r.segment, l);
  });
  assert.deepEqual([...heads.entries()], [
    [1, [`${KEY} 1/1 @64`, `${KEY2} 1/1 @${64 + OPEN_REC}`]],
    [2, [`${KEY} 16/1 @64`, `${KEY2} 1/1 @${64 + OPEN_REC}`]],
  ]);
});

Deno.test("retention deletes old segments but never what a session may still resend", async () => {
  const dir = tempDir();
  const clock = manualClock(T0);
  const warnings: string[] = [];
  const opts = { dir, segmentBytes: 4096, clock, onWarning: (m: string) => warnings.push(m) };
  const j = await FileJournal.open({ ...opts, retentionBytes: 6000 });
  const a = await j.openSession(KEY, T0);
  const b = await j.openSession(KEY2, T0);
  await a.appendOutbound(1, fixedMessage(1, "out"));
  for (let i = 1; i <= 60; i++) await b.appendOutbound(i, fixedMessage(i, "out"));
  // KEY's message 1 sits in segment 1: nothing may be deleted yet.
  assert.ok(filesOf(dir).includes("0000000001.seg"));
  assert.equal(warnings.filter((w) => /retention deleted/.test(w)).length, 0);
  await a.reset(T0 + 1);
  for (let i = 61; i <= 70; i++) await b.appendOutbound(i, fixedMessage(i, "out"));
  // Now KEY2's current epoch (from segment 1) still pins everything: reset it too.
  assert.ok(filesOf(dir).includes("0000000001.seg"));
  await b.reset(T0 + 2);
  for (let i = 1; i <= 30; i++) await b.appendOutbound(i, fixedMessage(i, "out"));
  // Segment 5 holds the reset and KEY2's new messages: it and everything after stay, whatever the size.
  assert.deepEqual(filesOf(dir).filter((f) => f.endsWith(".seg")), [
    "0000000005.seg",
    "0000000006.seg",
    "0000000007.seg",
  ]);
  assert.deepEqual(
    warnings.filter((w) => /retention/.test(w)),
    [1, 2, 3, 4].map((n) =>
      `journal "${dir}": retention deleted 000000000${n}.seg (3932 bytes, last record 2023-11-14T22:13:20.000Z)`
    ),
  );
  assert.deepEqual((await b.getOutbound(1, 0)).map((m) => m.seq), range(1, 30));
  await j.close();
  // The state survives the deletions: every remaining segment starts with the session table.
  const again = await FileJournal.open(opts);
  const b2 = await again.openSession(KEY2, T0);
  assert.deepEqual(b2.seqNums(), { nextSenderSeq: 31, nextTargetSeq: 1 });
  assert.equal(b2.creationTimeMs(), T0 + 2);
  await again.close();
});

Deno.test("retention by age keeps recent segments", async () => {
  const dir = tempDir();
  const clock = manualClock(T0);
  const j = await FileJournal.open({ dir, segmentBytes: 4096, retentionDays: 1, clock, onWarning: () => {} });
  const a = await j.openSession(KEY, T0);
  for (let i = 1; i <= 20; i++) await a.appendOutbound(i, fixedMessage(i, "out"));
  await a.reset(T0);
  clock.set(T0 + 2 * 86_400_000);
  for (let i = 1; i <= 20; i++) await a.appendOutbound(i, fixedMessage(i, "out"));
  await j.close();
  // Segment 1 (old) went; segment 2 holds the reset's tail and recent records of epoch 2.
  assert.deepEqual(filesOf(dir).filter((f) => f.endsWith(".seg")), ["0000000002.seg", "0000000003.seg"]);
});

/** Reads "acked OUT IN" lines from a child until `enough` says stop; returns the last one. */
async function runChildUntil(dir: string, policy: string, enough: (out: number) => boolean) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./journal_child.ts", import.meta.url).pathname, dir, policy],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let start: [number, number] | undefined;
  let acked: [number, number] = [0, 0];
  try {
    outer: for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const [word, a, b] = buffered.slice(0, nl).split(" ");
        buffered = buffered.slice(nl + 1);
        if (word === "start") start = [Number(a), Number(b)];
        if (word === "acked") acked = [Number(a), Number(b)];
        if (acked[0] > 0 && enough(acked[0])) break outer;
      }
    }
    // Mid-burst: the child is busy appending the next batch when the signal lands.
    child.kill("SIGKILL");
  } finally {
    await reader.cancel();
  }
  const status = await child.status;
  const err = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  assert.equal(status.signal, "SIGKILL", err);
  return { start: start!, acked };
}

for (const policy of ["batch", "none"]) {
  Deno.test(`kill -9 of a writer mid-burst (fsync ${policy}), twice: every acknowledged message is there exactly once`, async () => {
    const dir = tempDir();
    const first = await runChildUntil(dir, policy, (out) => out >= 3000);
    assert.deepEqual(first.start, [1, 1]);
    const second = await runChildUntil(dir, policy, (out) => out >= first.acked[0] + 2000);
    // The restarted writer continued from numbers at or beyond everything acknowledged.
    assert.ok(
      second.start[0] > first.acked[0] && second.start[1] > first.acked[1],
      JSON.stringify({ first, second }),
    );
    const warnings: string[] = [];
    const j = await FileJournal.open({ dir, onWarning: (m) => warnings.push(m) });
    const s = await j.openSession(KEY, T0);
    const { nextSenderSeq, nextTargetSeq } = s.seqNums();
    assert.ok(nextSenderSeq > second.acked[0] && nextTargetSeq > second.acked[1]);
    // Exactly once, in order, byte for byte: no gap, no duplicate across the two crashes.
    await assertOutbound(s, range(1, nextSenderSeq - 1));
    await j.close();
    const report = verifyJournal(dir);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.sessions.map((x) => [x.key, x.nextSenderSeq, x.nextTargetSeq]), [[
      KEY,
      nextSenderSeq,
      nextTargetSeq,
    ]]);
    assert.deepEqual(report.sessions[0]!.epochs[0]!.in, {
      first: 1,
      last: nextTargetSeq - 1,
      count: nextTargetSeq - 1,
    });
  });
}

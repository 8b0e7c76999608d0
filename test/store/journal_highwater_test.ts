/**
 * Outbound high-water marks (issue 14 item 7): a MsgSeqNum that may have reached the wire is never
 * handed out again, whether the journal lost its record to a failed write (disk full under
 * `fsync: batch`) or to a power cut inside the batch window. The next start resumes above it and the
 * missing numbers are gap-filled on resend.
 */
import assert from "node:assert/strict";
import { EnvironmentError } from "../../src/errors.ts";
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, segmentFileName } from "../../src/store/format.ts";
import { HIGHWATER_FILE, readHighWater } from "../../src/store/highwater.ts";
import type { JournalFile, OpenSegmentFile } from "../../src/store/journal.ts";
import { crashImage, fixedMessage, KEY, KEY2, openJournal, settle, T0, tempDir } from "./helpers.ts";

const MSG = 200;
const REC = RECORD_HEADER_BYTES + MSG;
const OPEN_REC = RECORD_HEADER_BYTES + 8 + KEY.length;

/** Segment files that stop accepting bytes after `limitBytes` in all (a full disk). */
function fullDiskAfter(limitBytes: number): OpenSegmentFile {
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

const open = openJournal;

Deno.test("disk full under fsync batch: the numbers the engine may have sent are never reused after a restart", async () => {
  for (const ending of ["closed", "crashed"] as const) {
    const dir = tempDir();
    // Room for the session table and 490 messages, then the disk is full.
    const a = await open(dir, {
      fsync: "batch",
      openSegmentFile: fullDiskAfter(SEGMENT_HEADER_BYTES + OPEN_REC + 490 * REC),
    });
    const s = await a.journal.openSession(KEY, T0);
    // Under batch the engine writes each message to the socket right after appending it, before
    // its record is durable: every number appended here may have reached the counterparty.
    let sent = 0;
    let failure: unknown;
    for (let burst = 0; burst < 10 && failure === undefined; burst++) {
      for (let k = 0; k < 100; k++) {
        const seq = ++sent;
        void s.appendOutbound(seq, fixedMessage(seq, "out"));
      }
      try {
        await s.flush();
      } catch (e) {
        failure = e;
      }
    }
    assert.ok(failure instanceof EnvironmentError, String(failure));
    assert.equal(sent, 500); // 491..500 were in the write that failed: sent, not journaled
    // What the engine did before it saw the rejection: one more message out of the door.
    void s.appendOutbound(501, fixedMessage(501, "out"));
    const image = ending === "crashed" ? crashImage(dir) : dir;
    await a.journal.close();

    const b = await open(image);
    const s2 = await b.journal.openSession(KEY, T0);
    assert.deepEqual(s2.seqNums(), { nextSenderSeq: 502, nextTargetSeq: 1 }, ending);
    assert.ok(
      b.warnings.includes(
        `journal "${image}": session ${KEY}: outbound MsgSeqNum 491..501 may have reached the counterparty but are not in the journal (the journal's last write failed); the session resumes at 502 and gap-fills them on resend instead of reusing them`,
      ),
      b.warnings.join("\n"),
    );
    // A resend finds 1..490; the session gap-fills 491..501.
    const stored = await s2.getOutbound(480, 0);
    assert.deepEqual(stored.map((m) => m.seq), Array.from({ length: 11 }, (_, i) => 480 + i));
    // The next message goes out as 502 and is stored as such.
    await s2.appendOutbound(502, fixedMessage(502, "out"));
    assert.deepEqual((await s2.getOutbound(502, 0)).map((m) => m.seq), [502]);
    await b.journal.close();
    const c = await open(image);
    assert.equal(c.journal.sessions()[0]!.nextSenderSeq, 503);
    await c.journal.close();
  }
});

Deno.test("a power cut inside the batch window: after a reboot the session resumes above its synced reservation", async () => {
  const dir = tempDir();
  const a = await open(dir, { fsync: "batch", seqReserve: 100 });
  const s = await a.journal.openSession(KEY, T0);
  const s2 = await a.journal.openSession(KEY2, T0);
  void s2.appendInbound(1, fixedMessage(1, "in"));
  for (let seq = 1; seq <= 300; seq++) {
    void s.appendOutbound(seq, fixedMessage(seq, "out"));
    if (seq % 25 === 0) await settle();
  }
  await s.flush();
  await settle();
  const image = crashImage(dir);
  await a.journal.close();
  // The power cut lost the records of 201..300 (written, not yet synced): cut them off.
  const seg = `${image}/${segmentFileName(1)}`;
  const all = Deno.readFileSync(seg);
  const keep = SEGMENT_HEADER_BYTES + OPEN_REC + (RECORD_HEADER_BYTES + 8 + KEY2.length) + 201 * REC;
  Deno.writeFileSync(seg, all.subarray(0, keep));
  const marks = readHighWater(image, new Map([[1, KEY]]));
  assert.equal(marks.state, "running");
  const mark = marks.marks.get(1)!.mark;
  assert.ok(mark >= 300 && mark <= 300 + 100, `reserved up to ${mark}`);

  // Same boot (a process crash): the kernel had every record; the journal's numbers are right.
  const sameBoot = crashImage(image);
  const c = await open(sameBoot, { bootId: "boot-a" });
  assert.equal(c.journal.sessions().find((x) => x.sessionKey === KEY)!.nextSenderSeq, 201);
  await c.journal.close();

  // Another boot: the reservation counts; nothing up to it is handed out again.
  const b = await open(image, { bootId: "boot-b" });
  const byKey = new Map(b.journal.sessions().map((x) => [x.sessionKey, x]));
  assert.equal(byKey.get(KEY)!.nextSenderSeq, mark + 1);
  assert.equal(byKey.get(KEY2)!.nextTargetSeq, 2);
  assert.ok(
    b.warnings.some((w) =>
      w.includes(`outbound MsgSeqNum 201..${mark} may have reached the counterparty`) &&
      w.includes("the machine restarted before they were synced")
    ),
    b.warnings.join("\n"),
  );
  await b.journal.close();
});

Deno.test("a number is reserved in HIGHWATER, synced, before the append returns (before the bytes can leave)", async () => {
  const dir = tempDir();
  const a = await open(dir, { fsync: "batch", seqReserve: 64 });
  const s = await a.journal.openSession(KEY, T0);
  const marks = () => readHighWater(dir, new Map([[1, KEY]])).marks.get(1);
  assert.equal(marks(), undefined);
  void s.appendOutbound(1, fixedMessage(1, "out"));
  // Synchronously: no await between the append and the read.
  assert.deepEqual(marks(), { epoch: 1, mark: 64, exact: false, generation: 1 });
  // Half the block used: the next block is reserved in the background, without waiting.
  for (let seq = 2; seq <= 40; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  await settle();
  assert.equal(marks()!.mark, 33 + 64);
  // Beyond a reservation whose successor is not synced: the append waits for a synchronous one.
  void s.reset(T0);
  void s.appendOutbound(1, fixedMessage(1, "out"));
  assert.deepEqual({ ...marks()!, generation: 0 }, { epoch: 2, mark: 64, exact: false, generation: 0 });
  await a.journal.close();
  // A clean close makes the marks exact (no jump at the next start).
  assert.deepEqual({ ...marks()!, generation: 0 }, { epoch: 2, mark: 1, exact: true, generation: 0 });
  assert.equal(Deno.statSync(`${dir}/${HIGHWATER_FILE}`).mode! & 0o777, 0o600);
  const b = await open(dir, { bootId: "boot-b" });
  assert.equal(b.journal.sessions()[0]!.nextSenderSeq, 2);
  assert.deepEqual(b.warnings, []);
  await b.journal.close();
});

Deno.test("fsync always holds messages until durable: no reservation, no jump", async () => {
  const dir = tempDir();
  const a = await open(dir, { fsync: "always", seqReserve: 64 });
  const s = await a.journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 10; seq++) await s.appendOutbound(seq, fixedMessage(seq, "out"));
  assert.equal(readHighWater(dir, new Map([[1, KEY]])).marks.get(1), undefined);
  const image = crashImage(dir);
  await a.journal.close();
  const b = await open(image, { bootId: "boot-b" });
  assert.equal(b.journal.sessions()[0]!.nextSenderSeq, 11);
  await b.journal.close();
});

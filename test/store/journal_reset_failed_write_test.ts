/**
 * A sequence reset (ResetSeqNumFlag logon, operator reset) whose batch's write(2) fails never reaches
 * the counterparty: the socket waits for the journal's write, so the new epoch's Logon is not sent. The
 * exact marks the failure writes must then keep the epoch before the reset and the numbers handed out in
 * it, not the new epoch (whose reservation for its first message is already in HIGHWATER): otherwise the
 * next start begins the new epoch at 2 with inbound 1 while the counterparty, still in the old epoch,
 * expects 51. A reset that was written is kept when a later batch fails.
 */
import assert from "node:assert/strict";
import { readHighWater } from "../../src/store/highwater.ts";
import type { FileJournalOptions, JournalFile, OpenSegmentFile } from "../../src/store/journal.ts";
import type { SessionStore } from "../../src/store/types.ts";
import { fixedMessage, KEY, openJournal, settle, T0, tempDir } from "./helpers.ts";

/** Segment files whose writes fail (nothing written) once `disk.full` is set. */
function disk(): { full: boolean; open: OpenSegmentFile } {
  const d = {
    full: false,
    open: (path: string): JournalFile => {
      const f = Deno.openSync(path, { write: true, createNew: true });
      return {
        writeSync(p: Uint8Array): number {
          if (d.full) throw new Error("No space left on device (os error 28)");
          return f.writeSync(p);
        },
        syncData: () => f.syncData(),
        close: () => f.close(),
      };
    },
  };
  return d;
}

const open = (dir: string, extra: Partial<FileJournalOptions> = {}) =>
  openJournal(dir, { fsync: "batch", seqReserve: 100, ...extra });

/** Epoch 1: outbound 1..50, inbound 1..20, written and synced. */
async function epochOneAt50(s: SessionStore): Promise<void> {
  for (let seq = 1; seq <= 50; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  for (let seq = 1; seq <= 20; seq++) void s.appendInbound(seq, fixedMessage(seq, "in"));
  await s.flush();
  await settle();
}

async function restart(dir: string) {
  const b = await open(dir);
  const st = b.journal.sessions().find((x) => x.sessionKey === KEY)!;
  const got = [st.epoch, st.nextSenderSeq, st.nextTargetSeq];
  await b.journal.close();
  return { got, warnings: b.warnings };
}

Deno.test("a reset whose write fails: the next start resumes the old epoch above its numbers, not the new epoch", async () => {
  const dir = tempDir();
  const d = disk();
  const a = await open(dir, { openSegmentFile: d.open });
  const s = await a.journal.openSession(KEY, T0);
  await epochOneAt50(s);
  d.full = true;
  // The reset and the new epoch's Logon (34=1, reserved synchronously in epoch 2) in one batch that fails.
  const reset = Promise.resolve(s.reset(T0 + 1000));
  const logon = Promise.resolve(s.appendOutbound(1, fixedMessage(1, "out")));
  await assert.rejects(s.writeAppended!() ?? Promise.resolve(), /No space left on device/);
  await assert.rejects(reset, /No space left on device/);
  await assert.rejects(logon, /No space left on device/);
  // Appended after the failure (rejected): still nothing of epoch 2 on the wire.
  await assert.rejects(Promise.resolve(s.appendOutbound(2, fixedMessage(2, "out"))), /No space left/);
  const failedMark = readHighWater(dir, new Map([[1, KEY]])).marks.get(1)!;
  assert.deepEqual([failedMark.epoch, failedMark.mark, failedMark.exact], [1, 50, true]);
  await a.journal.close();
  const hw = readHighWater(dir, new Map([[1, KEY]]));
  assert.equal(hw.state, "failed");
  assert.deepEqual([hw.marks.get(1)!.epoch, hw.marks.get(1)!.mark, hw.marks.get(1)!.exact], [1, 50, true]);

  const r = await restart(dir);
  // Epoch 1 where the counterparty is: it expects 51; inbound unchanged.
  assert.deepEqual(r.got, [1, 51, 21]);
  assert.ok(
    !r.warnings.some((w) => w.includes("reset was lost") || w.includes("may have reached")),
    r.warnings.join("\n"),
  );
  // And the start after it too.
  assert.deepEqual((await restart(dir)).got, [1, 51, 21]);
});

Deno.test("two resets in the batch that fails: the marks keep the epoch before the first", async () => {
  const dir = tempDir();
  const d = disk();
  const a = await open(dir, { openSegmentFile: d.open });
  const s = await a.journal.openSession(KEY, T0);
  await epochOneAt50(s);
  d.full = true;
  void s.reset(T0 + 1000);
  void s.appendOutbound(1, fixedMessage(1, "out"));
  void s.reset(T0 + 2000);
  void s.appendOutbound(1, fixedMessage(1, "out"));
  await assert.rejects(s.flush(), /No space left on device/);
  await a.journal.close();
  assert.deepEqual((await restart(dir)).got, [1, 51, 21]);
});

Deno.test("a reset that was written is kept when a later write fails: the new epoch, above every number appended", async () => {
  const dir = tempDir();
  const d = disk();
  const a = await open(dir, { openSegmentFile: d.open });
  const s = await a.journal.openSession(KEY, T0);
  await epochOneAt50(s);
  void s.reset(T0 + 1000);
  for (let seq = 1; seq <= 3; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  assert.equal(s.writeAppended!(), undefined, "the reset and 1..3 are in the file");
  d.full = true;
  for (let seq = 4; seq <= 6; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  await assert.rejects(s.flush(), /No space left on device/);
  await assert.rejects(Promise.resolve(s.appendOutbound(7, fixedMessage(7, "out"))), /No space left/);
  await a.journal.close();
  const m = readHighWater(dir, new Map([[1, KEY]])).marks.get(1)!;
  assert.deepEqual([m.epoch, m.mark, m.exact], [2, 7, true]);
  const r = await restart(dir);
  assert.deepEqual(r.got, [2, 8, 1]);
  assert.ok(
    r.warnings.some((w) => w.includes("outbound MsgSeqNum 4..7 may have reached the counterparty")),
    r.warnings.join("\n"),
  );
});

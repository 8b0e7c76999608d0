/**
 * The journal's read path (resends): no fdatasync forced by a read, the unsynced tail served from
 * memory, asynchronous reads that leave the event loop free while a large range is read (issue 14.4).
 */
import assert from "node:assert/strict";
import { FileJournal, type FsyncPolicy, type JournalFile } from "../../src/store/journal.ts";
import { fixedMessage, KEY, KEY2, manualClock, tempDir } from "./helpers.ts";

/** A segment file that counts syncs; syncs wait for `release()` when gated. */
function counted() {
  let syncs = 0;
  let gate: PromiseWithResolvers<void> | undefined;
  return {
    get syncs() {
      return syncs;
    },
    gate() {
      gate = Promise.withResolvers<void>();
    },
    release() {
      const g = gate;
      gate = undefined;
      g?.resolve();
    },
    open: (path: string): JournalFile => {
      const f = Deno.openSync(path, { write: true, createNew: true });
      return {
        writeSync: (p: Uint8Array) => f.writeSync(p),
        async syncData() {
          syncs++;
          if (gate !== undefined) await gate.promise;
          await f.syncData();
        },
        close: () => f.close(),
      };
    },
  };
}

async function open(fsync: FsyncPolicy, file: ReturnType<typeof counted>, extra = {}) {
  const dir = tempDir();
  const j = await FileJournal.open({
    dir,
    fsync,
    clock: manualClock(),
    openSegmentFile: file.open,
    onWarning: () => {},
    ...extra,
  });
  const s = await j.openSession(KEY, 0);
  await s.flush();
  return { j, s, dir };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Resolves with the promise's value, or "timeout" after `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const r = await Promise.race([
    p,
    new Promise<"timeout">((res) => (t = setTimeout(() => res("timeout"), ms))),
  ]);
  clearTimeout(t);
  return r;
}

Deno.test("batch: a read forces no fdatasync; messages not yet written are served from memory", async () => {
  const file = counted();
  const { j, s } = await open("batch", file, { batchMessages: 100_000, batchMicros: 60_000_000 });
  const syncsBefore = file.syncs;
  for (let seq = 1; seq <= 10; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  // Same task: nothing is written to the file yet.
  const got = await s.getOutbound(3, 7);
  assert.deepEqual(got.map((m) => m.seq), [3, 4, 5, 6, 7]);
  for (const m of got) assert.equal(text(m.bytes), text(fixedMessage(m.seq, "out")));
  assert.equal(file.syncs, syncsBefore, "a read must not force an fdatasync");
  await j.close();
});

Deno.test("always: a read does not wait for the fdatasync in flight; the unsynced tail comes from memory", async () => {
  const file = counted();
  const { j, s } = await open("always", file);
  for (let seq = 1; seq <= 5; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  await s.flush();
  file.gate(); // the next fdatasync hangs until released
  for (let seq = 6; seq <= 9; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  await new Promise((r) => setTimeout(r, 0)); // written, sync in flight (gated)
  for (let seq = 10; seq <= 12; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  const syncsBefore = file.syncs;
  const got = await within(s.getOutbound(1, 0), 2000);
  assert.notEqual(got, "timeout", "the read waited for an fdatasync");
  assert.deepEqual((got as { seq: number }[]).map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  for (const m of got as { seq: number; bytes: Uint8Array }[]) {
    assert.equal(text(m.bytes), text(fixedMessage(m.seq, "out")));
  }
  assert.equal(file.syncs, syncsBefore, "a read must not start an fdatasync");
  file.release();
  await j.close();
});

Deno.test("a read spanning sealed segments, the file and the unwritten tail returns every message once, in order", async () => {
  const file = counted();
  const { j, s } = await open("none", file, { segmentBytes: 16 * 1024 });
  const other = await j.openSession(KEY2, 0);
  for (let seq = 1; seq <= 300; seq++) {
    void s.appendOutbound(seq, fixedMessage(seq, "out", 150 + (seq % 7) * 10));
    if (seq % 3 === 0) void other.appendOutbound(seq, fixedMessage(seq, "out"));
    if (seq % 50 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  const got = await s.getOutbound(1, 0);
  assert.deepEqual(got.map((m) => m.seq), Array.from({ length: 300 }, (_, i) => i + 1));
  for (const m of got) assert.equal(text(m.bytes), text(fixedMessage(m.seq, "out", 150 + (m.seq % 7) * 10)));
  assert.equal(file.syncs, 0);
  await j.close();
});

Deno.test("a large read is asynchronous: other I/O keeps completing while 20,000 messages are read", async () => {
  const N = 20_000;
  const first = await open("none", counted());
  for (let seq = 1; seq <= N; seq++) void first.s.appendOutbound(seq, fixedMessage(seq, "out", 500));
  await first.s.flush();
  await first.j.close();
  // Reopened: nothing is in memory, every message is read from the segment files (10 MB).
  const j = await FileJournal.open({
    dir: first.dir,
    fsync: "none",
    clock: manualClock(),
    openSegmentFile: counted().open,
    onWarning: () => {},
  });
  const s = await j.openSession(KEY, 0);
  // Another session's I/O: a chain of asynchronous stats that runs for as long as the read does. A
  // synchronous read would let none complete; reads in spans with an await each let them interleave.
  // (Counted in completed operations, not timer turns: a fast read outruns any timer.)
  let completed = 0;
  let running = true;
  const other = (async () => {
    while (running) {
      await Deno.stat(first.dir);
      completed++;
    }
  })();
  const got = await s.getOutbound(1, 0);
  const during = completed;
  running = false;
  await other;
  assert.equal(got.length, N);
  assert.equal(got[N - 1]!.seq, N);
  assert.ok(during >= 5, `only ${during} other operations completed during the read`);
  await j.close();
});

/** What each fsync policy does, observed through an instrumented segment file. */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { FileJournal, type FsyncPolicy, type JournalFile } from "../../src/store/journal.ts";
import { JournalReader } from "../../src/store/reader.ts";
import { fixedMessage, KEY, manualClock, tempDir } from "./helpers.ts";

/** A segment file that logs writes and syncs; syncs wait for `release()` when gated. */
function instrumented() {
  const log: string[] = [];
  let gate: PromiseWithResolvers<void> | undefined;
  return {
    log,
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
        writeSync(p: Uint8Array) {
          log.push(`write ${p.length}`);
          return f.writeSync(p);
        },
        async syncData() {
          log.push("sync");
          if (gate !== undefined) await gate.promise;
          await f.syncData();
        },
        close: () => f.close(),
      };
    },
  };
}

async function open(fsync: FsyncPolicy, file: ReturnType<typeof instrumented>, extra = {}) {
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
  file.log.length = 0;
  return { j, s };
}

const turn = () => new Promise((r) => setTimeout(r, 0));

Deno.test("always: an append's promise resolves only after the fdatasync that covers it", async () => {
  const file = instrumented();
  const { j, s } = await open("always", file);
  file.gate();
  let done = false;
  const p = s.appendOutbound(1, fixedMessage(1, "out"));
  assert.ok(p instanceof Promise);
  void p.then(() => done = true);
  void s.appendOutbound(2, fixedMessage(2, "out"));
  await turn();
  // Both appends of the task went out in one write and one sync, which is still in flight.
  assert.deepEqual(file.log, ["write 496", "sync"]);
  assert.equal(done, false);
  file.release();
  await p;
  assert.equal(done, true);
  await j.close();
});

Deno.test("batch: one fdatasync per window unless batchMessages records wait; flush() does not wait", async () => {
  const file = instrumented();
  const { j, s } = await open("batch", file, { batchMessages: 3, batchMicros: 60_000_000 });
  const p1 = s.appendOutbound(1, fixedMessage(1, "out"));
  await turn();
  assert.deepEqual(file.log, ["write 248"]);
  void s.appendOutbound(2, fixedMessage(2, "out"));
  await turn();
  assert.deepEqual(file.log, ["write 248", "write 248"]);
  const p3 = s.appendOutbound(3, fixedMessage(3, "out"));
  await p3;
  await p1;
  assert.deepEqual(file.log, ["write 248", "write 248", "write 248", "sync"]);
  void s.appendOutbound(4, fixedMessage(4, "out"));
  await s.flush();
  assert.deepEqual(file.log.slice(4), ["write 248", "sync"]);
  await j.close();
});

Deno.test("batch: the fdatasync window is a timer on the injected scheduler (driven by hand, no sleep)", async () => {
  const file = instrumented();
  const scheduler = new ManualScheduler(0);
  const { j, s } = await open("batch", file, { batchMicros: 5000, scheduler });
  let done = false;
  const p = s.appendOutbound(1, fixedMessage(1, "out"));
  assert.ok(p instanceof Promise);
  void p.then(() => done = true);
  await turn();
  // Written at the end of the task; the last fdatasync started at 0 ms: the next one waits for 5 ms.
  assert.deepEqual(file.log, ["write 248"]);
  assert.equal(scheduler.pendingCount, 1);
  assert.equal(scheduler.nextAtMs, 5);
  scheduler.advance(4);
  await turn();
  assert.deepEqual(file.log, ["write 248"]);
  assert.equal(done, false);
  scheduler.advance(1);
  assert.deepEqual(file.log, ["write 248", "sync"]);
  await p;
  assert.equal(done, true);
  assert.equal(scheduler.pendingCount, 0);
  await j.close();
});

Deno.test("a manual scheduler also keeps the records' times (no clock option)", async () => {
  const dir = tempDir();
  const scheduler = new ManualScheduler(Date.UTC(2026, 0, 5, 12, 0, 0));
  const j = await FileJournal.open({ dir, fsync: "none", scheduler, onWarning: () => {} });
  const s = await j.openSession(KEY, scheduler.nowMs());
  void s.appendOutbound(1, fixedMessage(1, "out"));
  await turn();
  scheduler.advance(1500);
  void s.appendOutbound(2, fixedMessage(2, "out"));
  await j.close();
  const times: Array<[string, number, number]> = [];
  JournalReader.open(dir).forEach((r) => void times.push([r.type, r.wallMs, r.monoNs]));
  const t0 = Date.UTC(2026, 0, 5, 12, 0, 0);
  assert.deepEqual(times, [["session-open", t0, 0], ["message", t0, 0], ["message", t0 + 1500, 1500e6]]);
});

Deno.test("none: appends return nothing, are written at the end of the task, synced only at close", async () => {
  const file = instrumented();
  const { j, s } = await open("none", file);
  assert.equal(s.appendOutbound(1, fixedMessage(1, "out")), undefined);
  assert.equal(s.appendInbound(1, fixedMessage(1, "in")), undefined);
  assert.deepEqual(file.log, []);
  await turn();
  assert.deepEqual(file.log, ["write 496"]);
  await s.flush();
  assert.deepEqual(file.log, ["write 496"]);
  await j.close();
  assert.deepEqual(file.log, ["write 496", "sync"]);
});

Deno.test("batchMessages writes a long synchronous burst in pieces", async () => {
  const file = instrumented();
  const { j, s } = await open("none", file, { batchMessages: 4 });
  for (let i = 1; i <= 10; i++) s.appendOutbound(i, fixedMessage(i, "out"));
  assert.deepEqual(file.log, ["write 992", "write 992"]);
  await turn();
  assert.deepEqual(file.log, ["write 992", "write 992", "write 496"]);
  await j.close();
});

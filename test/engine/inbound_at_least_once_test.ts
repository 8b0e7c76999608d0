/**
 * Inbound at-least-once across a crash, file journal (not durableBeforeDeliver): a message whose record
 * reaches the journal's file has already been handed to the application. So a process killed at any
 * instant either leaves the record (and the application saw the message) or not (and the restart expects
 * that number again: the counterparty resends it). Checked at every write(2) of the journal, in order,
 * after a gap (messages beyond it queued, then the gap filled) too. Memory transport, manual scheduler.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { Logger } from "../../src/engine/log.ts";
import { SessionRunner } from "../../src/engine/session_runner.ts";
import { FileJournal, type JournalFile } from "../../src/store/journal.ts";
import { memoryPair } from "../../src/transport/memory.ts";
import { discardAll, frame, sessionConfig, turns } from "./helpers.ts";

const config = sessionConfig("acceptor", { checkLatency: false });

const settle = () => turns(5);

const latin1 = new TextDecoder("latin1");

Deno.test("inbound at-least-once: no inbound record reaches the journal's file before the application has the message", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "fixg-inbound-alo-" });
  const delivered = new Set<number>();
  /** Inbound frames sent, by MsgSeqNum (the last bytes sent for each). */
  const sentIn = new Map<number, string>();
  const onDisk = new Set<number>();
  const early: number[] = [];
  let writes = 0;
  const journal = await FileJournal.open({
    dir,
    fsync: "batch",
    bootId: "boot-a",
    openSegmentFile: (path): JournalFile => {
      const f = Deno.openSync(path, { write: true, createNew: true });
      return {
        writeSync(p: Uint8Array): number {
          const text = latin1.decode(p);
          for (const [seq, bytes] of sentIn) {
            if (onDisk.has(seq) || !text.includes(bytes)) continue;
            onDisk.add(seq);
            if (seq > 1 && !delivered.has(seq)) early.push(seq);
          }
          writes++;
          return f.writeSync(p);
        },
        syncData: () => f.syncData(),
        close: () => f.close(),
      };
    },
  });
  const sched = new ManualScheduler(Date.now());
  const [ours, theirs] = memoryPair();
  const store = await journal.openSession("FIX.4.4:ISLD->TW", sched.nowMs());
  const runner = SessionRunner.create(config, store, {
    onMessage: (view) => delivered.add(view.seqNum),
  }, { logger: new Logger({ level: "error" }), scheduler: sched });
  const reading = discardAll(theirs);
  const attached = runner.attach(ours);
  const send = async (seq: number, extra = "") => {
    const b = frame(
      "FIX.4.4",
      seq === 1 ? "A" : "D",
      `49=TW|56=ISLD|34=${seq}|52=<TIME>|${seq === 1 ? "98=0|108=30|" : `11=o${seq}|`}${extra}`,
    );
    sentIn.set(seq, latin1.decode(b));
    await theirs.write(b);
  };
  try {
    await send(1);
    await settle();
    assert.equal(runner.loggedOn, true);
    // In order, several per read.
    for (let seq = 2; seq <= 40; seq++) await send(seq);
    await settle();
    // A gap: 46..50 arrive before 41..45 (queued, ResendRequest), then the fill.
    for (let seq = 46; seq <= 50; seq++) await send(seq);
    await settle();
    for (let seq = 41; seq <= 45; seq++) await send(seq, "43=Y|122=<TIME>|");
    await settle();
    await journal.flush();
    assert.deepEqual([...delivered].sort((a, b) => a - b), Array.from({ length: 49 }, (_, i) => i + 2));
    assert.equal(onDisk.size, 50, "every inbound record written");
    assert.ok(writes > 3, `${writes} writes`);
    assert.deepEqual(early, [], "records on disk before their delivery");
  } finally {
    theirs.close();
    await attached;
    await reading;
    await runner.stop();
    await journal.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("frame(): every <TIME> of one frame is the same instant (OrigSendingTime never after SendingTime)", () => {
  // The clock ticks between the fields: before, 52 and 122 got two readings (the test above, under load,
  // saw a PossDup resend rejected for OrigSendingTime after SendingTime and the message not delivered).
  const real = Date.now;
  let t = real();
  Date.now = () => t++;
  try {
    const text = latin1.decode(frame("FIX.4.4", "D", "49=TW|56=ISLD|34=2|52=<TIME>|43=Y|122=<TIME>|11=o"));
    const fields = new Map(
      text.split("\x01").map((f) => [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)]),
    );
    assert.match(fields.get("52") ?? "", /^\d{8}-/);
    assert.equal(fields.get("122"), fields.get("52"));
  } finally {
    Date.now = real;
  }
});

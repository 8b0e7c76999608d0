/**
 * The read loop (src/engine/session_reader.ts) across connections: the bytes of a frame the last
 * connection left unfinished do not reach the next one, and a loop still waiting on the slow-reader
 * fault when its connection is dropped and a new one attached leaves the new one alone. Memory
 * transport, manual scheduler, no sleeps.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { Logger } from "../../src/engine/log.ts";
import { SessionRunner } from "../../src/engine/session_runner.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { type MemoryConnection, memoryPair } from "../../src/transport/memory.ts";
import { discardAll, frame, turns } from "./helpers.ts";

const config: SessionConfig = {
  ...DEFAULT_SESSION_SETTINGS,
  id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
  role: "initiator",
  checkLatency: false,
};

const logonAnswer = (seq: number) => frame("FIX.4.4", "A", `49=ISLD|56=TW|34=${seq}|52=<TIME>|98=0|108=30`);

async function initiator() {
  const sched = new ManualScheduler(Date.now());
  const store = await new MemoryMessageStore().openSession("k", sched.nowMs());
  const runner = SessionRunner.create(config, store, {}, {
    logger: new Logger({ level: "error" }),
    scheduler: sched,
  });
  return { sched, runner };
}

/** Attaches one end of a new memory pair; the counterparty's end reads and discards what it gets. */
function connect(
  runner: SessionRunner,
): { theirs: MemoryConnection; attached: Promise<boolean>; drained: Promise<void> } {
  const [ours, theirs] = memoryPair();
  return { theirs, attached: runner.attach(ours), drained: discardAll(theirs) };
}

Deno.test("read loop: half a frame on a connection that closes does not reach the next connection", async () => {
  const { runner } = await initiator();
  const first = connect(runner);
  await turns(2);
  // The counterparty's Logon answer, cut after 30 bytes, then the connection closes.
  first.theirs.write(logonAnswer(1).subarray(0, 30));
  await turns(2);
  first.theirs.close();
  assert.equal(await first.attached, false);
  await first.drained;
  assert.equal(runner.connected, false);

  const second = connect(runner);
  await turns(2);
  await second.theirs.write(logonAnswer(1));
  await turns(3);
  assert.equal(runner.counters.garbled, 0);
  assert.equal(runner.loggedOn, true);
  assert.equal(runner.state.nextTargetSeq, 2);
  second.theirs.close();
  assert.equal(await second.attached, true);
  await second.drained;
  await runner.stop();
});

Deno.test("read loop: a loop waiting on the slow-reader fault when its connection goes leaves the next connection alone", async () => {
  const { sched, runner } = await initiator();
  runner.faults.readDelayMs = 100;
  const first = connect(runner);
  await turns(2);
  // The first loop waits its 100 ms before reading; meanwhile the connection is dropped and another attached.
  runner.disconnect("test drop");
  await turns(2);
  assert.equal(runner.connected, false);
  await first.drained;
  const second = connect(runner);
  await turns(2);
  assert.equal(runner.connected, true);
  // Both loops' delays end: the first finds its connection gone, the second reads.
  sched.advance(100);
  await turns(3);
  assert.equal(await first.attached, false);
  assert.equal(runner.connected, true, "the second connection is still attached");
  await second.theirs.write(logonAnswer(1));
  sched.advance(100);
  await turns(3);
  assert.equal(runner.loggedOn, true);
  runner.faults.readDelayMs = 0;
  second.theirs.close();
  sched.advance(100);
  await turns(3);
  assert.equal(await second.attached, true);
  await second.drained;
  await runner.stop();
});

/**
 * The outbound path without the writer's copy (issue 16): the session's own frames go to the socket
 * from the encoder's buffer, and the store keeps (memory) or copies (file journal) the same frames.
 * A burst large enough to fill several of the encoder's buffers, with bodies whose BodyLength has 2,
 * 3 and 4 digits (the head's guessed room is wrong and the body is moved) and a resent copy in the
 * middle of it (copied by the writer), must reach the wire byte for byte as the store keeps it.
 * Memory transport, manual scheduler, no sleeps.
 */
import assert from "node:assert/strict";
import { type FixMessage, Framer, MessageView, Tag } from "../../../src/codec/mod.ts";
import { ManualScheduler } from "../../../src/clock.ts";
import { Logger } from "../../../src/engine/log.ts";
import { SessionRunner } from "../../../src/engine/session_runner.ts";
import { FileJournal } from "../../../src/store/journal.ts";
import { MemoryMessageStore } from "../../../src/store/memory_store.ts";
import type { MessageStore } from "../../../src/store/types.ts";
import { memoryPair } from "../../../src/transport/memory.ts";
import { frame, sessionConfig, turns } from "../helpers.ts";

const config = sessionConfig("initiator", { checkLatency: false });

/** Orders of three sizes in turn: BodyLength of 2, 3 and 4 digits. */
function order(i: number): FixMessage {
  if (i % 3 === 0) return { msgType: "D", fields: [[Tag.ClOrdID, `o${i}`]] };
  const text = i % 3 === 1 ? "t".repeat(40) : "x".repeat(3000);
  return {
    msgType: "D",
    fields: [[Tag.ClOrdID, `o${i}`], [Tag.Symbol, "IBM"], [Tag.Side, "1"], [Tag.OrderQty, 100], [
      Tag.OrdType,
      "1",
    ], [Tag.Text, text]],
  };
}

const settle = () => turns(5);

async function burstMatchesStore(messageStore: MessageStore): Promise<void> {
  const sched = new ManualScheduler(Date.now());
  const [ours, theirs] = memoryPair();
  const store = await messageStore.openSession("k", sched.nowMs());
  const runner = SessionRunner.create(config, store, {}, {
    logger: new Logger({ level: "error" }),
    scheduler: sched,
  });
  const frames: Uint8Array[] = [];
  let garbled = 0;
  const f = new Framer({
    onFrame: (b, s, e) => frames.push(b.slice(s, e)),
    onGarbled: () => garbled++,
  });
  const reading = (async () => {
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await theirs.read(buf);
      if (n === null) return;
      f.push(buf.subarray(0, n));
    }
  })();
  const attached = runner.attach(ours);
  await settle();
  await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await settle();
  assert.equal(runner.loggedOn, true);
  // Three bursts of 300 (about 300 kB each: several of the encoder's 256 kB buffers), the first write
  // of each leaving at once and the rest accumulating behind it; a ResendRequest for 2-3 between the
  // first two, so resent copies (which the writer copies) come in the middle of owned frames.
  let i = 0;
  for (let burst = 0; burst < 3; burst++) {
    for (let k = 0; k < 300; k++) assert.equal(runner.send(order(i++)).kind, "sent");
    if (burst === 0) {
      await theirs.write(frame("FIX.4.4", "2", "49=ISLD|56=TW|34=2|52=<TIME>|7=2|16=3|"));
    }
    await settle();
  }
  assert.equal(garbled, 0);
  const stored = await store.getOutbound(1, 0);
  assert.equal(stored.length, 901);
  // Every frame we sent with a new number is on the wire exactly as stored; resent copies (43=Y) aside.
  const fresh = frames.filter((b) => MessageView.parse(b).getString(Tag.PossDupFlag) !== "Y");
  assert.equal(fresh.length, 901);
  assert.equal(frames.length - fresh.length, 2);
  for (let k = 0; k < stored.length; k++) {
    assert.equal(stored[k]!.seq, k + 1);
    assert.deepEqual(fresh[k], stored[k]!.bytes, `message ${k + 1}`);
  }
  const views = fresh.map((b) => MessageView.parse(b));
  assert.deepEqual(views.slice(1, 4).map((v) => v.getString(Tag.ClOrdID)), ["o0", "o1", "o2"]);
  assert.deepEqual(
    [...new Set(views.slice(1).map((v) => String(v.getInt(Tag.BodyLength)).length))].sort(),
    [2, 3, 4],
  );
  theirs.close();
  await attached;
  await reading;
  await runner.stop();
  await messageStore.close();
}

Deno.test("outbound bytes: a burst across several encoder buffers is on the wire as the memory store keeps it", async () => {
  await burstMatchesStore(new MemoryMessageStore());
});

Deno.test("outbound bytes: a burst across several encoder buffers is on the wire as the file journal keeps it", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "fixg-outbound-bytes-" });
  try {
    await burstMatchesStore(await FileJournal.open({ dir, fsync: "none", bootId: "boot-a" }));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

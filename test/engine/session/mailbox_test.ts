/**
 * The actor's mailbox: commands an application callback asks for (skip numbers, a SequenceReset, a
 * Logout) run after the step that called it, sends made in the callback keep their order around them,
 * and nothing a step still has to write is overtaken. Memory transport, manual scheduler, no sleeps.
 */
import assert from "node:assert/strict";
import { type FixMessage, Framer, Tag, toReadable } from "../../../src/codec/mod.ts";
import { ManualScheduler } from "../../../src/clock.ts";
import type { Application, SessionHandle } from "../../../src/engine/application.ts";
import { Logger } from "../../../src/engine/log.ts";
import { SessionRunner } from "../../../src/engine/session_runner.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../../src/session/types.ts";
import { MemoryMessageStore } from "../../../src/store/memory_store.ts";
import { memoryPair } from "../../../src/transport/memory.ts";
import { frame } from "../helpers.ts";

const config: SessionConfig = {
  ...DEFAULT_SESSION_SETTINGS,
  id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
  role: "initiator",
  checkLatency: false,
};

const order = (id: string): FixMessage => ({
  msgType: "D",
  fields: [[Tag.ClOrdID, id], [Tag.Symbol, "IBM"], [Tag.Side, "1"], [Tag.OrderQty, 100], [Tag.OrdType, "1"]],
});

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
}

/** An initiator over the memory transport; the counterparty's view of the wire as "35:34[:11|:7-16|:36]". */
async function session(app: Application) {
  const sched = new ManualScheduler(Date.now());
  const [ours, theirs] = memoryPair();
  const store = await new MemoryMessageStore().openSession("k", sched.nowMs());
  const runner = SessionRunner.create(config, store, app, {
    logger: new Logger({ level: "error" }),
    scheduler: sched,
  });
  const wire: string[] = [];
  const f = new Framer({
    onFrame: (b, s, e) => {
      const t = toReadable(b, s, e);
      const get = (tag: number) => new RegExp(`\\|${tag}=([^|]*)`).exec(t)?.[1];
      const extra = get(11) ?? (get(7) !== undefined ? `${get(7)}-${get(16)}` : get(36));
      wire.push(`${get(35)}:${get(34)}${extra !== undefined ? `:${extra}` : ""}`);
    },
    onGarbled: () => {},
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
  const done = async () => {
    theirs.close();
    await attached;
    await reading;
    await runner.stop();
    assert.equal(sched.pendingCount, 0);
  };
  return { runner, theirs, wire, done };
}

Deno.test("mailbox: a command in onLogon runs after the step's ResendRequest; sends keep their order around it", async () => {
  const app: Application = {
    onLogon(s: SessionHandle) {
      const r = s as SessionRunner;
      r.send(order("o1"));
      r.skipSenderSeq(5);
      r.send(order("o2"));
    },
  };
  const { theirs, wire, done } = await session(app);
  assert.deepEqual(wire, ["A:1"]);
  // Their Logon comes as 5 (we expect 1): the logon step asks for 1-4 with a ResendRequest (our 2).
  await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=5|52=<TIME>|98=0|108=30|"));
  await settle();
  // Before the mailbox, the command ran inside the step: o1 went out as 3 ahead of the ResendRequest (2).
  assert.deepEqual(wire, ["A:1", "2:2:1-0", "D:3:o1", "D:9:o2"]);
  await done();
});

Deno.test("mailbox: skip and send from onMessage, as the LP simulator does: numbers follow the calls", async () => {
  const app: Application = {
    onMessage(_v, s) {
      const r = s as SessionRunner;
      r.send(order("ack"));
      r.skipSenderSeq(1);
      r.send(order("fill"));
    },
  };
  const { runner, theirs, wire, done } = await session(app);
  await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await settle();
  assert.equal(runner.loggedOn, true);
  await theirs.write(frame("FIX.4.4", "D", "49=ISLD|56=TW|34=2|52=<TIME>|11=in1|55=IBM|54=1|38=1|40=1|"));
  await settle();
  assert.deepEqual(wire, ["A:1", "D:2:ack", "D:4:fill"]);
  assert.equal(runner.status().nextSenderSeq, 5);
  await done();
});

Deno.test("mailbox: a Logout asked for in onMessage goes out after the step; the order sent before it first", async () => {
  const app: Application = {
    onMessage(_v, s) {
      s.send(order("last"));
      s.logout("done for the day");
    },
  };
  const { runner, theirs, wire, done } = await session(app);
  await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await settle();
  await theirs.write(frame("FIX.4.4", "D", "49=ISLD|56=TW|34=2|52=<TIME>|11=in1|55=IBM|54=1|38=1|40=1|"));
  await settle();
  assert.deepEqual(wire, ["A:1", "D:2:last", "5:3"]);
  assert.equal(runner.state.phase, "logout-sent");
  await done();
});

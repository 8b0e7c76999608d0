/**
 * The runner's timers go through an injected scheduler: heartbeat, TestRequest, heartbeat timeout and
 * logon timeout driven by a ManualScheduler over the memory transport, with no sleeps; no timer stays
 * armed after the disconnect.
 */
import assert from "node:assert/strict";
import { Framer, toReadable } from "../../../src/codec/mod.ts";
import { ManualScheduler } from "../../../src/clock.ts";
import { Logger } from "../../../src/engine/log.ts";
import { SessionRunner } from "../../../src/engine/session_runner.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../../src/session/types.ts";
import { MemoryMessageStore } from "../../../src/store/memory_store.ts";
import { memoryPair } from "../../../src/transport/memory.ts";
import type { Connection } from "../../../src/transport/types.ts";
import { frame } from "../helpers.ts";

const initiator: SessionConfig = {
  ...DEFAULT_SESSION_SETTINGS,
  id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
  role: "initiator",
  checkLatency: false,
};

/** Lets the memory transport's promises run (no time passes on the manual clock). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => queueMicrotask(r));
  await new Promise((r) => setTimeout(r, 0));
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => queueMicrotask(r));
}

/** The counterparty's end: every frame as "35:34" (and 112 when present). */
function collect(conn: Connection, into: string[]): Promise<void> {
  const f = new Framer({
    onFrame: (b, s, e) => {
      const t = toReadable(b, s, e);
      const get = (tag: number) => new RegExp(`\\|${tag}=([^|]*)`).exec(t)?.[1];
      into.push(`${get(35)}:${get(34)}${get(112) ? `:${get(112)}` : ""}`);
    },
    onGarbled: () => {},
  });
  return (async () => {
    const buf = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return;
      f.push(buf.subarray(0, n));
    }
  })();
}

async function setup(config: SessionConfig) {
  const sched = new ManualScheduler(Date.now());
  const [ours, theirs] = memoryPair();
  const store = await new MemoryMessageStore().openSession("k", sched.nowMs());
  const runner = SessionRunner.create(config, store, {}, {
    logger: new Logger({ level: "error" }),
    scheduler: sched,
  });
  const wire: string[] = [];
  const reading = collect(theirs, wire);
  let loggedOnOver: boolean | undefined;
  const attached = runner.attach(ours).then((v) => (loggedOnOver = v));
  await settle();
  return { sched, runner, theirs, wire, reading, attached, loggedOnOver: () => loggedOnOver };
}

Deno.test("scheduler: heartbeat, TestRequest and heartbeat timeout on a manual clock, exact numbers, no timer left", async () => {
  const { sched, runner, theirs, wire, reading, attached, loggedOnOver } = await setup(initiator);
  assert.deepEqual(wire, ["A:1"]);
  await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await settle();
  assert.equal(runner.loggedOn, true);
  // 30 s of our silence: a Heartbeat.
  sched.advance(29_999);
  await settle();
  assert.deepEqual(wire, ["A:1"]);
  sched.advance(1);
  await settle();
  assert.deepEqual(wire, ["A:1", "0:2"]);
  // 36 s (1.2 x 30) of theirs: a TestRequest (no Heartbeat while it is unanswered).
  sched.advance(5_999);
  await settle();
  assert.deepEqual(wire, ["A:1", "0:2"]);
  sched.advance(1);
  await settle();
  assert.deepEqual(wire, ["A:1", "0:2", "1:3:TEST"]);
  // Answered: the session goes on; the peer's Heartbeat resets its silence.
  await theirs.write(frame("FIX.4.4", "0", "49=ISLD|56=TW|34=2|52=<TIME>|112=TEST|"));
  await settle();
  assert.equal(runner.state.testRequestId, undefined);
  assert.equal(runner.status().nextTargetSeq, 3);
  // Silence again: Heartbeat at 30 s after our last send, TestRequest 36 s after their last message,
  // then the heartbeat timeout 36 s after that.
  sched.advance(30_000);
  await settle();
  assert.deepEqual(wire.slice(3), ["0:4"]);
  sched.advance(6_000);
  await settle();
  assert.deepEqual(wire.slice(3), ["0:4", "1:5:TEST"]);
  sched.advance(35_999);
  await settle();
  assert.equal(runner.connected, true);
  sched.advance(1);
  await settle();
  await attached;
  assert.equal(runner.connected, false);
  assert.equal(loggedOnOver(), true);
  assert.equal(runner.counters.heartbeatsMissed, 1);
  assert.equal(runner.status().nextSenderSeq, 6);
  assert.equal(sched.pendingCount, 0, "no timer armed after the disconnect");
  await reading;
  await runner.stop();
  assert.equal(sched.pendingCount, 0);
});

Deno.test("scheduler: logon timeout of an acceptor on a manual clock; nothing pending after", async () => {
  const acceptor: SessionConfig = {
    ...initiator,
    id: { beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW" },
    role: "acceptor",
  };
  const { sched, runner, wire, reading, attached, loggedOnOver } = await setup(acceptor);
  assert.equal(sched.pendingCount, 1, "the logon deadline");
  assert.equal(sched.nextAtMs, sched.nowMs() + 10_000);
  sched.advance(9_999);
  await settle();
  assert.equal(runner.connected, true);
  sched.advance(1);
  await settle();
  await attached;
  assert.equal(runner.connected, false);
  assert.equal(loggedOnOver(), false);
  assert.deepEqual(wire, []);
  assert.match(runner.status().lastError ?? "", /No Logon within 10000 ms/);
  assert.equal(sched.pendingCount, 0);
  await reading;
  await runner.stop();
});

Deno.test("scheduler: the initiator's Logon unanswered times out at logonTimeoutMs; stop() leaves no timer", async () => {
  const { sched, runner, wire, reading, attached } = await setup(initiator);
  assert.deepEqual(wire, ["A:1"]);
  sched.advance(10_000);
  await settle();
  await attached;
  assert.equal(runner.connected, false);
  assert.equal(runner.status().nextSenderSeq, 2);
  assert.equal(sched.pendingCount, 0);
  await reading;
  await runner.stop();
  assert.equal(sched.pendingCount, 0);
});

Deno.test("scheduler: the peer closing a logged-on session leaves no timer armed (the heartbeat tick is cancelled)", async () => {
  const { sched, runner, theirs, wire, reading, attached } = await setup(initiator);
  await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await settle();
  assert.equal(runner.loggedOn, true);
  assert.ok(sched.pendingCount > 0, "the heartbeat tick is armed");
  theirs.close();
  await settle();
  await attached;
  await reading;
  assert.equal(runner.connected, false);
  assert.deepEqual(wire, ["A:1"]);
  assert.equal(sched.pendingCount, 0, "no timer armed after the disconnect");
  // Time passing after the disconnect sends nothing and changes nothing.
  sched.advance(120_000);
  assert.equal(runner.status().nextSenderSeq, 2);
});

Deno.test("scheduler: a peer that does not read is disconnected at writeTimeoutMs on the manual clock", async () => {
  const sched = new ManualScheduler(Date.now());
  const [ours, theirs] = memoryPair();
  // Our writes never complete (the peer does not read); reads pass through.
  let writes = 0;
  const stuck: Connection = {
    remoteAddr: "memory:stuck",
    remoteHost: "memory",
    read: (b) => ours.read(b),
    write: () => {
      writes++;
      return new Promise<void>(() => {});
    },
    close: () => ours.close(),
  };
  const store = await new MemoryMessageStore().openSession("k", sched.nowMs());
  const runner = SessionRunner.create(initiator, store, {}, {
    logger: new Logger({ level: "error" }),
    scheduler: sched,
    writeTimeoutMs: 5_000,
  });
  const attached = runner.attach(stuck);
  await settle();
  assert.equal(writes, 1, "our Logon is in flight");
  sched.advance(4_999);
  await settle();
  assert.equal(runner.connected, true);
  sched.advance(1);
  await settle();
  await attached;
  assert.equal(runner.connected, false);
  assert.equal(runner.counters.writeTimeouts, 1);
  assert.equal(runner.status().lastError, "write timeout: the peer has not read 83 bytes for 5 s");
  assert.equal(sched.pendingCount, 0);
  theirs.close();
  await runner.stop();
});

/**
 * "Journal, then the socket": when the engine hands a frame that carries a new MsgSeqNum to the socket,
 * its record must already be in the journal's segment file (written with write(2), so in the kernel: a
 * kill -9 right after the socket write loses nothing, and the restart in the same boot, which trusts the
 * journal, does not hand that number out again). Checked at every socket write of the session by
 * reading the segment files: across segment rotations (the new segment's records wait for the old
 * file's fdatasync) and, in one segment, with a resend in flight (the writer's flush, armed by the
 * resent copies, ran before the journal's write of the sends that followed in the same task). Memory transport, manual scheduler, no sleeps.
 */
import assert from "node:assert/strict";
import { type FixMessage, Framer, MessageView, Tag } from "../../src/codec/mod.ts";
import { ManualScheduler } from "../../src/clock.ts";
import { Logger } from "../../src/engine/log.ts";
import { SessionRunner } from "../../src/engine/session_runner.ts";
import { FileJournal, type FsyncPolicy } from "../../src/store/journal.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { SessionStore } from "../../src/store/types.ts";
import { memoryPair } from "../../src/transport/memory.ts";
import type { Connection } from "../../src/transport/types.ts";
import { discardAll, frame, sessionConfig, turns } from "./helpers.ts";

const config = sessionConfig("initiator", { checkLatency: false });

function order(i: number): FixMessage {
  return { msgType: "D", fields: [[Tag.ClOrdID, `o${i}`], [Tag.Symbol, "IBM"], [Tag.Text, "t".repeat(60)]] };
}

const settle = () => turns(5);

const latin1 = new TextDecoder("latin1");

/** Everything the journal's segment files hold now (what a kill -9 would leave), as one latin1 string. */
function onDisk(dir: string): string {
  let out = "";
  for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.endsWith(".seg")) out += latin1.decode(Deno.readFileSync(`${dir}/${e.name}`));
  }
  return out;
}

/**
 * Wraps `conn`: before each write, every frame in it that carries a new number (not a resent copy, not
 * a SequenceReset) must be in the journal's files. Returns the MsgSeqNums that were not.
 */
function checking(
  conn: Connection,
  dir: string,
): { conn: Connection; missing: number[]; checked: () => number } {
  const missing: number[] = [];
  let checked = 0;
  const wrapped = Object.create(conn) as Connection;
  wrapped.write = (bytes: Uint8Array) => {
    const disk = onDisk(dir);
    const frames: Uint8Array[] = [];
    const f = new Framer({ onFrame: (b, s, e) => frames.push(b.slice(s, e)), onGarbled: () => {} });
    f.push(bytes);
    for (const b of frames) {
      const v = MessageView.parse(b);
      if (v.getString(Tag.PossDupFlag) === "Y" || v.msgType === "4") continue;
      checked++;
      if (!disk.includes(latin1.decode(b))) missing.push(v.getInt(Tag.MsgSeqNum)!);
    }
    return conn.write(bytes);
  };
  return { conn: wrapped, missing, checked: () => checked };
}

async function run(fsync: FsyncPolicy, scenario: "rotation" | "resend"): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "fixg-before-wire-" });
  // Small segments for the rotations; one segment for the resend (no rotation: the order of the
  // writer's flush and the journal's write within one task is what is checked).
  const segmentBytes = scenario === "rotation" ? 4096 : 1 << 26;
  const journal = await FileJournal.open({ dir, fsync, segmentBytes, bootId: "boot-a" });
  const sched = new ManualScheduler(Date.now());
  const [ours, theirs] = memoryPair();
  const store = await journal.openSession("FIX.4.4:TW->ISLD", sched.nowMs());
  const runner = SessionRunner.create(config, store, {}, {
    logger: new Logger({ level: "error" }),
    scheduler: sched,
  });
  const check = checking(ours, dir);
  const reading = discardAll(theirs);
  const attached = runner.attach(check.conn);
  try {
    await settle();
    await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
    await settle();
    assert.equal(runner.loggedOn, true);
    let i = 0;
    if (scenario === "rotation") {
      // About 150 bytes a record, 4096-byte segments: a rotation every ~25 messages, sends in between.
      for (let burst = 0; burst < 20; burst++) {
        for (let k = 0; k < 10; k++) assert.equal(runner.send(order(i++)).kind, "sent");
        await settle();
      }
    } else {
      for (let k = 0; k < 20; k++) runner.send(order(i++));
      await settle();
      // A ResendRequest, and sends made while its answer is streamed.
      for (let round = 0; round < 10; round++) {
        await theirs.write(frame("FIX.4.4", "2", `49=ISLD|56=TW|34=${2 + round}|52=<TIME>|7=2|16=0|`));
        for (let k = 0; k < 5; k++) {
          await new Promise((r) => setTimeout(r, 0));
          runner.send(order(i++));
        }
        await settle();
      }
    }
    await settle();
    assert.ok(check.checked() > 50, `checked ${check.checked()} frames`);
    assert.deepEqual(check.missing, [], "frames on the wire before their journal record");
  } finally {
    theirs.close();
    await attached;
    await reading;
    await runner.stop();
    await journal.close();
    Deno.removeSync(dir, { recursive: true });
  }
}

for (const fsync of ["batch", "none"] as const) {
  Deno.test(`journal before the wire (fsync ${fsync}): across segment rotations every new number is in the journal's file before its socket write`, async () => {
    await run(fsync, "rotation");
  });
  Deno.test(`journal before the wire (fsync ${fsync}): sends made while a resend is answered are in the journal's file before their socket write`, async () => {
    await run(fsync, "resend");
  });
}

/** `target` with some members replaced (its own methods still run on it: private fields work). */
function overriding<T extends object>(target: T, members: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, p) {
      if (typeof p === "string" && p in members) return members[p];
      const v = Reflect.get(t, p, t);
      return typeof v === "function" ? v.bind(t) : v;
    },
    set(t, p, v) {
      return Reflect.set(t, p, v, t);
    },
  });
}

/**
 * A store whose writeAppended makes every socket write wait (as during a segment switch), failing with
 * `storeFails` when given; the connection's writes fail with `socketFails` once logged on, when given.
 */
async function waitOutcome(storeFails: Error | undefined, socketFails: Error | undefined) {
  const sched = new ManualScheduler(Date.now());
  const [ours, theirs] = memoryPair();
  const inner = await new MemoryMessageStore().openSession("k", sched.nowMs());
  let loggedOn = false;
  const store = overriding<SessionStore>(inner, {
    writeAppended: () => (loggedOn && storeFails ? Promise.reject(storeFails) : Promise.resolve()),
  });
  const conn = overriding<Connection>(ours, {
    write: (b: Uint8Array) => (loggedOn && socketFails ? Promise.reject(socketFails) : ours.write(b)),
  });
  const runner = SessionRunner.create(config, store, {}, {
    logger: new Logger({ level: "error" }),
    scheduler: sched,
  });
  const reading = discardAll(theirs);
  const attached = runner.attach(conn);
  await settle();
  await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await settle();
  assert.equal(runner.loggedOn, true);
  loggedOn = true;
  runner.send(order(1));
  await settle();
  const out = {
    storeErrors: runner.counters.storeErrors,
    connected: runner.connected,
    lastError: runner.status().lastError,
  };
  theirs.close();
  await attached;
  await reading;
  await runner.stop();
  return out;
}

Deno.test("journal before the wire: a failed store wait stops the session's sending; a socket error after it only ends the connection", async () => {
  const store = await waitOutcome(new Error("Journal write failed: disk full"), undefined);
  assert.equal(store.storeErrors, 1);
  assert.equal(store.connected, false);
  assert.match(store.lastError ?? "", /^store: Journal write failed: disk full/);
  // The store was fine; the peer reset the connection: not a store error (the session may log on again).
  const socket = await waitOutcome(undefined, new Deno.errors.ConnectionReset("connection reset by peer"));
  assert.equal(socket.storeErrors, 0);
  assert.equal(socket.connected, false);
  assert.doesNotMatch(socket.lastError ?? "", /^store:/);
});

/**
 * A counterparty that has logged on and then misbehaves (brief R10): floods, resend and SequenceReset
 * abuse, a peer that stops reading. Each test drives a real SessionRunner over an in-memory connection
 * whose peer reads only when the test says so (as a full TCP send buffer), bounded in count and time.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { EVENT_LINES_BURST } from "../../src/engine/session/counters.ts";
import type { Application } from "../../src/engine/application.ts";
import { Logger } from "../../src/engine/log.ts";
import { SessionRunner } from "../../src/engine/session_runner.ts";
import type { SessionConfig } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { SessionStore } from "../../src/store/types.ts";
import {
  attachLoggedOn,
  frame,
  PeerSocket,
  RawClient,
  sessionConfig,
  startAcceptor,
  turns,
  waitFor,
} from "./helpers.ts";

const config = sessionConfig("initiator");

async function loggedOn(
  options: { maxOutboundBufferBytes?: number; writeTimeoutMs?: number; scheduler?: ManualScheduler } = {},
  wrap: (s: SessionStore) => SessionStore = (s) => s,
  app: Application = {},
  role: SessionConfig["role"] = "initiator",
) {
  const store = wrap(await new MemoryMessageStore().openSession("k", Date.now()));
  const peer = new PeerSocket(16 * 1024);
  const lines: string[] = [];
  const runner = SessionRunner.create({ ...config, role }, store, app, {
    logger: new Logger({ level: "info", sink: (l) => lines.push(l) }),
    ...options,
  });
  const { attached } = await attachLoggedOn(runner, peer, role);
  return { runner, peer, attached, lines, store };
}

/** `count` messages from the peer, numbered from `first`, in chunks of about 60 KB (one read each). */
function sendMany(peer: PeerSocket, first: number, count: number, body: (seq: number) => [string, string]) {
  let chunk: Uint8Array[] = [];
  let size = 0;
  const push = () => {
    const all = new Uint8Array(size);
    let at = 0;
    for (const c of chunk) {
      all.set(c, at);
      at += c.length;
    }
    peer.send(all);
    chunk = [];
    size = 0;
  };
  for (let seq = first; seq < first + count; seq++) {
    const [type, fields] = body(seq);
    const f = frame("FIX.4.4", type, `49=ISLD|56=TW|34=${seq}|52=<TIME>|${fields}`);
    if (size + f.length > 60_000) push();
    chunk.push(f);
    size += f.length;
  }
  if (size > 0) push();
}

Deno.test("a TestRequest flood from a peer that does not read: the session stops reading once its outbound bound is reached; every one answered once it reads", async () => {
  const bound = 64 * 1024;
  const { runner, peer, attached } = await loggedOn({ maxOutboundBufferBytes: bound, writeTimeoutMs: 0 });
  const N = 20_000;
  sendMany(peer, 2, N, (seq) => ["1", `112=T${seq}|`]);
  await waitFor(() => peer.waitingWrites > 0, "the peer's socket buffer to fill");
  await turns(50);
  // 20,000 Heartbeats of about 80 bytes: 1.6 MB if every TestRequest were read while nothing is taken.
  // One read (64 KiB of TestRequests, about 1,000) may be answered beyond the bound.
  const oneRead = 1_100 * 90;
  assert.ok(
    runner.outboundBufferedBytes <= bound + oneRead,
    `${runner.outboundBufferedBytes} bytes buffered for a peer that does not read, bound ${bound}`,
  );
  assert.ok(peer.inbound.length > 0, "what the peer sent beyond that waits in its socket");
  // The peer reads again: every TestRequest is answered, in order, exactly once.
  await peer.drainWhile(() => runner.state.nextTargetSeq < N + 2, 10_000);
  peer.drain();
  await turns(5);
  peer.drain();
  const ids = peer.frames.filter((f) => f.includes("|35=0|")).map((f) => /\|112=(T\d+)\|/.exec(f)?.[1]);
  assert.equal(runner.state.nextTargetSeq, N + 2);
  assert.equal(ids.length, N);
  assert.deepEqual(ids, Array.from({ length: N }, (_, i) => `T${i + 2}`));
  peer.close();
  await attached;
});

Deno.test("a flood while a resend streams to a peer that does not read: the acceptor stops reading once the waiting messages reach its bound; all processed in order once it reads", async () => {
  const bound = 64 * 1024;
  // The acceptor's bound (an initiator does not count its mailbox: test/engine/mutual_resend_test.ts).
  const { runner, peer, attached, store } = await loggedOn(
    {
      maxOutboundBufferBytes: bound,
      writeTimeoutMs: 0,
    },
    undefined,
    undefined,
    "acceptor",
  );
  // 3,000 application messages sent (about 600 KB): a resend of them waits on the peer's socket.
  for (let i = 0; i < 3_000; i++) {
    runner.send({
      msgType: "D",
      fields: [[11, `O${i}`], [55, "IBM"], [54, "1"], [38, 100], [40, "1"], [58, "x".repeat(100)]],
    });
    if (i % 100 === 99) {
      peer.drain();
      await turns(1);
    }
  }
  await peer.drainWhile(() => store.seqNums().nextSenderSeq < 3_002, 200);
  assert.equal(store.seqNums().nextSenderSeq, 3_002);
  peer.drain();
  peer.frames.length = 0;
  peer.send(frame("FIX.4.4", "2", "49=ISLD|56=TW|34=2|52=<TIME>|7=1|16=0|"));
  await waitFor(() => peer.waitingWrites > 0, "the peer's socket buffer to fill");
  const N = 20_000;
  sendMany(peer, 3, N, () => ["0", ""]);
  await turns(50);
  // 20,000 Heartbeats of about 60 bytes (1.2 MB) would wait in the mailbox, copied, were they all read.
  const oneRead = 64 * 1024;
  assert.ok(
    runner.inboundHeldBytes <= bound + oneRead,
    `${runner.inboundHeldBytes} bytes of inbound messages held while the resend waits, bound ${bound}`,
  );
  assert.ok(peer.inbound.length > 0, "what the peer sent beyond that waits in its socket");
  await peer.drainWhile(() => runner.state.nextTargetSeq < N + 3, 10_000);
  assert.equal(runner.state.nextTargetSeq, N + 3);
  assert.equal(runner.inboundHeldBytes, 0);
  await peer.drainWhile(() => runner.outboundBufferedBytes > 0 || peer.buffered > 0, 1_000);
  const resent = peer.frames.filter((f) => f.includes("|35=D|") && f.includes("|43=Y|"));
  assert.equal(resent.length, 3_000);
  peer.close();
  await attached;
});

/**
 * A store that delivers only after commit (as the PostgreSQL store) and whose commits wait until the
 * test releases them: a database that stalls (a sync standby that does not answer).
 */
class StallingStore {
  stalled = true;
  #waiting: Array<() => void> = [];
  wrap(inner: SessionStore): SessionStore {
    const commit = (): Promise<void> => {
      if (!this.stalled) return Promise.resolve();
      return new Promise((r) => this.#waiting.push(r));
    };
    const own: Record<PropertyKey, unknown> = {
      durableBeforeDeliver: true,
      appendInbound: (seq: number, bytes: Uint8Array) => {
        inner.appendInbound(seq, bytes);
        return commit();
      },
      flush: () => commit(),
    };
    return new Proxy(inner, {
      get(target, key) {
        if (key in own) return own[key];
        const v = Reflect.get(target, key, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  }
  release(): void {
    this.stalled = false;
    for (const r of this.#waiting.splice(0)) r();
  }
}

Deno.test("a flood while the store's commits stall (durableBeforeDeliver): the session stops reading once the messages waiting for their commit reach its bound; all delivered in order after", async () => {
  const bound = 64 * 1024;
  const db = new StallingStore();
  const delivered: string[] = [];
  const { runner, peer, attached } = await loggedOn(
    { maxOutboundBufferBytes: bound },
    (s) => db.wrap(s),
    { onMessage: (m) => delivered.push(m.getString(11)!) },
  );
  const N = 10_000;
  sendMany(
    peer,
    2,
    N,
    (seq) => ["D", `11=O${seq}|21=1|55=IBM|54=1|60=<TIME>|38=100|40=1|58=${"x".repeat(60)}|`],
  );
  await turns(50);
  // 10,000 orders of about 180 bytes (1.8 MB) would be held, copied, were they all read.
  const oneRead = 64 * 1024;
  assert.ok(
    runner.inboundHeldBytes <= bound + oneRead,
    `${runner.inboundHeldBytes} bytes of inbound messages held while the store stalls, bound ${bound}`,
  );
  assert.ok(peer.inbound.length > 0, "what the peer sent beyond that waits in its socket");
  db.release();
  await peer.drainWhile(() => runner.state.nextTargetSeq < N + 2, 2_000);
  await turns(5);
  assert.equal(runner.state.nextTargetSeq, N + 2);
  assert.equal(runner.inboundHeldBytes, 0);
  assert.deepEqual(delivered, Array.from({ length: N }, (_, i) => `O${i + 2}`));
  peer.close();
  await attached;
});

Deno.test("fixg's acceptor: a peer logged on with HeartBtInt 0 that goes silent gets a TestRequest after maxHeartBtIntSec x 1.2 and is disconnected as much later (manual clock)", async () => {
  const clock = new ManualScheduler(Date.now());
  const gw = await startAcceptor({
    gateway: { scheduler: clock },
    config: { checkLatency: false },
    session: { maxHeartBtIntSec: 100 },
  });
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(frame("FIX.4.4", "A", "49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=0|"));
  await waitFor(() => c.frames.length === 1, "the Logon reply");
  assert.match(c.frames[0]!, /\|35=A\|.*\|108=0\|/);
  clock.advance(119_999);
  await turns(5);
  assert.equal(c.frames.length, 1, "no heartbeat, no TestRequest before 120 s of silence");
  clock.advance(1);
  await waitFor(() => c.frames.length === 2, "the TestRequest");
  assert.match(c.frames[1]!, /\|35=1\|34=2\|.*\|112=TEST\|/);
  clock.advance(120_000);
  await c.finished();
  assert.equal(c.frames.length, 2);
  assert.equal(gw.runner("FIX.4.4:ISLD->TW")!.connected, false);
  await gw.stop();
});

Deno.test("a logged-on peer's flood of garbled frames and ignored Logons is counted whole but logged at a bounded rate; the next line says how many were left out", async () => {
  const clock = new ManualScheduler(Date.now());
  const { runner, peer, attached, lines } = await loggedOn({ scheduler: clock });
  const before = lines.length;
  // 5,000 frames with a wrong CheckSum, then 5,000 Logons while logged on (each a warn line before).
  const bad = new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=0\x0110=000\x01");
  for (let n = 0; n < 5_000; n += 1_000) {
    const chunk = new Uint8Array(bad.length * 1_000); // one read each
    for (let i = 0; i < 1_000; i++) chunk.set(bad, i * bad.length);
    peer.send(chunk);
  }
  sendMany(peer, 2, 5_000, () => ["A", "98=0|108=30|"]);
  await waitFor(() => runner.state.nextTargetSeq === 5_002, "the Logons taken");
  assert.equal(runner.counters.garbled, 5_000);
  const logged = lines.slice(before);
  assert.equal(logged.length, EVENT_LINES_BURST, `${logged.length} lines for 10,000 messages`);
  // A second later 20 more may be written; the first says how many were left out.
  clock.advance(1_000);
  sendMany(peer, 5_002, 1, () => ["A", "98=0|108=30|"]);
  await waitFor(() => runner.state.nextTargetSeq === 5_003, "one more");
  const next = lines.slice(before + EVENT_LINES_BURST);
  assert.equal(next.length, 1, next.join("\n"));
  assert.match(next[0]!, /\(9800 event lines of this session not logged: rate limit\)/);
  peer.close();
  await attached;
});

Deno.test("an operator's sequence change is logged while a peer's flood has used up the session's event lines", async () => {
  const clock = new ManualScheduler(Date.now());
  const { runner, peer, attached, lines } = await loggedOn({ scheduler: clock });
  const bad = new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=0\x0110=000\x01");
  const chunk = new Uint8Array(bad.length * 1_000);
  for (let i = 0; i < 1_000; i++) chunk.set(bad, i * bad.length);
  peer.send(chunk);
  await waitFor(() => runner.counters.garbled === 1_000, "the flood taken");
  const before = lines.length;
  // The same instant: no line left in the bucket. The operator's set-seq and reset are not the peer's doing.
  await runner.setSequence(500, undefined);
  await runner.resetSequence();
  const logged = lines.slice(before);
  assert.equal(logged.filter((l) => l.includes("sequence-reset")).length, 2, logged.join("\n"));
  assert.ok(
    logged.some((l) => l.includes("Sequence numbers set: next sent 500, next expected 2")),
    logged.join("\n"),
  );
  assert.ok(
    logged.some((l) => l.includes("Resetting sequence numbers: Logon 141=Y sent")),
    logged.join("\n"),
  );
  peer.close();
  await attached;
});

Deno.test("a peer that is only behind (the application's sends at the bound, back-pressure) is still read from: its TestRequest is answered", async () => {
  const bound = 64 * 1024;
  const { runner, peer, attached } = await loggedOn({ maxOutboundBufferBytes: bound, writeTimeoutMs: 0 });
  let sent = 0;
  for (; sent < 10_000; sent++) {
    const r = runner.send({
      msgType: "D",
      fields: [[11, `O${sent}`], [55, "IBM"], [54, "1"], [38, 100], [40, "1"], [58, "x".repeat(200)]],
    });
    if (r.kind === "back-pressure") break;
    if (sent % 50 === 0) await turns(1);
  }
  await turns(5);
  assert.ok(sent < 10_000, "the application met back-pressure");
  peer.send(frame("FIX.4.4", "1", "49=ISLD|56=TW|34=2|52=<TIME>|112=STILL-THERE|"));
  await waitFor(() => runner.state.nextTargetSeq === 3, "the TestRequest read");
  assert.equal(runner.counters.readPauses, 0);
  await peer.drainWhile(() => !peer.frames.some((f) => f.includes("|112=STILL-THERE|")), 1_000);
  assert.ok(peer.frames.some((f) => /\|35=0\|.*\|112=STILL-THERE\|/.test(f)), "the Heartbeat answer");
  peer.close();
  await attached;
});

Deno.test("fixg's acceptor over loopback TCP: a logged-on client that floods TestRequests and never reads is no longer read once the bound is reached; the session holds about the bound", async () => {
  const bound = 64 * 1024;
  const gw = await startAcceptor({ session: { maxOutboundBufferBytes: bound, writeTimeoutMs: 0 } });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.ports[0]! });
  await conn.write(frame("FIX.4.4", "A", "49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=30|"));
  const runner = gw.runner("FIX.4.4:ISLD->TW")!;
  await waitFor(() => runner.loggedOn, "logon");
  // TestRequests in 60 KB writes until the gateway stops taking them (a write blocked for 2 s) or 40 MB;
  // nothing is read on this side.
  let seq = 2, written = 0, blocked = false;
  while (written < 40_000_000 && !blocked) {
    const parts: Uint8Array[] = [];
    let size = 0;
    while (size < 60_000) {
      const f = frame("FIX.4.4", "1", `49=TW|56=ISLD|34=${seq++}|52=<TIME>|112=T|`);
      parts.push(f);
      size += f.length;
    }
    const chunk = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      chunk.set(p, at);
      at += p.length;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = writeAll(conn, chunk).then(() => true);
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), 2_000)));
    blocked = !(await Promise.race([done, late]));
    clearTimeout(timer);
    if (!blocked) written += size;
  }
  assert.ok(blocked, `the gateway took all ${written} bytes`);
  const heartbeats = runner.counters.outByType.get("0") ?? 0;
  assert.ok(runner.counters.readPauses >= 1, "the read loop paused");
  // The kernel's socket buffers hold the rest; the session holds the bound and one read's answers.
  assert.ok(
    runner.outboundBufferedBytes <= bound + 1_100 * 90,
    `${runner.outboundBufferedBytes} bytes buffered for ${heartbeats} Heartbeats, bound ${bound}`,
  );
  conn.close();
  await waitFor(() => !runner.connected, "the disconnect");
  await gw.stop();
});

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

Deno.test("500 ResendRequests for distinct ranges at once: the store is read for one resend at a time, each range answered once, in order", async () => {
  let inFlight = 0, most = 0, reads = 0;
  const { runner, peer, attached, store } = await loggedOn({}, (inner) =>
    new Proxy(inner, {
      get(target, key) {
        if (key === "getOutbound") {
          return async (from: number, to: number) => {
            reads++;
            most = Math.max(most, ++inFlight);
            await new Promise((r) => setTimeout(r, 0)); // a database round trip
            try {
              return await target.getOutbound(from, to);
            } finally {
              inFlight--;
            }
          };
        }
        const v = Reflect.get(target, key, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    }));
  for (let i = 0; i < 500; i++) {
    runner.send({ msgType: "D", fields: [[11, `O${i}`], [55, "IBM"], [54, "1"], [38, 100], [40, "1"]] });
    if (i % 50 === 49) {
      peer.drain();
      await turns(1);
    }
  }
  await peer.drainWhile(() => store.seqNums().nextSenderSeq < 502, 100);
  assert.equal(store.seqNums().nextSenderSeq, 502);
  peer.drain();
  peer.frames.length = 0;
  // Our numbers 2..501 are the orders: the peer asks for each alone, 500 requests in one read.
  sendMany(peer, 2, 500, (seq) => ["2", `7=${seq}|16=${seq}|`]);
  await peer.drainWhile(() => runner.state.nextTargetSeq < 502, 2_000);
  await peer.drainWhile(() => runner.counters.messagesResent < 500, 200);
  peer.drain();
  assert.equal(most, 1, "one store read at a time");
  assert.equal(reads, 500);
  const resent = peer.frames.filter((f) => f.includes("|43=Y|")).map((f) =>
    Number(/\|34=(\d+)\|/.exec(f)![1])
  );
  assert.deepEqual(resent, Array.from({ length: 500 }, (_, i) => i + 2));
  peer.close();
  await attached;
});

Deno.test("orders that make the application throw: every one still taken, the app-error lines (a stack each) within the session's line rate", async () => {
  const clock = new ManualScheduler(Date.now());
  let calls = 0;
  const { runner, peer, attached, lines } = await loggedOn({ scheduler: clock }, undefined, {
    onMessage: () => {
      calls++;
      throw new Error("the application cannot handle this order");
    },
  });
  const before = lines.length;
  sendMany(peer, 2, 1_000, (seq) => ["D", `11=O${seq}|21=1|55=IBM|54=1|60=<TIME>|38=100|40=1|`]);
  await waitFor(() => runner.state.nextTargetSeq === 1_002, "the orders taken");
  assert.equal(calls, 1_000);
  const errors = lines.slice(before).filter((l) => l.includes("app-error"));
  assert.equal(errors.length, EVENT_LINES_BURST, `${errors.length} app-error lines for 1,000 orders`);
  peer.close();
  await attached;
});

/**
 * Resends stream (issue 14.3): chunks are read from the store as the socket drains, the session's
 * outbound buffer stays under its bound, a ResendRequest for a range already being resent queues no
 * second copy, and a peer that does not read is disconnected after the write timeout.
 */
import assert from "node:assert/strict";
import { buildGateway } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { Logger } from "../../src/engine/log.ts";
import { ConfigError } from "../../src/errors.ts";
import { SessionRunner } from "../../src/engine/session_runner.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { SessionStore } from "../../src/store/types.ts";
import { attachLoggedOn, frame, PeerSocket, sessionConfig, turns, waitFor } from "./helpers.ts";

const config = sessionConfig("initiator");

const STORED = 10_000;

/** A store holding STORED application messages we sent (34=1..STORED). */
async function filledStore(): Promise<SessionStore> {
  const store = await new MemoryMessageStore().openSession("k", Date.now());
  for (let seq = 1; seq <= STORED; seq++) {
    await store.appendOutbound(
      seq,
      frame(
        "FIX.4.4",
        "D",
        `49=TW|56=ISLD|34=${seq}|52=<TIME>|11=ORD-${seq}|55=IBM|54=1|38=100|40=1|58=${"x".repeat(80)}|`,
      ),
    );
  }
  return store;
}

async function loggedOn(
  options: { maxOutboundBufferBytes?: number; writeTimeoutMs?: number; lines?: string[] },
) {
  const store = await filledStore();
  const peer = new PeerSocket(64 * 1024);
  const lines = options.lines ?? [];
  const runner = SessionRunner.create(config, store, {}, {
    logger: new Logger({ level: "info", sink: (l) => lines.push(l) }),
    ...(options.maxOutboundBufferBytes !== undefined
      ? { maxOutboundBufferBytes: options.maxOutboundBufferBytes }
      : {}),
    ...(options.writeTimeoutMs !== undefined ? { writeTimeoutMs: options.writeTimeoutMs } : {}),
  });
  const attached = runner.attach(peer);
  await waitFor(() => peer.buffered > 0, "our Logon");
  peer.drain();
  peer.send(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await waitFor(() => runner.loggedOn, "logon");
  return { runner, peer, attached, lines };
}

const resendRequest = (seq: number) => frame("FIX.4.4", "2", `49=ISLD|56=TW|34=${seq}|52=<TIME>|7=1|16=0|`);

Deno.test("a resend to a peer that does not read keeps the session's outbound buffer under its bound", async () => {
  const bound = 256 * 1024;
  const { runner, peer, attached } = await loggedOn({ maxOutboundBufferBytes: bound });
  for (let i = 0; i < 5; i++) peer.send(resendRequest(2 + i));
  await waitFor(() => peer.waitingWrites > 0, "the peer's socket buffer to fill");
  await turns(20);
  // 10,000 stored messages of about 200 bytes: 2 MB per copy if the resend were buffered whole.
  assert.ok(
    runner.outboundBufferedBytes <= bound,
    `${runner.outboundBufferedBytes} bytes buffered, bound ${bound}`,
  );
  assert.ok(
    runner.counters.messagesOut < STORED,
    `${runner.counters.messagesOut} messages written to a full socket`,
  );
  peer.close();
  await attached;
});

Deno.test("ResendRequests for a range being resent queue no second copy; every message goes out once, in order", async () => {
  const { runner, peer, attached, lines } = await loggedOn({ maxOutboundBufferBytes: 256 * 1024 });
  peer.frames.length = 0;
  for (let i = 0; i < 5; i++) peer.send(resendRequest(2 + i));
  await waitFor(() => peer.waitingWrites > 0, "the peer's socket buffer to fill");
  // The peer starts reading only now: everything the five requests asked for has been requested.
  // Read until nothing more comes for a while (bounded: a second copy would be read too).
  let quiet = 0;
  for (let i = 0; i < 5000 && quiet < 20; i++) {
    const before = peer.frames.length;
    peer.drain();
    await turns(1);
    quiet = peer.frames.length === before && runner.counters.messagesResent >= STORED ? quiet + 1 : 0;
  }
  const resent = peer.frames.filter((f) => f.includes("|43=Y|") && f.includes("|35=D|"));
  // Our Logon (34=10001) is the last message sent: gap-filled once.
  const gapFills = peer.frames.filter((f) => f.includes("|35=4|"));
  assert.equal(gapFills.length, 1, gapFills.join("\n"));
  assert.match(gapFills[0]!, /\|35=4\|34=10001\|43=Y\|.*\|36=10002\|123=Y\|/);
  assert.equal(resent.length, STORED, "each stored message resent exactly once");
  const seqs = resent.map((f) => Number(/\|34=(\d+)\|/.exec(f)![1]));
  assert.deepEqual(seqs, Array.from({ length: STORED }, (_, i) => i + 1));
  assert.equal(runner.counters.messagesResent, STORED);
  assert.equal(runner.state.nextTargetSeq, 7, "all five ResendRequests were taken in sequence");
  assert.equal(lines.filter((l) => l.includes("already being resent")).length, 4, lines.join("\n"));
  assert.equal(runner.counters.resendRequestsIgnored, 4);
  peer.close();
  await attached;
});

Deno.test("a peer that does not read is disconnected after the write timeout, with a clear log line", async () => {
  const lines: string[] = [];
  const { runner, peer, attached } = await loggedOn({
    maxOutboundBufferBytes: 256 * 1024,
    writeTimeoutMs: 150,
    lines,
  });
  peer.send(resendRequest(2));
  await waitFor(() => peer.waitingWrites > 0, "the peer's socket buffer to fill");
  // The reason is checked exactly below (the write-timeout line and counter), not by wall-clock time.
  await waitFor(() => !runner.connected, "the disconnect", 10_000);
  const line = lines.find((l) => l.includes("write-timeout"));
  assert.ok(line !== undefined, lines.join("\n"));
  assert.match(line!, /not read .* for 0\.15 s/);
  assert.equal(runner.counters.writeTimeouts, 1);
  await attached;
});

Deno.test("a large resend gives the event loop back between chunks", async () => {
  const { runner, peer, attached } = await loggedOn({});
  let ticks = 0;
  let running = true;
  const tick = () => {
    ticks++;
    if (running) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  peer.send(resendRequest(2));
  while (runner.counters.messagesResent < STORED) {
    peer.drain();
    await new Promise((r) => setTimeout(r, 0));
  }
  running = false;
  peer.drain();
  // One synchronous step for 10,000 messages would let no timer run in between.
  assert.ok(ticks >= 10, `${ticks} timer turns during the resend`);
  peer.close();
  await attached;
});

Deno.test("a streamed resend gap-fills as one read would: admin runs and holes across chunk boundaries make one gap fill each", async () => {
  const store = await new MemoryMessageStore().openSession("k", Date.now());
  for (let seq = 1; seq <= 1000; seq++) {
    if (seq >= 600 && seq <= 700) continue; // missing from the store
    const admin = (seq >= 101 && seq <= 350) || seq >= 990;
    await store.appendOutbound(
      seq,
      admin
        ? frame("FIX.4.4", "0", `49=TW|56=ISLD|34=${seq}|52=<TIME>|`)
        : frame("FIX.4.4", "D", `49=TW|56=ISLD|34=${seq}|52=<TIME>|11=ORD-${seq}|55=IBM|54=1|38=100|40=1|`),
    );
  }
  await store.setNextSenderSeq(1001);
  const peer = new PeerSocket(1 << 30);
  const runner = SessionRunner.create(config, store, {}, {
    logger: new Logger({ level: "error" }),
    maxOutboundBufferBytes: 32 * 1024,
  });
  const attached = runner.attach(peer);
  await waitFor(() => peer.buffered > 0, "our Logon");
  peer.send(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await waitFor(() => runner.loggedOn, "logon");
  peer.drain();
  peer.frames.length = 0;
  peer.send(resendRequest(2));
  await waitFor(() => {
    peer.drain();
    return runner.counters.messagesResent > 0;
  }, "the resend");
  peer.drain();
  const got = peer.frames.map((f) => {
    const t = /\|35=([^|]*)\|/.exec(f)![1];
    const seq = /\|34=(\d+)\|/.exec(f)![1];
    return t === "4" ? `4:${seq}-${/\|36=(\d+)\|/.exec(f)![1]}` : `${t}:${seq}`;
  });
  const want: string[] = [];
  for (let seq = 1; seq <= 100; seq++) want.push(`D:${seq}`);
  want.push("4:101-351");
  for (let seq = 351; seq <= 599; seq++) want.push(`D:${seq}`);
  want.push("4:600-701");
  for (let seq = 701; seq <= 989; seq++) want.push(`D:${seq}`);
  want.push("4:990-1002"); // heartbeats 990..1000 and our Logon 1001
  assert.deepEqual(got, want);
  assert.equal(runner.counters.messagesResent, 100 + 249 + 289);
  assert.equal(runner.counters.gapFillsSent, 3);
  peer.close();
  await attached;
});

Deno.test("outbound.maxBufferBytes and outbound.writeTimeoutSec in fixg.yaml reach the session; bad values are refused", async () => {
  const yaml = (outbound: string) =>
    `store: { type: memory }
reload: { watch: false }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW, outbound: ${outbound} }
`;
  const config = parseConfig(yaml("{ maxBufferBytes: 1048576, writeTimeoutSec: 2.5 }"), "f.yaml");
  const gw = await buildGateway(config, { logger: new Logger({ level: "error" }) });
  await gw.start();
  try {
    const [runner] = gw.runners();
    assert.deepEqual(runner!.outboundLimits, { maxOutboundBufferBytes: 1048576, writeTimeoutMs: 2500 });
  } finally {
    await gw.stop();
  }
  assert.throws(
    () => parseConfig(yaml("{ maxBufferBytes: 100 }"), "f.yaml"),
    (e: unknown) => e instanceof ConfigError && /outbound\.maxBufferBytes/.test(e.message),
  );
  assert.throws(
    () => parseConfig(yaml("{ writeTimeoutSec: -1 }"), "f.yaml"),
    (e: unknown) => e instanceof ConfigError && /outbound\.writeTimeoutSec/.test(e.message),
  );
});

Deno.test("a ResendRequest for a range whose resend is still on its way out (read, not yet written) sends no second copy", async () => {
  const store = await new MemoryMessageStore().openSession("k", Date.now());
  for (let seq = 1; seq <= 1000; seq++) {
    await store.appendOutbound(
      seq,
      frame("FIX.4.4", "D", `49=TW|56=ISLD|34=${seq}|52=<TIME>|11=ORD-${seq}|55=IBM|54=1|38=100|40=1|`),
    );
  }
  const peer = new PeerSocket(64 * 1024);
  const runner = SessionRunner.create(config, store, {}, {
    logger: new Logger({ level: "error" }),
    maxOutboundBufferBytes: 1024 * 1024,
  });
  const { attached } = await attachLoggedOn(runner, peer);
  peer.send(resendRequest(2));
  // The whole range (about 130 KB) fits under half the bound: read and handed over, not yet taken.
  await waitFor(() => runner.counters.messagesResent === 1000, "the resend read");
  assert.ok(runner.outboundBufferedBytes > 0 && peer.waitingWrites > 0);
  peer.send(resendRequest(3));
  await waitFor(() => runner.state.nextTargetSeq === 4, "the second request taken");
  await turns(5);
  for (let i = 0; i < 50 && (peer.buffered > 0 || runner.outboundBufferedBytes > 0); i++) {
    peer.drain();
    await turns(2);
  }
  const resent = peer.frames.filter((f) => f.includes("|43=Y|") && f.includes("|35=D|"));
  assert.equal(resent.length, 1000);
  assert.equal(runner.counters.resendRequestsIgnored, 1);
  peer.close();
  await attached;
});

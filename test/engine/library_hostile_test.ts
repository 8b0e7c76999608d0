/**
 * A hostile or buggy local process on the engine socket (docs/library_protocol.md, "Limits"): connections
 * that never say HELLO, oversized frames before HELLO, request ids that would pin memory. Bounded in count
 * and time, over a real Unix socket to an in-process engine.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { encodeCommand, ErrorCode, MAX_HELLO_BYTES, SendStatus } from "../../src/engine/protocol.ts";
import { orderBody, RawEngineClient } from "../_helpers/engine_protocol.ts";
import { ENGINE_SESSION_KEY as KEY, startEngineOverLp } from "../_helpers/engine_in_process.ts";
import { waitFor } from "./helpers.ts";

Deno.test("before HELLO: pending connections capped (the next closed without a word), timed out after helloTimeoutMs with ERROR HELLO_REQUIRED, a frame longer than any HELLO refused at its length; a library still attaches", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-hostile-" });
  const clock = new ManualScheduler();
  const engine = await startEngineOverLp({
    dir,
    server: { helloTimeoutMs: 1000, maxPendingLibraries: 4, scheduler: clock },
  });
  const open: RawEngineClient[] = [];
  try {
    await engine.loggedOn();
    // Four that never speak (one of them one byte of a HELLO: slow, not finished).
    const silent: RawEngineClient[] = [];
    for (let i = 0; i < 4; i++) silent.push(await RawEngineClient.connect(engine.socket));
    open.push(...silent);
    await silent[0]!.write(
      encodeCommand({ type: "hello", version: 1, name: "slow", secret: "" }).subarray(0, 1),
    );
    await waitFor(() => engine.server.pendingLibraries === 4, "4 pending connections");
    // The fifth is over the limit: closed at once, no ERROR (a library's reconnection retries).
    const fifth = await RawEngineClient.connect(engine.socket);
    open.push(fifth);
    await waitFor(() => fifth.closed, "the fifth closed");
    assert.deepEqual(fifth.events, []);
    assert.equal(engine.server.pendingLibraries, 4);
    // The time passes: each pending one gets ERROR HELLO_REQUIRED and is closed.
    clock.advance(999);
    assert.equal(engine.server.pendingLibraries, 4);
    clock.advance(1);
    for (const c of silent) {
      const e = await c.next("error");
      assert.equal(e.code, ErrorCode.HELLO_REQUIRED);
      assert.equal(e.text, "no HELLO within 1000 ms");
      await waitFor(() => c.closed, "closed after the HELLO timeout");
    }
    assert.equal(engine.server.pendingLibraries, 0);

    // A frame whose length no HELLO can have: refused when its length arrives (not buffered up to 16 MiB).
    for (const n of [MAX_HELLO_BYTES + 1, 1 << 20, 2 ** 31, 0xffffffff]) {
      const r = await RawEngineClient.connect(engine.socket);
      const head = new Uint8Array(5);
      new DataView(head.buffer).setUint32(0, n);
      head[4] = 0x01;
      await r.write(head);
      const e = await r.next("error");
      assert.equal(e.code, ErrorCode.MALFORMED, `length ${n}`);
      await waitFor(() => r.closed, "closed after MALFORMED");
      r.close();
    }

    // A legitimate library attaches, claims and is not timed out once it said HELLO.
    const lib = await RawEngineClient.attach(engine.socket, "legit");
    open.push(lib);
    assert.equal(engine.server.pendingLibraries, 0);
    clock.advance(5000);
    await lib.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await lib.next("live");
    assert.equal(lib.closed, false);
    assert.equal(lib.events.filter((e) => e.type === "error").length, 0);
  } finally {
    for (const c of open) c.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a request id longer than 256 bytes is refused INVALID_MESSAGE, not sent and not remembered (10 000 kept per session would pin up to 640 MiB)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-hostile-" });
  const engine = await startEngineOverLp({ dir });
  const open: RawEngineClient[] = [];
  try {
    await engine.loggedOn();
    const lib = await RawEngineClient.attach(engine.socket, "ids");
    open.push(lib);
    await lib.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await lib.next("live");
    const next = () => engine.gw.sessionStatus(KEY)!.nextSenderSeq;
    const before = next();
    for (const id of ["x".repeat(257), "é".repeat(129), "y".repeat(65535)]) {
      await lib.send({ type: "send", key: KEY, requestId: id, body: orderBody("big") });
      const r = await lib.next("send-result");
      assert.deepEqual([r.requestId === id, r.status, r.seq, r.code], [
        true,
        SendStatus.REFUSED,
        0,
        ErrorCode.INVALID_MESSAGE,
      ]);
      assert.equal(r.text, "request id longer than 256 bytes");
    }
    assert.equal(next(), before, "nothing numbered");
    // 256 bytes is the most: sent.
    const longest = "z".repeat(256);
    await lib.send({ type: "send", key: KEY, requestId: longest, body: orderBody("ok") });
    const ok = await lib.next("send-result");
    assert.deepEqual([ok.requestId === longest, ok.status, ok.seq], [true, SendStatus.ACCEPTED, before]);
  } finally {
    for (const c of open) c.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * connectEngine when the engine goes away for good, or never answers: every call settles, nothing is left
 * running. Before: with `reconnect: false` a claim() after the connection was lost and
 * session.whenWritable() waited forever (the send loop `send` -> back-pressure -> `await whenWritable()`
 * hung), as did a whenWritable() waiting when close() was called; an engine that accepted the connection
 * but never answered HELLO (a stopped process) kept connectEngine (and a reconnection) waiting forever.
 * close() while a reconnection waits for its HELLO_OK closes that connection (held before too: a guard).
 * No engine at the path (no socket file, or a stale one) said only "No such file or directory" or
 * "Connection refused": now it says what to start.
 */
import assert from "node:assert/strict";
import { connectEngine, EngineError, FixgError } from "../../src/mod.ts";
import { encodeEvent } from "../../src/engine/protocol.ts";
import { forEachFrame, serveCommands } from "../_helpers/engine_protocol.ts";

const KEY = "FIX.4.4:CLIENT->LP";

/** `p`'s outcome, or "pending" when it has not settled within `ms` (the bound of a test that would hang). */
async function settled<T>(p: Promise<T>, ms = 3000): Promise<T | Error | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<"pending">((r) => timer = setTimeout(() => r("pending"), ms));
  try {
    return await Promise.race([p.catch((e: Error) => e), bound]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("connectEngine reconnect: false: after the connection is lost, claim() and whenWritable() reject, never hang", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-lib-gone-" });
  const path = `${dir}/e.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  let engineConn: Deno.Conn | undefined;
  const serving = serveCommands(listener, async (c, answer, conn) => {
    engineConn = conn;
    if (c.type === "hello") await answer({ type: "hello-ok", version: 1, engine: "fake", libraryId: 1 });
    if (c.type === "claim") {
      await answer({ type: "claimed", key: c.key, loggedOn: true, nextSenderSeq: 2, nextTargetSeq: 2 });
      await answer({ type: "live", key: c.key, replayed: 0 });
    }
  });
  const statuses: string[] = [];
  const lib = await connectEngine({
    socket: path,
    name: "t",
    reconnect: false,
    window: 2,
    onStatus: (e, d) => statuses.push(`${e}: ${d}`),
  });
  try {
    const session = await lib.claim(KEY, {}, { lastProcessedInSeq: 0 });
    engineConn!.close(); // The engine goes away.
    listener.close();
    await serving.catch(() => {});
    for (let i = 0; i < 200 && lib.connected; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(lib.connected, false);
    const ended =
      "connection to the engine lost: the engine closed the connection (reconnect: false): connectEngine again to attach to the engine";
    assert.deepEqual(session.send({ msgType: "D", fields: [[11, "a"]] }), {
      kind: "refused",
      reason: ended,
      cause: "filter",
    });

    const w = await settled(session.whenWritable());
    assert.ok(w instanceof EngineError, `whenWritable(): ${String(w)}`);
    assert.match(w.message, /connection to the engine lost.*reconnect: false.*connectEngine/);
    const c = await settled(lib.claim("FIX.4.4:CLIENT->LP2", {}));
    assert.ok(c instanceof EngineError, `claim(): ${String(c)}`);
    assert.equal(c.message, ended);
    const l = await settled(lib.sessions());
    assert.ok(l instanceof EngineError, `sessions(): ${String(l)}`);
    assert.equal(l.message, ended);
    assert.deepEqual(await session.resetSequence(), {
      kind: "refused",
      code: 0,
      reason: ended,
      nextSenderSeq: 0,
      nextTargetSeq: 0,
    });
    assert.deepEqual(statuses, [
      "connected: fake, library id 1",
      "disconnected: the engine closed the connection",
    ]);
  } finally {
    await lib.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connectEngine: whenWritable() waiting when close() is called rejects; calls after close() reject", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-lib-gone-" });
  const path = `${dir}/e.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const serving = serveCommands(listener, async (c, answer) => {
    if (c.type === "hello") await answer({ type: "hello-ok", version: 1, engine: "fake", libraryId: 1 });
    if (c.type === "claim") {
      await answer({ type: "claimed", key: c.key, loggedOn: true, nextSenderSeq: 2, nextTargetSeq: 2 });
      await answer({ type: "live", key: c.key, replayed: 0 });
    }
    // SENDs are never answered: the window of one fills.
  });
  const lib = await connectEngine({ socket: path, name: "t", window: 1 });
  try {
    const session = await lib.claim(KEY, {}, { lastProcessedInSeq: 0 });
    assert.deepEqual(session.send({ msgType: "D", fields: [[11, "a"]] }), { kind: "queued" });
    assert.deepEqual(session.send({ msgType: "D", fields: [[11, "b"]] }), { kind: "back-pressure" });
    const waiting = session.whenWritable();
    await lib.close();
    const w = await settled(waiting);
    assert.ok(w instanceof EngineError, `whenWritable(): ${String(w)}`);
    assert.match(w.message, /library closed/);
    const again = await settled(session.whenWritable());
    assert.ok(again instanceof EngineError, `whenWritable() after close: ${String(again)}`);
  } finally {
    listener.close();
    await serving.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connectEngine: close() while reconnecting stops the backoff timer and the reconnection under way", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-lib-gone-" });
  const path = `${dir}/e.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const conns: Deno.Conn[] = [];
  let helloAgain!: () => void;
  const secondHello = new Promise<void>((r) => helloAgain = r);
  let secondEnded!: () => void;
  const ended = new Promise<void>((r) => secondEnded = r);
  let release!: () => void;
  const answerLater = new Promise<void>((r) => release = r);
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      const n = conns.length;
      void forEachFrame(conn, async (buf, start) => {
        if (buf[start] !== 0x01) return; // HELLO only.
        if (n === 1) {
          await conn.write(encodeEvent({ type: "hello-ok", version: 1, engine: "fake", libraryId: 1 }));
          conn.close(); // Then goes away: the library reconnects.
          return;
        }
        helloAgain();
        await answerLater; // The library is closed meanwhile; then the engine answers.
        await conn.write(encodeEvent({ type: "hello-ok", version: 1, engine: "fake", libraryId: 2 })).catch(
          () => {},
        );
      }).finally(() => n === 2 && secondEnded());
    }
  })();
  let reconnecting!: () => void;
  const isReconnecting = new Promise<void>((r) => reconnecting = r);
  const lib = await connectEngine({
    socket: path,
    name: "t",
    onStatus: (e) => e === "reconnecting" && reconnecting(),
  });
  try {
    await isReconnecting;
    // The second attempt reaches the engine (after the 100 ms backoff) and waits for HELLO_OK.
    assert.equal(await settled(secondHello), undefined);
    await lib.close();
    release();
    assert.equal(await settled(ended), undefined, "the connection made while reconnecting is closed");
    assert.equal(lib.connected, false);
  } finally {
    listener.close();
    await serving.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connectEngine: an engine that accepts but never answers HELLO is refused after helloTimeoutMs, saying so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-lib-gone-" });
  const path = `${dir}/e.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) conns.push(conn); // Never reads, never answers (a stopped engine).
  })();
  try {
    const o = await settled(connectEngine({ socket: path, name: "t", helloTimeoutMs: 200 }));
    assert.ok(o instanceof EngineError, `connectEngine: ${String(o)}`);
    assert.equal(
      o.message,
      `no HELLO_OK from the engine at ${path} within 200 ms: is it running (not stopped), and is this its engine.socket?`,
    );
  } finally {
    for (const c of conns) c.close();
    listener.close();
    await serving.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connectEngine: no engine at the socket path says what to start, a stale socket file too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-lib-gone-" });
  try {
    for (const stale of [false, true]) {
      const path = `${dir}/e.sock`;
      if (stale) Deno.listen({ transport: "unix", path }).close(); // A socket file nobody listens on.
      const e = await connectEngine({ socket: path, reconnect: false }).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(e instanceof FixgError, String(e));
      assert.equal(e.code, "ENGINE_UNREACHABLE");
      assert.match(
        e.message,
        new RegExp(
          `^cannot connect to the engine at ${path}: .*: is \`fixg run\` running with \`engine: \\{ socket: ${path} \\}\` \\(or --engine-socket ${path}\\)\\?$`,
        ),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A hostile or buggy local process on the engine socket (docs/library_protocol.md, "Limits"): connections
 * that never say HELLO, oversized frames before HELLO, request ids that would pin memory. Bounded in count
 * and time, over a real Unix socket to an in-process engine.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { encodeCommand, ErrorCode, MAX_HELLO_BYTES, SendStatus } from "../../src/engine/protocol.ts";
import { orderBody, RawEngineClient } from "../_helpers/engine_protocol.ts";
import { ENGINE_SESSION_KEY as KEY, startEngineOverLp } from "../_helpers/engine_in_process.ts";
import { waitFor } from "./helpers.ts";
import { LogCapture } from "../ops/helpers.ts";

const SECRET = "0123456789abcdef-secret";

type Engine = Awaited<ReturnType<typeof startEngineOverLp>>;
type Gate = Awaited<ReturnType<typeof gatedJournal>>;

/**
 * An engine over a simulated LP in a temporary directory (`journal`: on a file journal, "gated": one whose
 * flush the test opens); afterwards the connections in `open` are closed, the engine stopped and the
 * directories removed.
 */
async function withEngine(
  o: Omit<Parameters<typeof startEngineOverLp>[0], "dir"> & { journal?: "gated" | "file" },
  fn: (t: { engine: Engine; open: RawEngineClient[]; gate: Gate | undefined }) => Promise<void>,
): Promise<void> {
  const { journal: kind, ...options } = o;
  const dir = await Deno.makeTempDir({ prefix: "fixg-hostile-" });
  const journal = kind ? await Deno.makeTempDir({ prefix: "fixg-hostile-j-" }) : undefined;
  const gate = kind === "gated" ? await gatedJournal(journal!) : undefined;
  const store = kind === "file" ? await FileJournal.open({ dir: journal!, fsync: "none" }) : gate?.store;
  const engine = await startEngineOverLp({
    ...options,
    dir,
    ...(store !== undefined ? { store } : {}),
    server: {
      ...options.server,
      ...(journal !== undefined ? { journalDir: journal } : {}),
      ...(gate !== undefined ? { flush: gate.flush } : {}),
    },
  });
  const open: RawEngineClient[] = [];
  try {
    await fn({ engine, open, gate });
  } finally {
    for (const c of open) c.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
    if (journal !== undefined) await Deno.remove(journal, { recursive: true });
  }
}

Deno.test("before HELLO: pending connections capped (the next closed without a word), timed out after helloTimeoutMs with ERROR HELLO_REQUIRED, a frame longer than any HELLO refused at its length; a library still attaches", async () => {
  const clock = new ManualScheduler();
  await withEngine(
    { server: { helloTimeoutMs: 1000, maxPendingLibraries: 4, scheduler: clock } },
    async ({ engine, open }) => {
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
    },
  );
});

Deno.test("a request id longer than 256 bytes is refused INVALID_MESSAGE, not sent and not remembered (10 000 kept per session would pin up to 640 MiB)", async () => {
  await withEngine({}, async ({ engine, open }) => {
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
  });
});

Deno.test("a library that claims a busy session and stops reading: dropped once maxQueuedBytes wait, the session returns to the engine with no FIX-level disconnect, a claim from its position replays all", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-hostile-" });
  let lpLogouts = 0;
  const engine = await startEngineOverLp({
    dir,
    lpApp: { onLogout: () => void lpLogouts++ },
    server: { maxQueuedBytes: 64 * 1024 },
  });
  let stuck: Deno.UnixConn | undefined;
  const open: RawEngineClient[] = [];
  try {
    await engine.loggedOn();
    const lp = engine.lp.runner("FIX.4.4:LP->CLIENT")!;
    const status = () => engine.gw.sessionStatus(KEY)!;
    const firstIn = status().nextTargetSeq;
    // HELLO and CLAIM, then never a read.
    stuck = await Deno.connect({ transport: "unix", path: engine.socket });
    for (
      const c of [
        { type: "hello", version: 1, name: "stuck", secret: "" },
        { type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 },
      ] as const
    ) {
      const f = encodeCommand(c);
      let off = 0;
      while (off < f.length) off += await stuck.write(f.subarray(off));
    }
    await waitFor(() => engine.server.holderOf(KEY) === "stuck#1", "claimed by the stuck library");
    // Execution reports of about 1 KB, 100 at a time, until the engine drops the library (at most 5000).
    const text = "t".repeat(1000);
    let sent = 0;
    while (engine.server.holderOf(KEY) !== undefined) {
      assert.ok(sent < 5000, "dropped within 5000 messages");
      for (let i = 0; i < 100; i++) {
        sent++;
        const r = lp.send({ msgType: "8", fields: [[37, `o${sent}`], [17, `e${sent}`], [58, text]] });
        assert.notEqual(r.kind, "back-pressure");
      }
      await waitFor(() => status().nextTargetSeq === firstIn + sent, `${sent} messages in`);
    }
    // Dropped: the engine closed its socket; the FIX session never went down.
    assert.equal(engine.gw.runner(KEY)!.loggedOn, true);
    assert.equal(lpLogouts, 0);
    assert.equal(status().connected, true);
    // The replay is larger than maxQueuedBytes: paced, it does not get a library that reads dropped.
    assert.ok(sent * 1000 > 64 * 1024, `${sent} messages of 1 KB`);
    // Another library claims from the first: every message replayed, once, in order; 50 more that come
    // meanwhile follow LIVE as live messages.
    const next = await RawEngineClient.attach(engine.socket, "next");
    open.push(next);
    await next.send({ type: "claim", key: KEY, replay: true, lastProcessedInSeq: firstIn - 1 });
    await next.next("claimed");
    for (let i = 0; i < 50; i++) {
      lp.send({ msgType: "8", fields: [[37, `live${i}`], [17, `l${i}`], [58, text]] });
    }
    const live = await next.next("live", () => true, 10_000);
    await waitFor(
      () => next.events.filter((e) => e.type === "message").length === sent + 50,
      "every message",
    );
    const got = next.events.filter((e) => e.type === "message");
    assert.deepEqual(got.map((e) => e.seq), Array.from({ length: sent + 50 }, (_, i) => firstIn + i));
    const replayed = got.filter((e) => e.replayed).length;
    assert.equal(live.replayed, replayed);
    assert.ok(replayed >= sent, `${replayed} replayed`);
    assert.equal(next.closed, false);
    await next.send({ type: "release", key: KEY });
    await next.next("released");

    // A library that claims with a replay and does not read: dropped too once the replay and the live
    // messages held behind it pass maxQueuedBytes (not held for ever).
    const stuck2 = await Deno.connect({ transport: "unix", path: engine.socket });
    const cmds = [
      encodeCommand({ type: "hello", version: 1, name: "stuck2", secret: "" }),
      encodeCommand({ type: "claim", key: KEY, replay: true, lastProcessedInSeq: firstIn - 1 }),
    ];
    for (const f of cmds) {
      let off = 0;
      while (off < f.length) off += await stuck2.write(f.subarray(off));
    }
    await waitFor(() => engine.server.holderOf(KEY) !== undefined, "claimed by stuck2");
    let more = 0;
    while (engine.server.holderOf(KEY) !== undefined) {
      assert.ok(more < 5000, "dropped within 5000 more messages");
      const base = status().nextTargetSeq;
      for (let i = 0; i < 100; i++) {
        more++;
        lp.send({ msgType: "8", fields: [[37, `m${more}`], [17, `f${more}`], [58, text]] });
      }
      await waitFor(() => status().nextTargetSeq === base + 100, `${more} more messages in`);
    }
    stuck2.close();
    assert.equal(engine.gw.runner(KEY)!.loggedOn, true);
    assert.equal(lpLogouts, 0);
  } finally {
    try {
      stuck?.close();
    } catch {
      // Closed by the engine.
    }
    for (const c of open) c.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A file journal whose flush the test opens: everything waiting on it (a claim's journal read, the
 * answers of sends) waits until then.
 */
async function gatedJournal(dir: string) {
  const store = await FileJournal.open({ dir, fsync: "none" });
  let isOpen = false;
  let asked = 0;
  const waiting: Array<() => void> = [];
  return {
    store,
    flush: async () => {
      asked++;
      if (!isOpen) await new Promise<void>((r) => waiting.push(r));
      await store.flush();
    },
    open() {
      isOpen = true;
      for (const r of waiting.splice(0)) r();
    },
    asked: () => asked,
  };
}

Deno.test("SENDs while a session's first claim reads the journal wait within maxInFlight: the rest are answered BACK_PRESSURE at once, not kept without bound", async () => {
  await withEngine({ journal: "gated", server: { maxInFlight: 4 } }, async ({ engine, open, gate }) => {
    await engine.loggedOn();
    const lib = await RawEngineClient.attach(engine.socket, "eager");
    open.push(lib);
    await lib.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await lib.next("live");
    await waitFor(() => gate!.asked() > 0, "the claim's journal read waiting");
    for (let i = 0; i < 10; i++) {
      await lib.send({ type: "send", key: KEY, requestId: `s${i}`, body: orderBody(`s${i}`) });
    }
    for (let i = 4; i < 10; i++) {
      const r = await lib.next("send-result", (e) => e.requestId === `s${i}`);
      assert.deepEqual([r.status, r.seq], [SendStatus.BACK_PRESSURE, 0]);
    }
    assert.equal(lib.events.filter((e) => e.type === "send-result").length, 0);
    const first = engine.gw.sessionStatus(KEY)!.nextSenderSeq;
    gate!.open();
    for (let i = 0; i < 4; i++) {
      const r = await lib.next("send-result", (e) => e.requestId === `s${i}`);
      assert.deepEqual([r.status, r.seq], [SendStatus.ACCEPTED, first + i]);
    }
    // Nothing waits any more: the next SEND is taken.
    await lib.send({ type: "send", key: KEY, requestId: "after", body: orderBody("after") });
    const r = await lib.next("send-result", (e) => e.requestId === "after");
    assert.deepEqual([r.status, r.seq], [SendStatus.ACCEPTED, first + 4]);
  });
});

Deno.test("50 CLAIMs of one session sent at once read the journal twice (the running read and the newest claim's), not 50 times; one LIVE", async () => {
  await withEngine({ journal: "gated" }, async ({ engine, open, gate }) => {
    await engine.loggedOn();
    const lib = await RawEngineClient.attach(engine.socket, "flood");
    open.push(lib);
    for (let i = 0; i < 50; i++) {
      await lib.send({ type: "claim", key: KEY, replay: true, lastProcessedInSeq: 0 });
    }
    await waitFor(() => lib.events.filter((e) => e.type === "claimed").length === 50, "50 CLAIMED");
    gate!.open();
    await lib.next("live");
    await lib.send({ type: "list", tag: 1 });
    await lib.next("sessions");
    assert.equal(lib.events.filter((e) => e.type === "live").length, 0, "one LIVE");
    assert.equal(engine.server.replayReads, 2);
  });
});

Deno.test("200 libraries attach, claim and go (closed, released, or gone without HELLO): no descriptor, connection or timer left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-hostile-" });
  const engine = await startEngineOverLp({ dir });
  const fds = () => [...Deno.readDirSync("/proc/self/fd")].length;
  try {
    await engine.loggedOn();
    // One round first: whatever is made once (buffers, the listener's first accept) is made before counting.
    (await RawEngineClient.attach(engine.socket, "warm")).close();
    await waitFor(() => engine.server.libraries === 0, "warm-up gone");
    const before = fds();
    for (let i = 0; i < 200; i++) {
      if (i % 4 === 3) {
        // Connects and goes without a word.
        const r = await RawEngineClient.connect(engine.socket);
        r.close();
        await r.done;
        continue;
      }
      const lib = await RawEngineClient.attach(engine.socket, `lib${i}`);
      await lib.send({ type: "claim", key: KEY, replay: true, lastProcessedInSeq: 0 });
      await lib.next("live");
      if (i % 4 === 1) {
        await lib.send({ type: "release", key: KEY });
        await lib.next("released");
      }
      lib.close();
      await lib.done;
      await waitFor(() => engine.server.holderOf(KEY) === undefined, `lib${i} gone`);
    }
    await waitFor(() => engine.server.libraries === 0 && engine.server.pendingLibraries === 0, "all gone");
    assert.equal(fds(), before);
    assert.equal(engine.gw.runner(KEY)!.loggedOn, true);
  } finally {
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wrong-secret HELLOs: ERROR AUTH_FAILED and closed; the secret never echoed or logged; the refusal lines rate limited (20, then one a second saying how many were left out), the name cut to 64 characters", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-hostile-" });
  const clock = new ManualScheduler();
  const logs = new LogCapture();
  const engine = await startEngineOverLp({
    dir,
    server: { secret: SECRET, scheduler: clock },
    serverLogger: logs.logger("info"),
  });
  try {
    await engine.loggedOn();
    const knock = async (n: number, name: string) => {
      for (let i = 0; i < n; i++) {
        const r = await RawEngineClient.connect(engine.socket);
        await r.send({ type: "hello", version: 1, name, secret: `${SECRET.slice(0, -1)}X` });
        const e = await r.next("error");
        assert.deepEqual([e.code, e.text], [ErrorCode.AUTH_FAILED, "authentication failed"]);
        await r.done;
        r.close();
      }
    };
    await knock(30, "n".repeat(1000));
    const msgs = () => logs.grep(/refused: wrong secret/).map((l) => JSON.parse(l).msg as string);
    let refused = msgs();
    assert.equal(refused.length, 20);
    assert.ok(refused.every((l) => l === `library "${"n".repeat(64)}" refused: wrong secret`), refused[0]);
    clock.advance(2000);
    await knock(1, "again");
    refused = msgs();
    assert.equal(refused.length, 21);
    assert.match(
      refused[20]!,
      /library "again" refused: wrong secret \(10 similar lines not logged: rate limit\)/,
    );
    // The right secret: attached.
    const ok = await RawEngineClient.attach(engine.socket, "right", SECRET);
    ok.close();
    await ok.done;
    assert.equal(logs.lines.filter((l) => l.includes(SECRET) || l.includes(SECRET.slice(0, -1))).length, 0);
  } finally {
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LOGOUT with a Text carrying SOH: the Logout's 58 keeps it as one field (SOH sent as a space), no field injected", async () => {
  const reasons: string[] = [];
  await withEngine(
    { lpApp: { onLogout: (_s, reason) => void reasons.push(reason) } },
    async ({ engine, open }) => {
      await engine.loggedOn();
      const lib = await RawEngineClient.attach(engine.socket, "bye");
      open.push(lib);
      await lib.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
      await lib.next("live");
      await lib.send({ type: "logout", key: KEY, text: "bye\x0158=forged\x01" });
      await waitFor(() => reasons.length > 0, "the LP's logout");
      assert.deepEqual(reasons, ["Logout received: bye 58=forged "]);
    },
  );
});

Deno.test("after HELLO: a bad length, an unknown command, fields cut short: ERROR MALFORMED and closed; a frame cut by a close: dropped; another library's session unaffected", async () => {
  await withEngine({}, async ({ engine, open }) => {
    await engine.loggedOn();
    const holder = await RawEngineClient.attach(engine.socket, "holder");
    open.push(holder);
    await holder.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await holder.next("live");
    const u32 = (n: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, n);
      return b;
    };
    const bad: Array<[string, Uint8Array]> = [
      ["length 2^31", Uint8Array.of(...u32(2 ** 31), 0x05)],
      ["length above 16 MiB", Uint8Array.of(...u32(16 * 1024 * 1024 + 1), 0x05)],
      ["length 0", u32(0)],
      ["unknown command", Uint8Array.of(...u32(1), 0x7f)],
      ["an event type", Uint8Array.of(...u32(1), 0x81)],
      ["CLAIM cut short", Uint8Array.of(...u32(4), 0x03, 0x00, 0x05, 0x41)],
      ["SEND body length past the frame", Uint8Array.of(...u32(9), 0x05, 0, 1, 0x4b, 0, 0, 0xff, 0xff, 0xff)],
      ["trailing bytes", Uint8Array.of(...u32(6), 0x02, 0, 0, 0, 1, 9)],
    ];
    for (const [what, bytes] of bad) {
      const r = await RawEngineClient.attach(engine.socket, "bad");
      await r.write(bytes);
      const e = await r.next("error");
      assert.equal(e.code, ErrorCode.MALFORMED, what);
      await waitFor(() => r.closed, `closed after ${what}`);
      r.close();
    }
    // Half a frame (a SEND of 1 MiB announced, 10 bytes sent), then gone.
    const cut = await RawEngineClient.attach(engine.socket, "cut");
    await cut.write(Uint8Array.of(...u32(1 << 20), 0x05, 0, 1, 0x4b, 0, 1, 0x72, 0, 0x10));
    cut.close();
    await cut.done;
    await waitFor(() => engine.server.libraries === 1, "only the holder left");
    // The holder still holds and sends.
    assert.equal(engine.server.holderOf(KEY), "holder#1");
    await holder.send({ type: "send", key: KEY, requestId: "still", body: orderBody("still") });
    const r = await holder.next("send-result", (e) => e.requestId === "still");
    assert.equal(r.status, SendStatus.ACCEPTED);
    assert.equal(holder.events.filter((e) => e.type === "error").length, 0);
  });
});

Deno.test("SENDs while the session is not logged on: QUEUED up to its outbound bound (8 MiB), then BACK_PRESSURE; never an unbounded queue", async () => {
  await withEngine({}, async ({ engine, open }) => {
    await engine.loggedOn();
    const lib = await RawEngineClient.attach(engine.socket, "fast");
    open.push(lib);
    await lib.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await lib.next("live");
    await engine.lp.stop();
    await waitFor(() => engine.gw.runner(KEY)!.loggedOn === false, "logged off");
    const text = "q".repeat(16 * 1024);
    const body = new TextEncoder().encode(`35=D\x0111=x\x0155=X\x0154=1\x0138=1\x0140=1\x0158=${text}\x01`);
    const n = 1000;
    for (let i = 0; i < n; i++) await lib.send({ type: "send", key: KEY, requestId: `q${i}`, body });
    await waitFor(() => lib.events.filter((e) => e.type === "send-result").length === n, `${n} answers`);
    const answers = lib.events.filter((e) => e.type === "send-result");
    const queued = answers.filter((e) => e.status === SendStatus.QUEUED).length;
    const pressed = answers.filter((e) => e.status === SendStatus.BACK_PRESSURE).length;
    assert.equal(queued + pressed, n);
    assert.ok(pressed > 0, "back-pressure answered");
    // Queued bodies stay within the session's bound (8 MiB) plus one message.
    assert.ok(queued * body.length <= 8 * 1024 * 1024 + body.length, `${queued} queued`);
    assert.ok(queued * body.length > 7 * 1024 * 1024, `${queued} queued: the bound is used`);
  });
});

Deno.test("a 65535-byte session key in CLAIM, RESET, SET_SEQ, RELEASE, LOGOUT and SEND: refused with the key cut in the text; the engine does not fail", async () => {
  await withEngine({}, async ({ engine, open }) => {
    await engine.loggedOn();
    const lib = await RawEngineClient.attach(engine.socket, "longkey");
    open.push(lib);
    const long = "K".repeat(65535);
    await lib.send({ type: "claim", key: long, replay: true, lastProcessedInSeq: 0 });
    const refused = await lib.next("refused");
    assert.deepEqual([refused.key === long, refused.code], [true, ErrorCode.UNKNOWN_SESSION]);
    assert.equal(refused.text, `no session "${"K".repeat(64)}..." in this engine`);
    await lib.send({ type: "reset", key: long, tag: 1 });
    const reset = await lib.next("seq-result");
    assert.deepEqual([reset.key === long, reset.code, reset.text], [
      true,
      ErrorCode.UNKNOWN_SESSION,
      `no session "${"K".repeat(64)}..." in this engine`,
    ]);
    await lib.send({ type: "set-seq", key: long, tag: 2, nextSenderSeq: 5, nextTargetSeq: 0 });
    assert.equal((await lib.next("seq-result")).code, ErrorCode.UNKNOWN_SESSION);
    await lib.send({ type: "release", key: long });
    assert.equal((await lib.next("refused")).code, ErrorCode.NOT_CLAIMED);
    await lib.send({ type: "logout", key: long, text: "x".repeat(65535) });
    assert.equal((await lib.next("refused")).code, ErrorCode.NOT_CLAIMED);
    await lib.send({ type: "send", key: long, requestId: "r", body: orderBody("r") });
    assert.equal((await lib.next("send-result")).code, ErrorCode.UNKNOWN_SESSION);
    // Still attached and working.
    await lib.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await lib.next("live");
    assert.equal(lib.closed, false);
  });
});

Deno.test("RESET/SET_SEQ flood while a session's first claim reads the journal: past 1024 waiting the library is disconnected, not kept without bound", async () => {
  await withEngine({ journal: "gated" }, async ({ engine, open, gate }) => {
    await engine.loggedOn();
    const holder = await RawEngineClient.attach(engine.socket, "holder");
    open.push(holder);
    await holder.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await holder.next("live");
    await waitFor(() => gate!.asked() > 0, "the claim's journal read waiting");
    const flood = await RawEngineClient.attach(engine.socket, "flood");
    open.push(flood);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 1100; i++) {
      frames.push(encodeCommand({ type: "set-seq", key: KEY, tag: i, nextSenderSeq: 0, nextTargetSeq: 5 }));
    }
    await flood.write(new Uint8Array(frames.flatMap((f) => [...f])));
    await waitFor(() => flood.closed, "the flooding library disconnected");
    assert.equal(engine.server.holderOf(KEY), "holder#1");
    gate!.open();
    // The holder's own SET_SEQ is carried out once the read is done.
    await holder.send({ type: "set-seq", key: KEY, tag: 7, nextSenderSeq: 0, nextTargetSeq: 9 });
    const r = await holder.next("seq-result", (e) => e.tag === 7);
    assert.deepEqual([r.code, r.nextTargetSeq], [0, 9]);
  });
});

Deno.test("a CLAIM with lastProcessedInSeq far past the journal's end (2^32-1): LIVE with 0 replayed, the claim holds, live messages follow", async () => {
  await withEngine({ journal: "file" }, async ({ engine, open }) => {
    await engine.loggedOn();
    const lp = engine.lp.runner("FIX.4.4:LP->CLIENT")!;
    const firstIn = engine.gw.sessionStatus(KEY)!.nextTargetSeq;
    lp.send({ msgType: "8", fields: [[37, "o1"], [17, "e1"]] });
    await waitFor(() => engine.gw.sessionStatus(KEY)!.nextTargetSeq === firstIn + 1, "one message in");
    const lib = await RawEngineClient.attach(engine.socket, "far");
    open.push(lib);
    await lib.send({ type: "claim", key: KEY, replay: true, lastProcessedInSeq: 0xffffffff });
    assert.equal((await lib.next("live")).replayed, 0);
    assert.equal(lib.events.filter((e) => e.type === "message").length, 0);
    assert.equal(engine.server.holderOf(KEY), "far#1");
    lp.send({ msgType: "8", fields: [[37, "o2"], [17, "e2"]] });
    const m = await lib.next("message");
    assert.equal(m.replayed, false);
  });
});

Deno.test("libraries that said HELLO are capped too (maxLibraries): one more is closed at once without a word; a place freed is taken again", async () => {
  await withEngine({ server: { maxLibraries: 3 } }, async ({ engine, open }) => {
    await engine.loggedOn();
    for (let i = 0; i < 3; i++) open.push(await RawEngineClient.attach(engine.socket, `lib${i}`));
    assert.equal(engine.server.libraries, 3);
    // Before: a fourth (and any number more) attached.
    const fourth = await RawEngineClient.connect(engine.socket);
    open.push(fourth);
    await waitFor(() => fourth.closed, "the fourth closed");
    assert.deepEqual(fourth.events, []);
    assert.equal(engine.server.libraries, 3);
    // One leaves: the next one attaches and works.
    open[0]!.close();
    await waitFor(() => engine.server.libraries === 2, "a place freed");
    const next = await RawEngineClient.attach(engine.socket, "next");
    open.push(next);
    await next.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await next.next("live");
    assert.equal(engine.server.libraries, 3);
  });
});

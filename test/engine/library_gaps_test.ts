/**
 * Engine endpoint gaps (issue 17): a send that must not wait for a logon (`fixg send`), a library that dies
 * with sends in flight, and a claim of a session whose application runs inside the engine. The engine runs
 * in this process; libraries talk to it over a real Unix socket.
 */
import assert from "node:assert/strict";
import { buildGateway } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { startAcceptor, startInitiator } from "../../src/engine/quick.ts";
import { connectEngine, EngineError } from "../../src/engine/library_client.ts";
import { EngineServer } from "../../src/engine/library_server.ts";
import { Logger } from "../../src/engine/log.ts";
import { encodeCommand, ErrorCode } from "../../src/engine/protocol.ts";
import { waitFor } from "./helpers.ts";
import { startEngineOverLp } from "../_helpers/engine_in_process.ts";
import { ackingLp, order } from "../_helpers/orders.ts";
import { freePort } from "../_helpers/net.ts";

const KEY = "FIX.4.4:CLIENT->LP";
const te = new TextEncoder();
const logger = () => new Logger({ level: "error" });

Deno.test("a send with ifLoggedOn while the session is down is refused NOT_LOGGED_ON and nothing is left queued", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-gaps-" });
  const socket = `${dir}/e.sock`;
  const port = freePort();
  const server = new EngineServer({ socket, logger: logger() });
  // Nobody listens yet: the initiator retries every 20 ms.
  const gw = await startInitiator({
    port,
    senderCompId: "CLIENT",
    targetCompId: "LP",
    logger: logger(),
    reconnect: { initialMs: 20, maxMs: 20, factor: 1, jitter: 0, attempts: 0 },
  }, server.app);
  server.attach(gw);
  await server.start();
  const seen: string[] = [];
  let lp: Awaited<ReturnType<typeof startAcceptor>> | undefined;
  const lib = await connectEngine({ socket, name: "t", reconnect: false });
  try {
    const session = await lib.claim(KEY, {});
    assert.equal(session.loggedOn, false);
    const a = await session.submit(order("A"), { ifLoggedOn: true });
    assert.deepEqual([a.requestId, a.status, a.seq, a.code], ["A", "refused", 0, ErrorCode.NOT_LOGGED_ON]);
    assert.equal(a.text, `${KEY} is not logged on: nothing sent`);
    // The refusal is not remembered: the same request id is a new attempt once logged on.
    lp = await startAcceptor(
      { port, senderCompId: "LP", targetCompId: "CLIENT", logger: logger() },
      ackingLp(seen),
    );
    await waitFor(() => gw.runner(KEY)?.loggedOn === true, "logon");
    assert.equal(gw.runner(KEY)!.status().nextSenderSeq, 2, "only the Logon went out");
    const b = await session.submit(order("B"), { ifLoggedOn: true });
    assert.deepEqual([b.status, b.seq], ["accepted", 2]);
    const again = await session.submit(order("A"), { ifLoggedOn: true });
    assert.deepEqual([again.status, again.seq], ["accepted", 3]);
    await waitFor(() => seen.length === 2, "orders at the LP");
    assert.deepEqual(seen, ["B", "A"]);
  } finally {
    await lib.close();
    server.stop();
    await gw.stop();
    await lp?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a library dies with sends in flight: each went out once; on re-claim the replay and the retried ids tell it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-gaps-" });
  const seen: string[] = [];
  const engine = await startEngineOverLp({ dir, lpApp: ackingLp(seen) });
  const { socket, server, gw } = engine;
  const lib2 = { lib: undefined as Awaited<ReturnType<typeof connectEngine>> | undefined };
  try {
    await engine.loggedOn();
    // The first library: HELLO, CLAIM and five SENDs in one write, then it dies before reading any answer.
    const conn = await Deno.connect({ transport: "unix", path: socket });
    const frames = [
      encodeCommand({ type: "hello", version: 1, name: "dying", secret: "" }),
      encodeCommand({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 }),
      ...["o1", "o2", "o3", "o4", "o5"].map((id) =>
        encodeCommand({
          type: "send",
          key: KEY,
          requestId: id,
          body: te.encode(
            `35=D\x0111=${id}\x0155=EUR/USD\x0154=1\x0138=100\x0140=1\x0160=20260101-00:00:00\x01`,
          ),
        })
      ),
    ];
    const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let off = 0;
    for (const f of frames) {
      all.set(f, off);
      off += f.length;
    }
    for (let w = 0; w < all.length;) w += await conn.write(all.subarray(w));
    conn.close();
    await waitFor(() => server.holderOf(KEY) === undefined && seen.length === 5, "holder gone, orders out");
    assert.equal(gw.runner(KEY)!.loggedOn, true, "no FIX-level effect");

    // The restarted library claims from its last processed position (it processed nothing: the Logon, 1)
    // and submits the same five request ids again, plus one new.
    const lib = await connectEngine({ socket, name: "restarted", reconnect: false });
    lib2.lib = lib;
    const replayed: Array<[number, boolean, string]> = [];
    const session = await lib.claim(KEY, {
      onMessage(v, s) {
        replayed.push([v.getInt(34)!, (s as { replaying: boolean }).replaying, v.getString(11)!]);
      },
    }, { lastProcessedInSeq: 1 });
    await waitFor(() => replayed.length === 5, "the five reports replayed");
    assert.deepEqual(replayed, [
      [2, true, "o1"],
      [3, true, "o2"],
      [4, true, "o3"],
      [5, true, "o4"],
      [6, true, "o5"],
    ]);
    const answers = await Promise.all(
      ["o1", "o2", "o3", "o4", "o5", "o6"].map((id) => session.submit(order(id))),
    );
    assert.deepEqual(answers.map((a) => [a.requestId, a.status, a.seq]), [
      ["o1", "accepted", 2],
      ["o2", "accepted", 3],
      ["o3", "accepted", 4],
      ["o4", "accepted", 5],
      ["o5", "accepted", 6],
      ["o6", "accepted", 7],
    ]);
    await waitFor(() => seen.length === 6, "the new order at the LP");
    assert.deepEqual(seen, ["o1", "o2", "o3", "o4", "o5", "o6"], "each order once at the counterparty");
  } finally {
    await lib2.lib?.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a claim of a session whose application runs inside the engine is refused APP_IN_ENGINE", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-gaps-" });
  const socket = `${dir}/e.sock`;
  const config = parseConfig(
    [
      "store: { type: memory }",
      "sessions:",
      `  - { role: acceptor, port: ${freePort()}, senderCompId: ECHO, targetCompId: C1, app: echo }`,
      `  - { role: acceptor, port: ${freePort()}, senderCompId: FREE, targetCompId: C2 }`,
    ].join("\n"),
    "t.yaml",
    () => undefined,
  );
  const server = new EngineServer({ socket, logger: logger() });
  const gw = await buildGateway(config, { logger: logger(), app: server.app });
  await gw.start();
  server.attach(gw);
  await server.start();
  const lib = await connectEngine({ socket, name: "t", reconnect: false });
  try {
    await assert.rejects(lib.claim("FIX.4.4:ECHO->C1", {}), (e: unknown) => {
      assert.ok(e instanceof EngineError);
      assert.equal(e.errorCode, ErrorCode.APP_IN_ENGINE);
      assert.equal(
        e.message,
        "FIX.4.4:ECHO->C1 runs an application inside the engine (app: in its config): only sessions without one can be claimed",
      );
      return true;
    });
    const free = await lib.claim("FIX.4.4:FREE->C2", {});
    assert.equal(free.key, "FIX.4.4:FREE->C2");
    assert.deepEqual(
      (await lib.sessions()).map((s) => [s.key, s.claimedBy]),
      [["FIX.4.4:ECHO->C1", ""], ["FIX.4.4:FREE->C2", "t#1"]],
    );
  } finally {
    await lib.close();
    server.stop();
    await gw.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SessionHandle.send through the engine: a send the engine refuses reaches onSendFailed, never a silent loss", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-gaps-" });
  const seen: string[] = [];
  const engine = await startEngineOverLp({ dir, lpApp: ackingLp(seen) });
  const { socket } = engine;
  const lib = await connectEngine({ socket, name: "t", reconnect: false });
  try {
    await engine.loggedOn();
    const failed: Array<[number, string, string | undefined, string]> = [];
    const acked: string[] = [];
    const session = await lib.claim(KEY, {
      onSendFailed(info) {
        failed.push([info.seq, info.msgType, info.clOrdId, info.reason]);
      },
      onMessage(v) {
        if (v.msgType === "8") acked.push(v.getString(11)!);
      },
    });
    assert.deepEqual(session.send({ msgType: "D", fields: [[11, "bad"], [55, ""]] }), { kind: "queued" });
    assert.deepEqual(session.send(order("good")), { kind: "queued" });
    await waitFor(() => failed.length === 1 && acked.length === 1, "the refusal and the ack");
    assert.deepEqual(failed, [[0, "D", "bad", "refused (INVALID_MESSAGE): tag 55 has an empty value"]]);
    assert.deepEqual([seen, acked], [["good"], ["good"]]);
  } finally {
    await lib.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a journal flush that fails answers its sends refused STORE_FAILED, with the MsgSeqNum it was given", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-gaps-" });
  const seen: string[] = [];
  let flushes = 0;
  const flush = () => {
    flushes++;
    return Promise.reject(new Error("disk full"));
  };
  const engine = await startEngineOverLp({ dir, lpApp: ackingLp(seen), server: { flush } });
  const { socket } = engine;
  const lib = await connectEngine({ socket, name: "t", reconnect: false });
  try {
    await engine.loggedOn();
    const session = await lib.claim(KEY, {});
    const [a, b] = await Promise.all([session.submit(order("f1")), session.submit(order("f2"))]);
    assert.deepEqual(
      [a, b].map((x) => [x.requestId, x.status, x.seq, x.code, x.text]),
      [
        ["f1", "refused", 2, ErrorCode.STORE_FAILED, "sent as 2 but the journal failed: disk full"],
        ["f2", "refused", 3, ErrorCode.STORE_FAILED, "sent as 3 but the journal failed: disk full"],
      ],
    );
    assert.ok(flushes >= 1);
    // The answer is remembered: a retry is not sent again.
    const again = await session.submit(order("f1"));
    assert.deepEqual([again.status, again.seq], ["refused", 2]);
    await waitFor(() => seen.length === 2, "both orders at the LP");
    assert.deepEqual(seen, ["f1", "f2"]);
  } finally {
    await lib.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

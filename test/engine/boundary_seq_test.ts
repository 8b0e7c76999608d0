/**
 * RESET and SET_SEQ on the engine's boundary (boundary.ts): the library protocol's frames byte for byte
 * (docs/library_protocol.md), the rule that no set-seq takes the next sender number below one already
 * used (checked when the command runs in the session's mailbox), the library endpoint (only the holder;
 * SEQ_RESULT with the command's tag) and the admin endpoint using the same commands.
 */
import assert from "node:assert/strict";
import type { SessionHandle } from "../../src/engine/application.ts";
import {
  commandFromFrame,
  commandTarget,
  commandToFrame,
  type EngineCommand,
  type SequenceOutcome,
  setSequenceRefusal,
} from "../../src/engine/boundary.ts";
import { connectEngine } from "../../src/engine/library_client.ts";
import { Logger } from "../../src/engine/log.ts";
import { decodeEvent, encodeEvent, ErrorCode, type Event, ProtocolError } from "../../src/engine/protocol.ts";
import { startEngineOverLp } from "../_helpers/engine_in_process.ts";
import { RawEngineClient, serveCommands } from "../_helpers/engine_protocol.ts";
import { startAcceptor, startInitiator } from "../../src/engine/quick.ts";
import { SessionRunner } from "../../src/engine/session_runner.ts";
import { Operations } from "../../src/ops/operations.ts";
import { http, lpApp, newOrder, startGateway } from "../ops/helpers.ts";
import { waitFor } from "./helpers.ts";

const te = new TextEncoder();
const K = [0, 1, 0x4b]; // str "K"
const KEY = "FIX.4.4:CLIENT->LP";

Deno.test("boundary: RESET and SET_SEQ are the library protocol's exact bytes, and back", () => {
  const cases: Array<[EngineCommand, number[]]> = [
    // docs/library_protocol.md's examples.
    [{ type: "reset", key: "K", tag: 7 }, [0, 0, 0, 8, 0x07, ...K, 0, 0, 0, 7]],
    [
      { type: "set-seq", key: "K", tag: 1, nextSenderSeq: 300, nextTargetSeq: 0 },
      [0, 0, 0, 16, 0x08, ...K, 0, 0, 0, 1, 0, 0, 1, 0x2c, 0, 0, 0, 0],
    ],
  ];
  for (const [c, bytes] of cases) {
    const f = commandToFrame(c);
    assert.deepEqual([...f], bytes, c.type);
    assert.deepEqual(commandFromFrame(f), c, c.type);
  }
  assert.throws(
    () => commandFromFrame(Uint8Array.of(0, 0, 0, 12, 0x08, ...K, 0, 0, 0, 1, 0, 0, 0, 2)),
    ProtocolError,
  );
  const result: Event = {
    type: "seq-result",
    key: "K",
    tag: 1,
    code: 25,
    text: "x",
    nextSenderSeq: 9,
    nextTargetSeq: 4,
  };
  const bytes = [0, 0, 0, 21, 0x8e, ...K, 0, 0, 0, 1, 0, 25, 0, 1, 0x78, 0, 0, 0, 9, 0, 0, 0, 4];
  assert.deepEqual([...encodeEvent(result)], bytes);
  assert.deepEqual(decodeEvent(Uint8Array.from(bytes), 4), result);
  assert.equal(ErrorCode.SEQ_BELOW_SENT, 25);
  assert.equal(ErrorCode.INVALID_SEQ, 26);
});

Deno.test("boundary: setSequenceRefusal never lets the next sender number go below one already used", () => {
  const now = { nextSenderSeq: 10, nextTargetSeq: 7 };
  assert.equal(setSequenceRefusal(now, 10, undefined), undefined, "the same number: nothing reused");
  assert.equal(setSequenceRefusal(now, 11, 3), undefined, "forward; the target side may go back");
  assert.equal(setSequenceRefusal(now, undefined, 1), undefined);
  assert.deepEqual(setSequenceRefusal(now, 9, undefined), {
    kind: "refused",
    code: ErrorCode.SEQ_BELOW_SENT,
    reason:
      "nextSenderSeq 9 is below the next number 10: MsgSeqNum 9 was used already (reset to start again at 1)",
    nextSenderSeq: 10,
    nextTargetSeq: 7,
  });
  assert.equal(setSequenceRefusal(now, undefined, undefined)?.code, ErrorCode.INVALID_SEQ);
  assert.equal(setSequenceRefusal(now, 2 ** 31 + 1, undefined)?.code, ErrorCode.INVALID_SEQ);
  assert.equal(setSequenceRefusal(now, undefined, 0)?.code, ErrorCode.INVALID_SEQ);
  assert.equal(setSequenceRefusal(now, 2 ** 31, undefined), undefined);
});

Deno.test("boundary: commandTarget carries RESET and SET_SEQ to the session (0: that number stays)", async () => {
  const calls: string[] = [];
  const done: SequenceOutcome = { kind: "done", nextSenderSeq: 1, nextTargetSeq: 1 };
  const h: SessionHandle & {
    resetSequence(): Promise<SequenceOutcome>;
    setSequence(s?: number, t?: number): Promise<SequenceOutcome>;
  } = {
    key: "K",
    id: { beginString: "FIX.4.4", senderCompId: "A", targetCompId: "B" },
    loggedOn: true,
    send: () => ({ kind: "queued" }),
    whenWritable: () => Promise.resolve(),
    logout: () => {},
    resetSequence: () => (calls.push("reset"), Promise.resolve(done)),
    setSequence: (s, t) => (calls.push(`set ${s} ${t}`), Promise.resolve(done)),
  };
  const t = commandTarget(h);
  assert.deepEqual(await t.sequence({ type: "reset", key: "K", tag: 1 }), done);
  await t.sequence({ type: "set-seq", key: "K", tag: 2, nextSenderSeq: 5, nextTargetSeq: 0 });
  await t.sequence({ type: "set-seq", key: "K", tag: 3, nextSenderSeq: 0, nextTargetSeq: 8 });
  assert.deepEqual(calls, ["reset", "set 5 undefined", "set undefined 8"]);
});

Deno.test("set-seq is checked when it runs: sends queued before it are numbered first", async () => {
  const outcomes: Promise<SequenceOutcome>[] = [];
  const lp = await startAcceptor({ port: 0, senderCompId: "LP", targetCompId: "CLIENT" }, {});
  const gw = await startInitiator({ port: lp.ports[0]!, senderCompId: "CLIENT", targetCompId: "LP" }, {
    onLogon(s) {
      assert.ok(s instanceof SessionRunner);
      const next = s.status().nextSenderSeq; // 2: after our Logon
      // Inside a callback: the sends and the command run after this step, in this order.
      s.send(newOrder("a"));
      s.send(newOrder("b"));
      outcomes.push(s.setSequence(next + 1)); // 3 goes to "b" first
      outcomes.push(s.setSequence(next + 2)); // 4: the next unused number
    },
  });
  try {
    await waitFor(() => outcomes.length === 2, "logon");
    const [below, same] = await Promise.all(outcomes);
    assert.deepEqual(below, {
      kind: "refused",
      code: ErrorCode.SEQ_BELOW_SENT,
      reason:
        "nextSenderSeq 3 is below the next number 4: MsgSeqNum 3 was used already (reset to start again at 1)",
      nextSenderSeq: 4,
      nextTargetSeq: 2,
    });
    assert.deepEqual(same, { kind: "done", nextSenderSeq: 4, nextTargetSeq: 2 });
  } finally {
    await gw.stop();
    await lp.stop();
  }
});

Deno.test("library endpoint: RESET and SET_SEQ from the holder only, answered by SEQ_RESULT with the tag", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-seq-" });
  const atLp: string[] = [];
  const engine = await startEngineOverLp({
    dir,
    lpApp: {
      onMessage: (v) => void atLp.push(`${v.msgType}:${v.seqNum}:${v.getString(11)}`),
      fromAdmin: (v) => {
        if (v.msgType === "A") atLp.push(`A:${v.seqNum}:${v.getString(141) ?? "-"}`);
      },
    },
  });
  const { gw } = engine;
  const lib = await RawEngineClient.attach(engine.socket, "t");
  const other = await RawEngineClient.attach(engine.socket, "other");
  const seqResult = async (l: RawEngineClient, c: EngineCommand & { tag: number }) => {
    await l.send(c);
    return await l.next("seq-result", (e) => e.tag === c.tag);
  };
  const order = (id: string) => te.encode(`35=D\x0111=${id}\x0155=X\x0154=1\x0138=1\x0140=1\x01`);
  try {
    await waitFor(() => gw.runner(KEY)?.loggedOn === true, "logon");
    assert.deepEqual(await seqResult(lib, { type: "reset", key: KEY, tag: 1 }), {
      type: "seq-result",
      key: KEY,
      tag: 1,
      code: ErrorCode.NOT_CLAIMED,
      text: "RESET needs the session claimed by this library",
      nextSenderSeq: 0,
      nextTargetSeq: 0,
    });
    assert.deepEqual(
      await seqResult(lib, {
        type: "set-seq",
        key: "FIX.4.4:X->Y",
        tag: 2,
        nextSenderSeq: 5,
        nextTargetSeq: 0,
      }),
      {
        type: "seq-result",
        key: "FIX.4.4:X->Y",
        tag: 2,
        code: ErrorCode.UNKNOWN_SESSION,
        text: 'no session "FIX.4.4:X->Y" in this engine',
        nextSenderSeq: 0,
        nextTargetSeq: 0,
      },
    );
    await lib.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await lib.next("live");
    await lib.send({ type: "send", key: KEY, requestId: "c1", body: order("c1") });
    assert.equal((await lib.next("send-result")).seq, 2);
    // Below the next sender number (3): refused, nothing changed.
    const below = await seqResult(lib, {
      type: "set-seq",
      key: KEY,
      tag: 3,
      nextSenderSeq: 2,
      nextTargetSeq: 0,
    });
    assert.deepEqual(below, {
      type: "seq-result",
      key: KEY,
      tag: 3,
      code: ErrorCode.SEQ_BELOW_SENT,
      text:
        "nextSenderSeq 2 is below the next number 3: MsgSeqNum 2 was used already (reset to start again at 1)",
      nextSenderSeq: 3,
      nextTargetSeq: 2,
    });
    const none = await seqResult(lib, {
      type: "set-seq",
      key: KEY,
      tag: 4,
      nextSenderSeq: 0,
      nextTargetSeq: 0,
    });
    assert.equal(none.code, ErrorCode.INVALID_SEQ);
    // Another library cannot touch a session this one holds.
    const theirs = await seqResult(other, {
      type: "set-seq",
      key: KEY,
      tag: 5,
      nextSenderSeq: 50,
      nextTargetSeq: 0,
    });
    assert.equal(theirs.code, ErrorCode.NOT_CLAIMED);
    assert.equal(
      theirs.text,
      `SET_SEQ needs the session claimed: ${KEY} is claimed by library t#1`,
    );
    // Forward: the next order goes out as 10 (the LP fills the gap 3-9 by its ResendRequest), then STATE.
    assert.deepEqual(
      await seqResult(lib, { type: "set-seq", key: KEY, tag: 6, nextSenderSeq: 10, nextTargetSeq: 0 }),
      {
        type: "seq-result",
        key: KEY,
        tag: 6,
        code: 0,
        text: "",
        nextSenderSeq: 10,
        nextTargetSeq: 2,
      },
    );
    assert.equal((await lib.next("state")).session.nextSenderSeq, 2, "the STATE after CLAIMED");
    assert.equal((await lib.next("state")).session.nextSenderSeq, 10, "the STATE after SEQ_RESULT");
    await lib.send({ type: "send", key: KEY, requestId: "c2", body: order("c2") });
    assert.equal((await lib.next("send-result")).seq, 10);
    await waitFor(() => atLp.includes("D:10:c2"), "c2 at the LP as 10");
    // RESET while logged on: Logon 141=Y as 1, both numbers start again.
    assert.deepEqual(await seqResult(lib, { type: "reset", key: KEY, tag: 7 }), {
      type: "seq-result",
      key: KEY,
      tag: 7,
      code: 0,
      text: "",
      nextSenderSeq: 2,
      nextTargetSeq: 1,
    });
    await waitFor(() => gw.runner(KEY)!.status().nextTargetSeq === 2, "the LP's Logon 141=Y answered");
    assert.deepEqual(atLp, ["A:1:-", "D:2:c1", "D:10:c2", "A:1:Y"]);
  } finally {
    lib.close();
    other.close();
    await Promise.all([lib.done, other.done]);
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("admin endpoint: reset and set-seq are the same commands, with the same rule (409 below the sender number)", async () => {
  const TOKEN = "test-token-0123456789";
  const lp = await startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
`,
    { app: lpApp(), logger: new Logger({ level: "error" }) },
  );
  const { gw, config } = await startGateway(
    `store: { type: memory }
admin: { port: 0, token: ${TOKEN} }
sessions:
  - { name: venue, role: initiator, host: 127.0.0.1, port: ${
      lp.gw.ports[0]
    }, senderCompId: TW, targetCompId: ISLD }
`,
    { logger: new Logger({ level: "error" }) },
  );
  const ops = await Operations.start(gw, { config, logger: gw.logger, signals: false });
  const base = `http://127.0.0.1:${ops.admin!.port}`;
  const venue = gw.find("venue")!;
  const post = (action: string, body?: unknown) =>
    http(base, `/sessions/venue/${action}`, { method: "POST", token: TOKEN, ...(body ? { body } : {}) });
  try {
    await waitFor(() => venue.loggedOn, "venue logged on");
    venue.send(newOrder("o1"));
    await waitFor(() => venue.status().nextSenderSeq === 3 && venue.status().nextTargetSeq === 3, "acked");
    const below = await post("set-seq", { nextSenderSeq: 2 });
    assert.equal(below.status, 409);
    assert.deepEqual(below.json, {
      error:
        "nextSenderSeq 2 is below the next number 3: MsgSeqNum 2 was used already (reset to start again at 1)",
      nextSenderSeq: 3,
      nextTargetSeq: 3,
    });
    assert.equal(venue.status().nextSenderSeq, 3, "unchanged");
    const same = await post("set-seq", { nextSenderSeq: 3, nextTargetSeq: 3 });
    assert.equal(same.status, 200);
    assert.equal(same.json.nextSenderSeq, 3);
    assert.equal((await post("set-seq", {})).status, 400);
    const reset = await post("reset");
    assert.equal(reset.status, 200);
    assert.equal(reset.json.nextSenderSeq, 2, "Logon 141=Y went out as 1");
    await waitFor(
      () => venue.status().nextTargetSeq === 2 && venue.loggedOn,
      "the counterparty's Logon 141=Y",
    );
  } finally {
    await ops.stop();
    await gw.stop();
    await lp.gw.stop();
  }
});

Deno.test("connectEngine: a claimed LibrarySession resets and sets its numbers as an in-process runner does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-seq-lib-" });
  const engine = await startEngineOverLp({ dir });
  const { gw } = engine;
  const lib = await connectEngine({ socket: engine.socket, name: "ts", reconnect: false });
  try {
    await engine.loggedOn();
    const s = await lib.claim(KEY, {});
    assert.deepEqual(await s.setSequence(1), {
      kind: "refused",
      code: ErrorCode.SEQ_BELOW_SENT,
      reason:
        "nextSenderSeq 1 is below the next number 2: MsgSeqNum 1 was used already (reset to start again at 1)",
      nextSenderSeq: 2,
      nextTargetSeq: 2,
    });
    assert.equal(
      (await s.setSequence(0)).kind,
      "refused",
      "0 is not a number to set (checked before the engine)",
    );
    assert.equal((await s.setSequence(2 ** 32 + 5)).kind, "refused", "not cut to 32 bits");
    assert.deepEqual(await s.setSequence(7), { kind: "done", nextSenderSeq: 7, nextTargetSeq: 2 });
    assert.equal(gw.runner(KEY)!.status().nextSenderSeq, 7);
    assert.deepEqual(await s.resetSequence(), { kind: "done", nextSenderSeq: 2, nextTargetSeq: 1 });
    await waitFor(() => gw.runner(KEY)!.status().nextTargetSeq === 2, "the LP's Logon 141=Y");
  } finally {
    await lib.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connectEngine: a SET_SEQ whose answer is lost with the connection resolves refused (code 0), not never", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-seq-lost-" });
  const path = `${dir}/e.sock`;
  // An engine that answers HELLO and CLAIM, then drops the connection on SET_SEQ.
  const listener = Deno.listen({ transport: "unix", path });
  const serving = serveCommands(listener, async (c, answer, conn) => {
    if (c.type === "hello") {
      await answer({ type: "hello-ok", version: 1, engine: "fake", libraryId: 1 });
    }
    if (c.type === "claim") {
      await answer({
        type: "claimed",
        key: c.key,
        loggedOn: false,
        nextSenderSeq: 5,
        nextTargetSeq: 5,
      });
      await answer({ type: "live", key: c.key, replayed: 0 });
    }
    if (c.type === "set-seq") conn.close();
  });
  const lib = await connectEngine({ socket: path, name: "t", maxBackoffMs: 50 });
  try {
    const s = await lib.claim(KEY, {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const never = new Promise<"no answer">((r) => timer = setTimeout(() => r("no answer"), 5000));
    const o = await Promise.race([s.setSequence(9), never]);
    clearTimeout(timer);
    assert.notEqual(o, "no answer");
    if (o === "no answer") return;
    assert.equal(o.kind, "refused");
    assert.equal(o.kind === "refused" && o.code, 0);
    assert.match(o.kind === "refused" ? o.reason : "", /connection to the engine lost: .*: outcome unknown$/);
  } finally {
    await lib.close();
    listener.close();
    await serving.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

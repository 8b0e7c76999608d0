/**
 * Conformance of the engine's library endpoint (docs/library_protocol.md), byte for byte over a real
 * Unix socket: a raw client writes frames and checks every answer, error code and refusal.
 */
import assert from "node:assert/strict";
import { MessageView } from "../../src/codec/mod.ts";
import {
  type Command,
  decodeCommand,
  decodeEvent,
  encodeCommand,
  encodeEvent,
  ErrorCode,
  type Event,
  SendStatus,
} from "../../src/engine/protocol.ts";
import { RawEngineClient } from "../_helpers/engine_protocol.ts";
import { startEngineOverLp } from "../_helpers/engine_in_process.ts";
import type { Application } from "../../src/engine/application.ts";
import { waitFor } from "./helpers.ts";

const KEY = "FIX.4.4:CLIENT->LP";
const SECRET = "0123456789abcdef-secret";
const te = new TextEncoder();

const hello = (name = "conf", secret = SECRET, version = 1): Command => ({
  type: "hello",
  version,
  name,
  secret,
});
const order = (id: string) =>
  te.encode(`35=D\x0111=${id}\x0155=EUR/USD\x0154=1\x0138=100\x0140=1\x0160=20260101-00:00:00\x01`);

Deno.test("protocol frames: exact bytes of HELLO and SEND, every command and event round-trips", () => {
  assert.deepEqual(
    [...encodeCommand({ type: "hello", version: 1, name: "py", secret: "" })],
    [0, 0, 0, 9, 0x01, 0, 1, 0, 2, 0x70, 0x79, 0, 0],
  );
  assert.deepEqual(
    [...encodeCommand({ type: "send", key: "K", requestId: "r", body: te.encode("35=0\x01") })],
    [0, 0, 0, 16, 0x05, 0, 1, 0x4b, 0, 1, 0x72, 0, 0, 0, 5, 0x33, 0x35, 0x3d, 0x30, 1],
  );
  // SEND's optional flags byte (bit 0: refuse unless logged on); absent, it is 0.
  const flagged = encodeCommand({
    type: "send",
    key: "K",
    requestId: "r",
    body: te.encode("35=0\x01"),
    ifLoggedOn: true,
  });
  assert.deepEqual(
    [...flagged],
    [0, 0, 0, 17, 0x05, 0, 1, 0x4b, 0, 1, 0x72, 0, 0, 0, 5, 0x33, 0x35, 0x3d, 0x30, 1, 1],
  );
  assert.equal((decodeCommand(flagged, 4) as { ifLoggedOn?: boolean }).ifLoggedOn, true);
  assert.equal(
    "ifLoggedOn" in
      decodeCommand(
        encodeCommand({ type: "send", key: "K", requestId: "r", body: te.encode("35=0\x01") }),
        4,
      ),
    false,
  );
  assert.deepEqual(
    [...encodeEvent({
      type: "send-result",
      key: "K",
      requestId: "r",
      status: 0,
      seq: 258,
      code: 0,
      text: "",
    })],
    [0, 0, 0, 16, 0x89, 0, 1, 0x4b, 0, 1, 0x72, 0, 0, 0, 1, 2, 0, 0, 0, 0],
  );
  // NOT_RESENT (0x8d): key, seq, raw.
  assert.deepEqual(
    [...encodeEvent({ type: "not-resent", key: "K", seq: 3, raw: te.encode("35=D\x01") })],
    [0, 0, 0, 17, 0x8d, 0, 1, 0x4b, 0, 0, 0, 3, 0, 0, 0, 5, 0x33, 0x35, 0x3d, 0x44, 1],
  );
  // SEND_FAILED (0x8c): key, request id, seq, MsgType, ClOrdID, reason.
  assert.deepEqual(
    [...encodeEvent({
      type: "send-failed",
      key: "K",
      requestId: "r",
      seq: 7,
      msgType: "D",
      clOrdId: "c",
      reason: "x",
    })],
    [0, 0, 0, 20, 0x8c, 0, 1, 0x4b, 0, 1, 0x72, 0, 0, 0, 7, 0, 1, 0x44, 0, 1, 0x63, 0, 1, 0x78],
  );
  const events: Event[] = [
    { type: "hello-ok", version: 1, engine: "fixg", libraryId: 7 },
    {
      type: "sessions",
      tag: 3,
      sessions: [{
        key: KEY,
        name: "lp",
        role: "initiator",
        phase: "active",
        connected: true,
        loggedOn: false,
        nextSenderSeq: 5,
        nextTargetSeq: 9,
        claimedBy: "x#1",
      }],
    },
    { type: "claimed", key: KEY, loggedOn: true, nextSenderSeq: 2, nextTargetSeq: 3 },
    { type: "refused", key: KEY, code: 11, holder: "a#1", text: "t" },
    { type: "message", key: KEY, seq: 4, replayed: true, raw: te.encode("8=FIX.4.4\x01") },
    { type: "live", key: KEY, replayed: 2 },
    { type: "logon", key: KEY },
    { type: "logout", key: KEY, reason: "r" },
    { type: "send-result", key: KEY, requestId: "q", status: 2, seq: 0, code: 0, text: "bp" },
    { type: "released", key: KEY, reason: "released" },
    {
      type: "state",
      session: {
        key: KEY,
        name: "",
        role: "acceptor",
        phase: "logged-out",
        connected: false,
        loggedOn: false,
        nextSenderSeq: 1,
        nextTargetSeq: 1,
        claimedBy: "",
      },
    },
    {
      type: "send-failed",
      key: KEY,
      requestId: "q",
      seq: 9,
      msgType: "D",
      clOrdId: "c1",
      reason: "fenced",
    },
    { type: "not-resent", key: KEY, seq: 12, raw: te.encode("8=FIX.4.4\x01") },
    { type: "error", code: 4, text: "bad" },
  ];
  for (const e of events) {
    const f = encodeEvent(e);
    assert.equal(new DataView(f.buffer, f.byteOffset).getUint32(0), f.length - 4);
    assert.deepEqual(decodeEvent(f, 4), e);
  }
});

Deno.test("engine endpoint conformance: handshake errors, list, claim/refuse, idempotent sends, back-pressure, replay", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-proto-" });
  let ordersAtLp = 0;
  const lpApp: Application = {
    onMessage(v, s) {
      if (v.msgType !== "D") return;
      ordersAtLp++;
      s.send({
        msgType: "8",
        fields: [
          [37, `o${ordersAtLp}`],
          [11, v.getString(11)!],
          [17, `e${ordersAtLp}`],
          [150, "0"],
          [39, "0"],
          [
            55,
            "EUR/USD",
          ],
          [54, "1"],
          [151, 100],
          [14, 0],
          [6, 0],
        ],
      });
    },
  };
  // A journal flush the test opens and closes: sends are answered only once it resolves.
  let gate: () => void = () => {};
  let gateOpen = true;
  let gatedFlushes = 0;
  const flush = () =>
    gateOpen ? Promise.resolve() : new Promise<void>((r) => {
      gatedFlushes++;
      gate = r;
    });
  const engine = await startEngineOverLp({ dir, lpApp, server: { secret: SECRET, maxInFlight: 2, flush } });
  const { socket, server, gw } = engine;
  const open: RawEngineClient[] = [];
  try {
    assert.equal(Deno.statSync(socket).mode! & 0o777, 0o600);
    await waitFor(() => gw.runner(KEY)?.loggedOn === true, "logon");

    // Handshake errors: each answered with ERROR and the connection closed.
    for (
      const [first, code] of [
        [encodeCommand({ type: "list", tag: 1 }), ErrorCode.HELLO_REQUIRED],
        [encodeCommand(hello("x", SECRET, 2)), ErrorCode.UNSUPPORTED_VERSION],
        [encodeCommand(hello("x", "wrong")), ErrorCode.AUTH_FAILED],
        [Uint8Array.of(0, 0, 0, 0), ErrorCode.MALFORMED],
        [Uint8Array.of(0, 0, 0, 1, 0x7f), ErrorCode.MALFORMED],
      ] as const
    ) {
      const r = await RawEngineClient.connect(socket);
      await r.write(first);
      const e = await r.next("error");
      assert.equal(e.code, code);
      await waitFor(() => r.closed, "closed after ERROR");
      r.close();
    }

    const a = await RawEngineClient.connect(socket);
    open.push(a);
    await a.send(hello("conf"));
    const ok = await a.next("hello-ok");
    assert.equal(ok.version, 1);
    assert.match(ok.engine, /^fixg /);
    await a.send({ type: "list", tag: 7 });
    const list = await a.next("sessions");
    assert.equal(list.tag, 7);
    assert.deepEqual(list.sessions.map((s) => [s.key, s.loggedOn, s.claimedBy]), [[KEY, true, ""]]);

    // Commands that need a claim.
    await a.send({ type: "send", key: KEY, requestId: "early", body: order("x") });
    let res = await a.next("send-result");
    assert.deepEqual([res.requestId, res.status, res.code], [
      "early",
      SendStatus.REFUSED,
      ErrorCode.NOT_CLAIMED,
    ]);
    await a.send({ type: "claim", key: "FIX.4.4:NOPE->LP", replay: false, lastProcessedInSeq: 0 });
    assert.equal((await a.next("refused")).code, ErrorCode.UNKNOWN_SESSION);

    await a.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    const claimed = await a.next("claimed");
    assert.deepEqual([claimed.key, claimed.loggedOn, claimed.nextSenderSeq, claimed.nextTargetSeq], [
      KEY,
      true,
      2,
      2,
    ]);
    const state = await a.next("state");
    assert.deepEqual(
      [state.session.key, state.session.loggedOn, state.session.nextSenderSeq, state.session.claimedBy],
      [KEY, true, 2, `conf#${ok.libraryId}`],
    );
    assert.equal((await a.next("live")).replayed, 0);

    // A second library is refused with the holder named.
    const b = await RawEngineClient.connect(socket);
    open.push(b);
    await b.send(hello("other"));
    await b.next("hello-ok");
    await b.send({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    const refused = await b.next("refused");
    assert.equal(refused.code, ErrorCode.CLAIMED_BY_OTHER);
    assert.equal(refused.holder, `conf#${ok.libraryId}`);

    // Sends answered only once journaled; the third beyond maxInFlight is back-pressure.
    gateOpen = false;
    await a.send({ type: "send", key: KEY, requestId: "r1", body: order("A") });
    await a.send({ type: "send", key: KEY, requestId: "r2", body: order("B") });
    await a.send({ type: "send", key: KEY, requestId: "r3", body: order("C") });
    res = await a.next("send-result");
    assert.deepEqual([res.requestId, res.status, res.seq], ["r3", SendStatus.BACK_PRESSURE, 0]);
    // r1 again while its first send waits for the journal: not sent again, answered when the first is.
    await a.send({ type: "send", key: KEY, requestId: "r1", body: order("A") });
    // The journal flush holding r1 and r2 has been asked for (an event, not a sleep).
    await waitFor(() => gatedFlushes > 0, "the gated journal flush");
    assert.equal(a.events.filter((e) => e.type === "send-result").length, 0, "no answer before the journal");
    gateOpen = true;
    gate();
    const r1 = await a.next("send-result", (e) => e.requestId === "r1");
    const r2 = await a.next("send-result", (e) => e.requestId === "r2");
    const r1again = await a.next("send-result", (e) => e.requestId === "r1");
    assert.deepEqual([r1again.status, r1again.seq], [SendStatus.ACCEPTED, 2]);
    assert.deepEqual([r1.status, r1.seq, r2.status, r2.seq], [
      SendStatus.ACCEPTED,
      2,
      SendStatus.ACCEPTED,
      3,
    ]);
    const m1 = await a.next("message", (e) => e.seq === 2);
    const m2 = await a.next("message", (e) => e.seq === 3);
    assert.equal(m1.replayed, false);
    assert.equal(MessageView.parse(m1.raw).getString(11), "A");
    assert.equal(MessageView.parse(m2.raw).getString(11), "B");

    // A retried request id gets the first answer; nothing is sent again.
    await a.send({ type: "send", key: KEY, requestId: "r1", body: order("A") });
    res = await a.next("send-result");
    assert.deepEqual([res.requestId, res.status, res.seq], ["r1", SendStatus.ACCEPTED, 2]);
    await a.send({ type: "send", key: KEY, requestId: "bad", body: te.encode("garbage") });
    res = await a.next("send-result");
    assert.deepEqual([res.status, res.code], [SendStatus.REFUSED, ErrorCode.INVALID_MESSAGE]);
    await a.send({ type: "send", key: KEY, requestId: "notype", body: te.encode("11=x\x01") });
    assert.equal((await a.next("send-result")).code, ErrorCode.INVALID_MESSAGE);
    assert.equal(ordersAtLp, 2);

    // The holder goes: the session returns to the engine; the other library claims it and gets the
    // messages after its position replayed (memory store: from the endpoint's own ring), then live.
    a.close();
    await waitFor(() => server.holderOf(KEY) === undefined, "released on disconnect");
    assert.equal(gw.runner(KEY)!.loggedOn, true);
    await b.send({ type: "claim", key: KEY, replay: true, lastProcessedInSeq: 2 });
    await b.next("claimed");
    const rp = await b.next("message");
    assert.deepEqual([rp.seq, rp.replayed, MessageView.parse(rp.raw).getString(11)], [3, true, "B"]);
    assert.equal((await b.next("live")).replayed, 1);
    await b.send({ type: "release", key: KEY });
    assert.equal((await b.next("released")).key, KEY);
    await b.send({ type: "release", key: KEY });
    assert.equal((await b.next("refused")).code, ErrorCode.NOT_CLAIMED);
  } finally {
    for (const r of open) r.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

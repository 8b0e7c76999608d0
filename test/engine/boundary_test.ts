/**
 * The engine's boundary (src/engine/boundary.ts): every event and command round-trips through the library
 * protocol's bytes exactly; the in-process Application sees the same callbacks in the same order as before
 * the boundary; the library endpoint's sink gets the same session events as the library holding the
 * session reads from its socket.
 */
import assert from "node:assert/strict";
import { MessageView } from "../../src/codec/mod.ts";
import type { Application, SendResult, SessionHandle } from "../../src/engine/application.ts";
import {
  applicationSink,
  commandFromFrame,
  commandTarget,
  commandToFrame,
  type EngineCommand,
  type EngineEvent,
  eventFromFrame,
  eventToFrame,
  type SequenceControl,
  type SequenceOutcome,
  sinkApplication,
  ViewMessageEvent,
} from "../../src/engine/boundary.ts";
import { encodeCommand, ProtocolError } from "../../src/engine/protocol.ts";
import { forEachFrame } from "../_helpers/engine_protocol.ts";
import { startEngineOverLp } from "../_helpers/engine_in_process.ts";
import type { FixMessage } from "../../src/codec/mod.ts";
import { frame, RawClient, startAcceptor, waitFor } from "./helpers.ts";

const te = new TextEncoder();
const K = [0, 1, 0x4b]; // str "K"

Deno.test("boundary: every event with a frame is the library protocol's exact bytes, and back", () => {
  const raw = te.encode("8=FIX.4.4\x01");
  const cases: Array<[EngineEvent, number[]]> = [
    [
      { type: "message", key: "K", seq: 4, replayed: true, raw },
      [0, 0, 0, 23, 0x85, ...K, 0, 0, 0, 4, 1, 0, 0, 0, 10, ...raw],
    ],
    [{ type: "logon", key: "K" }, [0, 0, 0, 4, 0x87, ...K]],
    [{ type: "logout", key: "K", reason: "r" }, [0, 0, 0, 7, 0x88, ...K, 0, 1, 0x72]],
    [
      {
        type: "state",
        session: {
          key: "K",
          name: "",
          role: "a",
          phase: "p",
          connected: true,
          loggedOn: true,
          nextSenderSeq: 1,
          nextTargetSeq: 2,
          claimedBy: "",
        },
      },
      [0, 0, 0, 23, 0x8b, ...K, 0, 0, 0, 1, 0x61, 0, 1, 0x70, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0],
    ],
    // docs/library_protocol.md's examples.
    [
      { type: "send-failed", key: "K", requestId: "r", seq: 7, msgType: "D", clOrdId: "c", reason: "x" },
      [0, 0, 0, 20, 0x8c, ...K, 0, 1, 0x72, 0, 0, 0, 7, 0, 1, 0x44, 0, 1, 0x63, 0, 1, 0x78],
    ],
    [
      { type: "not-resent", key: "K", seq: 3, raw: te.encode("35=D\x01") },
      [0, 0, 0, 17, 0x8d, ...K, 0, 0, 0, 3, 0, 0, 0, 5, 0x33, 0x35, 0x3d, 0x44, 1],
    ],
  ];
  for (const [e, bytes] of cases) {
    const f = eventToFrame(e)!;
    assert.deepEqual([...f], bytes, e.type);
    assert.deepEqual(eventFromFrame(f), e, e.type);
  }
  // The in-process events: a reused message event is its view's bytes and MsgSeqNum; an admin 35=3 is a
  // MESSAGE (it answers what the library sent); other admin messages, rejects and create have no frame.
  const rejBytes = frame("FIX.4.4", "3", "49=A|56=B|34=9|52=20260101-00:00:00|45=2|");
  const rej = MessageView.parse(rejBytes);
  const ev = new ViewMessageEvent("K");
  ev.view = rej;
  const asMessage = eventToFrame({ type: "message", key: "K", seq: 9, replayed: false, raw: rejBytes })!;
  assert.deepEqual(eventToFrame(ev), asMessage);
  assert.deepEqual(eventToFrame({ type: "admin", key: "K", msgType: "3", seq: 9, raw: rejBytes }), asMessage);
  assert.deepEqual(eventFromFrame(asMessage), {
    type: "message",
    key: "K",
    seq: 9,
    replayed: false,
    raw: rejBytes,
  });
  assert.equal(eventToFrame({ type: "admin", key: "K", msgType: "0", seq: 9, raw }), undefined);
  assert.equal(eventToFrame({ type: "create", key: "K" }), undefined);
  // The endpoint's own answers are not session events; a frame whose length is wrong is malformed.
  assert.equal(eventFromFrame(Uint8Array.of(0, 0, 0, 8, 0x86, ...K, 0, 0, 0, 2)), undefined); // LIVE
  assert.throws(() => eventFromFrame(Uint8Array.of(0, 0, 0, 5, 0x87, ...K)), ProtocolError);
  assert.throws(() => eventFromFrame(Uint8Array.of(0, 0, 0, 4, 0x87, 0, 1)), ProtocolError);
});

Deno.test("boundary: every command is the library protocol's exact bytes, and back", () => {
  const body = te.encode("35=0\x01");
  const cases: Array<[EngineCommand, number[]]> = [
    [{ type: "hello", version: 1, name: "py", secret: "" }, [0, 0, 0, 9, 0x01, 0, 1, 0, 2, 0x70, 0x79, 0, 0]],
    [{ type: "list", tag: 7 }, [0, 0, 0, 5, 0x02, 0, 0, 0, 7]],
    [{ type: "claim", key: "K", replay: true, lastProcessedInSeq: 5 }, [
      0,
      0,
      0,
      9,
      0x03,
      ...K,
      1,
      0,
      0,
      0,
      5,
    ]],
    [{ type: "release", key: "K" }, [0, 0, 0, 4, 0x04, ...K]],
    [
      { type: "send", key: "K", requestId: "r", body, ifLoggedOn: true },
      [0, 0, 0, 17, 0x05, ...K, 0, 1, 0x72, 0, 0, 0, 5, 0x33, 0x35, 0x3d, 0x30, 1, 1],
    ],
    [{ type: "logout", key: "K", text: "x" }, [0, 0, 0, 7, 0x06, ...K, 0, 1, 0x78]],
  ];
  for (const [c, bytes] of cases) {
    const f = commandToFrame(c);
    assert.deepEqual([...f], bytes, c.type);
    assert.deepEqual([...f], [...encodeCommand(c)], c.type);
    assert.deepEqual(commandFromFrame(f), c, c.type);
  }
  assert.throws(() => commandFromFrame(Uint8Array.of(0, 0, 0, 9, 0x04, ...K)), ProtocolError);
});

/** A SessionHandle (with the sequence commands) that records what it is asked to do. */
function fakeHandle(loggedOn: boolean, result: SendResult) {
  const done: string[] = [];
  const sent: FixMessage[] = [];
  const seq: SequenceOutcome = { kind: "done", nextSenderSeq: 1, nextTargetSeq: 1 };
  const h: SessionHandle & SequenceControl = {
    resetSequence: () => (done.push("reset"), Promise.resolve(seq)),
    setSequence: (s, t) => (done.push(`set-seq ${s} ${t}`), Promise.resolve(seq)),
    key: "K",
    id: { beginString: "FIX.4.4", senderCompId: "A", targetCompId: "B" },
    loggedOn,
    send(m) {
      sent.push(m);
      return result;
    },
    whenWritable: () => Promise.resolve(),
    logout(text) {
      done.push(`logout ${text}`);
    },
  };
  return { h, done, sent };
}

Deno.test("boundary: commandTarget carries out SEND and LOGOUT on a session handle", () => {
  const body = te.encode("35=D\x0111=c1\x0155=X\x01");
  const send = (ifLoggedOn?: boolean) => ({
    type: "send" as const,
    key: "K",
    requestId: "r",
    body,
    ...(ifLoggedOn ? { ifLoggedOn } : {}),
  });
  const off = fakeHandle(false, { kind: "queued" });
  const t = commandTarget(off.h);
  assert.deepEqual(t.apply(send(true)), { kind: "not-logged-on" });
  assert.deepEqual(t.apply(send(), true), { kind: "busy" });
  assert.equal(off.sent.length, 0);
  assert.deepEqual(t.apply(send()), { kind: "queued" });
  assert.deepEqual(off.sent.map((m) => [m.msgType, m.fields.length]), [["D", 2]]);
  const bad = t.apply({ type: "send", key: "K", requestId: "r", body: te.encode("11=x\x01") });
  assert.equal(bad.kind, "invalid");
  assert.equal(off.sent.length, 1);
  assert.deepEqual(t.apply({ type: "logout", key: "K", text: "" }), { kind: "done" });
  assert.deepEqual(t.apply({ type: "logout", key: "K", text: "bye" }), { kind: "done" });
  assert.deepEqual(off.done, ["logout undefined", "logout bye"]);
  const on = fakeHandle(true, { kind: "sent", seq: 12 });
  assert.deepEqual(commandTarget(on.h).apply(send(true)), { kind: "sent", seq: 12 });
});

Deno.test("boundary: applicationSink dispatches each event to its callback; sinkApplication is the reverse", () => {
  const calls: string[] = [];
  const { h } = fakeHandle(true, { kind: "queued" });
  const app: Application = {
    onCreate: (s) => calls.push(`create ${s.key}`),
    onLogon: (s) => calls.push(`logon ${s.key}`),
    onLogout: (s, r) => calls.push(`logout ${s.key} ${r}`),
    onMessage: (v, s) => calls.push(`message ${v.msgType}:${v.seqNum} ${s === h}`),
    fromAdmin: (v) => calls.push(`admin ${v.msgType}:${v.seqNum}`),
    onReject: (r) => calls.push(`reject ${r.msgType} ${r.refSeqNum} ${r.clOrdId} ${r.view.msgType}`),
    onSendFailed: (i) => calls.push(`send-failed ${JSON.stringify(i)}`),
    onNotResent: (seq, v) => calls.push(`not-resent ${seq} ${v.msgType}`),
  };
  const d = frame("FIX.4.4", "D", "49=A|56=B|34=5|52=20260101-00:00:00|11=c|");
  const sink = applicationSink(app, h);
  const ev = new ViewMessageEvent("K");
  ev.view = MessageView.parse(d);
  const events: EngineEvent[] = [
    { type: "create", key: "K" },
    { type: "logon", key: "K" },
    ev,
    { type: "message", key: "K", seq: 5, replayed: false, raw: d },
    {
      type: "admin",
      key: "K",
      msgType: "0",
      seq: 6,
      raw: frame("FIX.4.4", "0", "49=A|56=B|34=6|52=20260101-00:00:00|"),
    },
    {
      type: "reject",
      key: "K",
      msgType: "3",
      refSeqNum: 2,
      refMsgType: "D",
      refTagId: undefined,
      reason: undefined,
      text: undefined,
      businessRejectRefId: undefined,
      clOrdId: "c2",
      raw: frame("FIX.4.4", "3", "49=A|56=B|34=7|52=20260101-00:00:00|45=2|"),
    },
    { type: "send-failed", key: "K", requestId: "", seq: 3, msgType: "D", clOrdId: "", reason: "fenced" },
    { type: "send-failed", key: "K", requestId: "", seq: 4, msgType: "D", clOrdId: "c4", reason: "gone" },
    { type: "not-resent", key: "K", seq: 2, raw: d },
    { type: "logout", key: "K", reason: "bye" },
  ];
  for (const e of events) sink.emit(e);
  assert.deepEqual(calls, [
    "create K",
    "logon K",
    "message D:5 true",
    "message D:5 true",
    "admin 0:6",
    "reject 3 2 c2 3",
    `send-failed {"seq":3,"msgType":"D","reason":"fenced"}`,
    `send-failed {"seq":4,"msgType":"D","clOrdId":"c4","reason":"gone"}`,
    "not-resent 2 D",
    "logout K bye",
  ]);
  // An application without callbacks: nothing is called, nothing throws.
  for (const e of events) applicationSink({}, h).emit(e);
  // sinkApplication: only the callbacks of the kinds asked for; its applicationSink is the sink itself.
  const got: string[] = [];
  const inner = { emit: (e: EngineEvent) => void got.push(`${e.type}`) };
  const made = sinkApplication(inner, ["message", "logon"]);
  assert.deepEqual(Object.keys(made).sort(), ["onLogon", "onMessage"]);
  assert.equal(applicationSink(made, h), inner);
  made.onMessage!(MessageView.parse(d), h);
  made.onLogon!(h);
  assert.deepEqual(got, ["message", "logon"]);
});

/**
 * The in-process callbacks of a scripted acceptor session, in order (the same sequence before the
 * boundary: this test passes on the tree before it too, with the imports of boundary.ts removed).
 */
Deno.test("boundary: an in-process Application sees the scripted session's callbacks in order", async () => {
  const seen: string[] = [];
  const app: Application = {
    onCreate: (s) => seen.push(`create ${s.key}`),
    onLogon(s) {
      seen.push("logon");
      s.send({ msgType: "D", fields: [[11, "c1"], [55, "X"], [54, "1"], [38, 1], [40, "1"]] });
    },
    onLogout: (_s, r) => seen.push(`logout ${r}`),
    onMessage: (v) => seen.push(`message ${v.msgType}:${v.seqNum}`),
    fromAdmin: (v) => seen.push(`admin ${v.msgType}:${v.seqNum}`),
    onReject: (r) =>
      seen.push(`reject ${r.msgType} ref ${r.refSeqNum} ${r.refMsgType} ${r.clOrdId} ${r.text}`),
  };
  const gw = await startAcceptor({ gateway: { app } });
  const msg = (type: string, seq: number, fields = "") =>
    frame("FIX.4.4", type, `49=TW|56=ISLD|34=${seq}|52=<TIME>|${fields}`);
  const c = await RawClient.connect(gw.ports[0]!);
  try {
    await c.send(msg("A", 1, "98=0|108=30|"));
    await waitFor(() => c.frames.length === 2, "logon reply and the order");
    await c.send(msg("8", 2, "37=o|17=e|150=0|39=0|55=X|54=1|151=1|14=0|6=0|11=c1|"));
    await c.send(msg("0", 3));
    await c.send(msg("3", 4, "45=2|373=5|58=bad|"));
    await c.send(msg("j", 5, "45=2|372=D|380=3|58=no|"));
    await c.send(msg("5", 6));
    await waitFor(() => c.closed, "logout handshake");
    await waitFor(() => seen.length >= 11, "callbacks");
  } finally {
    c.close();
    await gw.stop();
  }
  assert.deepEqual(seen, [
    "create FIX.4.4:ISLD->TW",
    "admin A:1",
    "logon",
    "message 8:2",
    "admin 0:3",
    "admin 3:4",
    "reject 3 ref 2 D c1 bad",
    "message j:5",
    "reject j ref 2 D c1 no",
    "admin 5:6",
    "logout Logout received",
  ]);
});

/** Reads every event frame from a Unix socket, whole (length prefix included). */
function readFrames(conn: Deno.UnixConn, out: Uint8Array[]): Promise<void> {
  return forEachFrame(conn, (buf, start, end) => void out.push(buf.slice(start - 4, end)));
}

Deno.test("boundary: the endpoint's sink gets the same session events as the library reads from its socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-boundary-" });
  const KEY = "FIX.4.4:CLIENT->LP";
  const lpApp: Application = {
    onMessage(v, s) {
      if (v.msgType !== "D") return;
      const id = v.getString(11)!;
      s.send({
        msgType: "8",
        fields: [[37, "o"], [11, id], [17, `e${id}`], [150, "0"], [39, "0"], [55, "X"], [54, "1"], [151, 1], [
          14,
          0,
        ], [6, 0]],
      });
      if (id === "c2") s.logout("done");
    },
  };
  const observed: Uint8Array[] = [];
  let watching = false;
  const observe = (e: EngineEvent) => {
    const f = watching ? eventToFrame(e) : undefined;
    if (f !== undefined) observed.push(f);
  };
  const engine = await startEngineOverLp({ dir, lpApp, server: { observe } });
  const { gw } = engine;
  const conn = await Deno.connect({ transport: "unix", path: engine.socket });
  const frames: Uint8Array[] = [];
  const reading = readFrames(conn, frames);
  const write = async (c: EngineCommand) => void await conn.write(commandToFrame(c));
  try {
    await waitFor(() => gw.runner(KEY)?.loggedOn === true, "logon");
    await write({ type: "hello", version: 1, name: "t", secret: "" });
    await write({ type: "claim", key: KEY, replay: false, lastProcessedInSeq: 0 });
    await waitFor(() => frames.some((f) => f[4] === 0x86), "LIVE");
    const from = frames.length;
    watching = true;
    for (const id of ["c1", "c2"]) {
      await write({
        type: "send",
        key: KEY,
        requestId: id,
        body: te.encode(`35=D\x0111=${id}\x0155=X\x0154=1\x0138=1\x0140=1\x01`),
      });
    }
    await waitFor(() => frames.some((f) => f[4] === 0x88), "LOGOUT");
    await waitFor(
      () => frames.filter((f) => f[4] === 0x8b).length >= 1 && frames.at(-1)![4] === 0x8b,
      "STATE after LOGOUT",
    );
    // The library's session events (not the answers to its commands, nor STATE: the endpoint adds it).
    const read = frames.slice(from).filter((f) => f[4] !== 0x8b && eventFromFrame(f) !== undefined);
    assert.deepEqual(read.map((f) => f[4]), [0x85, 0x85, 0x88]);
    assert.deepEqual(observed, read);
  } finally {
    conn.close();
    await reading;
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

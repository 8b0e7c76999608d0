/** Session keys decoded from frames: a key seen lately is the same string; non-ASCII keys decode as UTF-8 every time. */
import assert from "node:assert/strict";
import {
  decodeCommand,
  decodeEvent,
  encodeCommand,
  encodeEvent,
  messageEventView,
  messageFrame,
  ProtocolError,
} from "../../src/engine/protocol.ts";

Deno.test("decodeEvent: a session key read again is the same string; other keys and non-ASCII keys decode exactly", () => {
  const frame = (key: string, seq: number) =>
    encodeEvent({ type: "message", key, seq, replayed: false, raw: Uint8Array.of(0x38, 0x3d) });
  const a = decodeEvent(frame("FIX.4.4:CLIENT->LP", 1), 4);
  const b = decodeEvent(frame("FIX.4.4:CLIENT->LP", 2), 4);
  assert.equal(a.type === "message" && a.key, "FIX.4.4:CLIENT->LP");
  assert.deepEqual(b, {
    type: "message",
    key: "FIX.4.4:CLIENT->LP",
    seq: 2,
    replayed: false,
    raw: Uint8Array.of(0x38, 0x3d),
  });
  // Same length, one byte different: not taken for the cached one.
  const c = decodeEvent(frame("FIX.4.4:CLIENT->LQ", 3), 4);
  assert.equal(c.type === "message" && c.key, "FIX.4.4:CLIENT->LQ");
  // "é" is two UTF-8 bytes; its Latin-1 reading ("Ã©") has the same length as "xé" and must not match it.
  for (let i = 0; i < 2; i++) {
    const u = decodeEvent(frame("FIX.4.4:é->LP", 4), 4);
    assert.equal(u.type === "message" && u.key, "FIX.4.4:é->LP");
    const l = decodeEvent(frame("FIX.4.4:Ã©->LP", 5), 4);
    assert.equal(l.type === "message" && l.key, "FIX.4.4:Ã©->LP");
  }
  // More keys than are kept: each still decodes to itself.
  for (let i = 0; i < 20; i++) {
    const k = `FIX.4.4:C${i}->LP`;
    const e = decodeEvent(frame(k, i + 10), 4);
    assert.equal(e.type === "message" && e.key, k);
  }
  assert.equal((decodeEvent(frame("FIX.4.4:CLIENT->LP", 9), 4) as { key: string }).key, "FIX.4.4:CLIENT->LP");
});

Deno.test("messageFrame: a MESSAGE's key, seq, replayed and its FIX bytes as a range of the buffer; a cut frame is MALFORMED", () => {
  const raw = new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=0\x0110=000\x01");
  const f = encodeEvent({ type: "message", key: "FIX.4.4:A->B", seq: 77, replayed: true, raw });
  // Frame: u32 length, type 0x85, str key, u32 seq, u8 replayed, bytes raw.
  assert.deepEqual([...f.subarray(0, 5)], [0, 0, 0, f.length - 4, 0x85]);
  const m = messageFrame(f, 4, f.length);
  assert.deepEqual({ ...m }, {
    key: "FIX.4.4:A->B",
    seq: 77,
    replayed: true,
    rawStart: 4 + 1 + 2 + 12 + 4 + 1 + 4,
    rawEnd: f.length,
  });
  assert.deepEqual(f.subarray(m.rawStart, m.rawEnd), raw);
  assert.throws(
    () => messageFrame(f, 4, f.length - 1),
    (e: unknown) => e instanceof ProtocolError && e.code === 4,
  );
  const other = encodeEvent({ type: "logon", key: "k" });
  assert.throws(() => messageFrame(other, 4, other.length), ProtocolError);
});

Deno.test("messageEventView: the same bytes as the MESSAGE event's frame, for short and long messages", () => {
  for (const size of [1, 200, 513, 5000]) {
    const buf = new Uint8Array(size + 20).map((_, i) => 0x30 + (i % 40));
    const raw = buf.subarray(7, 7 + size);
    const want = encodeEvent({ type: "message", key: "FIX.4.4:A->B", seq: 9, replayed: false, raw });
    assert.deepEqual(messageEventView("FIX.4.4:A->B", 9, false, buf, 7, 7 + size), want);
  }
});

Deno.test("encodeEvent/encodeCommand: a session key written again (same or equal string, another key between) encodes the same bytes", () => {
  const k1 = "FIX.4.4:CLIENT->LP", k2 = "FIX.4.4:é->LP";
  const equal = ["FIX.4.4:", "CLIENT->LP"].join(""); // equal to k1, another string
  const frames = [k1, k1, k2, equal, k1, k2].map((key) => encodeEvent({ type: "logon", key }));
  const want = (key: string) => {
    const b = new TextEncoder().encode(key);
    return [0, 0, 0, 1 + 2 + b.length, 0x87, b.length >> 8, b.length & 0xff, ...b];
  };
  assert.deepEqual(frames.map((f) => [...f]), [k1, k1, k2, k1, k1, k2].map(want));
  const send = encodeCommand({ type: "send", key: k2, requestId: "r1", body: Uint8Array.of(0x33, 0x35) });
  assert.deepEqual(decodeCommand(send, 4), {
    type: "send",
    key: k2,
    requestId: "r1",
    body: Uint8Array.of(0x33, 0x35),
  });
});

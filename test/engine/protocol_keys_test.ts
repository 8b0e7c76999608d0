/** Session keys decoded from frames: a key seen lately is the same string; non-ASCII keys decode as UTF-8 every time. */
import assert from "node:assert/strict";
import { decodeEvent, encodeEvent } from "../../src/engine/protocol.ts";

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

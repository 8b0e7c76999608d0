/** PreEncodedMessage.detach: each body's own copy, carved out of shared blocks, survives its buffer's reuse. */
import assert from "node:assert/strict";
import { PreEncodedMessage } from "../../src/session/pre_encoded.ts";

const enc = new TextEncoder();

Deno.test("detach: 3,000 bodies (past several 64 KiB blocks, one of 40 KiB) copied out of one reused buffer keep their bytes", () => {
  const buf = new Uint8Array(64 * 1024);
  const kept: Array<{ m: PreEncodedMessage; id: string; pad: string; want: Uint8Array }> = [];
  for (let i = 0; i < 3000; i++) {
    const id = `id-${i}`;
    const pad = i === 1500 ? "y".repeat(40 * 1024) : "x".repeat(1 + (i % 97));
    const want = enc.encode(`35=D\x0111=${id}\x0158=${pad}\x01`);
    buf.set(want);
    const m = PreEncodedMessage.fromBody(buf.subarray(0, want.length)).detach();
    buf.fill(0x41, 0, want.length); // the read buffer is reused
    kept.push({ m, id, pad, want });
  }
  // Checked after all of them were made: a later copy never wrote into an earlier one's bytes.
  for (const { m, want } of kept) {
    // rawFields: the body after the leading 35=D␁, as the encoder copies it.
    assert.deepEqual(m.rawFields(), want.subarray(5));
    assert.equal(m.msgType, "D");
  }
  for (const { m, id, pad } of kept) assert.deepEqual(m.fields, [[11, id], [58, pad]]);
  // Detached twice: the same copy.
  const m = PreEncodedMessage.fromBody(enc.encode("35=D\x0111=a\x01")).detach();
  const before = m.rawFields()!;
  m.detach();
  assert.equal(m.rawFields()!.buffer, before.buffer);
  assert.equal(m.rawFields()!.byteOffset, before.byteOffset);
});

// latin1String at every length (its fixed-arity cases, the scratch-array case, the decoder case), at
// every byte value: the same string as one char per byte.
import assert from "node:assert/strict";
import { latin1String } from "../../src/codec/ascii.ts";

Deno.test("latin1String: one char per byte at lengths 0..80 and offsets 0..3, bytes 0..255", () => {
  const bytes = new Uint8Array(84 + 256);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
  for (let off = 0; off < 4; off++) {
    for (let len = 0; len <= 80; len++) {
      let want = "";
      for (let i = off; i < off + len; i++) want += String.fromCharCode(bytes[i]!);
      assert.deepStrictEqual(latin1String(bytes, off, off + len), want, `offset ${off} length ${len}`);
    }
  }
  assert.deepStrictEqual(latin1String(bytes, 5, 3), "");
});

Deno.test("latin1String: a long value (over the 8,192-byte chunks) keeps 0x80..0x9f and every other byte", () => {
  const bytes = new Uint8Array(20_001);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i & 0xff;
  const s = latin1String(bytes, 0, bytes.length);
  assert.equal(s.length, bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    if (s.charCodeAt(i) !== bytes[i]) assert.fail(`char ${i}: ${s.charCodeAt(i)}`);
  }
});

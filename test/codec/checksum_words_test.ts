import assert from "node:assert/strict";
import { checksum, checksumWords, wordsOf } from "../../src/codec/ascii.ts";

function naive(buf: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += buf[i]!;
  return s & 0xff;
}

Deno.test("checksum and checksumWords equal the byte-by-byte sum at every alignment and length", () => {
  const backing = new Uint8Array(70 * 1024 + 7);
  let x = 12345;
  for (let i = 0; i < backing.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    backing[i] = x >>> 24;
  }
  for (const off of [0, 1, 2, 3, 5]) {
    const buf = backing.subarray(off, backing.length - 3);
    const words = wordsOf(buf, undefined);
    for (
      const [s, e] of [[0, 0], [0, 1], [1, 33], [2, 64], [3, 100], [7, 4096], [0, 65536], [1, buf.length], [
        13,
        buf.length - 1,
      ]]
    ) {
      const want = naive(buf, s!, e!);
      assert.equal(checksum(buf, s!, e!), want, `checksum off=${off} ${s}..${e}`);
      assert.equal(checksumWords(buf, words, s!, e!), want, `checksumWords off=${off} ${s}..${e}`);
    }
  }
});

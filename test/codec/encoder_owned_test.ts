/**
 * finishOwned frames lie back to back in the encoder's buffer (issue 16: the session's writer sends a
 * run of them as one range, no copy), whatever their BodyLength's digit count, and each is the same
 * frame finish() makes.
 */
import assert from "node:assert/strict";
import { Encoder } from "../../src/codec/mod.ts";

const text = (n: number) => "x".repeat(n);

Deno.test("encoder: finishOwned frames are contiguous and equal to finish()'s for 1- to 5-digit bodies", () => {
  const owned = new Encoder(1024);
  const plain = new Encoder(1024);
  // Body lengths from 5 to about 20,000 bytes and back: the head's guessed room is wrong both ways.
  const sizes = [0, 3, 200, 1, 2000, 20_000, 50, 5, 900, 900, 0];
  let prev: Uint8Array | undefined;
  for (const n of sizes) {
    const a = owned.begin("FIX.4.4", "B").str(58, text(n)).finishOwned();
    const b = plain.begin("FIX.4.4", "B").str(58, text(n)).finish();
    assert.deepEqual(a, b, `body text ${n}`);
    if (prev !== undefined && prev.buffer === a.buffer) {
      assert.equal(a.byteOffset, prev.byteOffset + prev.length, `frame after ${prev.length} bytes`);
    }
    prev = a;
  }
  const last = new TextDecoder().decode(prev);
  assert.ok(last.startsWith("8=FIX.4.4\x019=9\x0135=B\x0158=\x0110="), last);
});

Deno.test("encoder: a run of owned frames in one buffer reads back as the frames in order", () => {
  const enc = new Encoder();
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 50; i++) {
    frames.push(enc.begin("FIX.4.2", "D").int(34, i).str(11, text(i * 7)).finishOwned());
  }
  const first = frames[0]!, last = frames[frames.length - 1]!;
  assert.equal(last.buffer, first.buffer);
  const run = new Uint8Array(
    first.buffer,
    first.byteOffset,
    last.byteOffset + last.length - first.byteOffset,
  );
  const joined = new Uint8Array(run.length);
  let p = 0;
  for (const f of frames) joined.set(f, (p += f.length) - f.length);
  assert.deepEqual(run, joined);
});

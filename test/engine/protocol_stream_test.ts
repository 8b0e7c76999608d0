/** FrameOut: the first frame is written at once, the ones pushed meanwhile go out together, in order. */
import assert from "node:assert/strict";
import { FrameOut, FrameSplitter } from "../../src/engine/protocol_stream.ts";

/** A connection whose writes complete when the test says (each takes at most `max` bytes). */
class FakeConn {
  writes: number[][] = [];
  #done: Array<() => void> = [];
  constructor(readonly max = Infinity) {}
  write(b: Uint8Array): Promise<number> {
    const n = Math.min(b.length, this.max);
    this.writes.push([...b.subarray(0, n)]);
    return new Promise((r) => this.#done.push(() => r(n)));
  }
  /** Completes the oldest write in progress. */
  complete(): void {
    this.#done.shift()!();
  }
  get pending(): number {
    return this.#done.length;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("FrameOut: idle socket written at once; frames pushed during a write go out together after it, in order", async () => {
  const conn = new FakeConn();
  const out = new FrameOut(conn as unknown as Deno.Conn, () => assert.fail("no error"));
  out.push(Uint8Array.of(1, 2));
  assert.deepEqual(conn.writes, [[1, 2]], "written synchronously");
  out.push(Uint8Array.of(3));
  out.push(Uint8Array.of(4, 5));
  assert.equal(out.queuedBytes, 5);
  assert.equal(conn.writes.length, 1, "nothing more while the first write is in progress");
  let drained = false;
  void out.drained().then(() => drained = true);
  conn.complete();
  await tick();
  assert.deepEqual(conn.writes, [[1, 2], [3, 4, 5]]);
  assert.equal(drained, false);
  conn.complete();
  await tick();
  assert.equal(drained, true);
  assert.equal(out.queuedBytes, 0);
  // The buffers are reused: a frame larger than both grows one; content stays right.
  const big = new Uint8Array(200_000).map((_, i) => i & 0xff);
  out.push(big);
  conn.complete();
  await tick();
  assert.deepEqual(conn.writes[2], [...big]);
});

Deno.test("FrameOut: a partial write continues from where it stopped; a failed write reports and drops the rest", async () => {
  const conn = new FakeConn(3);
  let failed: unknown;
  const out = new FrameOut(conn as unknown as Deno.Conn, (e) => failed = e);
  out.push(Uint8Array.of(1, 2, 3, 4, 5));
  conn.complete();
  await tick();
  assert.deepEqual(conn.writes, [[1, 2, 3], [4, 5]]);
  conn.complete();
  await tick();
  const bad = { write: () => Promise.reject(new Error("EPIPE")) };
  const out2 = new FrameOut(bad as unknown as Deno.Conn, (e) => failed = e);
  out2.push(Uint8Array.of(9));
  await tick();
  assert.equal((failed as Error).message, "EPIPE");
  out2.push(Uint8Array.of(10));
  assert.equal(out2.queuedBytes, 0, "pushes after a failure are dropped");
  await out2.drained();
  assert.equal(out.queuedBytes, 0);
});

Deno.test("FrameSplitter: frames cut across pushes; an impossible length is MALFORMED", () => {
  const s = new FrameSplitter();
  s.push(Uint8Array.of(0, 0, 0, 2, 0x81));
  assert.equal(s.next(), false);
  s.push(Uint8Array.of(7, 0, 0, 0, 1, 0x82));
  assert.equal(s.next(), true);
  assert.deepEqual([...s.buf.subarray(s.start, s.end)], [0x81, 7]);
  assert.equal(s.next(), true);
  assert.deepEqual([...s.buf.subarray(s.start, s.end)], [0x82]);
  assert.equal(s.next(), false);
  s.push(Uint8Array.of(0, 0, 0, 0));
  assert.throws(() => s.next(), /frame length 0 out of range/);
});

Deno.test("FrameOut afterTurn: frames pushed one per microtask after a write completes go out in one write at the turn's end", async () => {
  const conn = new FakeConn();
  const out = new FrameOut(conn as unknown as Deno.Conn, () => assert.fail("no error"), { afterTurn: true });
  out.push(Uint8Array.of(1));
  assert.deepEqual(conn.writes, [[1]], "idle: written at once");
  out.push(Uint8Array.of(2));
  conn.complete();
  // An application that sends with an await between sends: one frame per microtask.
  for (let i = 3; i <= 6; i++) {
    await Promise.resolve();
    out.push(Uint8Array.of(i));
  }
  assert.deepEqual(conn.writes, [[1]], "nothing before the end of the turn");
  await tick();
  assert.deepEqual(conn.writes, [[1], [2, 3, 4, 5, 6]], "one write for everything gathered");
  conn.complete();
  await tick();
  await out.drained();
  out.push(Uint8Array.of(7));
  assert.deepEqual(conn.writes[2], [7], "idle again: written at once");
  conn.complete();
  await out.drained();
});

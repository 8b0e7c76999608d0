/** The store contract against the memory store. */
import { MemoryMessageStore, SLAB_BYTES } from "../../src/store/memory_store.ts";
import { Encoder } from "../../src/codec/encoder.ts";
import assert from "node:assert/strict";
import { storeContract } from "./contract.ts";

storeContract(
  "memory store",
  () => Promise.resolve({ store: new MemoryMessageStore(), cleanup: () => Promise.resolve() }),
);

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Message `seq` of exactly `len` bytes (len >= 40), its bytes naming its number. */
function sized(seq: number, len: number): Uint8Array {
  const head = `8=FIX.4.4\x0135=D\x0134=${seq}\x0158=`;
  return new TextEncoder().encode(head + String(seq % 10).repeat(len - head.length - 1) + "\x01");
}

Deno.test("memory store: owned frames are kept where they are, mixed with copies, and read back exactly", async () => {
  const store = new MemoryMessageStore();
  const s = await store.openSession("FIX.4.4:A->B", 0);
  // The session encoder's finishOwned() frames: 3,000 of them cross several of its owned buffers
  // (SharedArrayBuffers); every 4th message is a copy from a caller buffer reused for every message.
  const encoder = new Encoder(1024);
  const enc = (seq: number) => new TextEncoder().encode(`8=FIX.4.4\x0135=D\x0134=${seq}\x0111=O${seq}\x01`);
  const reused = new Uint8Array(64);
  const owned = new Map<number, Uint8Array>();
  const buffers = new Set<ArrayBufferLike>();
  for (let seq = 1; seq <= 3000; seq++) {
    if (seq % 4 === 0) {
      const b = enc(seq);
      reused.set(b);
      s.appendOutbound(seq, reused.subarray(0, b.length));
      reused.fill(0x58); // the store made its copy
    } else {
      const frame = encoder.begin("FIX.4.4", "D").int(34, seq).str(11, `O${seq}`).str(58, "x".repeat(100))
        .finishOwned();
      owned.set(seq, frame);
      buffers.add(frame.buffer);
      s.appendOutboundOwned!(seq, frame);
    }
  }
  assert.ok(buffers.size >= 3, `owned frames in ${buffers.size} encoder buffers`);
  const got = await s.getOutbound(1, 0);
  assert.deepEqual(got.map((m) => m.seq), Array.from({ length: 3000 }, (_, i) => i + 1));
  for (const m of got) {
    const want = m.seq % 4 === 0 ? enc(m.seq) : owned.get(m.seq)!;
    assert.equal(text(m.bytes), text(want), `message ${m.seq}`);
  }
  // Adopted, not copied: the store reads the encoder's bytes where they are.
  const frame = owned.get(2999)!;
  frame[frame.length - 2] = 0x39;
  assert.equal(text((await s.getOutbound(2999, 2999))[0]!.bytes), text(frame));
  // Numbers set back: from there on the old messages are superseded, owned or copied alike.
  const six = encoder.begin("FIX.4.4", "D").int(34, 6).str(11, "NEW6").finishOwned();
  s.appendOutboundOwned!(6, six);
  assert.deepEqual((await s.getOutbound(1, 0)).map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
  assert.equal(s.seqNums().nextSenderSeq, 7);
  s.appendOutbound(7, enc(7));
  assert.deepEqual((await s.getOutbound(5, 0)).map((m) => text(m.bytes)), [
    text(owned.get(5)!),
    text(six),
    text(enc(7)),
  ]);
  await store.close();
});

Deno.test("memory store: many slabs, a message larger than a slab, reads across slab boundaries give exact bytes", async () => {
  const store = new MemoryMessageStore();
  const s = await store.openSession("FIX.4.4:A->B", 0);
  // 2,000 messages of 1,000 bytes (a 1 MiB slab holds 1,048 of them: 1,049 starts the second), then one
  // of a slab and a half (a slab of its own), then 2,000 more: five slabs, the index grown twice.
  const lens = new Map<number, number>();
  let seq = 1;
  for (; seq <= 2000; seq++) lens.set(seq, 1000);
  lens.set(seq++, SLAB_BYTES + SLAB_BYTES / 2);
  for (; seq <= 4001; seq++) lens.set(seq, 1000);
  for (const [n, len] of lens) s.appendOutbound(n, sized(n, len));
  assert.equal(s.seqNums().nextSenderSeq, 4002);
  const all = await s.getOutbound(1, 0);
  assert.equal(all.length, 4001);
  for (const m of all) {
    assert.deepEqual(m.bytes, sized(m.seq, lens.get(m.seq)!), `message ${m.seq}`);
    // Plain copies: nothing a reader does reaches the store's slabs.
    assert.ok(m.bytes.buffer instanceof ArrayBuffer);
    m.bytes.fill(0);
  }
  // Across the first slab boundary, and the large message with its neighbours.
  const near = await s.getOutbound(1047, 1050);
  assert.deepEqual(near.map((m) => m.seq), [1047, 1048, 1049, 1050]);
  for (const m of near) assert.deepEqual(m.bytes, sized(m.seq, 1000));
  const big = await s.getOutbound(2000, 2002);
  assert.deepEqual(big.map((m) => [m.seq, m.bytes.length]), [[2000, 1000], [2001, SLAB_BYTES * 1.5], [
    2002,
    1000,
  ]]);
  for (const m of big) assert.deepEqual(m.bytes, sized(m.seq, lens.get(m.seq)!));
  // A reset starts an empty epoch; the new messages are read back from fresh slabs.
  s.reset(1);
  assert.deepEqual(await s.getOutbound(1, 0), []);
  s.appendOutbound(1, sized(1, 500));
  assert.deepEqual((await s.getOutbound(1, 0)).map((m) => text(m.bytes)), [text(sized(1, 500))]);
  await store.close();
});

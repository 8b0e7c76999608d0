/** The store contract against the memory store. */
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import assert from "node:assert/strict";
import { storeContract } from "./contract.ts";

storeContract(
  "memory store",
  () => Promise.resolve({ store: new MemoryMessageStore(), cleanup: () => Promise.resolve() }),
);

Deno.test("memory store: owned frames are kept where they are, mixed with copies, and read back exactly", async () => {
  const store = new MemoryMessageStore();
  const s = await store.openSession("FIX.4.4:A->B", 0);
  // Two "slabs" of owned frames back to back, as the session encoder's finishOwned() cuts them.
  const enc = (seq: number) => new TextEncoder().encode(`8=FIX.4.4\x0135=D\x0134=${seq}\x0111=O${seq}\x01`);
  const slabs = [new Uint8Array(256), new Uint8Array(256)];
  let used = 0, slab = 0;
  const owned = (seq: number) => {
    const b = enc(seq);
    if (used + b.length > 256) [slab, used] = [slab + 1, 0];
    slabs[slab]!.set(b, used);
    const view = new Uint8Array(slabs[slab]!.buffer, used, b.length);
    used += b.length;
    return view;
  };
  const reused = new Uint8Array(64); // a caller buffer reused for every copy
  for (let seq = 1; seq <= 12; seq++) {
    if (seq % 4 === 0) {
      const b = enc(seq);
      reused.set(b);
      s.appendOutbound(seq, reused.subarray(0, b.length));
      reused.fill(0x58); // the store made its copy
    } else s.appendOutboundOwned!(seq, owned(seq));
  }
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const got = await s.getOutbound(1, 0);
  assert.deepEqual(got.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(got.map((m) => text(m.bytes)), got.map((m) => text(enc(m.seq))));
  // Numbers set back: from there on the old messages are superseded, owned or copied alike.
  s.appendOutboundOwned!(6, owned(6));
  assert.deepEqual((await s.getOutbound(1, 0)).map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
  assert.equal(s.seqNums().nextSenderSeq, 7);
  await store.close();
});

/** PendingSends (library_pending.ts): the library's unanswered sends by session key, then request id. */
import assert from "node:assert/strict";
import { type Pending, PendingSends } from "../../src/engine/library_pending.ts";

const dec = new TextDecoder(), enc = new TextEncoder();
/** The same id as a string decoded from bytes, as a SEND_RESULT's request id is. */
const fresh = (s: string) => dec.decode(enc.encode(s));
const pending = (requestId: string): Pending => ({ requestId, resolve: () => {} });

Deno.test("PendingSends: found by key and request id (decoded strings too), size counts every key's, drain in order", () => {
  const p = new PendingSends();
  const a1 = pending("ord-1"), a2 = pending("ord-2"), b1 = pending("ord-1");
  p.set("A", a1);
  p.set("A", a2);
  p.set("B", b1);
  assert.equal(p.size, 3);
  p.set("A", a1); // the same request id again: not counted twice
  assert.equal(p.size, 3);
  assert.equal(p.get("A", fresh("ord-1")), a1);
  assert.equal(p.get("B", fresh("ord-1")), b1);
  assert.equal(p.get("C", "ord-1"), undefined);
  assert.equal(p.take("A", fresh("ord-1")), a1);
  assert.equal(p.take("A", "ord-1"), undefined);
  assert.equal(p.size, 2);
  for (let i = 3; i < 2_000; i++) p.set("A", pending(`ord-${i}`));
  for (let i = 3; i < 1_990; i++) assert.equal(p.take("A", fresh(`ord-${i}`))?.requestId, `ord-${i}`);
  p.delete("B", "ord-1");
  assert.equal(p.size, 11);
  assert.deepEqual(
    p.drain().map((x) => x.requestId),
    ["ord-2", ...Array.from({ length: 10 }, (_, k) => `ord-${1_990 + k}`)],
  );
  assert.equal(p.size, 0);
  assert.equal(p.get("A", "ord-2"), undefined);
});

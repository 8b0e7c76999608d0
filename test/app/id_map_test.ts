import assert from "node:assert/strict";
import { idHash, IdMap } from "../../src/app/id_map.ts";

Deno.test("IdMap: get/set/has/delete/size/values like a Map, for fresh strings decoded from bytes", () => {
  const m = new IdMap<number>();
  const native = new Map<string, number>();
  const dec = new TextDecoder();
  for (let i = 0; i < 5000; i++) {
    const key = dec.decode(new TextEncoder().encode(`ORD-${i.toString(36)}`));
    m.set(key, i);
    native.set(key, i);
  }
  for (let i = 0; i < 5000; i += 3) {
    assert.equal(m.delete(`ORD-${i.toString(36)}`), true);
    native.delete(`ORD-${i.toString(36)}`);
  }
  assert.equal(m.delete("ORD-0"), false, "already gone");
  m.set("ORD-1", -1);
  native.set("ORD-1", -1);
  assert.equal(m.size, native.size);
  for (let i = 0; i < 5000; i++) {
    const k = `ORD-${i.toString(36)}`;
    assert.equal(m.get(k), native.get(k), k);
    assert.equal(m.has(k), native.has(k), k);
  }
  assert.deepEqual([...m.values()].sort((a, b) => a - b), [...native.values()].sort((a, b) => a - b));
  m.clear();
  assert.equal(m.size, 0);
  assert.equal(m.get("ORD-1"), undefined);
});

Deno.test("IdMap: keys with the same hash share a bucket and stay apart", () => {
  // C44882 and C580500 have the same 30-bit FNV-1a hash.
  assert.equal(idHash("C44882"), idHash("C580500"));
  const m = new IdMap<string>();
  m.set("C44882", "a").set("C580500", "b");
  assert.deepEqual([m.size, m.get("C44882"), m.get("C580500"), m.has("C580500")], [2, "a", "b", true]);
  m.set("C580500", "b2");
  assert.deepEqual([m.size, m.get("C580500")], [2, "b2"]);
  assert.equal(m.delete("C44882"), true);
  assert.deepEqual([m.size, m.get("C44882"), m.get("C580500")], [1, undefined, "b2"]);
  assert.equal(m.delete("C44882"), false);
  assert.equal(m.delete("C580500"), true);
  assert.equal(m.size, 0);
});

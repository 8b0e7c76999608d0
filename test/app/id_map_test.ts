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

Deno.test("IdMap: keys with the same hash share a probe sequence and stay apart", () => {
  // C8053 and C26707 have the same 30-bit hash.
  assert.equal(idHash("C8053"), idHash("C26707"));
  const m = new IdMap<string>();
  m.set("C8053", "a").set("C26707", "b");
  assert.deepEqual([m.size, m.get("C8053"), m.get("C26707"), m.has("C26707")], [2, "a", "b", true]);
  m.set("C26707", "b2");
  assert.deepEqual([m.size, m.get("C26707")], [2, "b2"]);
  assert.equal(m.delete("C8053"), true);
  assert.deepEqual([m.size, m.get("C8053"), m.get("C26707")], [1, undefined, "b2"]);
  assert.equal(m.delete("C8053"), false);
  assert.equal(m.delete("C26707"), true);
  assert.equal(m.size, 0);
});

Deno.test("IdMap: tombstones and holes are reused and dropped across rehashes, nothing lost", () => {
  const m = new IdMap<number>();
  const native = new Map<string, number>();
  // Waves of inserts and deletes: the table fills with tombstones and the entry arrays with holes.
  for (let wave = 0; wave < 20; wave++) {
    for (let i = 0; i < 3000; i++) {
      const k = `W${wave}-${i}`;
      m.set(k, wave * 10_000 + i);
      native.set(k, wave * 10_000 + i);
    }
    for (const k of [...native.keys()]) {
      if ((k.length + wave) % 3 !== 0) {
        assert.equal(m.delete(k), true, k);
        native.delete(k);
      }
    }
    assert.equal(m.size, native.size);
  }
  for (const [k, v] of native) assert.equal(m.get(k), v, k);
  assert.equal(m.get("W0-1"), native.get("W0-1"));
  assert.deepEqual([...m.values()], [...native.values()], "insertion order kept");
});

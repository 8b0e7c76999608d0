/**
 * RecentIds (library_ids.ts): a session's recent request ids, keyed by a hash computed in JavaScript,
 * collisions chained, the newest kept in a ring of max + max/8 places, the newest `max` always.
 */
import assert from "node:assert/strict";
import { RecentIds, requestIdHash } from "../../src/engine/library_ids.ts";

Deno.test("RecentIds: the default window, exactly: the newest 11,250 of 10,000 + 1/8 answer, the one before not", () => {
  const m = new RecentIds<number>(10_000);
  assert.equal(m.capacity, 11_250);
  const N = 30_000;
  for (let i = 1; i <= N; i++) {
    assert.equal(m.get(`c${i}`), undefined, "a new id misses");
    m.set(`c${i}`, i);
  }
  assert.equal(m.size, 11_250);
  // The newest is c30000; counting it as 1 back, c18751 is 11,250 back.
  assert.equal(m.get(`c${N - 9_999}`), N - 9_999, "10,000 back: the documented promise");
  assert.equal(m.get(`c${N - 10_000}`), N - 10_000, "10,001 back");
  assert.equal(m.get(`c${N - 11_249}`), N - 11_249, "11,250 back");
  assert.equal(m.has(`c${N - 11_250}`), false, "11,251 back: gone");
  assert.equal(m.has("c1"), false);
  const keys = m.keys();
  assert.equal(keys.length, 11_250);
  assert.equal(keys[0], `c${N - 11_249}`);
  assert.equal(keys.at(-1), `c${N}`);
  // The next one evicts exactly the oldest.
  m.set("next", 0);
  assert.equal(m.has(`c${N - 11_249}`), false);
  assert.equal(m.get(`c${N - 11_248}`), N - 11_248);
});

Deno.test("RecentIds: every hash colliding (one bucket): chained, each id its own answer, deletes unlink the right one", () => {
  const m = new RecentIds<string>(8, { hash: () => 42, buckets: 1 });
  assert.equal(m.capacity, 9);
  for (let i = 0; i < 9; i++) m.set(`r${i}`, `a${i}`);
  for (let i = 0; i < 9; i++) assert.equal(m.get(`r${i}`), `a${i}`);
  assert.equal(m.get("r9"), undefined);
  // Delete from the middle, the newest and the oldest of the one chain.
  assert.equal(m.delete("r4"), true);
  assert.equal(m.delete("r8"), true);
  assert.equal(m.delete("r0"), true);
  assert.equal(m.delete("r0"), false);
  assert.deepEqual(m.keys(), ["r1", "r2", "r3", "r5", "r6", "r7"]);
  for (const i of [1, 2, 3, 5, 6, 7]) assert.equal(m.get(`r${i}`), `a${i}`);
  // A value set again keeps its place.
  m.set("r2", "again");
  assert.deepEqual(m.keys(), ["r1", "r2", "r3", "r5", "r6", "r7"]);
  assert.equal(m.get("r2"), "again");
  for (let i = 10; i < 30; i++) m.set(`r${i}`, `a${i}`);
  // Nothing forgotten since the compaction: the newest 9.
  assert.deepEqual(m.keys(), Array.from({ length: 9 }, (_, k) => `r${21 + k}`));
  for (let i = 21; i < 30; i++) assert.equal(m.get(`r${i}`), `a${i}`);
  assert.equal(m.has("r20"), false);
});

Deno.test("RecentIds: partial collisions (hash mod 4, 2 buckets) against a Map model, random sets/deletes", () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const max = 24;
  const m = new RecentIds<number>(max, { hash: (s) => requestIdHash(s) & 3, buckets: 2 });
  // The model: the live ids in insertion order (a Map keeps it), pruned to what the ring kept.
  const model = new Map<string, number>();
  for (let step = 0; step < 20_000; step++) {
    const id = `x${rand(60)}`;
    if (rand(4) === 0) assert.equal(m.delete(id), model.delete(id));
    else {
      m.set(id, step);
      model.set(id, step);
    }
    const live = [...model.keys()];
    const kept = m.keys();
    // What is kept is the newest live ids, in insertion order, at least `max` of them (all when fewer).
    assert.ok(kept.length >= Math.min(live.length, max), `step ${step}: ${kept.length} kept`);
    assert.ok(kept.length <= m.capacity);
    assert.deepEqual(kept, live.slice(live.length - kept.length));
    for (const k of kept) assert.equal(m.get(k), model.get(k));
    for (const k of live.slice(0, live.length - kept.length)) model.delete(k);
    assert.equal(m.size, kept.length);
  }
});

Deno.test("RecentIds: forgotten ids never cost the newest max: a ring full of holes is compacted", () => {
  const m = new RecentIds<number>(16);
  assert.equal(m.capacity, 18);
  for (let i = 0; i < 18; i++) m.set(`k${i}`, i);
  // Forget 10 in the middle: 8 live in a full ring of 18 places.
  for (let i = 4; i < 14; i++) m.delete(`k${i}`);
  assert.equal(m.size, 8);
  for (let i = 100; i < 108; i++) m.set(`k${i}`, i);
  // 16 live: all kept (the newest 16 remembered), none evicted although 26 ids went into 18 places.
  assert.equal(m.size, 16);
  for (const i of [0, 1, 2, 3, 14, 15, 16, 17, 100, 101, 102, 103, 104, 105, 106, 107]) {
    assert.equal(m.get(`k${i}`), i);
  }
  m.set("k200", 200);
  m.set("k201", 201);
  m.set("k202", 202);
  // 18 places, no hole: the oldest goes.
  assert.equal(m.size, 18);
  assert.equal(m.has("k0"), false);
  assert.equal(m.get("k1"), 1);
});

Deno.test("requestIdHash: FNV-1a over the bytes of an ASCII id", () => {
  // FNV-1a 32-bit reference values.
  assert.equal(requestIdHash("") >>> 0, 0x811c9dc5);
  assert.equal(requestIdHash("a") >>> 0, 0xe40c292c);
  assert.equal(requestIdHash("foobar") >>> 0, 0xbf9cf968);
});

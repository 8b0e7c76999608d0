/**
 * WindowIds (src/app/lp/window_ids.ts): the ClOrdIDs of a session's ackOnly window kept as bytes in
 * numbered slots. Exact lookups (colliding hashes compared byte by byte), slots reused, growth up to the
 * window, and the ClOrdIDs it refuses (the simulator keeps those as strings).
 */
import assert from "node:assert/strict";
import { WINDOW_ID_BYTES, WindowIds } from "../../src/app/lp/window_ids.ts";

Deno.test("WindowIds: add, get, has, text, remove; a freed slot is the next one used", () => {
  const ids = new WindowIds<string>(8);
  assert.equal(ids.add("A1", "a1"), 0);
  assert.equal(ids.add("A2", "a2"), 1);
  assert.equal(ids.add("", "empty"), 2);
  assert.deepEqual([ids.get("A1"), ids.get("A2"), ids.get(""), ids.get("A3"), ids.get("A")], [
    "a1",
    "a2",
    "empty",
    undefined,
    undefined,
  ]);
  assert.equal(ids.has("A2"), true);
  assert.deepEqual([ids.text(0), ids.text(1), ids.text(2)], ["A1", "A2", ""]);
  assert.equal(ids.size, 3);
  ids.remove(1);
  assert.equal(ids.get("A2"), undefined);
  assert.equal(ids.size, 2);
  assert.equal(ids.add("B7", "b7"), 1); // the slot A2 left
  assert.equal(ids.text(1), "B7");
  assert.deepEqual([ids.get("A1"), ids.get("B7"), ids.get("A2")], ["a1", "b7", undefined]);
});

Deno.test("WindowIds: colliding hashes are chained and compared byte by byte; removal from any place of a chain", () => {
  const ids = new WindowIds<number>(64, { hash: () => 7 }); // every id in one bucket
  const names = ["X1", "X2", "X3", "X11", "Y1", "X1 ", "x1"];
  names.forEach((n, i) => assert.equal(ids.add(n, i), i));
  names.forEach((n, i) => assert.equal(ids.get(n), i));
  assert.equal(ids.get("X4"), undefined);
  assert.equal(ids.get("X"), undefined);
  ids.remove(6); // the chain's head (the newest)
  ids.remove(2); // the middle
  ids.remove(0); // the tail (the oldest)
  assert.deepEqual(names.map((n) => ids.get(n)), [undefined, 1, undefined, 3, 4, 5, undefined]);
  assert.equal(ids.add("X3", 30), 0);
  assert.equal(ids.get("X3"), 30);
  assert.equal(ids.size, 5);
});

Deno.test("WindowIds: grows from 16 slots to its most, every id still found; then refuses", () => {
  const ids = new WindowIds<number>(100);
  for (let i = 0; i < 100; i++) assert.equal(ids.add(`ORD-${i}`, i), i);
  for (let i = 0; i < 100; i++) assert.equal(ids.get(`ORD-${i}`), i);
  assert.equal(ids.add("ORD-100", 100), -1); // all 100 slots in use
  assert.equal(ids.get("ORD-100"), undefined);
  assert.equal(ids.size, 100);
  ids.remove(41);
  assert.equal(ids.add("ORD-100", 100), 41);
  assert.equal(ids.get("ORD-100"), 100);
  assert.equal(ids.get("ORD-41"), undefined);
  assert.equal(ids.text(41), "ORD-100");
});

Deno.test("WindowIds: ids longer than a slot or outside Latin-1 are refused and take no slot", () => {
  const ids = new WindowIds<string>(4);
  const longest = "L".repeat(WINDOW_ID_BYTES);
  assert.equal(ids.add(longest, "40"), 0);
  assert.equal(ids.add(longest + "L", "41"), -1);
  assert.equal(ids.add("ab\u0100", "wide"), -1); // a character above 255
  assert.equal(ids.size, 1);
  assert.equal(ids.add("\u00e9t\u00e9\u00ff", "latin1"), 1); // the next slot: none leaked
  assert.equal(ids.get("\u00e9t\u00e9\u00ff"), "latin1");
  assert.equal(ids.text(1), "\u00e9t\u00e9\u00ff");
  assert.equal(ids.text(0), longest);
  assert.equal(ids.get(longest + "L"), undefined);
  assert.equal(ids.get("ab\u0100"), undefined);
});

Deno.test("WindowIds: a ring of ids in and out (the window's use) keeps exactly the live ones", () => {
  const ids = new WindowIds<number>(1000);
  const slots: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    if (i >= 1000) ids.remove(slots[i - 1000]!);
    const slot = ids.add(`C${i}`, i);
    assert.ok(slot >= 0 && slot < 1000);
    slots.push(slot);
  }
  assert.equal(ids.size, 1000);
  for (const i of [0, 18_999, 19_000, 19_500, 19_999]) {
    assert.equal(ids.get(`C${i}`), i >= 19_000 ? i : undefined);
  }
});

Deno.test("WindowIds: add after a lookup of the same id hashes it once; after another id's lookup, its own hash", () => {
  const hashed: string[] = [];
  const ids = new WindowIds<number>(8, { hash: (id) => (hashed.push(id), id.length * 7 + id.charCodeAt(0)) });
  assert.equal(ids.get("C1"), undefined);
  assert.equal(ids.add("C1", 1), 0);
  assert.deepEqual(hashed, ["C1"]);
  assert.equal(ids.get("D22"), undefined);
  assert.equal(ids.add("E333", 2), 1); // not the id looked up: hashed for itself
  assert.deepEqual(hashed, ["C1", "D22", "E333"]);
  assert.deepEqual([ids.get("C1"), ids.get("E333"), ids.get("D22")], [1, 2, undefined]);
  // The same characters in another string object: the same hash, found.
  const again = ["F", "4"].join("");
  assert.equal(ids.get("F4"), undefined);
  assert.equal(ids.add(again, 3), 2);
  assert.equal(ids.get("F4"), 3);
});

/**
 * WindowIds (src/app/lp/window_ids.ts) against a Map as the model: random adds, lookups and removals
 * over ids of 0-41 characters (40 is the most kept), Latin-1 characters above 127 and characters above
 * 255 (refused), with the real hash and with weak ones (every id in one bucket, by length, by first
 * character), windows of 1 to 40 slots (growth, refusal when full). Every lookup (get, has, the lookup
 * just before an add whose hash add may reuse, or another id's) answers as the Map does; every kept id's
 * text is its slot's; a slot is held by one id at most. Seeded and bounded.
 */
import assert from "node:assert/strict";
import { WINDOW_ID_BYTES, WindowIds } from "../../src/app/lp/window_ids.ts";
import { Prng } from "../codec/random_messages.ts";

const POOL: string[] = [];
for (let i = 0; i < 24; i++) POOL.push(`c${i}`);
for (const n of [0, 1, 39, 40, 41, 60]) POOL.push("A".repeat(n), "A".repeat(Math.max(0, n - 1)) + "B");
POOL.push(
  "é",
  "é1",
  "\xff\xfe",
  "\x80",
  "\x00",
  "c1 ",
  "C1",
  "x".repeat(13) + "é".repeat(27),
  "€",
  "c€",
  "A€",
);

const HASHES: Array<[string, ((id: string) => number) | undefined]> = [
  ["idHash", undefined],
  ["one bucket", () => 7],
  ["by length", (id) => id.length],
  ["by first character", (id) => (id.charCodeAt(0) || 0) * 0x9e3779b1],
];

const keepable = (id: string) => id.length <= WINDOW_ID_BYTES && [...id].every((c) => c.charCodeAt(0) <= 255);

Deno.test("WindowIds answers as a Map: random adds, lookups and removals, weak hashes, long and non-ASCII ids", () => {
  const rng = new Prng(20261207);
  let adds = 0, refusedFull = 0, refusedId = 0, found = 0;
  for (const [name, hash] of HASHES) {
    for (let round = 0; round < 40; round++) {
      const maxSlots = rng.int(1, 40);
      const ids = new WindowIds<number>(maxSlots, hash === undefined ? {} : { hash });
      const model = new Map<string, { slot: number; value: number }>();
      for (let step = 0; step < 600; step++) {
        const id = rng.pick(POOL);
        const r = rng.float();
        const where = `${name}, window ${maxSlots}, round ${round}, step ${step}, id ${JSON.stringify(id)}`;
        if (r < 0.5) {
          // The simulator's order: a lookup (maybe of another id), then add when the id is not kept.
          const looked = rng.chance(0.8) ? id : rng.pick(POOL);
          assert.equal(ids.get(looked), model.get(looked)?.value, `get: ${where}`);
          if (model.has(id)) continue;
          const value = step * 1000 + round;
          const slot = ids.add(id, value);
          if (!keepable(id)) {
            assert.equal(slot, -1, `refused id: ${where}`);
            refusedId++;
          } else if (model.size === maxSlots) {
            assert.equal(slot, -1, `full: ${where}`);
            refusedFull++;
          } else {
            assert.ok(slot >= 0 && slot < maxSlots, `slot ${slot}: ${where}`);
            for (const e of model.values()) assert.notEqual(e.slot, slot, `slot held twice: ${where}`);
            model.set(id, { slot, value });
            adds++;
          }
        } else if (r < 0.8) {
          const want = model.get(id);
          assert.equal(ids.get(id), want?.value, `get: ${where}`);
          assert.equal(ids.has(id), want !== undefined, `has: ${where}`);
          if (want !== undefined) found++;
        } else if (model.size > 0) {
          const keys = [...model.keys()];
          const gone = rng.pick(keys);
          ids.remove(model.get(gone)!.slot);
          model.delete(gone);
          assert.equal(ids.get(gone), undefined, `removed: ${where}`);
        }
        assert.equal(ids.size, model.size, `size: ${where}`);
      }
      for (const [id, e] of model) {
        assert.equal(ids.text(e.slot), id);
        assert.equal(ids.get(id), e.value);
      }
    }
  }
  assert.ok(
    adds > 10_000 && refusedFull > 500 && refusedId > 500 && found > 5_000,
    [
      adds,
      refusedFull,
      refusedId,
      found,
    ].join(" "),
  );
});

/** trimRecent: a session's recent request ids trimmed in place to the newest `max`, oldest first. */
import assert from "node:assert/strict";
import { type Answer, type Slot, trimRecent } from "../../src/engine/library_conn.ts";

const answer = (seq: number): Answer => ({ status: 0, seq, code: 0, text: "" });

Deno.test("trimRecent: keeps exactly the newest max request ids (insertion order), the map itself trimmed", () => {
  const recent = new Map<string, Answer>();
  for (let i = 0; i < 12_500; i++) recent.set(`c${i}`, answer(i));
  recent.set("c5", answer(-5)); // a replaced answer keeps its place
  const slot = { recent } as unknown as Slot;
  trimRecent(slot, 10_000);
  assert.equal(slot.recent, recent, "trimmed in place, not copied");
  assert.equal(recent.size, 10_000);
  assert.equal(recent.has("c2499"), false);
  assert.deepEqual(recent.get("c2500"), answer(2500));
  assert.deepEqual(recent.get("c12499"), answer(12499));
  assert.deepEqual([...recent.keys()][0], "c2500");
  trimRecent(slot, 20_000);
  assert.equal(recent.size, 10_000, "under max: nothing dropped");
  recent.set("new", answer(1));
  assert.equal([...recent.keys()].at(-1), "new");
});

/** RecentRequests: the request-id map of a session with a counting filter in front: same answers as a Map. */
import assert from "node:assert/strict";
import { type Answer, RecentRequests, type Slot, trimRecent } from "../../src/engine/library_conn.ts";

const answer = (seq: number): Answer => ({ status: 0, seq, code: 0, text: "" });

Deno.test("RecentRequests: get/has/set/delete/trim agree with a plain Map, ids sharing a filter cell included", () => {
  const r = new RecentRequests();
  const m = new Map<string, Answer>();
  // Deterministic ids, many more than cells share (70,000 ids over 65,536 cells): collisions are certain.
  let x = 12345;
  const ids: string[] = [];
  for (let i = 0; i < 70_000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    ids.push(`c${x.toString(36)}-${i}`);
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    r.set(id, answer(i));
    m.set(id, answer(i));
    if (i % 3 === 0) r.set(id, answer(-i)), m.set(id, answer(-i)); // replacing keeps one count
    if (i % 5 === 0) assert.equal(r.delete(ids[i >> 1]!), m.delete(ids[i >> 1]!));
  }
  assert.equal(r.size, m.size);
  for (const id of [...ids, "never-1", "never-2", ""]) {
    assert.deepEqual(r.get(id), m.get(id), id);
    assert.equal(r.has(id), m.has(id), id);
  }
  // Trimmed in place to the newest 1,000: the dropped ones are absent, the kept ones found.
  const slot = { recent: r } as unknown as Slot;
  trimRecent(slot, 1000);
  const kept = [...m.keys()].slice(m.size - 1000);
  assert.equal(r.size, 1000);
  for (const id of kept) assert.ok(r.has(id), id);
  for (const id of [...m.keys()].slice(0, m.size - 1000)) assert.equal(r.get(id), undefined, id);
  r.clear();
  assert.equal(r.size, 0);
  assert.equal(r.get(kept[0]!), undefined);
  r.set(kept[0]!, answer(1));
  assert.deepEqual(r.get(kept[0]!), answer(1));
});

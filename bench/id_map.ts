// IdMap against a Map keyed by the same strings, at the size of a simulator's order book: fill with
// 400,000 ClOrdIDs, then time what a new order does (a duplicate check that misses, then an insertion)
// for 100,000 more, and lookups of keys that are absent. Keys are decoded from bytes, as inbound
// ClOrdIDs are (fresh strings, never hashed before).
// Run: ./deno run -A bench/id_map.ts
import { IdMap } from "../src/app/id_map.ts";

const FILL = 400_000;
const NEW = 100_000;
const enc = new TextEncoder();
const dec = new TextDecoder();
const fresh = (prefix: string, n: number, from: number) =>
  Array.from({ length: n }, (_, i) => dec.decode(enc.encode(`${prefix}${from + i}`)));

interface StringMap {
  get(k: string): unknown;
  set(k: string, v: unknown): unknown;
}

function run(name: string, make: () => StringMap): void {
  const m = make();
  const filled = fresh("BENCH-", FILL, 1_000_000);
  for (let i = 0; i < FILL; i++) m.set(filled[i]!, i);
  const absent = fresh("BENCH-", NEW, 5_000_000);
  let t0 = performance.now();
  let misses = 0;
  for (let i = 0; i < NEW; i++) if (m.get(absent[i]!) === undefined) misses++;
  const missNs = ((performance.now() - t0) / NEW) * 1e6;
  const added = fresh("BENCH-", NEW, 9_000_000);
  t0 = performance.now();
  for (let i = 0; i < NEW; i++) if (m.get(added[i]!) === undefined) m.set(added[i]!, i);
  const addNs = ((performance.now() - t0) / NEW) * 1e6;
  console.log(
    `${name.padEnd(8)} absent key ${missNs.toFixed(0).padStart(4)} ns   new order (check + insert) ${
      addNs.toFixed(0).padStart(4)
    } ns   (${misses === NEW ? "ok" : "WRONG"})`,
  );
}

for (let r = 1; r <= 3; r++) {
  console.log(`round ${r}, ${FILL.toLocaleString("en-US")} keys`);
  run("IdMap", () => new IdMap<unknown>());
  run("Map", () => new Map<string, unknown>());
}

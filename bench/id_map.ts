// IdMap against a Map keyed by the same strings, at the size of a simulator's order book: fill with
// 400,000 ClOrdIDs, then time what a new order does (a duplicate check that misses, then an insertion)
// for 100,000 more, and lookups of keys that are absent. Keys are decoded from bytes, as inbound
// ClOrdIDs are (fresh strings, never hashed before).
// Then the engine's request-id window (src/engine/library_ids.ts, RecentIds) against the string-keyed Map
// it replaced (trimmed to the newest 10,000 in batches past 11,250): what each SEND does in the steady
// state, a lookup that misses and an insertion that evicts, for 200,000 fresh request ids.
// Last, the library's unanswered sends (src/engine/library_pending.ts, PendingSends on IdMap) against the
// Map-based one it replaced: a send's set and its SEND_RESULT's take (a request id decoded from the frame),
// 1,000 in flight, 200,000 sends.
// Run: ./deno run -A bench/id_map.ts [--request-ids | --pending]   (only that part)
import { IdMap } from "../src/app/id_map.ts";
import { RecentIds } from "../src/engine/library_ids.ts";
import { type Pending, PendingSends } from "../src/engine/library_pending.ts";

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

/** The Map and its batch trim as library_server.ts had them before RecentIds. */
class TrimmedMap {
  readonly m = new Map<string, unknown>();
  get(k: string): unknown {
    return this.m.get(k);
  }
  set(k: string, v: unknown): void {
    this.m.set(k, v);
    if (this.m.size > 11_250) {
      let drop = this.m.size - 10_000;
      for (const key of this.m.keys()) {
        this.m.delete(key);
        if (--drop === 0) break;
      }
    }
  }
}

function runIds(name: string, make: () => StringMap): void {
  const m = make();
  const warm = fresh("ord-", 20_000, 1_000_000);
  for (const k of warm) if (m.get(k) === undefined) m.set(k, 1);
  const ids = fresh("ord-", 200_000, 2_000_000);
  const t0 = performance.now();
  let misses = 0;
  for (let i = 0; i < ids.length; i++) {
    if (m.get(ids[i]!) === undefined) {
      misses++;
      m.set(ids[i]!, i);
    }
  }
  const ns = ((performance.now() - t0) / ids.length) * 1e6;
  console.log(
    `${name.padEnd(10)} miss + insert (window 10,000) ${ns.toFixed(0).padStart(4)} ns   (${
      misses === ids.length && m.get(ids.at(-1)!) === ids.length - 1 ? "ok" : "WRONG"
    })`,
  );
}

function runPending(name: string, make: () => PendingSends): void {
  const N = 200_000, W = 1_000, KEY = "FIX.4.4:CLIENT->LP";
  // ClOrdIDs made by a template (as an application makes them), request ids decoded from SEND_RESULT frames.
  const sent = Array.from({ length: N }, (_, i) => `a1-b3-p${i}`);
  const back = fresh("a1-b3-p", N, 0);
  const resolve = () => {};
  const m = make();
  const t0 = performance.now();
  let ok = 0;
  for (let i = 0; i < N; i++) {
    m.set(KEY, { requestId: sent[i]!, resolve });
    if (i >= W && m.take(KEY, back[i - W]!) !== undefined) ok++;
  }
  const ns = ((performance.now() - t0) / N) * 1e6;
  console.log(
    `${name.padEnd(10)} set + take, ${W} in flight ${ns.toFixed(0).padStart(4)} ns   (${
      ok === N - W && m.size === W ? "ok" : "WRONG"
    })`,
  );
}

const only = Deno.args.find((a) => a === "--request-ids" || a === "--pending");
for (let r = 1; r <= 3 && only === undefined; r++) {
  console.log(`round ${r}, ${FILL.toLocaleString("en-US")} keys`);
  run("IdMap", () => new IdMap<unknown>());
  run("Map", () => new Map<string, unknown>());
}
for (let r = 1; r <= 5 && only !== "--pending"; r++) {
  console.log(`request ids, round ${r}`);
  runIds("RecentIds", () => new RecentIds<unknown>(10_000));
  runIds("Map+trim", () => new TrimmedMap());
}
for (let r = 1; r <= 5 && only !== "--request-ids"; r++) {
  console.log(`pending sends, round ${r}`);
  runPending("IdMap", () => new PendingSends());
  // As it was before IdMap: a Map per session key.
  runPending("Map", () => new PendingSends(() => new Map<string, Pending>()));
}

/**
 * The answers of a session's recent request ids (docs/library_protocol.md, "Sends"): what the engine's
 * endpoint looks up for every SEND (library_server.ts #send) and remembers for every send it answers.
 *
 * A `Map` keyed by the request-id string cost 8.5% of the engine's busy samples pipelined (docs/performance.md,
 * session 8): V8 hashes each request id (a string just decoded from the socket, never hashed before), and
 * a miss walks a chain in a table far bigger than the CPU cache. Here the key's hash is computed in
 * JavaScript (FNV-1a over its code units: for an ASCII request id, its bytes on the wire), and the entries
 * are a ring in insertion order: a lookup reads one bucket head, then the entries of that bucket, comparing
 * the 32-bit hashes first and the strings only when those are equal (collisions are chained, never lost).
 *
 * How far back it answers, exactly: the ring has `max + (max >> 3)` places (11,250 for the default 10,000).
 * While no request id was forgotten (`delete`), the newest 11,250 request ids remembered are answered and
 * the one remembered before them is not. A forgotten one leaves a hole in the ring that counts as a place
 * until the oldest are evicted; the newest `max` remembered ones are always kept (the documented "at least
 * the last 10 000"): when the ring is full with fewer than `max` live entries, it is compacted instead.
 * It grows by doubling from 16 places, so a session that never sees a SEND costs a few hundred bytes.
 */

/** A request id's 32-bit hash. */
export type IdHash = (id: string) => number;

/** FNV-1a over the UTF-16 code units of `id` (for an ASCII id: over its bytes). */
export function requestIdHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** For tests: a hash of their own (to force collisions), and the number of buckets (a power of two). */
export interface RecentIdsOptions {
  hash?: IdHash;
  buckets?: number;
}

const FIRST_PLACES = 16;

/** Answers (or pending answers) by request id, the newest kept (see above). */
export class RecentIds<V> {
  /** Request ids always kept (the newest `max` remembered). */
  readonly max: number;
  /** Places of the full ring: the newest `capacity` remembered ids answer while none was forgotten. */
  readonly capacity: number;
  readonly #hash: IdHash;
  readonly #fixedBuckets: number | undefined;
  /** Bucket -> its newest entry's place + 1 (0: empty). */
  #heads: Int32Array;
  #mask: number;
  /** Place -> the next (older) entry of its bucket, place + 1 (0: none). */
  #next: Int32Array;
  #hashes: Int32Array;
  /** Place -> request id (undefined: a hole, forgotten or evicted). */
  #keys: (string | undefined)[];
  #values: (V | undefined)[];
  /** The oldest place in use. */
  #head = 0;
  /** Places in use from `#head` on, holes included. */
  #count = 0;
  /** Request ids kept. */
  #size = 0;

  constructor(max: number, options: RecentIdsOptions = {}) {
    this.max = Math.max(1, Math.floor(max));
    this.capacity = this.max + (this.max >> 3);
    this.#hash = options.hash ?? requestIdHash;
    this.#fixedBuckets = options.buckets;
    const places = Math.min(FIRST_PLACES, this.capacity);
    this.#heads = new Int32Array(this.#bucketsFor(places));
    this.#mask = this.#heads.length - 1;
    this.#next = new Int32Array(places);
    this.#hashes = new Int32Array(places);
    this.#keys = new Array<string | undefined>(places).fill(undefined);
    this.#values = new Array<V | undefined>(places).fill(undefined);
  }

  /** Request ids kept. */
  get size(): number {
    return this.#size;
  }

  /** The answer of `id`, or undefined. */
  get(id: string): V | undefined {
    const p = this.#find(id, this.#hash(id));
    return p < 0 ? undefined : this.#values[p];
  }

  has(id: string): boolean {
    return this.#find(id, this.#hash(id)) >= 0;
  }

  /** Remembers `id` as the newest; an id kept already gets the new value in its place. */
  set(id: string, value: V): this {
    const h = this.#hash(id);
    const p = this.#find(id, h);
    if (p >= 0) {
      this.#values[p] = value;
      return this;
    }
    if (this.#count === this.#keys.length) this.#makeRoom();
    const places = this.#keys.length;
    let q = this.#head + this.#count;
    if (q >= places) q -= places;
    const b = h & this.#mask;
    this.#keys[q] = id;
    this.#values[q] = value;
    this.#hashes[q] = h;
    this.#next[q] = this.#heads[b]!;
    this.#heads[b] = q + 1;
    this.#count++;
    this.#size++;
    return this;
  }

  /** Forgets `id`; true when it was kept. */
  delete(id: string): boolean {
    const p = this.#find(id, this.#hash(id));
    if (p < 0) return false;
    this.#unlink(p);
    this.#size--;
    return true;
  }

  /** The kept request ids, oldest first (for tests and diagnostics). */
  keys(): string[] {
    const out: string[] = [];
    const places = this.#keys.length;
    for (let k = 0; k < this.#count; k++) {
      const id = this.#keys[(this.#head + k) % places];
      if (id !== undefined) out.push(id);
    }
    return out;
  }

  #bucketsFor(places: number): number {
    if (this.#fixedBuckets !== undefined) return this.#fixedBuckets;
    let n = 16;
    while (n < 2 * places) n *= 2;
    return n;
  }

  #find(id: string, h: number): number {
    const keys = this.#keys, hashes = this.#hashes, next = this.#next;
    for (let q = this.#heads[h & this.#mask]!; q !== 0; q = next[q - 1]!) {
      if (hashes[q - 1] === h && keys[q - 1] === id) return q - 1;
    }
    return -1;
  }

  /** Takes place `p` out of its bucket and leaves a hole. */
  #unlink(p: number): void {
    const b = this.#hashes[p]! & this.#mask;
    const next = this.#next;
    let q = this.#heads[b]!;
    if (q === p + 1) this.#heads[b] = next[p]!;
    else {
      while (next[q - 1] !== p + 1) q = next[q - 1]!;
      next[q - 1] = next[p]!;
    }
    this.#keys[p] = undefined;
    this.#values[p] = undefined;
  }

  /** The ring is full: holes at its oldest end go; then it grows, evicts its oldest, or is compacted. */
  #makeRoom(): void {
    const places = this.#keys.length;
    while (this.#count > 0 && this.#keys[this.#head] === undefined) {
      if (++this.#head === places) this.#head = 0;
      this.#count--;
    }
    if (this.#count < places) return;
    if (places < this.capacity) return this.#rebuild(Math.min(2 * places, this.capacity));
    if (this.#size >= this.max) {
      // The oldest is evicted: the newest `max` stay (the new one among them).
      this.#unlink(this.#head);
      if (++this.#head === places) this.#head = 0;
      this.#count--;
      this.#size--;
      return;
    }
    // Full with more than capacity - max holes: the live ones moved together (amortized: each compaction
    // follows at least capacity - max forgotten ids).
    this.#rebuild(places);
  }

  /** The live entries, oldest first, into a ring of `places` starting at place 0. */
  #rebuild(places: number): void {
    const oldKeys = this.#keys, oldValues = this.#values, oldHashes = this.#hashes;
    const oldPlaces = oldKeys.length;
    const keys = new Array<string | undefined>(places).fill(undefined);
    const values = new Array<V | undefined>(places).fill(undefined);
    const hashes = new Int32Array(places);
    const next = new Int32Array(places);
    const heads = new Int32Array(this.#bucketsFor(places));
    const mask = heads.length - 1;
    let n = 0;
    for (let k = 0; k < this.#count; k++) {
      const p = (this.#head + k) % oldPlaces;
      const id = oldKeys[p];
      if (id === undefined) continue;
      const h = oldHashes[p]!;
      keys[n] = id;
      values[n] = oldValues[p];
      hashes[n] = h;
      next[n] = heads[h & mask]!;
      heads[h & mask] = n + 1;
      n++;
    }
    this.#keys = keys;
    this.#values = values;
    this.#hashes = hashes;
    this.#next = next;
    this.#heads = heads;
    this.#mask = mask;
    this.#head = 0;
    this.#count = n;
  }
}

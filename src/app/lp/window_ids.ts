/**
 * The ClOrdIDs of a session's ackOnly window (orders.ackOnlyWindow), kept as bytes.
 *
 * An inbound ClOrdID is a fresh string. Kept as a string for as long as its order stays in the window
 * (1,000 orders by default, less than a scavenge's worth at full speed), every one of them was alive at
 * the next scavenge and dead before the one after: ~100 KB copied by every scavenge of a ping-pong run
 * (docs/performance.md, "Session 10"). Here each ClOrdID is copied into a slot of a byte slab and the
 * string is left to die young; a lookup hashes the key (idHash, as IdMap does) and compares it with the
 * slot's bytes. Nothing here allocates per order once the table has grown: slots are reused through a
 * free list, buckets chain colliding slots (never lost, compared byte by byte).
 *
 * A slot holds at most WINDOW_ID_BYTES Latin-1 characters; `add` refuses a longer ClOrdID (or one with a
 * character above 255, which no decoded FIX value has) and the caller keeps that one as a string.
 */
import { latin1String } from "../../codec/ascii.ts";
import { idHash } from "../id_map.ts";

/** Bytes of a slot: ClOrdIDs up to this long are kept as bytes (a UUID is 36). */
export const WINDOW_ID_BYTES = 40;

const FIRST_SLOTS = 16;

/** For tests: a hash of their own (to force collisions). */
export interface WindowIdsOptions {
  hash?: (id: string) => number;
}

/** Values by ClOrdID, the ClOrdIDs as bytes in numbered slots (see above). */
export class WindowIds<V> {
  /** Most slots (the window: `add` refuses more). */
  readonly maxSlots: number;
  readonly #hash: (id: string) => number;
  #bytes: Uint8Array;
  #lengths: Uint8Array;
  #hashes: Int32Array;
  /** Slot -> the next slot of its bucket + 1 (0: none). */
  #next: Int32Array;
  /** Bucket -> its first slot + 1 (0: empty). */
  #heads: Int32Array;
  #mask: number;
  /** Slot -> value (undefined: free). */
  #values: (V | undefined)[];
  /** Free slots, a stack: the last freed is reused first. */
  #free: Int32Array;
  #freeCount: number;
  #size = 0;
  /** The id the last lookup hashed, and its hash: `add` after a lookup that missed hashes it once. */
  #lastId: string | undefined = undefined;
  #lastHash = 0;

  constructor(maxSlots: number, options: WindowIdsOptions = {}) {
    this.maxSlots = Math.max(1, Math.floor(maxSlots));
    this.#hash = options.hash ?? idHash;
    const slots = Math.min(FIRST_SLOTS, this.maxSlots);
    this.#bytes = new Uint8Array(slots * WINDOW_ID_BYTES);
    this.#lengths = new Uint8Array(slots);
    this.#hashes = new Int32Array(slots);
    this.#next = new Int32Array(slots);
    this.#heads = new Int32Array(bucketsFor(slots));
    this.#mask = this.#heads.length - 1;
    this.#values = new Array<V | undefined>(slots).fill(undefined);
    this.#free = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.#free[i] = slots - 1 - i; // slot 0 first
    this.#freeCount = slots;
  }

  /** ClOrdIDs kept. */
  get size(): number {
    return this.#size;
  }

  /** The value of `id`, or undefined. */
  get(id: string): V | undefined {
    const slot = this.#find(id);
    return slot < 0 ? undefined : this.#values[slot];
  }

  has(id: string): boolean {
    return this.#find(id) >= 0;
  }

  /**
   * Keeps `id` (not kept already: the caller looked it up) with `value`; returns its slot, or -1 when
   * it is not kept: longer than WINDOW_ID_BYTES, a character above 255, or `maxSlots` in use.
   */
  add(id: string, value: V): number {
    const n = id.length;
    if (n > WINDOW_ID_BYTES) return -1;
    if (this.#freeCount === 0) {
      const slots = this.#values.length;
      if (slots === this.maxSlots) return -1;
      this.#grow(Math.min(2 * slots, this.maxSlots));
    }
    const slot = this.#free[--this.#freeCount]!;
    const bytes = this.#bytes, at = slot * WINDOW_ID_BYTES;
    for (let i = 0; i < n; i++) {
      const c = id.charCodeAt(i);
      if (c > 255) {
        this.#freeCount++;
        return -1;
      }
      bytes[at + i] = c;
    }
    const h = id === this.#lastId ? this.#lastHash : this.#hash(id) | 0;
    this.#lengths[slot] = n;
    this.#hashes[slot] = h;
    this.#values[slot] = value;
    const b = h & this.#mask;
    this.#next[slot] = this.#heads[b]!;
    this.#heads[b] = slot + 1;
    this.#size++;
    return slot;
  }

  /** Frees `slot` (one `add` returned and not removed since). */
  remove(slot: number): void {
    const b = this.#hashes[slot]! & this.#mask;
    const next = this.#next;
    let q = this.#heads[b]!;
    if (q === slot + 1) this.#heads[b] = next[slot]!;
    else {
      while (next[q - 1] !== slot + 1) q = next[q - 1]!;
      next[q - 1] = next[slot]!;
    }
    this.#values[slot] = undefined;
    this.#free[this.#freeCount++] = slot;
    this.#size--;
  }

  /** The ClOrdID in `slot`, as a string. */
  text(slot: number): string {
    const at = slot * WINDOW_ID_BYTES;
    return latin1String(this.#bytes, at, at + this.#lengths[slot]!);
  }

  #find(id: string): number {
    const h = this.#hash(id) | 0;
    this.#lastId = id;
    this.#lastHash = h;
    const n = id.length, bytes = this.#bytes, lengths = this.#lengths, hashes = this.#hashes;
    const next = this.#next;
    for (let q = this.#heads[h & this.#mask]!; q !== 0; q = next[q - 1]!) {
      const slot = q - 1;
      if (hashes[slot] !== h || lengths[slot] !== n) continue;
      const at = slot * WINDOW_ID_BYTES;
      let i = 0;
      while (i < n && bytes[at + i] === id.charCodeAt(i)) i++;
      if (i === n) return slot;
    }
    return -1;
  }

  /** More slots (the new ones free); the buckets rebuilt from the kept hashes. */
  #grow(slots: number): void {
    const old = this.#values.length;
    const bytes = new Uint8Array(slots * WINDOW_ID_BYTES);
    bytes.set(this.#bytes);
    this.#bytes = bytes;
    const lengths = new Uint8Array(slots);
    lengths.set(this.#lengths);
    this.#lengths = lengths;
    const hashes = new Int32Array(slots);
    hashes.set(this.#hashes);
    this.#hashes = hashes;
    const values = new Array<V | undefined>(slots).fill(undefined);
    for (let i = 0; i < old; i++) values[i] = this.#values[i];
    this.#values = values;
    const next = new Int32Array(slots);
    const heads = new Int32Array(bucketsFor(slots));
    const mask = heads.length - 1;
    for (let slot = 0; slot < old; slot++) {
      if (values[slot] === undefined) continue;
      const b = hashes[slot]! & mask;
      next[slot] = heads[b]!;
      heads[b] = slot + 1;
    }
    this.#next = next;
    this.#heads = heads;
    this.#mask = mask;
    // Only called with every slot in use: the free ones are the new ones.
    const free = new Int32Array(slots);
    for (let i = 0; i < slots - old; i++) free[i] = slots - 1 - i;
    this.#free = free;
    this.#freeCount = slots - old;
  }
}

/** Buckets for `slots` slots: a power of two, at least twice the slots. */
function bucketsFor(slots: number): number {
  let n = 16;
  while (n < 2 * slots) n *= 2;
  return n;
}

/**
 * A small seeded pseudo-random generator, so the simulator and the load generator are reproducible:
 * the same seed and the same inputs at the same times give the same outputs.
 */

/** Source of uniform numbers in [0, 1); everything random in src/app takes one of these. */
export interface Prng {
  /** Next uniform number in [0, 1). */
  next(): number;
}

/** mulberry32: 32-bit state, fast, good enough for simulation (not for cryptography). */
class Mulberry32 implements Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** A generator seeded with `seed` (an integer; the same seed gives the same sequence). */
export function createPrng(seed: number): Prng {
  return new Mulberry32(seed);
}

/** A seed derived from a base seed and a label (e.g. a symbol), so streams are independent of each other. */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed: adding a symbol does not shift another symbol's stream.
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A standard normal sample (Box-Muller) from two uniforms of `prng`. */
export function normalSample(prng: Prng): number {
  let u = prng.next();
  if (u < 1e-12) u = 1e-12;
  const v = prng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A uniform number in [min, max]. */
export function uniform(prng: Prng, min: number, max: number): number {
  return min + (max - min) * prng.next();
}

/** A uniform integer in [min, max] (both inclusive). */
export function uniformInt(prng: Prng, min: number, max: number): number {
  return min + Math.floor(prng.next() * (max - min + 1));
}

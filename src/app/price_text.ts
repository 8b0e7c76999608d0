import { formatScaled } from "../codec/encoder.ts";

/** Distinct prices a PriceText keeps (cleared when full: a random walk revisits recent prices). */
const CAPACITY = 4096;

/**
 * Price text of a tick count (`ticks * units / 10^decimals`, written exactly by formatScaled), cached:
 * a simulator or load generator writes the same few hundred prices again and again, and formatting
 * one costs several string allocations.
 */
export class PriceText {
  readonly #units: number;
  readonly #decimals: number;
  readonly #text = new Map<number, string>();

  constructor(units: number, decimals: number) {
    this.#units = units;
    this.#decimals = decimals;
  }

  /** The price of `ticks` as FIX decimal text. */
  of(ticks: number): string {
    let text = this.#text.get(ticks);
    if (text === undefined) {
      if (this.#text.size >= CAPACITY) this.#text.clear();
      text = formatScaled(ticks * this.#units, this.#decimals);
      this.#text.set(ticks, text);
    }
    return text;
  }
}

/**
 * The price of one simulated instrument: a geometric random walk of the mid (in ticks), and the
 * simulated liquidity around it. Deterministic for a given seed and number of steps.
 */
import { normalSample, type Prng } from "../prng.ts";
import type { LpSymbolConfig } from "./config.ts";

const MS_PER_YEAR = 365.25 * 86_400_000;

/** Price levels of the simulated liquidity, best first, in ticks. */
export interface SimulatedLevel {
  priceTicks: number;
  size: number;
}

/** The mid price process of a symbol. */
export class PriceProcess {
  /** Mid in ticks (fractional: rounding happens when quoting). */
  midTicks: number;
  readonly #minTicks: number;

  constructor(readonly cfg: LpSymbolConfig, readonly prng: Prng) {
    this.midTicks = Math.round(cfg.startPrice / cfg.tickSize);
    // Keep the whole simulated bid side above zero.
    this.#minTicks = cfg.spreadTicks + cfg.depth * cfg.levelSpacingTicks + 1;
  }

  /** Moves the mid by one step of `dtMs` (geometric Brownian motion, no drift). */
  step(dtMs: number): void {
    const sigma = this.cfg.volatility;
    if (sigma === 0 || dtMs <= 0) return;
    const dt = dtMs / MS_PER_YEAR;
    const z = normalSample(this.prng);
    this.midTicks *= Math.exp(sigma * Math.sqrt(dt) * z - 0.5 * sigma * sigma * dt);
    if (this.midTicks < this.#minTicks) this.midTicks = this.#minTicks;
  }

  /** Best bid and offer in ticks: the spread straddles the mid. */
  bestTicks(): { bid: number; offer: number } {
    const bid = Math.round(this.midTicks - this.cfg.spreadTicks / 2);
    return { bid, offer: bid + this.cfg.spreadTicks };
  }

  /** The simulated levels of both sides, best first. */
  levels(): { bids: SimulatedLevel[]; offers: SimulatedLevel[] } {
    const { bid, offer } = this.bestTicks();
    const bids: SimulatedLevel[] = [], offers: SimulatedLevel[] = [];
    for (let i = 0; i < this.cfg.depth; i++) {
      const size = this.cfg.levelSize * (i + 1);
      bids.push({ priceTicks: bid - i * this.cfg.levelSpacingTicks, size });
      offers.push({ priceTicks: offer + i * this.cfg.levelSpacingTicks, size });
    }
    return { bids, offers };
  }
}

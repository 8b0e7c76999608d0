/**
 * Decimal text of a counter (the simulator's OrderIDs, ExecIDs and QuoteIDs) without V8's number-string
 * cache. `${n}`, `String(n)` and `n.toString()` put every integer they convert into that cache (16,384
 * entries with a 16 MB semi-space), which keeps the digit string alive until 16,384 other numbers are
 * converted: for a counter that is every string, so each one outlived two scavenges and was promoted
 * (the simulator's ~100 KB promoted per scavenge, docs/performance.md "Session 10"). Here the digits come
 * from two tables of 10,000 strings each (made once, on first use): a counter below 10^8 is one
 * concatenation of two of them.
 */

let plain: string[] | undefined;
let padded: string[] | undefined;

function tables(): void {
  plain = [];
  padded = [];
  for (let i = 0; i < 10_000; i++) {
    const s = String(i);
    plain.push(s);
    padded.push(s.padStart(4, "0"));
  }
}

/** The decimal digits of a non-negative safe integer, as String(n) writes them. */
export function decimalText(n: number): string {
  if (plain === undefined) tables();
  if (n < 10_000) return plain![n]!;
  if (n < 100_000_000) {
    const q = Math.floor(n / 10_000);
    return plain![q]! + padded![n - q * 10_000]!;
  }
  const q = Math.floor(n / 100_000_000), r = n - q * 100_000_000, m = Math.floor(r / 10_000);
  return decimalText(q) + padded![m]! + padded![r - m * 10_000]!;
}

/** decimalText (src/app/lp/decimal_text.ts): the simulator's ID digits without V8's number-string cache. */
import assert from "node:assert/strict";
import { decimalText } from "../../src/app/lp/decimal_text.ts";

Deno.test("decimalText: the digits String() writes, without its cache", () => {
  const cases = [0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10_000, 10_001, 99_999_999, 100_000_000, 100_000_001];
  cases.push(123_456_789_012, 100_000_000_000_000, Number.MAX_SAFE_INTEGER);
  for (let n = 0; n < 200_000; n += 7) cases.push(n);
  for (const n of cases) assert.equal(decimalText(n), String(n));
});

import assert from "node:assert/strict";
import { formatScaled } from "../../src/codec/encoder.ts";
import { PriceText } from "../../src/app/price_text.ts";

Deno.test("PriceText: the same text as formatScaled, before and after the cache fills and is cleared", () => {
  const p = new PriceText(5, 2); // tick 0.05
  assert.equal(p.of(2025), "101.25");
  assert.equal(p.of(2020), "101.00");
  assert.equal(p.of(1), "0.05");
  for (let t = 0; t < 10_000; t++) assert.equal(p.of(t), formatScaled(t * 5, 2), `ticks ${t}`);
  assert.equal(p.of(2025), "101.25");
  const whole = new PriceText(1, 0);
  assert.equal(whole.of(42), "42");
});

/** Bounded fuzz run in CI (about two seconds of CPU): see fuzzer.ts for what is checked. */
import assert from "node:assert/strict";
import { Fuzzer } from "./fuzzer.ts";

const SEED = 1;
const ITERATIONS = 3000;

Deno.test("fuzz: framer, view and validator survive mutated streams; every dropped byte has a reason", () => {
  const fuzzer = new Fuzzer(SEED);
  for (let i = 0; i < ITERATIONS; i++) fuzzer.iteration(i);
  const s = fuzzer.stats;
  assert.equal(s.iterations, ITERATIONS);
  // The run reached every layer: frames, garbled stretches, valid messages and many reject reasons.
  assert.ok(s.frames > ITERATIONS, `frames ${s.frames}`);
  assert.ok(s.garbled > ITERATIONS / 4, `garbled ${s.garbled}`);
  assert.ok(s.valid > 0, "some messages still valid");
  for (const reason of [0, 1, 2, 4, 5, 6, 11, 13, 14, 15, 16]) {
    assert.ok(
      (s.reasons.get(reason) ?? 0) > 0,
      `reject reason ${reason} reached: ${JSON.stringify([...s.reasons])}`,
    );
  }
});

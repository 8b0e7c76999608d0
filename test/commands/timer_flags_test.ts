/**
 * Flags that become timers are bounded by what a timer holds (2^31 - 1 ms): a longer value would fire at
 * once (simulate-lp --stats-interval 3000000 printed its counters every millisecond). Refused, exit 2.
 */
import assert from "node:assert/strict";
import { fixgOutput } from "../_helpers/mod.ts";

Deno.test("simulate-lp --stats-interval, conformance --timeout, cluster move --timeout-ms beyond a timer: exit 2", async () => {
  const cases: Array<[string[], string]> = [
    [
      ["simulate-lp", "--port", "0", "--stats-interval", "3000000"],
      'fixg: --stats-interval: "3000000" must be a number from 0 to 2147483\n',
    ],
    [
      ["conformance", "--target", "127.0.0.1:1", "--timeout", "3000000000", "x.def"],
      'fixg: --timeout must be a whole number of milliseconds up to 2147483647, got "3000000000"\n',
    ],
    [
      [
        "cluster",
        "move",
        "--store",
        "postgres://u@127.0.0.1:1/x",
        "--session",
        "K",
        "--to",
        "B",
        "--timeout-ms",
        "3e9",
      ],
      'fixg: --timeout-ms must be a positive integer up to 2147483647 (got "3e9")\n',
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => fixgOutput(args)));
  for (const [i, [args, stderr]] of cases.entries()) {
    assert.equal(results[i]!.code, 2, `${args[0]}: ${results[i]!.stderr}`);
    assert.equal(results[i]!.stderr, stderr, args[0]);
  }
});

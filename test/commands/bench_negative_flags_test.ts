/**
 * A negative value of a `fixg bench` number flag is refused by its bound, not as "not a number": the
 * number check took no sign, so `--threshold -5` said '"-5" is not a number'.
 */
import assert from "node:assert/strict";
import { fixgOutput } from "../_helpers/mod.ts";

Deno.test("fixg bench number flags: a negative value is refused by its bound (exit 2, one line)", async () => {
  const cases: [string[], string][] = [
    [
      ["bench", "compare", "a.json", "b.json", "--threshold", "-5"],
      "fixg: --threshold: -5 is below the minimum 0\n",
    ],
    [["bench", "--rate", "-100"], "fixg: --rate: -100 must be above 0\n"],
    [["bench", "--warmup", "-1"], "fixg: --warmup: -1 is below the minimum 0\n"],
    [["bench", "--rate", "abc"], 'fixg: --rate: "abc" is not a number\n'],
    [["bench", "--rate", "-"], 'fixg: --rate: "-" is not a number\n'],
  ];
  const results = await Promise.all(cases.map(([args]) => fixgOutput(args)));
  for (const [i, [args, stderr]] of cases.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr, stderr, args.join(" "));
    assert.equal(r.stdout, "");
  }
});

/** `fixg bench`: a flag the chosen mode does not use, or a CPU the machine lacks, is refused (exit 2) before any work. */
import assert from "node:assert/strict";
import { fixgOutput } from "../_helpers/mod.ts";

Deno.test("fixg bench --engine with a load flag, or an --engine flag without --engine: one line, exit 2", async () => {
  const cases: Array<[string[], string]> = [
    [
      ["--engine", "/nonexistent/engine.sock", "--html", "report.html"],
      "fixg: --html does not apply to --engine (it takes --session, --orders, --pipelined, --secret-env, --target, --target-comp-id, --json)\n",
    ],
    [
      ["--engine", "/nonexistent/engine.sock", "--no-floor"],
      "fixg: --no-floor does not apply to --engine (it takes --session, --orders, --pipelined, --secret-env, --target, --target-comp-id, --json)\n",
    ],
    [["--orders", "5"], "fixg: --orders needs --engine\n"],
    [["--pipelined", "5", "--rate", "10"], "fixg: --pipelined needs --engine\n"],
  ];
  const results = await Promise.all(cases.map(([args]) => fixgOutput(["bench", ...args])));
  for (const [i, [args, stderr]] of cases.entries()) {
    assert.equal(results[i]!.code, 2, `${args.join(" ")}: ${results[i]!.stderr}`);
    assert.equal(results[i]!.stderr, stderr, args.join(" "));
    assert.equal(results[i]!.stdout, "");
  }
});

Deno.test("fixg bench --cpu naming a CPU the machine does not have: exit 2 before the simulator starts", async () => {
  const r = await fixgOutput(["bench", "--cpu", "1023"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^fixg: --cpu: CPU 1023 is not online \(online: [0-9,-]+\)\n$/);
});

/**
 * Every command has --help (usage on stdout, exit 0); a command group without its subcommand (`fixg`,
 * `fixg journal`) is a usage error: its help on stderr, exit 2, as the README's exit codes say.
 */
import assert from "node:assert/strict";
import { fixgOutput } from "../_helpers/mod.ts";

const COMMANDS = [
  [],
  ["decode"],
  ["journal"],
  ["journal", "inspect"],
  ["journal", "verify"],
  ["journal", "repair"],
  ["journal", "export"],
  ["journal", "stats"],
  ["run"],
  ["send"],
  ["sessions"],
  ["simulate-lp"],
  ["conformance"],
  ["config"],
  ["config", "check"],
  ["config", "import-quickfix"],
  ["config", "hash-password"],
  ["bench"],
  ["bench", "codec"],
  ["bench", "compare"],
  ["cluster"],
  ["cluster", "status"],
  ["cluster", "move"],
  ["cluster", "rebalance"],
];

Deno.test("fixg CMD --help: usage on stdout, exit 0, for every command", async () => {
  const results = await Promise.all(COMMANDS.map((c) => fixgOutput([...c, "--help"])));
  for (const [i, c] of COMMANDS.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 0, `${c.join(" ")} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: fixg ${c.map((w) => w + " ").join("")}`), c.join(" "));
    assert.equal(r.stderr, "", c.join(" "));
  }
});

Deno.test("fixg, fixg journal, config, cluster without a subcommand: help on stderr, exit 2; fixg help: exit 0", async () => {
  const groups = [[], ["journal"], ["config"], ["cluster"]];
  const results = await Promise.all(groups.map((g) => fixgOutput(g)));
  for (const [i, g] of groups.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 2, `fixg ${g.join(" ")}`);
    assert.match(
      r.stderr,
      new RegExp(`^Usage: fixg ${g.map((w) => w + " ").join("")}\\[options\\] \\[command\\]`),
    );
    assert.equal(r.stdout, "");
  }
  const help = await fixgOutput(["help", "journal"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: fixg journal /);
});

/**
 * A database URL given to an operator command is never printed with its password: `fixg cluster
 * status|move|rebalance --store` refuses what is not a postgres:// (or postgresql://) URL without echoing
 * it (a URL whose scheme was forgotten, `user:PASSWORD@host/db`, was printed whole in the connection
 * error, since the redaction finds the password after `//`), and `fixg journal export` takes the scheme
 * in any case, as URL schemes are (`POSTGRES://user:PASSWORD@...` was read as a directory and printed
 * whole in 'Cannot read journal directory').
 */
import assert from "node:assert/strict";
import { fixgOutput } from "../_helpers/mod.ts";

const SECRET = "store-url-secret-41";

Deno.test("fixg cluster status/move/rebalance --store without a postgres:// scheme: exit 2, one line, no password", async () => {
  const url = `fixg:${SECRET}@127.0.0.1:1/fixg`;
  const runs = [
    ["cluster", "status", "--store", url],
    ["cluster", "status", "--store", url, "--json"],
    ["cluster", "move", "--store", url, "--session", "FIX.4.4:A->B", "--to", "gw-2"],
    ["cluster", "rebalance", "--store", url, "--dry-run"],
  ];
  const results = await Promise.all(runs.map((args) => fixgOutput(args)));
  for (const [i, args] of runs.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr, "fixg: --store: must be a postgres:// (or postgresql://) URL\n", args.join(" "));
    assert.equal(r.stdout, "");
  }
});

Deno.test("fixg journal export POSTGRES://... (scheme in capitals): read as a database URL, password masked", async () => {
  const r = await fixgOutput([
    "journal",
    "export",
    `POSTGRES://fixg:${SECRET}@127.0.0.1:1/fixg`,
    "--format",
    "fix",
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.ok(!r.stderr.includes(SECRET), r.stderr);
  assert.match(r.stderr, /^fixg: PostgreSQL store: .*\(POSTGRES:\/\/fixg:\*\*\*@127\.0\.0\.1:1\/fixg\)\n$/);
});

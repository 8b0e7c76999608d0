/**
 * Operator commands on a PostgreSQL store (`fixg cluster status|move|rebalance`, `fixg journal export URL`)
 * never create a schema: a mistyped --schema is exit 2 with one line, and the database is left as it was.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { fixgOutput } from "../_helpers/mod.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

Deno.test({
  name: "fixg cluster status / journal export with a --schema that has no tables: exit 2, nothing created",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const sql = postgres(PG_URL!, { max: 1, onnotice: () => {} });
  try {
    const runs = [
      ["cluster", "status", "--store", PG_URL!, "--schema", schema],
      ["cluster", "rebalance", "--store", PG_URL!, "--schema", schema, "--dry-run"],
      ["journal", "export", PG_URL!, "--schema", schema, "--format", "fix"],
    ];
    for (const args of runs) {
      const r = await fixgOutput(args);
      assert.equal(r.code, 2, `${args.slice(0, 2).join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^fixg: PostgreSQL store: no fixg tables in schema "${schema}"`));
      assert.equal(r.stdout, "");
    }
    const [row] = await sql`select count(*)::int as n from pg_namespace where nspname = ${schema}`;
    assert.equal(row!.n, 0, "the schema was created");
  } finally {
    await sql.end({ timeout: 1 });
    await dropSchema(schema);
  }
});

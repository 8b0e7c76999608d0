/**
 * The PostgreSQL store keeps a Logon's Password (554) and NewPassword (925) out of the database, as the
 * file journal does (docs/journal.md "Logons are never stored with their secrets"): a Logon is an admin
 * message, never resent (a resend gap-fills it), so nothing is lost by masking it before it is written.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openPostgresStore } from "../../src/store/postgres.ts";
import { frame } from "../engine/helpers.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

Deno.test({
  name: "postgres store: a Logon sent or received is stored without its Password (554) and NewPassword (925)",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const store = await openPostgresStore({ url: PG_URL!, schema });
  const sql = postgres(PG_URL!, { max: 1, onnotice: () => {} });
  try {
    const s = await store.openSession("FIX.4.4:FIXG->LP", 1);
    await s.appendOutbound(
      1,
      frame(
        "FIX.4.4",
        "A",
        "34=1|49=FIXG|56=LP|52=20240102-09:30:00.000|98=0|108=30|553=me|554=pg-s3cr3t-out|925=pg-n3w|",
      ),
    );
    await s.appendInbound(
      1,
      frame(
        "FIX.4.4",
        "A",
        "34=1|49=LP|56=FIXG|52=20240102-09:30:00.000|98=0|108=30|553=lp|554=pg-s3cr3t-in|",
      ),
    );
    await s.flush();
    const rows = await sql.unsafe(
      `select convert_from(bytes, 'LATIN1') as m from "${schema}".outbound
       union all select convert_from(bytes, 'LATIN1') from "${schema}".inbound`,
    );
    assert.equal(rows.length, 2);
    for (const r of rows) {
      const m = String(r.m).replaceAll("\x01", "|");
      assert.doesNotMatch(m, /s3cr3t|n3w/, m);
      assert.match(m, /\|554=\*\*\*\|/, m);
    }
  } finally {
    await sql.end({ timeout: 1 });
    await store.close();
    await dropSchema(schema);
  }
});

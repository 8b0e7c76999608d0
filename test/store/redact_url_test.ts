import assert from "node:assert/strict";
import { redactUrl } from "../../src/store/postgres.ts";

Deno.test("redactUrl hides a password in the user part and in the query string (password=, sslpassword=)", () => {
  assert.equal(
    redactUrl("postgres://fixg:Secret1@db1:5432,db2:5432/fixg"),
    "postgres://fixg:***@db1:5432,db2:5432/fixg",
  );
  assert.equal(
    redactUrl(
      "postgres://fixg@db1/fixg?target_session_attrs=read-write&password=QuerySecret7&sslpassword=K3y",
    ),
    "postgres://fixg@db1/fixg?target_session_attrs=read-write&password=***&sslpassword=***",
  );
  assert.equal(redactUrl("postgres://db1/fixg?Password=X#frag"), "postgres://db1/fixg?Password=***#frag");
  assert.equal(
    redactUrl("postgres://db1/fixg?passfile=/etc/pgpass"),
    "postgres://db1/fixg?passfile=/etc/pgpass",
  );
});

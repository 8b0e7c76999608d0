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

Deno.test("redactUrl hides a password holding @ or / written unencoded, whole", () => {
  assert.equal(redactUrl("postgres://u:Pw@Secret4@127.0.0.1:1/db"), "postgres://u:***@127.0.0.1:1/db");
  assert.equal(redactUrl("postgres://u:Pw/Secret3@127.0.0.1:1/db"), "postgres://u:***@127.0.0.1:1/db");
  assert.equal(
    redactUrl("postgres://u:a@b@h1,h2/db?target_session_attrs=read-write"),
    "postgres://u:***@h1,h2/db?target_session_attrs=read-write",
  );
});

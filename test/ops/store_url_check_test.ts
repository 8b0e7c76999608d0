/**
 * store.url's hosts are checked with the config, as the PostgreSQL client splits them: a port that is
 * not one (99999, a word) passed `fixg config check` ('valid') and failed `fixg run` at start. Refused
 * naming the key and the port, never the URL (it may carry the password).
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/engine/config.ts";

const yaml = (url: string) => `store: { type: postgres, url: "${url}" }\n`;

Deno.test("store.url: each host's port is 1..65535; the URL is not echoed", () => {
  for (
    const [url, port] of [
      ["postgres://u:Secret-9@db:99999/fixg", "99999"],
      ["postgresql://u:Secret-9@db1:5432,db2:notaport/fixg", "notaport"],
      ["postgres://u:Secret-9@[::1]:0/fixg", "0"],
    ]
  ) {
    assert.throws(() => parseConfig(yaml(url!), "f.yaml", () => undefined), (e: Error) => {
      assert.equal(e.message, `f.yaml: store.url: "${port}" is not a port (1-65535)`);
      return true;
    });
  }
  for (
    const url of [
      "postgres://u:pw@db/fixg",
      "postgres://u:pw@db1:5432,db2:5433/fixg?target_session_attrs=read-write",
      "postgres://u@[::1]:5432/fixg",
      "postgres:///fixg",
      "postgres://u:p%40ss@db:6432/fixg",
    ]
  ) {
    assert.equal(parseConfig(yaml(url), "f.yaml", () => undefined).store.url, url);
  }
});

/**
 * `fixg sessions --session KEY --reset|--next-*-seq --json` prints its result object also when the claim
 * is refused (another library holds the session, or it runs an application inside the engine): a script
 * reading `result`/`code`/`reason` got nothing on stdout for those refusals, only for a refused command.
 */
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/engine/protocol.ts";
import { fixgOutput, spawnFixg, tempDir } from "../_helpers/mod.ts";

Deno.test("fixg sessions --reset --json on a session that cannot be claimed: the refused result on stdout, exit 1", async () => {
  await using dir = await tempDir("fixg-sessions-refused-");
  const socket = `${dir.path}/engine.sock`;
  const gw = spawnFixg([
    "run",
    "--acceptor",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--sender-comp-id",
    "A",
    "--target-comp-id",
    "B",
    "--app",
    "echo",
    "--store",
    "memory",
    "--engine-socket",
    socket,
  ]);
  try {
    await gw.until(() => /endpoint listening/.test(gw.text.err), "engine endpoint");
    for (const extra of [["--reset"], ["--next-target-seq", "5"]]) {
      const r = await fixgOutput([
        "sessions",
        "--engine",
        socket,
        "--session",
        "FIX.4.4:A->B",
        ...extra,
        "--json",
      ]);
      assert.equal(r.code, 1, r.stderr);
      const o = JSON.parse(r.stdout);
      assert.deepEqual(o, {
        session: "FIX.4.4:A->B",
        command: extra[0] === "--reset" ? "reset" : "set-seq",
        result: "refused",
        code: ErrorCode.APP_IN_ENGINE,
        reason: o.reason,
        nextSenderSeq: 1,
        nextTargetSeq: 1,
      });
      assert.match(o.reason, /runs an application inside the engine/);
      assert.match(r.stderr, /^fixg: (reset|set-seq) of FIX\.4\.4:A->B: claim refused: /);
    }
  } finally {
    await gw.stop();
  }
});

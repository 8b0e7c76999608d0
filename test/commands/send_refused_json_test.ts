/**
 * `fixg send --json` prints its send result line also when nothing could be sent: the session is not
 * logged on (NOT_LOGGED_ON) or cannot be claimed (another library holds it, or it runs an application
 * inside the engine). stdout was empty for those, so a script reading the result line found none.
 */
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/engine/protocol.ts";
import { fixgOutput, freePort, runArgs, spawnFixg, tempDir } from "../_helpers/mod.ts";

Deno.test("fixg send --json, not logged on or not claimable: a refused result line, exit 1", async () => {
  await using dir = await tempDir("fixg-send-refused-");
  const socket = `${dir.path}/engine.sock`;
  const port = freePort();
  const acceptor = spawnFixg([
    ...runArgs("acceptor", port, ["--app", "echo", "--store", "memory", "--engine-socket", socket]),
  ]);
  const key = "FIX.4.4:ISLD->TW";
  const order = "35=D|11=refused-1|55=EUR/USD|54=1|38=100|40=1|60=20260101-00:00:00";
  const send = () => fixgOutput(["send", "--engine", socket, "--session", key, "--json", order]);
  let initiator;
  try {
    await acceptor.until(() => /endpoint listening/.test(acceptor.text.err), "engine endpoint");
    const down = await send();
    assert.equal(down.code, 1, down.stderr);
    assert.deepEqual(JSON.parse(down.stdout), {
      event: "sent",
      msgType: "D",
      requestId: "refused-1",
      status: "refused",
      seq: 0,
      code: ErrorCode.NOT_LOGGED_ON,
      text: `${key} is not logged on (disconnected): nothing sent`,
      alreadySent: false,
    });
    assert.equal(down.stderr, `fixg: ${key} is not logged on (disconnected): nothing sent\n`);

    initiator = spawnFixg(runArgs("initiator", port, ["--store", "memory"]));
    await acceptor.until(() => /Logged on/.test(acceptor.text.err), "logged on");
    const app = await send();
    assert.equal(app.code, 1, app.stderr);
    const o = JSON.parse(app.stdout);
    assert.deepEqual([o.event, o.status, o.seq, o.code], ["sent", "refused", 0, ErrorCode.APP_IN_ENGINE]);
    assert.match(o.text, /runs an application inside the engine/);
    assert.match(app.stderr, /^fixg: claim of FIX\.4\.4:ISLD->TW refused: /);
  } finally {
    await initiator?.stop();
    await acceptor.stop();
  }
});

/**
 * Two `fixg run` processes hold a session over TCP: logon, heartbeats both ways (HeartBtInt 1 s),
 * then SIGTERM on the initiator logs out cleanly and both exit 0.
 */
import assert from "node:assert/strict";
import { freePort, runArgs, spawnFixg as fixg } from "../_helpers/mod.ts";

Deno.test("two fixg processes: logon, heartbeats both ways, clean stop with exit 0", async () => {
  const port = freePort();
  const acc = fixg(runArgs("acceptor", port, ["--app", "echo", "--store", "memory", "-v"]));
  await acc.waitText("listening", "acceptor listening");
  const ini = fixg(runArgs("initiator", port, ["--heartbeat", "1", "--store", "memory", "-v"]));
  try {
    // Waited for on the initiator's output (each chunk it prints), not by polling.
    await ini.until(
      () => (ini.text.err.match(/ out: 8=FIX\.4\.4\|9=\d+\|35=0\|/g) ?? []).length >= 2,
      "two heartbeats out from the initiator",
      5000,
    );
    await ini.until(
      () => (ini.text.err.match(/ in: 8=FIX\.4\.4\|9=\d+\|35=0\|/g) ?? []).length >= 2,
      "two heartbeats in from the acceptor",
      5000,
    );
  } finally {
    ini.child.kill("SIGTERM");
  }
  const iniStatus = await ini.child.status; // SIGTERM sent once, above
  await ini.done;
  assert.equal(iniStatus.code, 0, ini.text.err);
  assert.match(ini.text.err, /logout: Logout sent: Session stopped/);
  assert.match(ini.text.err, /Logout acknowledged/);
  const accStatus = await acc.stop();
  assert.equal(accStatus.code, 0, acc.text.err);
  assert.match(acc.text.err, /logout: Logout received/);
});

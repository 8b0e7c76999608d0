/** `fixg simulate-lp --admin-port` serves the same operations endpoint as `fixg run`. */
import assert from "node:assert/strict";
import { freePort, startSimulateLp } from "../_helpers/mod.ts";

Deno.test("simulate-lp --admin-port: health, metrics per session, operator actions refused without the token", async () => {
  const admin = freePort();
  const lp = await startSimulateLp(["--admin-port", String(admin), "--admin-token", "0123456789abcdef0123"]);
  try {
    const health = await fetch(`http://127.0.0.1:${admin}/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");
    const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`, {
      headers: { authorization: "Bearer 0123456789abcdef0123" },
    })).text();
    assert.match(metrics, /fixg_session_info\{session="FIX\.4\.4:LP->CLIENT",name="",role="acceptor"\} 1/);
    const refused = await fetch(`http://127.0.0.1:${admin}/kill-switch`, { method: "POST" });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const sessions = await fetch(`http://127.0.0.1:${admin}/sessions`, {
      headers: { authorization: "Bearer 0123456789abcdef0123" },
    });
    assert.equal(sessions.status, 200);
    assert.match(JSON.stringify(await sessions.json()), /LP->CLIENT/);
  } finally {
    const exit = await lp.stop();
    assert.equal(exit.code, 0, exit.stderr);
  }
});

Deno.test("simulate-lp: the admin token from FIXG_ADMIN_TOKEN (not on the command line, where ps shows it)", async () => {
  const admin = freePort();
  const token = "fromenv-0123456789abcdef";
  Deno.env.set("FIXG_ADMIN_TOKEN", token); // inherited by the child
  let lp;
  try {
    lp = await startSimulateLp(["--admin-port", String(admin)]);
  } finally {
    Deno.env.delete("FIXG_ADMIN_TOKEN");
  }
  try {
    const wrong = await fetch(`http://127.0.0.1:${admin}/sessions`, {
      headers: { authorization: "Bearer x" },
    });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    // Before: no token was configured, so operator endpoints refused every request.
    const sessions = await fetch(`http://127.0.0.1:${admin}/sessions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(sessions.status, 200);
    assert.match(JSON.stringify(await sessions.json()), /LP->CLIENT/);
  } finally {
    const exit = await lp.stop();
    assert.equal(exit.code, 0, exit.stderr);
  }
});

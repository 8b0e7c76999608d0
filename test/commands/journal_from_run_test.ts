/**
 * The journal tools on a real journal written by `fixg run`: two processes hold a journaled session with
 * an order echoed back, stop cleanly; then `fixg journal verify`, `inspect` and `stats` read the
 * initiator's journal. Timestamps vary per run, so the assertions are on structure and exact numbers.
 */
import assert from "node:assert/strict";
import { fixgOutput as fixgOut, freePort, runArgs, spawnFixg as spawn, tempDir } from "../_helpers/mod.ts";

Deno.test("fixg journal verify, inspect and stats read a journal that fixg run wrote", async () => {
  await using tmp = await tempDir("fixg-run-journal-"); // removed at the end, also when an assertion fails
  const dir = tmp.path;
  const port = freePort();
  const acc = spawn(runArgs("acceptor", port, ["--app", "echo", "--store", `${dir}/acceptor`]));
  await acc.waitText("listening", "acceptor listening");
  const ini = spawn(
    // -v: every message logged, so the heartbeats are waited for on stderr.
    runArgs("initiator", port, [
      "-v",
      "--heartbeat",
      "1",
      "--store",
      `${dir}/initiator`,
      "--fsync",
      "always",
    ]),
  );
  await ini.waitText("Logged on", "logon");
  // At least one heartbeat each way at HeartBtInt 1 (about a second), seen in the initiator's log.
  await ini.waitText(/ out: [^\n]*\|35=0\|/, "a heartbeat sent");
  await ini.waitText(/ in: [^\n]*\|35=0\|/, "a heartbeat received");
  assert.equal((await ini.stop()).code, 0, ini.text.err);
  assert.equal((await acc.stop()).code, 0, acc.text.err);

  const verify = await fixgOut(["journal", "verify", `${dir}/initiator`, "--json"]);
  assert.equal(verify.code, 0, verify.stdout);
  const report = JSON.parse(verify.stdout);
  assert.deepEqual(report.problems, []);
  assert.equal(report.sessions.length, 1);
  const s = report.sessions[0];
  assert.equal(s.key, "FIX.4.4:TW->ISLD");
  const epoch = s.epochs[0];
  assert.equal(epoch.out.first, 1);
  assert.equal(epoch.in.first, 1);
  assert.equal(s.nextSenderSeq, epoch.out.last + 1);
  assert.equal(s.nextTargetSeq, epoch.in.last + 1);

  const inspect = await fixgOut(["journal", "inspect", `${dir}/initiator`, "--type", "A,5", "--json"]);
  assert.equal(inspect.code, 0);
  const recs = inspect.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(recs.map((r) => `${r.direction}:${r.message.msgType}:${r.message.name}`), [
    "out:A:Logon",
    "in:A:Logon",
    "out:5:Logout",
    "in:5:Logout",
  ]);
  const heartBtInt = recs[0].message.fields.find((f: { tag: number }) => f.tag === 108);
  assert.deepEqual(heartBtInt, { tag: 108, name: "HeartBtInt", value: "1" });

  const stats = await fixgOut(["journal", "stats", `${dir}/initiator`]);
  assert.equal(stats.code, 0);
  assert.match(stats.stdout, /0\s+Heartbeat\s+\d+\s+\d+/);
  assert.match(stats.stdout, /A\s+Logon\s+1\s+1/);
});

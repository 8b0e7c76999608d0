/**
 * `schedule.days: []` names no weekday: the window would never open, and a session with it never logs on
 * (an acceptor refuses every Logon, an initiator never connects) while `fixg config check` said valid.
 * It is refused with the key; leaving `days` out means every day, `enabled: false` stops a session.
 */
import assert from "node:assert/strict";
import { checkSchedule } from "../../src/engine/schedule.ts";
import { fixgOutput, tempDir } from "../_helpers/mod.ts";

Deno.test("schedule.days: an empty list is refused (the window would never open); absent means every day", async () => {
  assert.throws(
    () => checkSchedule({ start: "08:00", end: "17:00", days: [] }, "s"),
    {
      message: "s.days: no weekday given, the window would never open " +
        "(leave days out for every day; enabled: false stops a session)",
    },
  );
  checkSchedule({ start: "08:00", end: "17:00" }, "s");
  await using dir = await tempDir("fixg-days-");
  const file = `${dir.path}/days.yaml`;
  await Deno.writeTextFile(
    file,
    `sessions:\n  - { role: acceptor, port: 9876, senderCompId: A, targetCompId: B, allowedAddresses: [127.0.0.1],\n` +
      `      schedule: { start: "08:00", end: "17:00", days: [] } }\n`,
  );
  const r = await fixgOutput(["config", "check", file]);
  assert.equal(r.code, 2, r.stdout);
  assert.equal(
    r.stderr,
    `fixg: ${file}: sessions[0].schedule.days: no weekday given, the window would never open ` +
      `(leave days out for every day; enabled: false stops a session)\n`,
  );
});

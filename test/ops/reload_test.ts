import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { ReloadTrigger } from "../../src/ops/reload.ts";
import { tempDir, waitFor } from "../_helpers/mod.ts";
import { LogCapture, newOrder, startReloadable } from "./helpers.ts";

function acceptorYaml(extra: { session?: string; top?: string } = {}): string {
  return `store: { type: memory }
log: { format: json${extra.top ?? ""} }
sessions:
  - role: acceptor
    port: 0
    bindHost: 127.0.0.1
    senderCompId: ISLD
    targetCompId: TW
    heartbeatIntervalSec: 30
${extra.session ?? ""}`;
}

async function setup(watch: boolean) {
  const logs = new LogCapture();
  const r = await startReloadable(acceptorYaml() + `reload: { watch: ${watch} }\n`, {
    prefix: "fixg-reload-",
    logger: logs.logger("info"),
  });
  return { ...r, logs };
}

Deno.test("hot reload changes a throttle mid-session; port changes need a restart; bad configs are rejected whole", async () => {
  const { file, gw, ops, logs, client, server, cleanup } = await setup(false);
  const port = gw.ports[0];
  for (const id of ["a1", "a2", "a3"]) client.send(newOrder(id));
  await waitFor(() => client.orders.open().length === 3, "three orders acknowledged before the throttle");

  await Deno.writeTextFile(
    file,
    acceptorYaml({ top: ", level: warn", session: "    throttle: { inboundPerSec: 1, inboundBurst: 1 }\n" })
      .replace("port: 0", "port: 9999") +
      "reload: { watch: false }\n",
  );
  const o = await ops.reload("test");
  assert.equal(o.ok, true, o.error);
  assert.deepEqual(o.applied, ["log: level", "sessions[0] (FIX.4.4:ISLD->TW): throttle"]);
  assert.deepEqual(o.needsRestart, ["sessions[0] (FIX.4.4:ISLD->TW): port changed"]);
  assert.equal(server.throttle.inboundPerSec, 1);
  assert.equal(gw.logger.level, "warn");
  assert.equal(gw.ports[0], port, "still listening where it was");
  assert.equal(server.loggedOn, true, "the session carried on");
  assert.equal(ops.config.sessions[0]!.port, 0, "the port in force is the old one");

  for (const id of ["b1", "b2", "b3"]) client.send(newOrder(id));
  await waitFor(() => (client.counters.inByType.get("j") ?? 0) === 2, "two BusinessMessageRejects");
  assert.equal(client.orders.open().length, 4, "one of the three got through");
  assert.equal(server.counters.throttledIn, 2);

  // A config with an unknown key: rejected whole, the throttle stays.
  await Deno.writeTextFile(
    file,
    acceptorYaml({ session: "    throttle: { inboundPerSec: 500 }\n    hartbeatIntervalSec: 5\n" }),
  );
  const bad = await ops.reload("test");
  assert.equal(bad.ok, false);
  assert.match(
    bad.error!,
    /fixg\.yaml: sessions\[0\]\.hartbeatIntervalSec: unknown key \(did you mean "heartbeatIntervalSec"\?\)/,
  );
  assert.equal(server.throttle.inboundPerSec, 1);

  // A config that parses but cannot be built (missing dictionary): rejected whole too.
  await Deno.writeTextFile(
    file,
    acceptorYaml({
      session: "    throttle: { inboundPerSec: 500 }\n    dictionary: /nonexistent/FIX44.xml\n",
    }),
  );
  const bad2 = await ops.reload("test");
  assert.equal(bad2.ok, false);
  assert.match(bad2.error!, /nonexistent\/FIX44\.xml/);
  assert.equal(server.throttle.inboundPerSec, 1);
  assert.equal(logs.grep(/"event":"reload-rejected"/).length, 2);

  // Disabling the session logs it out; enabling it again lets the client back in.
  await Deno.writeTextFile(file, acceptorYaml({ session: "    enabled: false\n" }));
  const off = await ops.reload("test");
  assert.deepEqual(off.applied, ["log: level", "sessions[0] (FIX.4.4:ISLD->TW): enabled, throttle"]);
  await waitFor(() => !server.connected, "disabled session logged out");
  assert.equal(server.throttle.inboundPerSec, undefined, "throttle removed with it");
  await cleanup();
});

Deno.test("hot reload on file change: the watcher applies a new throttle without a signal", async () => {
  const { file, logs, server, cleanup } = await setup(true);
  await Deno.writeTextFile(
    file,
    acceptorYaml({ session: "    throttle: { inboundPerSec: 100 }\n" }) + "reload: { watch: true }\n",
  );
  // The reload's own log line (written once the change is applied) is the event waited for.
  await logs.waitLine(/"event":"reload".*"trigger":"file change"/, "reload by the file watcher", 5000);
  assert.equal(server.throttle.inboundPerSec, 100);
  assert.ok(logs.grep(/"event":"reload".*"trigger":"file change"/).length >= 1);
  await cleanup();
});

Deno.test("ReloadTrigger: a burst of changes reloads once, debounce-ms after the last (manual scheduler); reloads never overlap", async () => {
  const clock = new ManualScheduler();
  const calls: string[] = [];
  let finish: (() => void) | undefined;
  const t = new ReloadTrigger((trigger) => {
    calls.push(trigger);
    return new Promise<void>((r) => (finish = r));
  }, clock);
  t.changed(250);
  clock.advance(200);
  t.changed(250); // a second change within the debounce: the wait starts again
  clock.advance(249);
  assert.deepEqual(calls, []);
  clock.advance(1);
  assert.deepEqual(calls, ["file change"]);
  // While that reload runs, a signal and a change: one more reload afterwards, not two at once.
  t.fire("SIGHUP");
  t.changed(250);
  clock.advance(250);
  assert.deepEqual(calls, ["file change"]);
  finish!();
  await waitFor(() => calls.length === 2, "the reload queued behind the running one");
  assert.deepEqual(calls, ["file change", "file change"]);
  finish!();
  t.changed(250);
  t.stop();
  assert.equal(clock.pendingCount, 0, "stop cancels the debounce");
  clock.advance(1000);
  assert.equal(calls.length, 2);
});

Deno.test("ReloadTrigger.watch: a write to the watched file arms the debounce, which fires on the scheduler", async () => {
  await using tmp = await tempDir("fixg-reload-watch-");
  const file = `${tmp.path}/fixg.yaml`;
  await Deno.writeTextFile(file, "a: 1\n");
  const clock = new ManualScheduler();
  const calls: string[] = [];
  const t = new ReloadTrigger((trigger) => {
    calls.push(trigger);
    return Promise.resolve();
  }, clock);
  t.watch([file], 250);
  try {
    await Deno.writeTextFile(`${tmp.path}/other.yaml`, "b: 2\n"); // not watched: filtered by name
    await Deno.writeTextFile(file, "a: 2\n");
    // The file system's event arms the debounce timer (the event waited for; no sleep).
    await waitFor(() => clock.pendingCount > 0, "the watcher's event");
    assert.deepEqual(calls, []);
    clock.advance(250);
    assert.deepEqual(calls, ["file change"]);
  } finally {
    t.stop();
  }
});

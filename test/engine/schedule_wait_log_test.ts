/**
 * An initiator started outside its schedule window says so once, with the time it will connect: before,
 * `fixg run` printed nothing about it (the acceptor side logs each refused Logon), so an operator starting
 * a gateway at night saw a silent session until the window opened. On the gateway's ManualScheduler.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { LogCapture } from "../ops/helpers.ts";

/** HH:MM:SS (UTC) of a time. */
const timeOfDay = (ms: number) => new Date(ms).toISOString().slice(11, 19);
/** Settles the promise jobs and I/O callbacks already due, without waiting on time. */
const turn = () => new Promise<void>((r) => queueMicrotask(() => setTimeout(r, 0)));

Deno.test("an initiator outside its schedule window logs once when it will connect, and connects then", async () => {
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  const clock = new ManualScheduler(t0);
  const logs = new LogCapture();
  const gw = new Gateway({
    store: new MemoryMessageStore(),
    app: {},
    logger: logs.logger("info", "text"),
    scheduler: clock,
  });
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const opens = t0 + 3 * 60_000;
  gw.addInitiator({
    config: {
      ...DEFAULT_SESSION_SETTINGS,
      id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
      role: "initiator",
    },
    hosts: [{ host: "127.0.0.1", port }],
    reconnect: { initialMs: 100, maxMs: 100, factor: 1, jitter: 0, attempts: 0 },
    schedule: { start: timeOfDay(opens), end: timeOfDay(opens + 3_600_000) },
  });
  await gw.start();
  const line = `outside its schedule window: not connecting until ${new Date(opens).toISOString()}`;
  await logs.waitLine(new RegExp(line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "the wait line");
  // Minutes pass in the closed window (the loop looks again every minute): said once.
  for (let i = 0; i < 2; i++) {
    clock.advance(60_000);
    for (let j = 0; j < 3; j++) await turn();
  }
  assert.equal(logs.grep(/outside its schedule window/).length, 1, logs.grep(/schedule/).join("\n"));
  assert.equal(logs.grep(/connect-failed/).length, 0, "no connection outside the window");
  clock.advanceTo(opens);
  await logs.waitLine(/connect-failed/, "the first connection attempt in the window");
  await gw.stop();
  assert.equal(clock.pendingCount, 0);
});

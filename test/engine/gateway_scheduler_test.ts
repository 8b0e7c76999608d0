/**
 * The gateway on a ManualScheduler (issue 16): reconnect backoff, a schedule window's end and the next
 * window's start move only when the test moves time; `stop()` leaves no timer behind and closes the
 * per-session log files. Loopback sockets only; no sleeps decide anything (waits are on events).
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { echoApp } from "../../src/engine/apps/echo.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { SessionLogFiles } from "../../src/engine/log_files.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { LogCapture } from "../ops/helpers.ts";
import { frame, RawClient, typeOf, waitFor } from "./helpers.ts";

function config(role: "acceptor" | "initiator", sender: string, target: string): SessionConfig {
  return {
    ...DEFAULT_SESSION_SETTINGS,
    id: { beginString: "FIX.4.4", senderCompId: sender, targetCompId: target },
    role,
  };
}

/** A port nothing listens on (bound, then closed). */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Settles the promise jobs and I/O callbacks already due (one macrotask turn), without waiting on time. */
const turn = () => new Promise<void>((r) => queueMicrotask(() => setTimeout(r, 0)));

Deno.test("reconnect backoff runs on the gateway's scheduler: no attempt until time moves, delays exact; stop leaves no timer", async () => {
  const clock = new ManualScheduler(Date.now());
  const logs = new LogCapture();
  const gw = new Gateway({
    store: new MemoryMessageStore(),
    app: {},
    logger: logs.logger("info", "text"),
    scheduler: clock,
    random: () => 0.5, // no jitter
  });
  gw.addInitiator({
    config: config("initiator", "TW", "ISLD"),
    hosts: [{ host: "127.0.0.1", port: closedPort() }],
    reconnect: { initialMs: 100, maxMs: 500, factor: 2, jitter: 0.2, attempts: 0 },
  });
  await gw.start();
  const key = "FIX.4.4:TW->ISLD";
  const runner = gw.runner(key)!;
  const waits = () => logs.grep(/reconnect-wait/).map((l) => /reconnecting in (\d+) ms/.exec(l)![1]);
  await logs.waitLine(/reconnecting in 200 ms \(attempt 2\)/, "the first wait");
  // Time has not moved: however long the test waits, no second attempt is made.
  for (let i = 0; i < 5; i++) await turn();
  assert.equal(logs.grep(/connect-failed/).length, 1);
  assert.equal(runner.counters.reconnects, 0);
  clock.advance(199);
  for (let i = 0; i < 3; i++) await turn();
  assert.equal(runner.counters.reconnects, 0, "not before its delay");
  clock.advance(1);
  await logs.waitLine(/reconnecting in 400 ms/, "the second wait");
  assert.equal(runner.counters.reconnects, 1);
  assert.equal(logs.grep(/connect-failed/).length, 2);
  clock.advance(400);
  await logs.waitLine(/reconnecting in 500 ms/, "the third wait (capped at maxMs)");
  clock.advance(500);
  await waitFor(() => waits().length === 4, "the fourth wait");
  assert.deepEqual(waits(), ["200", "400", "500", "500"]);
  assert.equal(runner.counters.reconnects, 3);
  await gw.stop();
  assert.equal(clock.pendingCount, 0, "every timer of the gateway and its sessions cancelled");
});

/** HH:MM:SS (UTC) of a time. */
function timeOfDay(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

Deno.test("schedule on the gateway's scheduler: the window's end logs the session out, the next window's start resets its numbers", async () => {
  // Whole seconds, so that the window's edges fall on the gateway's one-second schedule checks.
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  const clock = new ManualScheduler(t0);
  const logs = new LogCapture();
  const gw = new Gateway({
    store: new MemoryMessageStore(),
    app: echoApp(),
    logger: logs.logger("info", "text"),
    scheduler: clock,
  });
  // A daily window that closes in 5 s and opens again 5 s later (it runs past midnight: 24 h less 5 s).
  gw.addAcceptor({
    host: "127.0.0.1",
    port: 0,
    sessions: [{
      config: config("acceptor", "ISLD", "TW"),
      schedule: { start: timeOfDay(t0 + 10_000), end: timeOfDay(t0 + 5000) },
    }],
  });
  await gw.start();
  const key = "FIX.4.4:ISLD->TW";
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(frame("FIX.4.4", "A", "49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=30|"));
  await waitFor(() => c.frames.length === 1, "logon reply");
  assert.equal(typeOf(c.frames[0]!), "A");
  assert.equal(gw.sessionStatus(key)!.inWindow, true);

  clock.advance(4000); // the window's last check: still in ([start, end): the end is outside)
  for (let i = 0; i < 3; i++) await turn();
  assert.equal(c.frames.length, 1, "nothing sent before the end");
  clock.advance(1000); // the check at the end
  await waitFor(() => c.frames.length === 2, "the Logout");
  assert.match(c.frames[1]!, /\|35=5\|34=2\|.*\|58=End of session window\|/);
  await c.send(frame("FIX.4.4", "5", "49=TW|56=ISLD|34=2|52=<TIME>|"));
  await c.finished();
  await waitFor(() => !gw.runner(key)!.connected, "the session disconnected");
  assert.equal(gw.sessionStatus(key)!.inWindow, false);
  assert.equal(gw.sessionStatus(key)!.nextSenderSeq, 3);
  assert.equal(gw.sessionStatus(key)!.nextTargetSeq, 3);

  // Outside the window a Logon is refused without a byte.
  const late = await RawClient.connect(gw.ports[0]!);
  await late.send(frame("FIX.4.4", "A", "49=TW|56=ISLD|34=3|52=<TIME>|98=0|108=30|"));
  await late.finished();
  assert.equal(late.bytesReceived, 0);
  assert.equal(gw.refusals().get("schedule"), 1);

  // The next window opens 10 s after t0: numbers reset at its first check, not before.
  const nextStart = t0 + 10_000;
  clock.advanceTo(nextStart - 1000);
  assert.equal(gw.sessionStatus(key)!.nextSenderSeq, 3);
  clock.advanceTo(nextStart);
  assert.equal(gw.sessionStatus(key)!.inWindow, true);
  assert.equal(gw.sessionStatus(key)!.nextSenderSeq, 1);
  assert.equal(gw.sessionStatus(key)!.nextTargetSeq, 1);
  assert.equal(logs.grep(/new session window: sequence numbers reset/).length, 1);

  await gw.stop();
  assert.equal(clock.pendingCount, 0, "no timer left after stop");
});

/** Files under `dir` this process has open (from /proc/self/fd). */
function openIn(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      const target = Deno.readLinkSync(`/proc/self/fd/${e.name}`);
      if (target.startsWith(dir + "/")) out.push(target);
    } catch {
      // closed meanwhile (the directory listing's own descriptor)
    }
  }
  return out.sort();
}

Deno.test("stop() closes the per-session log files the gateway's sessions wrote (log.dir)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-gw-logfiles-" });
  try {
    const files = new SessionLogFiles({ dir, rotateBytes: 1 << 20, rotateDaily: false, keepFiles: 2 });
    const logger = new Logger({ level: "error", files });
    const gw = new Gateway({ store: new MemoryMessageStore(), app: echoApp(), logger });
    gw.addAcceptor({ host: "127.0.0.1", port: 0, sessions: [{ config: config("acceptor", "ISLD", "TW") }] });
    await gw.start();
    const c = await RawClient.connect(gw.ports[0]!);
    await c.send(frame("FIX.4.4", "A", "49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=30|"));
    await waitFor(() => c.frames.length === 1, "logon reply");
    assert.ok(Deno.readTextFileSync(files.paths("FIX.4.4:ISLD->TW").messages).includes("35=A"));
    assert.equal(openIn(dir).length, 2, "the session's messages and events logs are open");
    // The peer goes first (stop() need not wait for its Logout); the files stay open until stop().
    c.close();
    await c.finished();
    await waitFor(() => !gw.runner("FIX.4.4:ISLD->TW")!.connected, "the session disconnected");
    assert.equal(openIn(dir).length, 2, "still open after the disconnect");
    await gw.stop();
    assert.deepEqual(openIn(dir), [], "both log files closed by stop()");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the older clock option: a Scheduler given as clock is the gateway's scheduler; a bare clock gives the time only", () => {
  const manual = new ManualScheduler(1_000);
  const a = new Gateway({ store: new MemoryMessageStore(), app: {}, clock: manual });
  assert.equal(a.scheduler, manual);
  const b = new Gateway({ store: new MemoryMessageStore(), app: {}, clock: { nowMs: () => 42 } });
  assert.equal(b.scheduler.nowMs(), 42);
  assert.equal(b.startedAtMs, 42);
  const timer = b.scheduler.after(60_000, () => {}); // the system's timers
  timer.cancel();
});

Deno.test("logon timeout on the gateway's scheduler: a silent connection is closed when time reaches limits.logonTimeoutMs, not before", async () => {
  const clock = new ManualScheduler(Date.now());
  const gw = new Gateway({
    store: new MemoryMessageStore(),
    app: {},
    logger: new Logger({ level: "error" }),
    scheduler: clock,
    limits: { logonTimeoutMs: 2000 },
  });
  gw.addAcceptor({ host: "127.0.0.1", port: 0, sessions: [{ config: config("acceptor", "ISLD", "TW") }] });
  await gw.start();
  const c = await RawClient.connect(gw.ports[0]!);
  await waitFor(() => gw.preLogonConnections === 1, "the connection accepted");
  clock.advance(1999);
  for (let i = 0; i < 3; i++) await turn();
  assert.equal(c.closed, false);
  assert.equal(gw.preLogonConnections, 1);
  clock.advance(1);
  await c.finished();
  assert.equal(c.bytesReceived, 0);
  await waitFor(() => gw.preLogonConnections === 0, "the slot released");
  assert.equal(gw.refusals().get("timeout"), 1);
  await gw.stop();
  assert.equal(clock.pendingCount, 0);
});

Deno.test("initiator failover: the first host refuses, the next one is tried after the backoff (scheduler time) and logs on", async () => {
  const acceptor = new Gateway({
    store: new MemoryMessageStore(),
    app: echoApp(),
    logger: new Logger({ level: "error" }),
  });
  acceptor.addAcceptor({
    host: "127.0.0.1",
    port: 0,
    sessions: [{ config: config("acceptor", "ISLD", "TW") }],
  });
  await acceptor.start();
  const clock = new ManualScheduler(Date.now());
  const logs = new LogCapture();
  const gw = new Gateway({
    store: new MemoryMessageStore(),
    app: {},
    logger: logs.logger("info", "text"),
    scheduler: clock,
    random: () => 0.5,
  });
  const down = closedPort();
  gw.addInitiator({
    config: config("initiator", "TW", "ISLD"),
    hosts: [{ host: "127.0.0.1", port: down }, { host: "127.0.0.1", port: acceptor.ports[0]! }],
    reconnect: { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0.2, attempts: 0 },
  });
  await gw.start();
  await logs.waitLine(/reconnecting in 2000 ms/, "the wait after the first host");
  assert.equal(logs.grep(new RegExp(`connect-failed: 127\\.0\\.0\\.1:${down}`)).length, 1);
  assert.equal(gw.runner("FIX.4.4:TW->ISLD")!.loggedOn, false);
  clock.advance(2000);
  await waitFor(() => gw.runner("FIX.4.4:TW->ISLD")!.loggedOn, "logged on at the second host");
  assert.equal(logs.grep(new RegExp(`connected to 127\\.0\\.0\\.1:${acceptor.ports[0]}`)).length, 1);
  await gw.stop();
  await acceptor.stop();
  assert.equal(clock.pendingCount, 0);
});

/**
 * The schedule's sequence reset (QuickFIX's rule: a session whose numbers were created before its current
 * window opened starts that window at 1), on a ManualScheduler: the window's open with the gateway
 * started before it, the process down at the reset time, a restart in the middle of the window (numbers
 * kept), back-to-back windows while logged on (acceptor), and an initiator's first Logon of a new
 * window. Loopback sockets only; time moves only when the test moves it.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { Framer, toReadable } from "../../src/codec/mod.ts";
import { echoApp } from "../../src/engine/apps/echo.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import type { Schedule } from "../../src/engine/schedule.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { LogCapture } from "../ops/helpers.ts";
import { frame, RawClient, typeOf, waitFor } from "./helpers.ts";

const KEY = "FIX.4.4:ISLD->TW";
const HOUR = 3_600_000;

function config(role: "acceptor" | "initiator", sender: string, target: string): SessionConfig {
  return {
    ...DEFAULT_SESSION_SETTINGS,
    id: { beginString: "FIX.4.4", senderCompId: sender, targetCompId: target },
    role,
  };
}

/** HH:MM:SS (UTC) of a time. */
function timeOfDay(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** The daily window from `t0` + `fromMs` to `t0` + `toMs` (times of day, UTC). */
function daily(t0: number, fromMs: number, toMs: number): Schedule {
  return { start: timeOfDay(t0 + fromMs), end: timeOfDay(t0 + toMs) };
}

/** Settles the promise jobs and I/O callbacks already due (one macrotask turn), without waiting on time. */
const turn = () => new Promise<void>((r) => queueMicrotask(() => setTimeout(r, 0)));
/** Three turns: what the last move of the clock made due has run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await turn();
}

/** How many times the schedule's reset was logged. */
const resets = (logs: LogCapture) => logs.grep(/new session window: sequence numbers reset/).length;

/** A memory store holding session `key` with numbers 5 out / 7 in, its epoch created at `createdMs`. */
async function storeWithHistory(key: string, createdMs: number): Promise<MemoryMessageStore> {
  const store = new MemoryMessageStore();
  const s = await store.openSession(key, createdMs);
  for (let seq = 1; seq <= 4; seq++) s.appendOutbound(seq, frame("FIX.4.4", "0", `34=${seq}|`));
  for (let seq = 1; seq <= 6; seq++) s.appendInbound(seq, new Uint8Array(0));
  assert.deepEqual(s.seqNums(), { nextSenderSeq: 5, nextTargetSeq: 7 });
  await s.close();
  return store;
}

async function acceptorGateway(
  t0: number,
  store: MemoryMessageStore,
  schedule: Schedule,
): Promise<{ gw: Gateway; clock: ManualScheduler; logs: LogCapture }> {
  const clock = new ManualScheduler(t0);
  const logs = new LogCapture();
  const gw = new Gateway({ store, app: echoApp(), logger: logs.logger("info", "text"), scheduler: clock });
  gw.addAcceptor({
    host: "127.0.0.1",
    port: 0,
    sessions: [{ config: config("acceptor", "ISLD", "TW"), schedule }],
  });
  await gw.start();
  return { gw, clock, logs };
}

/** Raw clients of the running test: closed before the gateway stops (a failed test leaves no session logged on). */
const clients: RawClient[] = [];
async function connect(gw: Gateway): Promise<RawClient> {
  const c = await RawClient.connect(gw.ports[0]!);
  clients.push(c);
  return c;
}
/** A connection of TW that has sent its Logon (34=`seq`) and read the reply. */
async function logOn(gw: Gateway, seq = 1): Promise<RawClient> {
  const c = await connect(gw);
  await c.send(frame("FIX.4.4", "A", `49=TW|56=ISLD|34=${seq}|52=<TIME>|98=0|108=30|`));
  await waitFor(() => c.frames.length === 1, "logon reply");
  return c;
}
async function stop(gw: Gateway): Promise<void> {
  for (const c of clients.splice(0)) {
    c.close();
    await c.finished();
  }
  await gw.stop();
}

function seqs(gw: Gateway): [number, number] {
  const s = gw.sessionStatus(KEY)!;
  return [s.nextSenderSeq, s.nextTargetSeq];
}

Deno.test("schedule reset: a gateway started before the window opens resets the numbers of the previous window at the open", async () => {
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  // Yesterday's session: numbers 5/7. Today's window opens 10 s after the start, for 10 s.
  const store = await storeWithHistory(KEY, t0 - 3 * HOUR);
  const { gw, clock, logs } = await acceptorGateway(t0, store, daily(t0, 10_000, 20_000));
  try {
    assert.equal(gw.sessionStatus(KEY)!.inWindow, false);
    clock.advanceTo(t0 + 9000);
    assert.deepEqual(seqs(gw), [5, 7], "outside the window nothing changes");
    clock.advanceTo(t0 + 10_000);
    await waitFor(() => seqs(gw)[0] === 1, "the reset at the window's open");
    assert.deepEqual(seqs(gw), [1, 1]);
    assert.equal(resets(logs), 1);
    // Once per window: later checks of the same window leave the numbers alone.
    const c = await logOn(gw);
    assert.match(c.frames[0]!, /\|35=A\|34=1\|/);
    clock.advanceTo(t0 + 15_000);
    await settle();
    assert.deepEqual(seqs(gw), [2, 2]);
    assert.equal(resets(logs), 1);
  } finally {
    await stop(gw);
  }
});

Deno.test("schedule reset: down at the reset time, the session starts today's window at 1 (its first Logon in, before any check)", async () => {
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  // The numbers date from two days ago; today's window opened a minute ago; the process was down then.
  const store = await storeWithHistory(KEY, t0 - 48 * HOUR);
  const { gw, logs } = await acceptorGateway(t0, store, daily(t0, -60_000, 60_000));
  try {
    // The counterparty reset at the window's open: its Logon is 34=1. No schedule check has run yet.
    const c = await logOn(gw);
    assert.equal(typeOf(c.frames[0]!), "A", c.frames[0]);
    assert.match(c.frames[0]!, /\|35=A\|34=1\|/);
    assert.deepEqual(seqs(gw), [2, 2]);
    assert.equal(resets(logs), 1);
  } finally {
    await stop(gw);
  }
});

Deno.test("schedule reset: restarted in the middle of the window, the session keeps its numbers", async () => {
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  // The epoch began inside today's window (which opened a minute ago): no reset, now or at later checks.
  const store = await storeWithHistory(KEY, t0 - 30_000);
  const { gw, clock, logs } = await acceptorGateway(t0, store, daily(t0, -60_000, 60_000));
  try {
    const c = await logOn(gw, 7);
    assert.match(c.frames[0]!, /\|35=A\|34=5\|/);
    clock.advanceTo(t0 + 5000);
    await settle();
    assert.deepEqual(seqs(gw), [6, 8]);
    assert.equal(logs.grep(/sequence numbers reset/).length, 0);
  } finally {
    await stop(gw);
  }
});

Deno.test("schedule reset: back-to-back windows (24 h daily) while logged on: Logout at the boundary, then the numbers reset", async () => {
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  // start == end: each window lasts 24 h and the next opens as it closes, 5 s after t0.
  const { gw, clock, logs } = await acceptorGateway(t0, new MemoryMessageStore(), daily(t0, 5000, 5000));
  try {
    const c = await logOn(gw);
    clock.advanceTo(t0 + 4000);
    await settle();
    assert.equal(c.frames.length, 1, "nothing before the boundary");
    clock.advanceTo(t0 + 5000);
    await waitFor(() => c.frames.length === 2, "the Logout at the boundary");
    assert.match(c.frames[1]!, /\|35=5\|34=2\|.*\|58=New session window\|/);
    await c.send(frame("FIX.4.4", "5", "49=TW|56=ISLD|34=2|52=<TIME>|"));
    await c.finished();
    await waitFor(() => !gw.runner(KEY)!.connected, "the session disconnected");
    clock.advanceTo(t0 + 6000);
    await waitFor(() => seqs(gw)[0] === 1, "the reset after the disconnect");
    assert.deepEqual(seqs(gw), [1, 1]);
    assert.equal(resets(logs), 1);
    // The new window's first Logon is 1 both ways.
    const d = await logOn(gw);
    assert.match(d.frames[0]!, /\|35=A\|34=1\|/);
  } finally {
    await stop(gw);
  }
});

Deno.test("schedule reset: an initiator whose numbers predate the window sends its first Logon of the window with 34=1", async () => {
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  const key = "FIX.4.4:TW->ISLD";
  const store = await storeWithHistory(key, t0 - 48 * HOUR);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const clock = new ManualScheduler(t0);
  const logs = new LogCapture();
  const gw = new Gateway({ store, app: {}, logger: logs.logger("info", "text"), scheduler: clock });
  gw.addInitiator({
    config: config("initiator", "TW", "ISLD"),
    hosts: [{ host: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }],
    schedule: daily(t0, -60_000, 60_000),
  });
  try {
    await gw.start();
    const conn = await listener.accept();
    const frames: string[] = [];
    const framer = new Framer({
      onFrame: (b, s, e) => frames.push(toReadable(b, s, e)),
      onGarbled: () => {},
    });
    const buf = new Uint8Array(4096);
    while (frames.length === 0) {
      const n = await conn.read(buf);
      if (n === null) break;
      framer.push(buf.subarray(0, n));
    }
    assert.equal(frames.length, 1);
    assert.match(frames[0]!, /\|35=A\|34=1\|/);
    assert.equal(resets(logs), 1);
    conn.close();
  } finally {
    listener.close();
    await gw.stop();
  }
});

Deno.test("schedule reset: a reload that moves the window's start past the numbers' creation resets nothing in that window", async () => {
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  const spec = {
    config: config("acceptor", "ISLD", "TW"),
    schedule: daily(t0, -60_000, 60_000),
  };
  const { gw, clock, logs } = await acceptorGateway(t0, new MemoryMessageStore(), spec.schedule);
  try {
    const c = await logOn(gw);
    clock.advanceTo(t0 + 10_000);
    // Today's window now opens at t0 + 5 s, after the numbers were created (t0): the counterparty's did not
    // move, so neither do ours (no Logout, no reset) until the next window.
    assert.equal(
      gw.updateSession({ ...spec, schedule: daily(t0, 5000, 60_000) }),
      true,
    );
    clock.advanceTo(t0 + 13_000);
    await settle();
    assert.equal(c.frames.length, 1, "no Logout");
    assert.deepEqual(seqs(gw), [2, 2]);
    assert.equal(logs.grep(/sequence numbers reset/).length, 0);
  } finally {
    await stop(gw);
  }
});

Deno.test("schedule reset: two Logons at once while the reset is due: one session logs on at 1, the other connection is refused", async () => {
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  const store = await storeWithHistory(KEY, t0 - 48 * HOUR);
  const { gw, logs } = await acceptorGateway(t0, store, daily(t0, -60_000, 60_000));
  try {
    const a = await connect(gw), b = await connect(gw);
    const logon = frame("FIX.4.4", "A", "49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=30|");
    await Promise.all([a.send(logon), b.send(logon)]);
    await waitFor(
      () => (a.frames.length === 1 || a.closed) && (b.frames.length === 1 || b.closed),
      "both answered",
    );
    const answered = [a, b].filter((c) => c.frames.length === 1);
    assert.equal(answered.length, 1, "one connection logged on");
    assert.match(answered[0]!.frames[0]!, /\|35=A\|34=1\|/);
    await waitFor(() => [a, b].some((c) => c.closed), "the other connection closed");
    assert.equal(gw.refusals().get("already-logged-on"), 1);
    assert.equal(resets(logs), 1);
  } finally {
    await stop(gw);
  }
});

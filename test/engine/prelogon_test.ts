/**
 * Hostile peers before logon (issue 14): nothing is created for an unauthenticated peer, pre-logon
 * connections are bounded and timed out, peer values are escaped in log lines, HeartBtInt is bounded.
 */
import assert from "node:assert/strict";
import { gatewayRegistry } from "../../src/ops/metrics.ts";
import { hashPassword } from "../../src/engine/auth/password.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { MessageStore, SessionStore } from "../../src/store/types.ts";
import { LogCapture, startGateway } from "../ops/helpers.ts";
import { frame, RawClient, waitFor } from "./helpers.ts";

const PASSWORD = "right-Pa55word";

function logon(sender: string, target: string, extra = "", hb = 30): Uint8Array {
  return frame("FIX.4.4", "A", `49=${sender}|56=${target}|34=1|52=<TIME>|98=0|108=${hb}|${extra}`);
}

/** A store that records every session it is asked to open (what a journal would write). */
class RecordingStore implements MessageStore {
  readonly opened: string[] = [];
  readonly #inner = new MemoryMessageStore();
  openSession(key: string, nowMs: number): Promise<SessionStore> {
    this.opened.push(key);
    return this.#inner.openSession(key, nowMs);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

function sessionLines(metrics: string): string[] {
  return metrics.split("\n").filter((l) => l.includes('session="'));
}

Deno.test("wrong-password Logons on a '*' template create, register, count and journal nothing; refusals counted in aggregate", async () => {
  const hash = await hashPassword(PASSWORD, 1000);
  const store = new RecordingStore();
  const logs = new LogCapture();
  const { gw } = await startGateway(
    `store: { type: memory }
users:
  alice: { passwordHash: "${hash}" }
sessions:
  - { role: acceptor, port: 0, bindHost: "::", senderCompId: ISLD, targetCompId: TW, authentication: users }
  - { role: acceptor, port: 0, bindHost: "::", senderCompId: ISLD, targetCompId: "*", authentication: users }
`,
    { store, logger: logs.logger("info") },
  );
  try {
    const port = gw.ports[0]!;
    const reg = gatewayRegistry(gw);
    const before = {
      sessions: gw.runners().length,
      lines: sessionLines(reg.render()),
      opened: store.opened.length,
    };
    for (let i = 0; i < 8; i++) {
      const c = await RawClient.connect(port);
      await c.send(logon(`ATTACKER${i}`, "ISLD", `553=alice|554=wrong${i}`));
      await c.finished();
      assert.equal(c.bytesReceived, 0, "refused without a byte");
    }
    assert.equal(gw.runners().length, before.sessions);
    assert.equal(store.opened.length, before.opened, `journal opened ${store.opened.slice(before.opened)}`);
    assert.deepEqual(sessionLines(reg.render()), before.lines);
    // Three failures are free, the fourth is hashed and earns a penalty: the rest are refused unhashed.
    assert.match(reg.render(), /^fixg_prelogon_refused_total\{reason="authentication"\} 4$/m);
    assert.match(reg.render(), /^fixg_prelogon_refused_total\{reason="throttled"\} 4$/m);
    assert.equal(logs.grep(/session-created/).length, 0);
    // The right password, from an address that is not being refused (IPv6 loopback), creates the session.
    const ok = await timedLogon("::1", port, logon("GOOD", "ISLD", `553=alice|554=${PASSWORD}`));
    assert.equal(ok.answered, true);
    assert.equal(gw.runners().length, before.sessions + 1);
    assert.deepEqual(store.opened.slice(before.opened), ["FIX.4.4:ISLD->GOOD"]);
  } finally {
    await gw.stop();
  }
});

Deno.test("text log: a newline or ANSI escape a peer sends in SenderCompID or MsgType is escaped, never a forged line", async () => {
  const logs = new LogCapture();
  const { gw } = await startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
`,
    { logger: logs.logger("info", "text") },
  );
  try {
    const port = gw.ports[0]!;
    const forged = "X\n2026-01-01T00:00:00.000Z ERROR - kill-switch: ENGAGED (forged)";
    const a = await RawClient.connect(port);
    await a.send(logon(forged, "ISLD"));
    await a.finished();
    const b = await RawClient.connect(port);
    await b.send(frame("FIX.4.4", "D\x1b[31mRED\r", "49=TW|56=ISLD|34=1|52=<TIME>"));
    await b.finished();
    await waitFor(() => logs.grep(/logon-refused/).length === 2, "two refusals");
    for (const l of logs.lines) {
      // deno-lint-ignore no-control-regex
      assert.equal(/[\x00-\x1f\x7f]/.test(l), false, `control character in ${JSON.stringify(l)}`);
    }
    assert.equal(logs.grep(/^2026-01-01T00:00:00.000Z ERROR/).length, 0);
    const [unknown, notLogon] = logs.grep(/logon-refused/);
    assert.match(
      unknown!,
      /unknown session FIX\.4\.4:ISLD->X\\n2026-01-01T00:00:00\.000Z ERROR - kill-switch: ENGAGED \(forged\) \(from/,
    );
    assert.match(notLogon!, /first message is MsgType D\\x1b\[31mRED\\r, not Logon/);
  } finally {
    await gw.stop();
  }
});

Deno.test("a peer's HeartBtInt above maxHeartBtIntSec (default 3600) is refused with the reason; at the maximum it logs on", async () => {
  const logs = new LogCapture();
  const { gw } = await startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW2, maxHeartBtIntSec: 60 }
`,
    { logger: logs.logger("info") },
  );
  try {
    const port = gw.ports[0]!;
    for (const [who, hb] of [["TW", 99_999_999_999], ["TW", 3601], ["TW2", 61]] as const) {
      const c = await RawClient.connect(port);
      await c.send(logon(who, "ISLD", "", hb));
      await c.finished();
      assert.equal(c.bytesReceived, 0);
    }
    const msgs = logs.grep(/logon-refused/).map((l) => JSON.parse(l).msg as string);
    assert.equal(msgs.length, 3);
    assert.match(msgs[0]!, /^HeartBtInt \(108\) 99999999999 s is above the maximum 3600 s \(from/);
    assert.match(msgs[1]!, /^HeartBtInt \(108\) 3601 s is above the maximum 3600 s \(from/);
    assert.match(msgs[2]!, /^HeartBtInt \(108\) 61 s is above the maximum 60 s \(from/);
    assert.equal(gw.runner("FIX.4.4:ISLD->TW")!.counters.logonsRefused, 2);
    assert.equal(gw.refusals().get("heartbeat"), 3);
    const ok = await RawClient.connect(port);
    await ok.send(logon("TW2", "ISLD", "", 60));
    await waitFor(() => ok.frames.length === 1, "logon reply");
    assert.match(ok.frames[0]!, /\|108=60\|/);
    ok.close();
  } finally {
    await gw.stop();
  }
});

Deno.test("connections that have not logged on are capped per address and in total, counted in /metrics, and closed after limits.logonTimeoutSec", async () => {
  const logs = new LogCapture();
  const { gw } = await startGateway(
    `store: { type: memory }
limits: { maxPendingPerAddress: 3, maxPendingConnections: 10, logonTimeoutSec: 0.3 }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
`,
    { logger: logs.logger("info") },
  );
  const idle: RawClient[] = [];
  try {
    const port = gw.ports[0]!;
    const reg = gatewayRegistry(gw);
    for (let i = 0; i < 5; i++) idle.push(await RawClient.connect(port));
    await waitFor(() => idle.filter((c) => c.closed).length === 2, "the 4th and 5th closed at once");
    assert.deepEqual(idle.map((c) => c.closed), [false, false, false, true, true]);
    assert.equal(gw.preLogonConnections, 3);
    assert.match(reg.render(), /^fixg_prelogon_connections 3$/m);
    assert.match(reg.render(), /^fixg_prelogon_refused_total\{reason="limit"\} 2$/m);
    assert.equal(
      logs.grep(/too many connections not logged on \(limits\.maxPendingConnections 10, per address 3\)/)
        .length,
      2,
    );
    // Silent connections are closed after the pre-logon timeout; their slots come back.
    await waitFor(() => idle.every((c) => c.closed), "silent connections closed", 3000);
    await waitFor(() => gw.preLogonConnections === 0, "slots given back");
    assert.match(reg.render(), /^fixg_prelogon_refused_total\{reason="timeout"\} 3$/m);
    const ok = await RawClient.connect(port);
    await ok.send(logon("TW", "ISLD"));
    await waitFor(() => ok.frames.length === 1, "a Logon still answered");
    assert.equal(gw.preLogonConnections, 0, "a logged-on connection holds no pre-logon slot");
    ok.close();
  } finally {
    for (const c of idle) c.close();
    await gw.stop();
  }
});

Deno.test("the total pre-logon cap holds across connections", async () => {
  const { gw } = await startGateway(
    `store: { type: memory }
limits: { maxPendingPerAddress: 100, maxPendingConnections: 4 }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
`,
    { logger: new LogCapture().logger("error") },
  );
  const idle: RawClient[] = [];
  try {
    for (let i = 0; i < 20; i++) idle.push(await RawClient.connect(gw.ports[0]!));
    await waitFor(() => idle.filter((c) => c.closed).length === 16, "16 closed");
    assert.equal(gw.preLogonConnections, 4);
    assert.equal(gw.refusals().get("limit"), 16);
    for (const c of idle) c.close();
    await waitFor(() => gw.connectionsHandled === 0, "nothing kept for connections that ended");
  } finally {
    for (const c of idle) c.close();
    await gw.stop();
  }
});

/** Logs on from `hostname` over raw TCP; resolves with the ms until the first byte of the answer (or null if closed). */
async function timedLogon(
  hostname: string,
  port: number,
  bytes: Uint8Array,
): Promise<{ ms: number; answered: boolean }> {
  const t0 = performance.now();
  const c = await Deno.connect({ hostname, port });
  try {
    await c.write(bytes);
    const n = await c.read(new Uint8Array(4096)).catch(() => null);
    return { ms: performance.now() - t0, answered: n !== null && n > 0 };
  } finally {
    c.close();
  }
}

Deno.test("wrong-password flood from one address: hashes are bounded and served round robin, the address is throttled, a logon from another address is answered", async () => {
  const hash = await hashPassword(PASSWORD, 100_000);
  const logs = new LogCapture();
  const { gw } = await startGateway(
    `store: { type: memory }
users:
  alice: { passwordHash: "${hash}" }
limits: { maxPendingPerAddress: 100, maxPendingConnections: 200, maxConcurrentHashes: 2, authFreeFailures: 3 }
sessions:
  - { role: acceptor, port: 0, bindHost: "::", senderCompId: ISLD, targetCompId: "*", authentication: users }
`,
    { logger: logs.logger("warn") },
  );
  try {
    const port = gw.ports[0]!;
    const flood = Array.from(
      { length: 40 },
      (_, i) => timedLogon("127.0.0.1", port, logon(`BAD${i}`, "ISLD", `553=alice|554=wrong${i}`)),
    );
    // The flood is in: every one of its connections accepted (still pending or already refused).
    const refused = () => gw.refusals().get("authentication")! + gw.refusals().get("throttled")!;
    await waitFor(() => gw.preLogonConnections + refused() >= 40, "the flood's 40 connections accepted");
    const legit = await timedLogon("::1", port, logon("GOOD", "ISLD", `553=alice|554=${PASSWORD}`));
    assert.equal(legit.answered, true, "logged on");
    // A bound for a loaded machine only (was 1 s, which a busy CI run could exceed): what keeps the
    // legitimate logon prompt is checked exactly below, few hashes computed for the flood.
    assert.ok(legit.ms < 5000, `legitimate logon took ${legit.ms.toFixed(0)} ms`);
    const bad = await Promise.all(flood);
    assert.equal(bad.filter((b) => b.answered).length, 0);
    const r = gw.refusals();
    assert.equal(r.get("authentication")! + r.get("throttled")!, 40);
    assert.ok(r.get("throttled")! >= 30, `throttled ${r.get("throttled")}: no hash computed for those`);
    // The penalty doubles with each refusal, and which refusal is logged first depends on timing.
    assert.ok(
      logs.grep(/not authorised: too many failed logons from 127\.0\.0\.1; refused for \d+ s/).length >= 1,
      logs.lines.join("\n"),
    );
    // The address stays refused (without hashing) for now.
    const again = await timedLogon("127.0.0.1", port, logon("GOOD2", "ISLD", `553=alice|554=${PASSWORD}`));
    assert.equal(again.answered, false);
  } finally {
    await gw.stop();
  }
});

Deno.test("refusal log lines are rate limited: a burst of 20, then one per second; the next line says how many were left out", async () => {
  const { ManualClock } = await import("../../src/engine/clock.ts");
  const clock = new ManualClock();
  const logs = new LogCapture();
  const { gw } = await startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
`,
    { logger: logs.logger("info"), clock },
  );
  try {
    const port = gw.ports[0]!;
    const knock = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const c = await RawClient.connect(port);
        await c.send(logon(`NOBODY${i}`, "ISLD"));
        await c.finished();
      }
    };
    await knock(30);
    assert.equal(gw.refusals().get("unknown-session"), 30);
    assert.equal(logs.grep(/logon-refused/).length, 20);
    clock.advance(2000);
    await knock(3);
    const lines = logs.grep(/logon-refused/).map((l) => JSON.parse(l).msg as string);
    assert.equal(lines.length, 22);
    assert.match(
      lines[20]!,
      /^unknown session FIX\.4\.4:ISLD->NOBODY0 .* \(10 similar lines not logged: rate limit\)$/,
    );
    assert.doesNotMatch(lines[21]!, /not logged/);
  } finally {
    await gw.stop();
  }
});

/**
 * Hostile peers before logon (issue 14): nothing is created for an unauthenticated peer, pre-logon
 * connections are bounded and timed out, peer values are escaped in log lines, HeartBtInt is bounded.
 */
import assert from "node:assert/strict";
import { gatewayRegistry } from "../../src/ops/metrics.ts";
import { hashPassword } from "../../src/ops/password.ts";
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
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW, authentication: users }
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: "*", authentication: users }
`,
    { store, logger: logs.logger("info") },
  );
  try {
    const port = gw.ports[0]!;
    const reg = gatewayRegistry(gw);
    const before = { sessions: gw.runners().length, lines: sessionLines(reg.render()), opened: store.opened.length };
    for (let i = 0; i < 8; i++) {
      const c = await RawClient.connect(port);
      await c.send(logon(`ATTACKER${i}`, "ISLD", `553=alice|554=wrong${i}`));
      await c.finished();
      assert.equal(c.bytesReceived, 0, "refused without a byte");
    }
    assert.equal(gw.runners().length, before.sessions);
    assert.equal(store.opened.length, before.opened, `journal opened ${store.opened.slice(before.opened)}`);
    assert.deepEqual(sessionLines(reg.render()), before.lines);
    assert.match(reg.render(), /^fixg_prelogon_refused_total\{reason="authentication"\} 8$/m);
    assert.equal(logs.grep(/session-created/).length, 0);
    // The right password creates the session, once.
    const ok = await RawClient.connect(port);
    await ok.send(logon("GOOD", "ISLD", `553=alice|554=${PASSWORD}`));
    await waitFor(() => ok.frames.length === 1, "logon reply");
    assert.equal(gw.runners().length, before.sessions + 1);
    assert.deepEqual(store.opened.slice(before.opened), ["FIX.4.4:ISLD->GOOD"]);
    ok.close();
  } finally {
    await gw.stop();
  }
});

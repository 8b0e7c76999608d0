/**
 * SEND bodies as the engine hands them to a session (PreEncodedMessage over the read buffer): a body
 * that waits in the session's queue (a write in flight) is copied first, so reusing the buffer for the
 * next SEND does not change what goes out. Loopback, counted at the counterparty by ClOrdID.
 */
import assert from "node:assert/strict";
import type { MessageView } from "../../src/codec/mod.ts";
import type { SendResult, SessionHandle } from "../../src/engine/application.ts";
import { Logger } from "../../src/engine/log.ts";
import { startAcceptor, startInitiator } from "../../src/engine/quick.ts";
import { PreEncodedMessage } from "../../src/session/pre_encoded.ts";

const N = 200;

Deno.test("pre-encoded sends that wait in the queue keep their own bytes when the buffer is reused", async () => {
  const received: string[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => done = resolve);
  const logger = new Logger({ level: "error" });
  const lp = await startAcceptor({ port: 0, senderCompId: "LP", targetCompId: "CLIENT", logger }, {
    onMessage(view: MessageView) {
      if (view.msgType !== "D") return;
      received.push(`${view.getString(11)}/${view.getString(58)}`);
      if (received.length === N) done();
    },
  });
  const results: SendResult["kind"][] = [];
  // One buffer, as the engine's read buffer: each SEND's body is written over the previous one.
  const buf = new Uint8Array(128);
  const client = await startInitiator(
    { port: lp.ports[0]!, senderCompId: "CLIENT", targetCompId: "LP", logger },
    {
      onLogon(session: SessionHandle) {
        const send = (i: number) => {
          const text =
            `35=D\x0111=id${String(i).padStart(4, "0")}\x0155=EUR/USD\x0154=1\x0138=100\x0140=1\x0158=` +
            "x".repeat(i % 7 + 1) + "\x01";
          for (let k = 0; k < text.length; k++) buf[k] = text.charCodeAt(k);
          results.push(session.send(PreEncodedMessage.fromBody(buf.subarray(0, text.length))).kind);
        };
        // Half now (written at once); the rest a few microtasks later, while that write is in flight: they wait.
        for (let i = 0; i < N / 2; i++) send(i);
        void (async () => {
          for (let t = 0; t < 3; t++) await Promise.resolve();
          for (let i = N / 2; i < N; i++) send(i);
          buf.fill(0x30);
        })();
      },
    },
  );
  const timer = setTimeout(() => done(), 5000);
  try {
    await all;
  } finally {
    clearTimeout(timer);
    await client.stop();
    await lp.stop();
  }
  assert.ok(results.includes("queued"), `some sends waited: ${results.join(",")}`);
  assert.deepEqual(
    received,
    Array.from({ length: N }, (_, i) => `id${String(i).padStart(4, "0")}/${"x".repeat(i % 7 + 1)}`),
  );
});

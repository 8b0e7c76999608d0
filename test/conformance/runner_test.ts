/**
 * The runner against scripted peers in this process (no engine): passes, first differences,
 * eDISCONNECT, timeouts, extra messages, several connections and the initiator-under-test mode.
 * The short timeouts here bound waits for things that never come; nothing asserts how fast anything is.
 */
import assert from "node:assert/strict";
import { Framer } from "../../src/codec/framer.ts";
import { ManualScheduler } from "../../src/clock.ts";
import {
  completeMessage,
  joinFields,
  manualWaits,
  parseScenario,
  runScenario,
  ScenarioListener,
  splitFields,
  substituteTimes,
  textBytes,
} from "../../src/conformance/mod.ts";

/** A scripted peer's view of one connection: read frames (as `|` text), write messages. */
class Script {
  #frames: string[] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  readonly done: Promise<void>;
  constructor(readonly conn: Deno.Conn) {
    const framer = new Framer({
      onFrame: (b, s, e) => {
        this.#frames.push(new TextDecoder("latin1").decode(b.subarray(s, e)).replaceAll("\x01", "|"));
        this.#wake?.();
      },
      onGarbled: () => {},
    });
    this.done = (async () => {
      const buf = new Uint8Array(4096);
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          framer.push(buf.subarray(0, n));
        }
      } catch {
        // closed
      }
      this.#closed = true;
      this.#wake?.();
    })();
  }
  async frame(): Promise<string | undefined> {
    for (;;) {
      const f = this.#frames.shift();
      if (f !== undefined) return f;
      if (this.#closed) return undefined;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = undefined;
    }
  }
  async send(text: string): Promise<void> {
    const fields = completeMessage(
      splitFields(substituteTimes(text, Date.now()).replaceAll("|", "\x01")).fields,
    );
    await this.conn.write(textBytes(joinFields(fields)));
  }
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    await this.done;
  }
}

/** Serves one scripted handler per accepted connection until closed. */
function serve(handler: (s: Script, index: number) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tasks: Promise<void>[] = [];
  const loop = (async () => {
    let i = 0;
    try {
      for await (const conn of listener) {
        const s = new Script(conn);
        tasks.push(handler(s, i++).finally(() => s.close()));
      }
    } catch {
      // listener closed
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await loop;
      await Promise.all(tasks);
    },
  };
}

const LOGON = "8=FIX.4.4|35=A|34=1|49=TW|52=<TIME>|56=ISLD|98=0|108=30|";
const LOGON_REPLY = "8=FIX.4.4|35=A|34=1|49=ISLD|52=<TIME>|56=TW|98=0|108=30|";

Deno.test("a scenario passes against a peer that answers as expected", async () => {
  const seen: string[] = [];
  const peer = serve(async (s) => {
    seen.push((await s.frame())!);
    await s.send(LOGON_REPLY);
    assert.equal(await s.frame(), undefined);
  });
  const scenario = parseScenario(`iCONNECT\nI${LOGON}\nE${LOGON_REPLY}\niDISCONNECT\n`, "ok.def");
  const r = await runScenario(scenario, { mode: "acceptor-under-test", port: peer.port, timeoutMs: 2000 });
  await peer.close();
  assert.equal(r.passed, true, JSON.stringify(r.failure));
  assert.equal(r.name, "ok");
  assert.deepEqual(r.transcript.map((t) => [t.kind, t.line]), [
    ["connect", 1],
    ["sent", 2],
    ["received", 3],
    ["disconnect", 4],
  ]);
  assert.match(
    seen[0]!,
    /^8=FIX\.4\.4\|9=\d+\|35=A\|34=1\|49=TW\|52=\d{8}-\d\d:\d\d:\d\d\.\d{3}\|56=ISLD\|98=0\|108=30\|10=\d{3}\|$/,
  );
});

Deno.test("a failure reports the line, the differing tag, expected and received", async () => {
  const peer = serve(async (s) => {
    await s.frame();
    await s.send("8=FIX.4.4|35=A|34=1|49=ISLD|52=<TIME>|56=TW|98=0|108=31|");
  });
  const scenario = parseScenario(`# logon\niCONNECT\nI${LOGON}\nE${LOGON_REPLY}\n`, "bad.def");
  const r = await runScenario(scenario, { mode: "acceptor-under-test", port: peer.port, timeoutMs: 2000 });
  await peer.close();
  assert.equal(r.passed, false);
  const f = r.failure!;
  assert.equal(f.line, 4);
  assert.equal(f.tag, 108);
  assert.equal(f.message, "tag 108: expected 108=30, received 108=31");
  assert.equal(f.expected, LOGON_REPLY);
  assert.match(f.received!, /^8=FIX\.4\.4\|9=\d+\|35=A\|.*\|108=31\|10=\d{3}\|$/);
});

Deno.test("eDISCONNECT passes when the peer closes and fails when a message comes instead", async () => {
  const closing = serve(async (s) => {
    await s.frame();
  });
  const sc = parseScenario(`iCONNECT\nI${LOGON}\neDISCONNECT\n`);
  const ok = await runScenario(sc, { mode: "acceptor-under-test", port: closing.port, timeoutMs: 2000 });
  await closing.close();
  assert.equal(ok.passed, true, JSON.stringify(ok.failure));

  const talking = serve(async (s) => {
    await s.frame();
    await s.send(LOGON_REPLY);
    await s.frame();
  });
  const bad = await runScenario(sc, { mode: "acceptor-under-test", port: talking.port, timeoutMs: 2000 });
  await talking.close();
  assert.equal(bad.failure?.line, 3);
  assert.equal(bad.failure?.message, "expected a disconnect, received a message");
  assert.match(bad.failure!.received!, /35=A/);
});

Deno.test("nothing arriving fails with the scenario's #!timeout; a close fails an E line", async () => {
  const silent = serve(async (s) => {
    await s.frame();
    await s.frame();
  });
  const sc = parseScenario(`#!timeout=100\niCONNECT\nI${LOGON}\nE${LOGON_REPLY}\n`);
  const r = await runScenario(sc, { mode: "acceptor-under-test", port: silent.port, timeoutMs: 60_000 });
  await silent.close();
  assert.equal(r.failure?.message, "no message on connection 1 within 100 ms");
  assert.equal(r.failure?.expected, LOGON_REPLY);

  const closing = serve(async (s) => {
    await s.frame();
  });
  const r2 = await runScenario(parseScenario(`iCONNECT\nI${LOGON}\nE${LOGON_REPLY}\n`), {
    mode: "acceptor-under-test",
    port: closing.port,
    timeoutMs: 2000,
  });
  await closing.close();
  assert.equal(r2.failure?.message, "connection 1 closed by the peer while a message was expected");
});

Deno.test("eDISCONNECT fails when the peer keeps the connection open", async () => {
  const holding = serve(async (s) => {
    await s.frame();
    await s.frame();
  });
  const r = await runScenario(parseScenario(`iCONNECT\nI${LOGON}\neDISCONNECT\n`), {
    mode: "acceptor-under-test",
    port: holding.port,
    timeoutMs: 100,
  });
  await holding.close();
  assert.equal(r.failure?.message, "connection 1 still open after 100 ms (expected the peer to disconnect)");
});

Deno.test("extra messages after the last step are reported, not failed", async () => {
  const chatty = serve(async (s) => {
    await s.frame();
    await s.send(LOGON_REPLY);
    await s.send("8=FIX.4.4|35=0|34=2|49=ISLD|52=<TIME>|56=TW|");
    await s.frame();
  });
  const r = await runScenario(parseScenario(`iCONNECT\nI${LOGON}\nE${LOGON_REPLY}\n`), {
    mode: "acceptor-under-test",
    port: chatty.port,
    timeoutMs: 2000,
    quietMs: 300,
  });
  await chatty.close();
  assert.equal(r.passed, true);
  assert.equal(r.extraMessages.length, 1);
  assert.equal(r.extraMessages[0]!.conn, 1);
  assert.match(r.extraMessages[0]!.text, /\|35=0\|34=2\|/);
});

Deno.test("garbled bytes where a message is expected are reported as such", async () => {
  const garbling = serve(async (s) => {
    await s.frame();
    await s.conn.write(new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=0\x0110=000\x01"));
    await s.frame();
  });
  const r = await runScenario(parseScenario(`iCONNECT\nI${LOGON}\nE${LOGON_REPLY}\n`), {
    mode: "acceptor-under-test",
    port: garbling.port,
    timeoutMs: 2000,
  });
  await garbling.close();
  assert.match(r.failure!.message, /^received bytes that are not a valid FIX frame \(/);
});

Deno.test("several connections are kept apart by their number", async () => {
  const peer = serve(async (s, i) => {
    const f = await s.frame();
    if (i === 0) {
      await s.send(LOGON_REPLY);
      assert.match((await s.frame())!, /35=1\|34=2\|.*112=HELLO/);
      await s.send("8=FIX.4.4|35=0|34=2|49=ISLD|52=<TIME>|56=TW|112=HELLO|");
      await s.frame();
    } else {
      assert.match(f!, /35=A/);
      // Second logon for the same session: closed without a word.
    }
  });
  const sc = parseScenario([
    "iCONNECT",
    `I${LOGON}`,
    `E${LOGON_REPLY}`,
    "2iCONNECT",
    `2I${LOGON}`,
    "2eDISCONNECT",
    "I8=FIX.4.4|35=1|34=2|49=TW|52=<TIME>|56=ISLD|112=HELLO|",
    "E8=FIX.4.4|35=0|34=2|49=ISLD|52=<TIME>|56=TW|112=HELLO|",
    "iDISCONNECT",
  ].join("\n"));
  const r = await runScenario(sc, { mode: "acceptor-under-test", port: peer.port, timeoutMs: 2000 });
  await peer.close();
  assert.equal(r.passed, true, JSON.stringify(r.failure));
});

Deno.test("initiator-under-test: iCONNECT waits for the initiator on a shared listener", async () => {
  const listener = ScenarioListener.listen(0, "127.0.0.1");
  const sc = parseScenario(`#!mode=initiator\niCONNECT\nE${LOGON}\nI${LOGON_REPLY}\niDISCONNECT\n`);
  const initiator = (async () => {
    for (let i = 0; i < 2; i++) {
      const s = new Script(await Deno.connect({ hostname: "127.0.0.1", port: listener.port }));
      await s.send(LOGON);
      assert.match((await s.frame())!, /35=A\|34=1\|49=ISLD/);
      assert.equal(await s.frame(), undefined);
      await s.close();
    }
  })();
  for (let i = 0; i < 2; i++) {
    const r = await runScenario(sc, { mode: "initiator-under-test", listener, timeoutMs: 2000 });
    assert.equal(r.passed, true, JSON.stringify(r.failure));
  }
  await initiator;
  const none = await runScenario(sc, { mode: "initiator-under-test", listener, connectTimeoutMs: 100 });
  assert.equal(none.failure?.message, `no initiator connected to port ${listener.port} within 100 ms`);
  await listener.close();
});

Deno.test("a refused connection fails the scenario at its iCONNECT line", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  const r = await runScenario(parseScenario(`# x\niCONNECT\nI${LOGON}\n`), {
    mode: "acceptor-under-test",
    port,
  });
  assert.equal(r.failure?.line, 2);
  assert.match(r.failure!.message, new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: `));
});

Deno.test("strict runs send 9 as written and compare 9 and 10 in place", async () => {
  const seen: string[] = [];
  const peer = serve(async (s) => {
    seen.push((await s.frame()) ?? "(garbled)");
    await s.send(LOGON_REPLY);
    await s.frame();
  });
  // The first I line carries BodyLength 010 (right, with a leading zero): strict keeps it, default would write 10.
  const scenario = parseScenario(
    `iCONNECT\nI8=FIX.4.4|9=010|35=0|34=2|\nE${LOGON_REPLY}\nE${LOGON_REPLY}\n`,
    "strict.def",
    { strict: true },
  );
  const r = await runScenario(scenario, {
    mode: "acceptor-under-test",
    port: peer.port,
    timeoutMs: 300,
    strict: true,
  });
  await peer.close();
  assert.match(seen[0]!, /^8=FIX\.4\.4\|9=010\|35=0\|34=2\|10=\d{3}\|$/);
  // The reply matched (9 and 10 by pattern); the second E line waits in vain.
  assert.equal(r.failure?.line, 4);
  assert.equal(r.failure?.message, "no message on connection 1 within 300 ms");
});

Deno.test("manualWaits: a wait moves the manual clock to each next timer, never past its end; sleep runs what falls due", async () => {
  const clock = new ManualScheduler(1_000);
  const waits = manualWaits(clock);
  const fired: number[] = [];
  clock.after(2_000, () => fired.push(clock.nowMs()));
  clock.after(2_500, () => fired.push(clock.nowMs()));
  // Ready once the second timer ran: the clock stops there, at 3500, not at the end (1000 + 5000).
  assert.equal(await waits.until(() => fired.length === 2, 5_000, () => () => {}), true);
  assert.deepEqual(fired, [3_000, 3_500]);
  assert.equal(clock.nowMs(), 3_500);
  // Nothing due and never ready: false, the clock at the end of the wait.
  assert.equal(await waits.until(() => false, 1_000, () => () => {}), false);
  assert.equal(clock.nowMs(), 4_500);
  // A timer beyond the end of a wait does not run.
  clock.after(2_000, () => fired.push(clock.nowMs()));
  assert.equal(await waits.until(() => fired.length === 3, 1_000, () => () => {}), false);
  assert.equal(clock.nowMs(), 5_500);
  // Ready at once: no time passes.
  assert.equal(await waits.until(() => true, 1_000, () => () => {}), true);
  assert.equal(clock.nowMs(), 5_500);
  // Something the engine does without a timer (a promise chain) is waited for before the clock moves.
  let done = false;
  Promise.resolve().then(() => Promise.resolve()).then(() => (done = true));
  assert.equal(await waits.until(() => done, 1_000, () => () => {}), true);
  assert.equal(clock.nowMs(), 5_500);
  await waits.sleep(1_000);
  assert.deepEqual(fired, [3_000, 3_500, 6_500]);
  assert.equal(clock.nowMs(), 6_500);
  assert.equal(clock.pendingCount, 0);
});

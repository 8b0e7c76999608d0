/**
 * connectEngine: a LIST (`sessions()`) whose answer is lost with the connection rejects with
 * "connection to the engine lost", with reconnection on as with it off. Before: with reconnect on the
 * promise never settled (only close() and a final failure settled LISTs).
 */
import assert from "node:assert/strict";
import { connectEngine, EngineError } from "../../src/engine/library_client.ts";
import { commandFromFrame } from "../../src/engine/boundary.ts";
import { encodeEvent, type Event } from "../../src/engine/protocol.ts";
import { FrameSplitter } from "../../src/engine/protocol_stream.ts";

Deno.test("connectEngine: sessions() in flight when the connection drops rejects, not never", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-list-lost-" });
  const path = `${dir}/e.sock`;
  // An engine that answers HELLO, then drops the connection on LIST.
  const listener = Deno.listen({ transport: "unix", path });
  const serving = (async () => {
    for await (const conn of listener) {
      const split = new FrameSplitter();
      const buf = new Uint8Array(4096);
      for (;;) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) break;
        split.push(buf.subarray(0, n));
        while (split.next()) {
          const c = commandFromFrame(split.buf.slice(split.start - 4, split.end));
          const answer = (e: Event) => conn.write(encodeEvent(e));
          if (c.type === "hello") {
            await answer({ type: "hello-ok", version: 1, engine: "fake", libraryId: 1 });
          }
          if (c.type === "list") conn.close();
        }
      }
    }
  })();
  const lib = await connectEngine({ socket: path, name: "t", maxBackoffMs: 50 });
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const never = new Promise<"no answer">((r) => timer = setTimeout(() => r("no answer"), 5000));
    const o = await Promise.race([lib.sessions().then(() => "listed", (e) => e), never]);
    clearTimeout(timer);
    assert.notEqual(o, "no answer", "sessions() never settled");
    assert.ok(o instanceof EngineError, String(o));
    assert.match(o.message, /connection to the engine lost/);
  } finally {
    await lib.close();
    listener.close();
    await serving.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

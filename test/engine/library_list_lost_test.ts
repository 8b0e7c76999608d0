/**
 * connectEngine: a LIST (`sessions()`) whose answer is lost with the connection rejects with
 * "connection to the engine lost", with reconnection on as with it off. Before: with reconnect on the
 * promise never settled (only close() and a final failure settled LISTs).
 */
import assert from "node:assert/strict";
import { connectEngine, EngineError } from "../../src/engine/library_client.ts";
import { serveCommands } from "../_helpers/engine_protocol.ts";

Deno.test("connectEngine: sessions() in flight when the connection drops rejects, not never", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-list-lost-" });
  const path = `${dir}/e.sock`;
  // An engine that answers HELLO, then drops the connection on LIST.
  const listener = Deno.listen({ transport: "unix", path });
  const serving = serveCommands(listener, async (c, answer, conn) => {
    if (c.type === "hello") {
      await answer({ type: "hello-ok", version: 1, engine: "fake", libraryId: 1 });
    }
    if (c.type === "list") conn.close();
  });
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

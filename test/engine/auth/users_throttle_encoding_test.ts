/**
 * The per-user failed-logon throttle counts a user's failures under the configured name, whichever
 * encoding the Logon's 553 carries it in (a name with characters up to U+00FF matches its UTF-8 and its
 * Latin-1 bytes, users.ts). Keyed by the raw 553 text, the two forms of `josé` were two users to the
 * throttle: a guesser alternating them got twice the free failures. In-process: memory listener and
 * connections, manual scheduler (the throttle's clock does not move), real PBKDF2 (1000 iterations).
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../../src/clock.ts";
import { MemoryListener } from "../../../src/conformance/in_process.ts";
import { utf8ByteString } from "../../../src/codec/mod.ts";
import { hashPassword } from "../../../src/engine/auth/password.ts";
import { UserDirectory } from "../../../src/engine/auth/users.ts";
import { Gateway } from "../../../src/engine/gateway.ts";
import { Logger } from "../../../src/engine/log.ts";
import { MemoryMessageStore } from "../../../src/store/memory_store.ts";
import { memoryPair } from "../../../src/transport/memory.ts";
import { frame, sessionConfig } from "../helpers.ts";

Deno.test("users throttle: the Latin-1 and UTF-8 forms of one user name share its failed-logon count", async () => {
  const passwordHash = await hashPassword("secret", 1000);
  const listener = new MemoryListener("memory", 1);
  const gw = new Gateway({
    store: new MemoryMessageStore(),
    app: {},
    logger: new Logger({ level: "error" }),
    scheduler: new ManualScheduler(1_000_000),
    users: new UserDirectory({ "josé": { passwordHash } }),
    // The address limit out of the way (every memory connection comes from "memory"): the user's counts.
    limits: { authFreeFailures: 1000 },
  });
  gw.addAcceptor({
    host: "memory",
    port: 1,
    listener,
    sessions: [{ config: sessionConfig("acceptor"), authentication: "users" }],
  });
  await gw.start();
  const attempt = async (user: string) => {
    const [client, server] = memoryPair();
    listener.offer(server);
    await client.write(
      frame("FIX.4.4", "A", `49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=30|553=${user}|554=wrong|`),
    );
    const buf = new Uint8Array(4096);
    while (await client.read(buf) !== null) { /* refused: closed without a reply */ }
  };
  try {
    const latin1 = "jos\u00e9", utf8 = utf8ByteString("josé");
    // Ten free failures per user name (DEFAULT_AUTH_THROTTLE.freeUserFailures), half in each form; the
    // eleventh is hashed and fails, and blocks the name for a while.
    for (let i = 0; i < 10; i++) await attempt(i % 2 === 0 ? latin1 : utf8);
    assert.equal(gw.refusals().get("authentication"), 10);
    await attempt(utf8);
    await attempt(latin1);
    assert.equal(gw.refusals().get("authentication"), 11, "a guess after the name was blocked was hashed");
    assert.equal(gw.refusals().get("throttled"), 1);
  } finally {
    await gw.stop();
  }
});

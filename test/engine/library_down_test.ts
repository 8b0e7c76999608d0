/**
 * connectEngine: when the library is done for good (the connection lost with `reconnect: false`,
 * `close()`, a reconnection refused at HELLO), every session it held that was logged on reports
 * `loggedOn` false and its application gets `onLogout` once, with the library's end reason. While the
 * library reconnects the engine still holds the FIX sessions: they keep the state the engine reported
 * last, and the re-claim brings it up to date. Before, `loggedOn` stayed true and `onLogout` never came
 * (an application went on believing its sessions were up after its library had ended).
 */
import assert from "node:assert/strict";
import { type Application, connectEngine, type EngineLibrary, type SessionHandle } from "../../src/mod.ts";
import { ErrorCode } from "../../src/engine/protocol.ts";
import { serveCommands } from "../_helpers/engine_protocol.ts";

const A = "FIX.4.4:CLIENT->LP";
const B = "FIX.4.4:CLIENT->LP2";
const LOST =
  "connection to the engine lost: the engine closed the connection (reconnect: false): connectEngine again to attach to the engine";

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  for (const t0 = Date.now(); !cond();) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A fake engine on a Unix socket: HELLO_OK (or, from the `refuseFrom`th connection on, ERROR
 * AUTH_FAILED), claims answered with `loggedOn[key]` and LIVE, releases with RELEASED. `drop()` closes the current connection.
 */
async function fakeEngine(loggedOn: Record<string, boolean>, refuseFrom = Infinity) {
  const dir = await Deno.makeTempDir({ prefix: "fixg-lib-down-" });
  const path = `${dir}/e.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  let conn: Deno.Conn | undefined;
  let conns = 0;
  const claims: string[] = [];
  const serving = serveCommands(listener, async (c, answer, cn) => {
    if (cn !== conn) {
      conn = cn;
      conns++;
    }
    if (c.type === "hello") {
      if (conns >= refuseFrom) {
        await answer({ type: "error", code: ErrorCode.AUTH_FAILED, text: "wrong secret" });
      } else await answer({ type: "hello-ok", version: 1, engine: "fake", libraryId: conns });
    }
    if (c.type === "release") await answer({ type: "released", key: c.key, reason: "released" });
    if (c.type === "claim") {
      claims.push(`${conns} ${c.key}`);
      const on = loggedOn[c.key] === true;
      await answer({ type: "claimed", key: c.key, loggedOn: on, nextSenderSeq: 2, nextTargetSeq: 2 });
      await answer({ type: "live", key: c.key, replayed: 0 });
    }
  });
  return {
    path,
    claims,
    drop: () => conn?.close(),
    async stop() {
      listener.close();
      await serving.catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** An application recording its logons and logouts (`KEY logon`, `KEY logout: reason`) in `log`. */
function recorder(log: string[]): Application {
  return {
    onLogon: (s: SessionHandle) => void log.push(`${s.key} logon`),
    onLogout: (s: SessionHandle, reason: string) => void log.push(`${s.key} logout: ${reason}`),
  };
}

async function claimBoth(lib: EngineLibrary, log: string[]) {
  const a = await lib.claim(A, recorder(log), { lastProcessedInSeq: 0 });
  const b = await lib.claim(B, recorder(log), { lastProcessedInSeq: 0 });
  return { a, b };
}

Deno.test("reconnect: false, the connection lost: logged-on sessions go loggedOn false, onLogout once with the end reason", async () => {
  const engine = await fakeEngine({ [A]: true, [B]: false });
  const log: string[] = [];
  const lib = await connectEngine({ socket: engine.path, name: "t", reconnect: false });
  try {
    const { a, b } = await claimBoth(lib, log);
    assert.deepEqual([a.loggedOn, b.loggedOn], [true, false]);
    engine.drop();
    await until(() => !lib.connected && log.length > 1, "the library done");
    assert.deepEqual([a.loggedOn, b.loggedOn], [false, false]);
    assert.deepEqual(log, [`${A} logon`, `${A} logout: ${LOST}`]);
    await lib.close(); // Done already: nothing more.
    assert.deepEqual(log, [`${A} logon`, `${A} logout: ${LOST}`]);
  } finally {
    await lib.close();
    await engine.stop();
  }
});

Deno.test("close(): logged-on sessions go loggedOn false, onLogout once ('library closed'), a second close() adds nothing", async () => {
  const engine = await fakeEngine({ [A]: true, [B]: true });
  const log: string[] = [];
  const lib = await connectEngine({ socket: engine.path, name: "t" });
  try {
    const { a } = await claimBoth(lib, log);
    await lib.release(B); // Released: no longer this library's, not reported.
    await lib.close();
    assert.equal(a.loggedOn, false);
    assert.deepEqual(log, [`${A} logon`, `${B} logon`, `${A} logout: library closed`]);
    await lib.close();
    assert.equal(log.length, 3);
  } finally {
    await engine.stop();
  }
});

Deno.test("reconnecting: the sessions keep the engine's last state (no onLogout); the re-claim updates them; close() then ends them", async () => {
  const state = { [A]: true, [B]: true };
  const engine = await fakeEngine(state);
  const log: string[] = [];
  const statuses: string[] = [];
  const lib = await connectEngine({
    socket: engine.path,
    name: "t",
    onStatus: (e) => statuses.push(e),
  });
  try {
    const { a, b } = await claimBoth(lib, log);
    state[B] = false; // B's FIX session goes down while the library is away.
    engine.drop();
    await until(() => statuses.includes("reconnecting"), "reconnecting");
    // The engine still holds A's and B's FIX sessions: the last state it reported stands.
    assert.deepEqual([lib.connected, a.loggedOn, b.loggedOn], [false, true, true]);
    assert.deepEqual(log, [`${A} logon`, `${B} logon`]);
    await until(() => engine.claims.length === 4 && log.length === 3, "the re-claims");
    assert.deepEqual(engine.claims, [`1 ${A}`, `1 ${B}`, `2 ${A}`, `2 ${B}`]);
    assert.deepEqual([a.loggedOn, b.loggedOn], [true, false]);
    assert.deepEqual(log, [`${A} logon`, `${B} logon`, `${B} logout: logged out while detached`]);
    await lib.close();
    assert.deepEqual([a.loggedOn, b.loggedOn], [false, false]);
    assert.deepEqual(log.slice(3), [`${A} logout: library closed`]);
  } finally {
    await lib.close();
    await engine.stop();
  }
});

Deno.test("a reconnection refused at HELLO ends the library: its logged-on sessions get onLogout with the refusal", async () => {
  const engine = await fakeEngine({ [A]: true, [B]: false }, 2);
  const log: string[] = [];
  const lib = await connectEngine({ socket: engine.path, name: "t" });
  try {
    const { a, b } = await claimBoth(lib, log);
    engine.drop();
    await until(() => log.length === 2, "the refusal");
    assert.deepEqual([a.loggedOn, b.loggedOn], [false, false]);
    assert.deepEqual(log, [`${A} logon`, `${A} logout: engine: AUTH_FAILED: wrong secret`]);
    assert.deepEqual(a.send({ msgType: "D", fields: [[11, "x"]] }), {
      kind: "refused",
      reason: "engine: AUTH_FAILED: wrong secret",
      cause: "filter",
    });
  } finally {
    await lib.close();
    await engine.stop();
  }
});

/**
 * An engine and its counterparty as child processes, for the tests of attached libraries and of the
 * engine's commands: `fixg simulate-lp` (LP) and `fixg run` (the initiator CLIENT -> LP serving an engine
 * socket) on loopback, with the flags `bench/engine_ipc.ts` uses (src/bench/engine_ipc.ts builds both).
 */
import { engineRunArgs, simulatorArgs } from "../../src/bench/engine_ipc.ts";
import { freePort } from "./net.ts";
import { type Child, ROOT, spawnFixg } from "./process.ts";

export { engineRunArgs, simulatorArgs };

/** Waits until an engine has logged on and its endpoint listens (its stderr says both). */
export function engineReady(gw: Child, what = "logon", timeoutMs = 15_000): Promise<void> {
  return gw.until(
    () => /Logged on/.test(gw.text.err) && /endpoint listening/.test(gw.text.err),
    what,
    timeoutMs,
  );
}

/** A running simulator and engine. */
export interface LpAndEngine {
  port: number;
  /** The engine socket. */
  socket: string;
  lp: Child;
  /** The engine (a test that restarts it sets the new child here). */
  gw: Child;
  /** The engine's `fixg` arguments (to start it again on the same journal). */
  gwArgs: string[];
  /** SIGTERM to the engine, then to the simulator; waits for both to exit and their output to end. */
  stop(): Promise<void>;
}

/** Options of startLpAndEngine. */
export interface LpAndEngineOptions {
  /** Where the socket (and by default the journals) go. */
  dir: string;
  /** The simulator's store: "memory" (default) or a journal directory. */
  lpStore?: string;
  /** The CompID the simulator accepts (default CLIENT, as simulate-lp's own default). */
  lpClient?: string;
  /** The engine's journal directory (default DIR/journal). */
  gwStore?: string;
  /** How long each start may take (default 15 s). */
  timeoutMs?: number;
}

/** Starts the simulator, waits for it to listen, then the engine, and waits for its logon and endpoint. */
export async function startLpAndEngine(o: LpAndEngineOptions): Promise<LpAndEngine> {
  const timeoutMs = o.timeoutMs ?? 15_000;
  const port = freePort();
  const socket = `${o.dir}/engine.sock`;
  const lp = spawnFixg(simulatorArgs(port, o.lpStore ?? "memory", o.lpClient ?? "CLIENT"));
  try {
    await lp.until(() => /"event":"listening"/.test(lp.text.out), "simulator listening", timeoutMs);
  } catch (e) {
    await lp.stop();
    throw e;
  }
  const gwArgs = engineRunArgs(port, o.gwStore ?? `${o.dir}/journal`, socket);
  const it: LpAndEngine = {
    port,
    socket,
    lp,
    gw: spawnFixg(gwArgs),
    gwArgs,
    async stop() {
      await this.gw.stop();
      await this.lp.stop();
    },
  };
  try {
    await engineReady(it.gw, "logon", timeoutMs);
  } catch (e) {
    await it.stop();
    throw e;
  }
  return it;
}

/**
 * Runs the library fixture (test/engine/fixtures/ipc_library.ts) to its end or its SIGKILL: it attaches to
 * the engine at `socket`, claims `key`, sends `n` orders (processed reports logged to `log`) and kills
 * itself after `killAfter` reports (0: never).
 */
export function runIpcLibrary(
  socket: string,
  key: string,
  log: string,
  n: number,
  killAfter: number,
): Promise<Deno.CommandOutput> {
  return new Deno.Command(`${ROOT}deno`, {
    args: [
      "run",
      "-A",
      `${ROOT}test/engine/fixtures/ipc_library.ts`,
      socket,
      key,
      log,
      String(n),
      String(killAfter),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

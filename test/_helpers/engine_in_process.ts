/**
 * An engine in the test's own process with its counterparty: an LP acceptor (LP <- CLIENT, on a free
 * port, with the test's application), the library endpoint (EngineServer) on DIR/e.sock, and the
 * initiator CLIENT -> LP whose application is the endpoint's. Libraries talk to it over that real Unix
 * socket (connectEngine, or RawEngineClient from engine_protocol.ts).
 */
import type { Application } from "../../src/engine/application.ts";
import type { Gateway } from "../../src/engine/gateway.ts";
import { EngineServer, type EngineServerOptions } from "../../src/engine/library_server.ts";
import { Logger } from "../../src/engine/log.ts";
import { startAcceptor, startInitiator } from "../../src/engine/quick.ts";
import type { MessageStore } from "../../src/store/types.ts";
import { waitFor } from "./wait.ts";

/** The initiator's session key. */
export const ENGINE_SESSION_KEY = "FIX.4.4:CLIENT->LP";

/** A running in-process engine and its LP. */
export interface EngineOverLp {
  /** The engine socket (DIR/e.sock). */
  socket: string;
  lp: Gateway;
  server: EngineServer;
  gw: Gateway;
  /** Waits until the engine's session has logged on. */
  loggedOn(): Promise<void>;
  /** Stops the endpoint, the engine's gateway and the LP (the test closes its libraries first). */
  stop(): Promise<void>;
}

/** Options of startEngineOverLp. */
export interface EngineOverLpOptions {
  /** The test's temporary directory: the socket goes there. */
  dir: string;
  /** The LP's application (default none: it answers nothing). */
  lpApp?: Application;
  /** The engine session's store (default a memory store). */
  store?: MessageStore;
  /** More options of the endpoint (journal directory, flush, limits...). */
  server?: Omit<Partial<EngineServerOptions>, "socket" | "logger">;
  /** The endpoint's logger (default: errors only, discarded). */
  serverLogger?: Logger;
}

const quiet = () => new Logger({ level: "error" });

/** Starts the LP, the endpoint and the engine's initiator, in that order (it does not wait for the logon). */
export async function startEngineOverLp(o: EngineOverLpOptions): Promise<EngineOverLp> {
  const lp = await startAcceptor(
    { port: 0, senderCompId: "LP", targetCompId: "CLIENT", logger: quiet() },
    o.lpApp ?? {},
  );
  const socket = `${o.dir}/e.sock`;
  const server = new EngineServer({ ...o.server, socket, logger: o.serverLogger ?? quiet() });
  const gw = await startInitiator({
    port: lp.ports[0]!,
    senderCompId: "CLIENT",
    targetCompId: "LP",
    logger: quiet(),
    ...(o.store !== undefined ? { store: o.store } : {}),
  }, server.app);
  server.attach(gw);
  await server.start();
  return {
    socket,
    lp,
    server,
    gw,
    loggedOn: () => waitFor(() => gw.runner(ENGINE_SESSION_KEY)?.loggedOn === true, "logon"),
    async stop() {
      server.stop();
      await gw.stop();
      await lp.stop();
    },
  };
}

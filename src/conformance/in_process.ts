/**
 * The engine under test in-process: a Gateway built from a fixg config exactly as `fixg run` builds it,
 * whose acceptor ports are in-memory listeners (src/transport/memory.ts pairs) and whose every timer runs
 * on a ManualScheduler. Each iCONNECT of a scenario hands the gateway one end of a new pair; the runner
 * moves the manual clock to the engine's next timer whenever it waits (src/conformance/target.ts), so
 * a whole scenario set runs in milliseconds of real time.
 */
import type { ManualScheduler } from "../clock.ts";
import { buildGateway } from "../engine/build.ts";
import type { FixgConfig } from "../engine/config.ts";
import type { Gateway } from "../engine/gateway.ts";
import { Logger } from "../engine/log.ts";
import { memoryPair } from "../transport/memory.ts";
import type { Connection, Listener } from "../transport/types.ts";
import type { ScenarioConn, ScenarioTarget } from "./target.ts";

/** A listener whose connections are handed to it (`offer`), not accepted from a socket. */
export class MemoryListener implements Listener {
  readonly hostname: string;
  readonly port: number;
  #queue: Connection[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(hostname: string, port: number) {
    this.hostname = hostname;
    this.port = port;
  }

  /** Hands a connection to whoever iterates the listener; closed at once when the listener is. */
  offer(conn: Connection): void {
    if (this.#closed) {
      conn.close();
      return;
    }
    this.#queue.push(conn);
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Connection> {
    for (;;) {
      const c = this.#queue.shift();
      if (c !== undefined) {
        yield c;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = undefined;
    }
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#queue.splice(0)) c.close();
    this.#wake?.();
  }
}

/** A running in-process engine: its gateway, the target scenarios connect to, its log. */
export interface InProcessEngine {
  readonly gateway: Gateway;
  /** iCONNECT: a new in-memory connection to the (first) acceptor; time: the manual scheduler. */
  readonly target: ScenarioTarget;
  /** The engine's log lines (JSON, the last 2,000), for failure reports. */
  readonly log: string[];
  /** Stops the gateway (every session logged out, as on SIGTERM). */
  stop(): Promise<void>;
}

/**
 * Builds and starts `config`'s gateway in-process on `scheduler`, every acceptor on an in-memory
 * listener (the first is the target's). The log goes to `log` (level `logLevel`, default info).
 */
export async function startInProcess(
  config: FixgConfig,
  scheduler: ManualScheduler,
  o: { logLevel?: "debug" | "info" | "warn" | "error" } = {},
): Promise<InProcessEngine> {
  const log: string[] = [];
  const logger = new Logger({
    level: o.logLevel ?? "info",
    format: "json",
    nowMs: () => scheduler.nowMs(),
    sink: (line) => {
      log.push(line);
      if (log.length > 2_000) log.splice(0, 1_000);
    },
  });
  const listeners = new Map<string, MemoryListener>();
  const gateway = await buildGateway(config, {
    logger,
    clock: scheduler,
    listenerFor: (host, port) => {
      const k = `${host}:${port}`;
      let l = listeners.get(k);
      if (!l) listeners.set(k, l = new MemoryListener(host, port));
      return l;
    },
  });
  const first = [...listeners.values()][0];
  if (first === undefined) throw new Error("startInProcess: the config has no acceptor");
  await gateway.start();
  let n = 0;
  const target: ScenarioTarget = {
    time: scheduler,
    connect(): Promise<ScenarioConn> {
      const [ours, theirs] = memoryPair();
      first.offer(theirs);
      return Promise.resolve({
        label: `memory:${first.port}#${++n}`,
        read: (buf) => ours.read(buf),
        // As over TCP, where writing to a peer that has just closed succeeds (the bytes are lost):
        // a scenario answers a Logout after which the engine disconnected at once (2i).
        write: (bytes) => ours.write(bytes).catch(() => {}),
        close: () => ours.close(),
      });
    },
  };
  return { gateway, target, log, stop: () => gateway.stop() };
}

/**
 * The engine under test in-process: a Gateway built from a fixg config exactly as `fixg run` builds it,
 * whose acceptor ports are in-memory listeners and whose initiators connect over in-memory pairs too
 * (src/transport/memory.ts), every timer on a ManualScheduler. Each iCONNECT of an acceptor scenario
 * hands the gateway one end of a new pair; an initiator scenario takes the next pair the gateway's
 * initiator opened. The runner moves the manual clock to the engine's next timer whenever it waits
 * (src/conformance/target.ts), so a whole scenario set runs in milliseconds of real time.
 */
import type { ManualScheduler } from "../clock.ts";
import { buildGateway } from "../engine/build.ts";
import type { FixgConfig } from "../engine/config.ts";
import type { Gateway } from "../engine/gateway.ts";
import { Logger } from "../engine/log.ts";
import { memoryPair } from "../transport/memory.ts";
import type { Connection, Listener } from "../transport/types.ts";
import type { IncomingConns, ScenarioConn, ScenarioTarget } from "./target.ts";

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

/** One end of an in-memory pair as the tester's connection. */
function scenarioConn(conn: Connection, label: string): ScenarioConn {
  return {
    label,
    read: (buf) => conn.read(buf),
    // As over TCP, where writing to a peer that has just closed succeeds (the bytes are lost):
    // a scenario answers a Logout after which the engine disconnected at once (2i).
    write: (bytes) => conn.write(bytes).catch(() => {}),
    close: () => conn.close(),
  };
}

/** The connections the gateway's initiators open, queued for the runner's iCONNECT. */
class Incoming implements IncomingConns {
  readonly #queue: ScenarioConn[] = [];
  readonly #wakes = new Set<() => void>();

  push(c: ScenarioConn): void {
    this.#queue.push(c);
    for (const w of [...this.#wakes]) w();
  }

  take(): ScenarioConn | undefined {
    return this.#queue.shift();
  }

  subscribe = (wake: () => void): () => void => {
    this.#wakes.add(wake);
    return () => this.#wakes.delete(wake);
  };

  /** Closes what was never taken. */
  close(): void {
    for (const c of this.#queue.splice(0)) c.close();
  }
}

/** A running in-process engine: its gateway, the target scenarios connect to, its log. */
export interface InProcessEngine {
  readonly gateway: Gateway;
  /**
   * iCONNECT: a new in-memory connection to the (first) acceptor, or the next one an initiator opened;
   * time: the manual scheduler.
   */
  readonly target: ScenarioTarget;
  /** The engine's log lines (JSON, the last 2,000), for failure reports. */
  readonly log: string[];
  /** Stops the gateway (every session logged out, as on SIGTERM). */
  stop(): Promise<void>;
}

/**
 * Builds and starts `config`'s gateway in-process on `scheduler`, every acceptor on an in-memory
 * listener (the first is the target's), every initiator connecting to the target's `incoming`. The log
 * goes to `log` (level `logLevel`, default info).
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
  const incoming = new Incoming();
  let n = 0;
  const gateway = await buildGateway(config, {
    logger,
    clock: scheduler,
    listenerFor: (host, port) => {
      const k = `${host}:${port}`;
      let l = listeners.get(k);
      if (!l) listeners.set(k, l = new MemoryListener(host, port));
      return l;
    },
    connect: (host, port) => {
      const [ours, theirs] = memoryPair();
      incoming.push(scenarioConn(ours, `memory:${host}:${port}#${++n}`));
      return Promise.resolve(theirs);
    },
  });
  const first = [...listeners.values()][0];
  await gateway.start();
  const target: ScenarioTarget = {
    time: scheduler,
    incoming,
    connect(): Promise<ScenarioConn> {
      if (first === undefined) return Promise.reject(new Error("the engine in-process has no acceptor"));
      const [ours, theirs] = memoryPair();
      first.offer(theirs);
      return Promise.resolve(scenarioConn(ours, `memory:${first.port}#${++n}`));
    },
  };
  return {
    gateway,
    target,
    log,
    stop: async () => {
      await gateway.stop();
      incoming.close();
    },
  };
}

/**
 * What a scenario runs against, and in which time. A target opens the tester's connections to the
 * engine under test: over TCP (a spawned `fixg run`, or anything listening), or in-process (a Gateway
 * handed one end of an in-memory pair, src/conformance/in_process.ts). The time is real, or a manual
 * scheduler the runner moves itself: when a step waits and nothing has arrived, the runner lets the
 * engine finish what it is doing, then advances the clock to the engine's next timer instead of
 * sleeping, so heartbeat, TestRequest and logout-timeout scenarios take no real time.
 */

/** One connection of the tester to the engine: TCP or one end of an in-memory pair. */
export interface ScenarioConn {
  /** Where it goes, for the transcript ("host:port", or a label). */
  readonly label: string;
  /** Reads into `buf`; the byte count, or null at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes both directions (idempotent); a pending read ends. */
  close(): void;
}

/** A manual clock the runner moves instead of sleeping (src/clock.ts ManualScheduler is one). */
export interface ManualTime {
  nowMs(): number;
  /** The time of the earliest waiting timer, or undefined. */
  readonly nextAtMs: number | undefined;
  /** Moves the time to `atMs` (never back), running the timers that fall due on the way. */
  advanceTo(atMs: number): number;
}

/** Connections an initiator under test opened to the tester, taken one per iCONNECT. */
export interface IncomingConns {
  /** The oldest connection not taken yet, or undefined. */
  take(): ScenarioConn | undefined;
  /** Calls `wake` when a connection arrives; returns its removal. */
  subscribe(wake: () => void): () => void;
}

/** The engine under test as the runner sees it. */
export interface ScenarioTarget {
  /**
   * Acceptor under test: a new connection to the engine (an iCONNECT); throws with a one-line reason
   * when there is none.
   */
  connect(timeoutMs: number): Promise<ScenarioConn>;
  /** Initiator under test (in-process): the connections it opens; absent: a TCP listener is used. */
  readonly incoming?: IncomingConns;
  /** The time the engine runs in; absent: real time. */
  readonly time?: ManualTime;
}

/** A Deno TCP connection as a scenario connection (writes looped until whole). */
export function tcpScenarioConn(conn: Deno.TcpConn): ScenarioConn {
  try {
    conn.setNoDelay(true);
  } catch {
    // Not every transport has the option; a scenario does not depend on it.
  }
  const addr = conn.remoteAddr as Deno.NetAddr;
  return {
    label: `${addr.hostname}:${addr.port}`,
    read: (buf) => conn.read(buf),
    async write(bytes) {
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    },
    close: () => conn.close(),
  };
}

/** An acceptor listening on `host:port` (TCP): each iCONNECT is a new TCP connection. */
export function tcpTarget(host: string, port: number): ScenarioTarget {
  return {
    async connect(timeoutMs: number): Promise<ScenarioConn> {
      const pending = Deno.connect({ hostname: host, port, transport: "tcp" });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
      let conn: Deno.TcpConn | undefined;
      try {
        conn = await Promise.race([pending, timeout]);
      } catch (e) {
        throw new Error(`cannot connect to ${host}:${port}: ${e instanceof Error ? e.message : e}`);
      } finally {
        clearTimeout(timer);
      }
      if (conn === undefined) {
        pending.then((c) => c.close(), () => {});
        throw new Error(`cannot connect to ${host}:${port} within ${timeoutMs} ms`);
      }
      return tcpScenarioConn(conn);
    },
  };
}

/** How the runner waits: in real time, or by moving a manual clock. */
export interface Waits {
  /** Milliseconds of the scenario's clock (real: performance.now; manual: the manual clock). */
  now(): number;
  /**
   * Resolves true as soon as `ready()` holds, false when `ms` of this time pass first. `subscribe`
   * registers a wake-up called when something arrives (and returns its removal).
   */
  until(ready: () => boolean, ms: number, subscribe: (wake: () => void) => () => void): Promise<boolean>;
  /** Lets `ms` of this time pass (manual: the timers falling due run, and the engine reacts to each). */
  sleep(ms: number): Promise<void>;
}

/** Real time: timers and wake-ups. */
export const realWaits: Waits = {
  now: () => performance.now(),
  until(ready, ms, subscribe) {
    if (ready()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let unsubscribe = () => {};
      const timer = setTimeout(() => {
        unsubscribe();
        resolve(ready());
      }, Math.max(0, ms));
      unsubscribe = subscribe(() => {
        if (!ready()) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(true);
      });
    });
  },
  sleep: (ms) => new Promise<void>((r) => setTimeout(r, ms)),
};

/** A turn of the event loop: every promise chain that needs no I/O has run when it resolves. */
const turn = () => new Promise<void>((r) => setTimeout(r, 0));

/**
 * Manual time. A wait first lets the engine run (turns of the event loop, ended early by a wake-up),
 * then moves the clock to the next timer due before the wait's end and lets the engine react to it,
 * and so on; with no timer left before the end, the clock moves to the end. `turns` is how many
 * quiet turns count as "the engine is idle" (the in-memory transport and store need no I/O, so one
 * turn drains them; a few more cover engine code that yields with a zero timer). `realGuardMs` bounds
 * a wait in real time, so a target that does real I/O cannot hang a run.
 */
export function manualWaits(time: ManualTime, turns = 3, realGuardMs = 10_000): Waits {
  const settle = async (ready: () => boolean): Promise<void> => {
    for (let i = 0; i < turns && !ready(); i++) await turn();
  };
  return {
    now: () => time.nowMs(),
    async until(ready, ms, _subscribe) {
      const end = time.nowMs() + ms;
      const realEnd = performance.now() + realGuardMs;
      for (;;) {
        await settle(ready);
        if (ready()) return true;
        if (time.nowMs() >= end || performance.now() > realEnd) return false;
        const next = time.nextAtMs;
        time.advanceTo(next === undefined || next > end ? end : Math.max(next, time.nowMs()));
      }
    },
    async sleep(ms) {
      const end = time.nowMs() + ms;
      for (;;) {
        await settle(() => false);
        if (time.nowMs() >= end) return;
        const next = time.nextAtMs;
        time.advanceTo(next === undefined || next > end ? end : Math.max(next, time.nowMs()));
      }
    },
  };
}

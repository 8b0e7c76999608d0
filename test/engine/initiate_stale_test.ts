/**
 * An initiator whose session is released (cluster lease lost) or handed over (operator move) while its
 * TCP connect is still in flight closes that connection instead of attaching it to the stopped runner.
 * Before: the loop attached the new connection to the runner it had read before connecting, a runner
 * whose store was already closed (its Logon could not commit; the connection hung on a dead session).
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { type InitiateHost, runInitiator, Sleeper } from "../../src/engine/gateway_initiate.ts";
import type { GatewayEntry, GatewaySession } from "../../src/engine/gateway_types.ts";
import { Logger } from "../../src/engine/log.ts";
import type { Connection } from "../../src/transport/types.ts";

function fakeConn(): Connection & { closed: number } {
  return {
    remoteAddr: "127.0.0.1:1",
    remoteHost: "127.0.0.1",
    closed: 0,
    read: () => Promise.resolve(null),
    write: () => Promise.resolve(),
    close() {
      this.closed++;
    },
  };
}

for (const how of ["released", "handed over"] as const) {
  Deno.test(`runInitiator: a session ${how} while connecting gets no connection attached`, async () => {
    const scheduler = new ManualScheduler(0);
    const sleeper = new Sleeper(scheduler);
    const spec = {
      config: { id: { beginString: "FIX.4.4", senderCompId: "A", targetCompId: "B" } },
      hosts: [{ host: "127.0.0.1", port: 1 }],
      reconnect: { initialMs: 100, maxMs: 100, attempts: 0 },
    } as unknown as GatewaySession;
    let attached = 0;
    const runner = {
      key: "FIX.4.4:A->B",
      counters: { reconnects: 0 },
      attach: () => {
        attached++;
        return Promise.resolve(false);
      },
    };
    let entry: GatewayEntry | undefined = { spec, runner, held: false } as unknown as GatewayEntry;
    let stopping = false;
    let connectStarted!: () => void;
    const started = new Promise<void>((r) => connectStarted = r);
    let finishConnect!: (c: Connection) => void;
    const conn = fakeConn();
    const host: InitiateHost = {
      logger: new Logger({ level: "error" }),
      scheduler,
      sleeper,
      random: () => 0,
      connect: () => {
        connectStarted();
        return new Promise<Connection>((r) => finishConnect = r);
      },
      stopping: () => stopping,
      entry: () => entry,
      windowReset: () => Promise.resolve(),
      tune: (c) => c,
    };
    const loop = runInitiator(host, spec);
    await started;
    if (how === "released") entry = undefined;
    else entry!.held = true;
    finishConnect(conn);
    // Let the loop see the connection, then stop it.
    for (let i = 0; i < 10; i++) await Promise.resolve();
    stopping = true;
    sleeper.wakeAll();
    await loop;
    assert.equal(attached, 0, "no connection attached to a session this gateway no longer runs");
    assert.equal(conn.closed, 1, "the connection was closed");
  });
}

/**
 * Engines of one cluster for the library tests over PostgreSQL: each `gateway(node)` builds a gateway of
 * the cluster (store `schema`, lease 1000 ms) with its library endpoint on DIR/NODE.sock, for the one
 * session CLIENT -> LP on 127.0.0.1:`port`, pinned to A.
 */
import assert from "node:assert/strict";
import { buildGateway } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import type { Gateway } from "../../src/engine/gateway.ts";
import { EngineServer } from "../../src/engine/library_server.ts";
import { Logger } from "../../src/engine/log.ts";
import { awaitMoves, requestMove } from "../../src/engine/cluster_ops.ts";
import type { PostgresMessageStore } from "../../src/store/postgres.ts";
import { PG_URL } from "../store/pg_helpers.ts";
import { waitFor } from "../_helpers/wait.ts";

/** The cluster's gateways and endpoints started so far. */
export interface ClusterEngines {
  /** Builds and starts gateway `node` and its endpoint. */
  gateway(node: string): Promise<Gateway>;
  /** Stops every endpoint, then every gateway (a failing stop is ignored: the test's own checks count). */
  stop(): Promise<void>;
}

export function clusterEngines(o: { dir: string; schema: string; port: number }): ClusterEngines {
  const gws: Gateway[] = [];
  const servers: EngineServer[] = [];
  const logger = () => new Logger({ level: "error" });
  return {
    async gateway(node: string): Promise<Gateway> {
      const yaml = [
        `store: { type: postgres, url: "${PG_URL}", schema: ${o.schema} }`,
        `cluster: { nodeId: ${node}, leaseMs: 1000 }`,
        `log: { level: error }`,
        `sessions:`,
        `  - { role: initiator, senderCompId: CLIENT, targetCompId: LP, beginString: FIX.4.4, host: 127.0.0.1, port: ${o.port}, owner: A, reconnect: { initialMs: 50, maxMs: 100 } }`,
      ].join("\n") + "\n";
      const server = new EngineServer({ socket: `${o.dir}/${node}.sock`, logger: logger() });
      const gw = await buildGateway(parseConfig(yaml, `${node}.yaml`), { app: server.app, logger: logger() });
      server.attach(gw);
      gws.push(gw);
      servers.push(server);
      await gw.start();
      await server.start();
      return gw;
    },
    async stop(): Promise<void> {
      for (const s of servers) s.stop();
      for (const g of gws) await g.stop().catch(() => {});
    },
  };
}

/**
 * Moves the session `key` to gateway `to` as `fixg cluster move` does, once `to` is a live member of the
 * cluster (`ops`: a store on the cluster's schema), and waits until it has logged on there.
 */
export async function moveSession(
  ops: PostgresMessageStore,
  key: string,
  to: { node: string; gw: Gateway },
): Promise<void> {
  await waitFor(
    async () => {
      const [m] = await ops.sql.unsafe(
        `select count(*)::int as n from ${ops.t("members")} where node_id = $1`,
        [
          to.node,
        ],
      );
      return m!.n === 1;
    },
    `${to.node} registered`,
    10_000,
  );
  const asked = await requestMove(ops, key, to.node);
  assert.ok(asked !== undefined);
  const [moved] = await awaitMoves(ops, [{ session: key, to: to.node, ...asked }], 20_000);
  assert.equal(moved!.ok, true, moved!.error);
  await waitFor(() => to.gw.runner(key)?.loggedOn === true, `${to.node} logged on`, 10_000);
}

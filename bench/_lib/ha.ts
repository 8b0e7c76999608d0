/**
 * What the HA benchmark (bench/ha_bench.ts) and the HA tests (test/ha/) share: the fixg.yaml of a cluster
 * member and the NewOrderSingle its gateway child sends.
 */
import type { Field, FixMessage } from "../../src/codec/encoder.ts";
import { Tag } from "../../src/codec/tags.ts";

/** A session of a cluster member: an initiator CLIENT (or `sender`) -> LP on 127.0.0.1:`port` (or several). */
export interface MemberSession {
  port: number | number[];
  owner?: string;
  sender?: string;
}

/** fixg.yaml of one cluster member on the PostgreSQL store at `url` (schema `schema`, else the default). */
export function memberConfig(
  o: {
    url: string;
    schema?: string;
    nodeId: string;
    leaseMs: number;
    logLevel?: "debug" | "info" | "warn" | "error";
    sessions: readonly MemberSession[];
  },
): string {
  const lines = [
    `store: { type: postgres, url: "${o.url}"${o.schema !== undefined ? `, schema: ${o.schema}` : ""} }`,
    `cluster: { nodeId: ${o.nodeId}, leaseMs: ${o.leaseMs} }`,
    `log: { level: ${o.logLevel ?? "info"} }`,
    `sessions:`,
  ];
  for (const s of o.sessions) {
    lines.push(
      `  - role: initiator`,
      `    senderCompId: ${s.sender ?? "CLIENT"}`,
      `    targetCompId: LP`,
      `    beginString: FIX.4.4`,
      `    heartbeatIntervalSec: 1`,
      `    reconnect: { initialMs: 100, maxMs: 500 }`,
    );
    if (Array.isArray(s.port)) lines.push(`    hosts: [${s.port.map((p) => `"127.0.0.1:${p}"`).join(", ")}]`);
    else lines.push(`    host: 127.0.0.1`, `    port: ${s.port}`);
    if (s.owner !== undefined) lines.push(`    owner: ${s.owner}`);
  }
  return lines.join("\n") + "\n";
}

/** The NewOrderSingle of the HA runs after its ClOrdID: EUR/USD, buy 1000 at 1.085 limit. */
const HA_ORDER: readonly Field[] = [
  [Tag.Symbol, "EUR/USD"],
  [Tag.Side, "1"],
  [Tag.TransactTime, "20260105-12:00:00.000"],
  [Tag.OrderQty, 1000],
  [Tag.OrdType, "2"],
  [Tag.Price, 1.085],
];

/** The limit NewOrderSingle of the HA runs, with TimeInForce Day (59=0) when asked. */
export function haOrder(clOrdId: string, timeInForceDay = false): FixMessage {
  const fields: Field[] = [[Tag.ClOrdID, clOrdId], ...HA_ORDER];
  if (timeInForceDay) fields.push([Tag.TimeInForce, "0"]);
  return { msgType: "D", fields };
}

/** Processes and configs of the HA tests: gateway children on a PostgreSQL store, the LP, the database. */
import postgres from "postgres";
import { PG_URL } from "../store/pg_helpers.ts";
import { freePort, type RunningPeer, startPeer } from "../interop/peers.ts";

export const root = new URL("../../", import.meta.url).pathname;

/** A running child whose stdout JSON lines are collected. */
export interface Child {
  child: Deno.ChildProcess;
  events: Record<string, unknown>[];
  stderr: () => string;
  done: Promise<void>;
}

/** Starts test/ha/gateway_child.ts on `config` sending `orders` at `rate`/s once logged on. */
export function spawnGateway(config: string, orders: number, rate: number): Child {
  const child = new Deno.Command(`${root}deno`, {
    args: ["run", "-A", `${root}test/ha/gateway_child.ts`, config, String(orders), String(rate)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const events: Record<string, unknown>[] = [];
  let err = "";
  const done = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      const parts = buf.split("\n");
      buf = parts.pop()!;
      for (const p of parts) if (p.startsWith("{")) events.push(JSON.parse(p));
    }
  })();
  void (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) err += chunk;
  })();
  return { child, events, stderr: () => err, done };
}

/** fixg.yaml of one cluster member with one initiator session to 127.0.0.1:`port`. */
export function gatewayConfig(
  o: {
    nodeId: string;
    schema: string;
    leaseMs: number;
    sessions: { port: number | number[]; owner?: string; sender?: string }[];
  },
): string {
  const lines = [
    `store: { type: postgres, url: "${PG_URL}", schema: ${o.schema} }`,
    `cluster: { nodeId: ${o.nodeId}, leaseMs: ${o.leaseMs} }`,
    `log: { level: info }`,
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

/** A connection to the test database for polling the store's rows. */
export function db(): postgres.Sql {
  return postgres(PG_URL!, { max: 1, onnotice: () => {} });
}

/**
 * Polls until `cond` holds (every 10 ms), or throws after `ms`; the error carries the last lines of the
 * stderr of `children` (why a gateway did not get there).
 */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
  children: Child[] = [],
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) {
      const tails = children.map((c) => c.stderr().split("\n").slice(-15).join("\n")).filter((t) => t.trim());
      throw new Error(
        `timed out waiting for ${what}${tails.length ? `; stderr:\n${tails.join("\n--\n")}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The ClOrdIDs of the NewOrderSingles in a session's stored outbound messages. */
export async function storedOrders(sql: postgres.Sql, schema: string, key: string): Promise<string[]> {
  const rows = await sql.unsafe(
    `select bytes from "${schema}".outbound where session_key = $1 order by gen, seq`,
    [key],
  );
  const out: string[] = [];
  for (const r of rows) {
    const t = new TextDecoder().decode(r.bytes as Uint8Array);
    if (!t.includes("\x0135=D\x01")) continue;
    const i = t.indexOf("\x0111=") + 4;
    out.push(t.slice(i, t.indexOf("\x01", i)));
  }
  return out;
}

/**
 * The counterparty of the HA tests: `fixg simulate-lp --ack-only` on a free loopback port, acknowledging
 * `targetCompId` ("CLIENT" by default, "*" for any), with its own file journal in `journalDir` when given.
 */
export function startLp(o: { journalDir?: string; targetCompId?: string } = {}): Promise<RunningPeer> {
  const args = ["simulate-lp", "--port", String(freePort()), "--host", "127.0.0.1"];
  args.push("--target-comp-id", o.targetCompId ?? "CLIENT");
  if (o.journalDir !== undefined) args.push("--store", o.journalDir);
  args.push("--ack-only", "--stats-interval", "0", "--json");
  return startPeer({ cmd: `${root}fixg`, args });
}

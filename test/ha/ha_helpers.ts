/** Processes and configs of the HA tests: gateway children on a PostgreSQL store, the LP, the database. */
import postgres from "postgres";
import { dropSchema, PG_URL } from "../store/pg_helpers.ts";
import { memberConfig, type MemberSession } from "../../bench/_lib/ha.ts";
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

/** fixg.yaml of one cluster member on the test database (log level info). */
export function gatewayConfig(
  o: { nodeId: string; schema: string; leaseMs: number; sessions: MemberSession[] },
): string {
  return memberConfig({ url: PG_URL!, ...o });
}

/** Writes DIR/NODE.yaml: a cluster member (lease 1000 ms) with the one initiator session to the LP on `lpPort`, pinned to A. */
export function writeMemberConfig(dir: string, node: string, schema: string, lpPort: number): string {
  const f = `${dir}/${node}.yaml`;
  Deno.writeTextFileSync(
    f,
    gatewayConfig({ nodeId: node, schema, leaseMs: 1000, sessions: [{ port: lpPort, owner: "A" }] }),
  );
  return f;
}

/** fixg.yaml of a cluster member with one acceptor session (GW <- CLIENT) on `port`, pinned to A. */
export function acceptorConfig(node: string, schema: string, port: number): string {
  return [
    `store: { type: postgres, url: "${PG_URL}", schema: ${schema} }`,
    `cluster: { nodeId: ${node}, leaseMs: 1000 }`,
    `log: { level: info }`,
    `sessions:`,
    `  - { role: acceptor, senderCompId: GW, targetCompId: CLIENT, beginString: FIX.4.4, bindHost: 127.0.0.1, port: ${port}, owner: A, validation: { enabled: false } }`,
  ].join("\n") + "\n";
}

/** Sends each child `signals` in turn (SIGKILL by default; one already gone is skipped) and waits for its exit. */
export async function killChildren(
  children: readonly { child: Deno.ChildProcess }[],
  signals: readonly Deno.Signal[] = ["SIGKILL"],
): Promise<void> {
  for (const c of children) {
    try {
      for (const sig of signals) c.child.kill(sig);
    } catch { /* gone */ }
    await c.child.status;
  }
}

/**
 * fixg.yaml of the counterparty of a shared acceptor session: the initiator CLIENT -> GW with both
 * gateways' addresses (127.0.0.1:`ports`), its own file journal under `dir`.
 */
export function acceptorClientConfig(dir: string, ports: readonly number[]): string {
  return [
    `store: { type: file, dir: ${dir}/client-journal }`,
    `log: { level: info }`,
    `sessions:`,
    `  - { role: initiator, senderCompId: CLIENT, targetCompId: GW, beginString: FIX.4.4, heartbeatIntervalSec: 1, hosts: [${
      ports.map((p) => `"127.0.0.1:${p}"`).join(", ")
    }], reconnect: { initialMs: 100, maxMs: 300 } }`,
  ].join("\n") + "\n";
}

/** The end of a run with gateway children: kills them, stops the LP, closes `sql`, drops the schema and removes `dir`. */
export async function endRun(o: {
  children: readonly { child: Deno.ChildProcess }[];
  lp?: { stop(): Promise<unknown> };
  sql?: postgres.Sql;
  schema: string;
  dir: string;
}): Promise<void> {
  await killChildren(o.children);
  await o.lp?.stop().catch(() => {});
  await o.sql?.end();
  await dropSchema(o.schema);
  await Deno.remove(o.dir, { recursive: true });
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

/**
 * Waits until a statement calling pg_sleep runs on a connection named `appName` (its application_name),
 * seen from `sql` (another connection): polls every 20 ms, fails with `what` after 250 waits (5 s).
 */
export async function untilSleeping(
  sql: Pick<postgres.Sql, "unsafe">,
  appName: string,
  what: string,
): Promise<void> {
  for (let i = 0;; i++) {
    const rows = await sql.unsafe(
      `select 1 from pg_stat_activity where application_name = $1 and query like '%pg_sleep%'`,
      [appName],
    );
    if (rows.length > 0) return;
    if (i >= 250) throw new Error(what);
    await new Promise((r) => setTimeout(r, 20));
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

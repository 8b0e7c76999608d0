/**
 * HA benchmarks (a script, not a timed test; docs/performance.md "High availability"):
 *
 *   1. store: group commit of the PostgreSQL store — messages/s and commit latency per group (p50/p99)
 *      for S sessions appending as fast as the store takes them, beside the file journal (`fsync:
 *      always`, the file journal's journal-before-send) on the same machine, same run.
 *   2. orders: order->ack through a gateway (in this process) and `fixg simulate-lp --ack-only`: the
 *      highest sustained orders/s (pipelined, back-pressure), and order->ack p50/p99 at a paced rate,
 *      with the PostgreSQL store (cluster member, journal before send) and with the file journal.
 *   2b. path: the store's part of an order's round trip, without the gateway and the simulator: one
 *      session at a paced rate (--rate), written the way a session runner does (one batch at a time: what
 *      was sent meanwhile, appended, then the flush before the bytes go out); each order's
 *      acknowledgement is appended as inbound at once after its batch and waited for as the runner does
 *      before delivery. order -> ack p50/p99 and commit per group, PostgreSQL beside the file journal.
 *   3. failover: two gateway processes share an initiator session; the owner is killed (SIGKILL) and the
 *      time to the new owner's first message is measured, `--kills` times (default 20), with the
 *      default lease (2000 ms) unless --lease-ms.
 *
 *   bash scripts/pg_cluster.sh start      # or FIXG_PG_URL=... for your own server
 *   ./deno run -A bench/ha_bench.ts [--only store,orders,path,failover] [--seconds 5] [--sessions 10]
 *       [--rate 5000] [--kills 20] [--lease-ms 2000] [--pipeline-sessions] [--json]
 *
 *   --pipeline-sessions: the PostgreSQL store's `pipelineSessions` (a session's next group starts before
 *   its previous one is on the standby; docs/ha.md "Overlapping group commits").
 */
import { buildGateway } from "../src/engine/build.ts";
import { loadConfig } from "../src/engine/config.ts";
import { Tag } from "../src/mod.ts";
import type { SessionHandle } from "../src/engine/application.ts";
import { FileJournal } from "../src/store/journal.ts";
import { openPostgresStore } from "../src/store/postgres.ts";
import type { MessageStore } from "../src/store/types.ts";
import postgres from "postgres";
import { haOrder, memberConfig } from "./_lib/ha.ts";
import { startSimulateLp } from "./_lib/simulate_lp.ts";

const root = new URL("../", import.meta.url).pathname;
const args = parseArgs(Deno.args);
const url = Deno.env.get("FIXG_PG_URL") ?? readEnvFile()["FIXG_PG_URL"];
if (url === undefined) {
  console.error("ha_bench: no PostgreSQL: set FIXG_PG_URL or run `bash scripts/pg_cluster.sh start`");
  Deno.exit(2);
}
const results: { name: string; value: number; unit: string; note: string }[] = [];

function readEnvFile(): Record<string, string> {
  try {
    const out: Record<string, string> = {};
    for (
      const l of Deno.readTextFileSync(`${Deno.env.get("FIXG_PG_DIR") ?? "/tmp/fixg-pg"}/env`).split("\n")
    ) {
      const i = l.indexOf("=");
      if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
    }
    return out;
  } catch {
    return {};
  }
}

function parseArgs(a: string[]) {
  const get = (k: string, d: string) => {
    const i = a.indexOf(k);
    return i >= 0 && a[i + 1] !== undefined ? a[i + 1]! : d;
  };
  return {
    only: get("--only", ""),
    seconds: Number(get("--seconds", "5")),
    sessions: Number(get("--sessions", "10")),
    rate: Number(get("--rate", "5000")),
    kills: Number(get("--kills", "20")),
    leaseMs: Number(get("--lease-ms", "2000")),
    json: a.includes("--json"),
    pipelineSessions: a.includes("--pipeline-sessions"),
  };
}

function report(name: string, value: number, unit: string, note = ""): void {
  results.push({ name, value, unit, note });
  if (!args.json) {
    const v = value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(2);
    console.log(`${name.padEnd(52)} ${v.padStart(10)} ${unit.padEnd(9)} ${note}`);
  }
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function message(seq: number): Uint8Array {
  return new TextEncoder().encode(
    `8=FIX.4.4\x019=150\x0135=D\x0134=${seq}\x0149=BENCH\x0156=LP\x0152=20260105-12:00:00.000\x0111=O${seq}\x0155=EUR/USD\x0154=1\x0138=1000\x0140=2\x0144=1.085\x0160=20260105-12:00:00.000\x0110=000\x01`,
  );
}

/** Sessions append as fast as the store commits (each waits for its previous group: journal before send). */
async function storeRun(name: string, store: MessageStore, commitMs: number[] | undefined): Promise<void> {
  const sessions = [];
  for (let i = 0; i < args.sessions; i++) {
    sessions.push(await store.openSession(`FIX.4.4:B${i}->LP`, Date.now()));
  }
  const end = performance.now() + args.seconds * 1000;
  let n = 0;
  const lat: number[] = [];
  await Promise.all(sessions.map(async (s, i) => {
    let seq = 1;
    while (performance.now() < end) {
      // A burst of 20 messages per session, then the wait a runner makes before writing them.
      const t0 = performance.now();
      for (let k = 0; k < 20; k++) void s.appendOutbound(seq, message(seq++));
      await s.flush();
      lat.push(performance.now() - t0);
      n += 20;
      if (i < 0) break;
    }
  }));
  report(`${name}: messages committed`, n / args.seconds, "msg/s", `${args.sessions} sessions, bursts of 20`);
  report(`${name}: burst -> durable p50`, pct(lat, 50), "ms");
  report(`${name}: burst -> durable p99`, pct(lat, 99), "ms");
  if (commitMs !== undefined) {
    report(`${name}: commit per group p50`, pct(commitMs, 50), "ms", `${commitMs.length} groups`);
    report(`${name}: commit per group p99`, pct(commitMs, 99), "ms");
  }
  for (const s of sessions) await s.close();
}

async function benchStore(): Promise<void> {
  const schema = `bench_${Date.now().toString(36)}`;
  const pg = await openPostgresStore({
    url: url!,
    schema,
    maxConnections: 4,
    pipelineSessions: args.pipelineSessions,
  });
  const commitMs: number[] = [];
  let msgs = 0;
  pg.onCommit = (ms, n) => {
    commitMs.push(ms);
    msgs += n;
  };
  await storeRun("postgres (sync standby)", pg, commitMs);
  report("postgres: messages per group (mean)", msgs / Math.max(1, commitMs.length), "msg");
  await pg.sql.unsafe(`drop schema "${schema}" cascade`);
  await pg.close();
  const dir = await Deno.makeTempDir({ prefix: "fixg-ha-bench-" });
  const fj = await FileJournal.open({ dir, fsync: "always" });
  await storeRun("file journal (fsync always)", fj, undefined);
  await fj.close();
  await Deno.remove(dir, { recursive: true });
}

/** The store's part of order -> ack at a paced rate, one session (see the header: 2b). */
async function pathRun(name: string, store: MessageStore, commitMs: number[] | undefined): Promise<void> {
  const s = await store.openSession("FIX.4.4:PATH->LP", Date.now());
  const deliverAfterCommit = s.durableBeforeDeliver === true;
  let seq = 1, inSeq = 1;
  const lat: number[] = [];
  const queued: number[] = []; // send times of orders not written yet
  let writing = false;
  const acks: Promise<void>[] = [];
  // The runner: one batch at a time; the acknowledgements of a written batch come back at once.
  const write = async () => {
    writing = true;
    while (queued.length > 0) {
      const batch = queued.splice(0);
      for (let i = 0; i < batch.length; i++) void s.appendOutbound(seq, message(seq++));
      await s.flush();
      for (const t0 of batch) {
        const p = s.appendInbound(inSeq, message(inSeq++));
        const done = () => {
          lat.push(performance.now() - t0);
        };
        acks.push(deliverAfterCommit && p !== undefined ? p.then(done) : Promise.resolve(done()));
      }
    }
    writing = false;
  };
  const perTick = Math.max(1, Math.round(args.rate / 1000));
  const t1 = performance.now();
  let due = t1;
  while (performance.now() - t1 < args.seconds * 1000) {
    for (let i = 0; i < perTick; i++) queued.push(performance.now());
    if (!writing) void write();
    due += 1;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
  while (writing) await new Promise((r) => setTimeout(r, 1));
  await Promise.all(acks);
  report(
    `${name}: path: order->ack p50 at ${args.rate}/s`,
    pct(lat, 50) * 1000,
    "µs",
    `${lat.length} orders`,
  );
  report(`${name}: path: order->ack p99 at ${args.rate}/s`, pct(lat, 99) * 1000, "µs");
  if (commitMs !== undefined) {
    report(`${name}: path: commit per group p50`, pct(commitMs, 50), "ms", `${commitMs.length} groups`);
    report(`${name}: path: commit per group p99`, pct(commitMs, 99), "ms");
  }
  await s.close();
}

async function benchPath(): Promise<void> {
  const schema = `bench_${Date.now().toString(36)}`;
  const pg = await openPostgresStore({ url: url!, schema, pipelineSessions: args.pipelineSessions });
  const commitMs: number[] = [];
  pg.onCommit = (ms) => commitMs.push(ms);
  await pathRun("postgres (sync standby)", pg, commitMs);
  // Retries of a healthy run are statements that found their row behind (should be none) or lost.
  report("postgres (sync standby): path: commit retries", pg.stats.retries, "", `${pg.stats.fenced} fenced`);
  await pg.sql.unsafe(`drop schema "${schema}" cascade`);
  await pg.close();
  const dir = await Deno.makeTempDir({ prefix: "fixg-ha-bench-" });
  const fj = await FileJournal.open({ dir, fsync: "always" });
  await pathRun("file journal (fsync always)", fj, undefined);
  await fj.close();
  await Deno.remove(dir, { recursive: true });
}

/** The LP: acks only, any CompID. */
function startLp() {
  return startSimulateLp(["--target-comp-id", "*", "--ack-only"]);
}

/** Order->ack through a gateway with `storeYaml`: max orders/s (pipelined) and paced latency. */
async function ordersRun(
  name: string,
  storeYaml: string[],
  port: number,
  sender: string,
  pg?: { schema: string; nodeId: string },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fixg-ha-bench-" });
  const file = `${dir}/gw.yaml`;
  Deno.writeTextFileSync(
    file,
    [
      ...storeYaml.map((l) => l.replace("$DIR", dir)),
      `log: { level: warn }`,
      `sessions:`,
      `  - role: initiator`,
      `    senderCompId: ${sender}`,
      `    targetCompId: LP`,
      `    beginString: FIX.4.4`,
      `    host: 127.0.0.1`,
      `    port: ${port}`,
      `    validation: { enabled: false }`,
    ].join("\n") + "\n",
  );
  const sent = new Map<string, number>();
  const lat: number[] = [];
  let acked = 0;
  let session: SessionHandle | undefined;
  let logon!: () => void;
  const loggedOn = new Promise<void>((r) => (logon = r));
  // The PostgreSQL store is opened here (as build.ts would) so that its group commits can be watched.
  const store = pg === undefined ? undefined : await openPostgresStore({
    url: url!,
    schema: pg.schema,
    nodeId: pg.nodeId,
    idleInTransactionMs: args.leaseMs / 2,
    lockTimeoutMs: args.leaseMs / 2,
    pipelineSessions: args.pipelineSessions,
  });
  const groups: { ms: number; n: number }[] = [];
  if (store !== undefined) store.onCommit = (ms, n) => groups.push({ ms, n });
  const gw = await buildGateway(await loadConfig(file), {
    ...(store !== undefined ? { store } : {}),
    app: {
      onLogon(s) {
        session = s;
        logon();
      },
      onMessage(v) {
        if (v.msgType !== "8") return;
        acked++;
        const id = v.getString(Tag.ClOrdID)!;
        const t = sent.get(id);
        if (t !== undefined) {
          lat.push(performance.now() - t);
          sent.delete(id);
        }
      },
    },
  });
  await gw.start();
  await loggedOn;
  const s = session!;
  let n = 0;
  // A session that stopped (its store failed: on an overloaded machine a commit can outlast the lease)
  // refuses sends: the run ends there and says so.
  let stopped: string | undefined;
  const order = (track: boolean) => {
    if (stopped !== undefined) return "back-pressure";
    const id = `${sender}-${++n}`;
    const r = s.send(haOrder(id));
    if (r.kind === "refused" || r.kind === "back-pressure") {
      if (r.kind === "refused") {
        stopped = r.reason;
        console.error(`${name}: the session stopped: ${stopped}`);
      }
      n--;
      return "back-pressure";
    }
    if (track) sent.set(id, performance.now());
    return r;
  };
  // Throughput: keep the pipe full for `seconds`.
  const a0 = acked;
  const t0 = performance.now();
  while (performance.now() - t0 < args.seconds * 1000) {
    for (let i = 0; i < 200; i++) if (order(false) === "back-pressure") break;
    if (n - (acked - a0) > 20_000) await new Promise((r) => setTimeout(r, 1));
    else await new Promise((r) => setTimeout(r, 0));
  }
  const took = (performance.now() - t0) / 1000;
  while (acked - a0 < n && performance.now() - t0 < (args.seconds + 20) * 1000) {
    await new Promise((r) => setTimeout(r, 5));
  }
  report(
    `${name}: orders acked/s (pipelined)`,
    (acked - a0) / Math.max(took, (performance.now() - t0) / 1000),
    "orders/s",
  );
  if (store !== undefined) {
    const ms = groups.map((g) => g.ms), n = groups.reduce((a, g) => a + g.n, 0);
    report(`${name}: pipelined: commit per group p50`, pct(ms, 50), "ms", `${groups.length} groups`);
    report(`${name}: pipelined: commit per group p99`, pct(ms, 99), "ms");
    report(`${name}: pipelined: messages per group (mean)`, n / Math.max(1, groups.length), "msg");
    groups.length = 0;
  }
  // Latency at a paced rate.
  lat.length = 0;
  const perTick = Math.max(1, Math.round(args.rate / 1000));
  const t1 = performance.now();
  let due = t1;
  while (performance.now() - t1 < args.seconds * 1000) {
    for (let i = 0; i < perTick; i++) order(true);
    due += 1;
    const wait = due - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, wait)));
  }
  await new Promise((r) => setTimeout(r, 500));
  report(`${name}: order->ack p50 at ${args.rate}/s`, pct(lat, 50) * 1000, "µs", `${lat.length} orders`);
  report(`${name}: order->ack p99 at ${args.rate}/s`, pct(lat, 99) * 1000, "µs");
  if (store !== undefined) {
    const ms = groups.map((g) => g.ms);
    report(`${name}: paced: commit per group p50`, pct(ms, 50), "ms", `${groups.length} groups`);
    report(`${name}: paced: commit per group p99`, pct(ms, 99), "ms");
  }
  await gw.stop();
  await store?.close().catch(() => {});
  await Deno.remove(dir, { recursive: true });
}

async function benchOrders(): Promise<void> {
  const lp = await startLp();
  const schema = `bench_${Date.now().toString(36)}`;
  try {
    await ordersRun(
      "postgres (sync standby)",
      [
        `store: { type: postgres, url: "${url}", schema: ${schema} }`,
        `cluster: { nodeId: bench, leaseMs: ${args.leaseMs} }`,
      ],
      lp.port,
      "PG",
      { schema, nodeId: "bench" },
    );
    await ordersRun(
      "file journal (fsync batch)",
      [`store: { type: file, dir: $DIR/j, fsync: batch }`],
      lp.port,
      "FB",
    );
    await ordersRun(
      "file journal (fsync always)",
      [`store: { type: file, dir: $DIR/j, fsync: always }`],
      lp.port,
      "FA",
    );
  } finally {
    await lp.stop();
    const sql = postgres(url!, { max: 1, onnotice: () => {} });
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await sql.end();
  }
}

/** Kill -> first message of the new owner, `kills` times. */
async function benchFailover(): Promise<void> {
  const lp = await startLp();
  const schema = `bench_${Date.now().toString(36)}`;
  const dir = await Deno.makeTempDir({ prefix: "fixg-ha-bench-" });
  const KEY = "FIX.4.4:CLIENT->LP";
  const sql = postgres(url!, { max: 1, onnotice: () => {} });
  let spawned = 0;
  const spawn = (node: string) => {
    const f = `${dir}/${node}.yaml`;
    Deno.writeTextFileSync(
      f,
      memberConfig({
        url: url!,
        schema,
        nodeId: node,
        leaseMs: args.leaseMs,
        logLevel: "warn",
        sessions: [{ port: lp.port }],
      }),
    );
    const log = Deno.openSync(`${dir}/${node}-${++spawned}.log`, { append: true, create: true });
    const child = new Deno.Command(`${root}deno`, {
      args: ["run", "-A", `${root}test/ha/gateway_child.ts`, f, "1000000", "100"],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    void child.stderr.pipeTo(log.writable).catch(() => {});
    return child;
  };
  const row = async () =>
    (await sql.unsafe(
      `select owner, next_seq as next_sender_seq from "${schema}".sessions x join "${schema}".positions p
       on p.session_key = x.session_key and p.dir = 'out' where x.session_key = $1`,
      [KEY],
    )
      .catch(
        () => [],
      ))[0];
  const procs = new Map<string, Deno.ChildProcess>();
  let failed = false;
  const times: number[] = [];
  try {
    procs.set("A", spawn("A"));
    procs.set("B", spawn("B"));
    const until = async (f: () => Promise<boolean>, ms: number) => {
      const end = performance.now() + ms;
      while (!(await f())) {
        if (performance.now() > end) {
          failed = true;
          throw new Error(`timed out; the gateways' logs are in ${dir}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    for (let k = 0; k < args.kills; k++) {
      // Both gateways up and registered; the owner has been sending for a moment.
      await until(async () => {
        const r = await row();
        const m = await sql.unsafe(
          `select count(*) as n from "${schema}".members where heartbeat > now() - $1::float8 * interval '1 ms'`,
          [args.leaseMs],
        ).catch(() => [{ n: 0 }]);
        return r?.owner !== null && r?.owner !== undefined && Number(m[0]!.n) === 2;
      }, 60_000);
      await new Promise((r) => setTimeout(r, 300));
      const r = await row();
      const owner = String(r!.owner);
      procs.get(owner)!.kill("SIGKILL");
      const t0 = performance.now();
      await procs.get(owner)!.status;
      const at = Number((await row())!.next_sender_seq);
      await until(async () => {
        const x = await row();
        return x !== undefined && x.owner !== owner && Number(x.next_sender_seq) > at;
      }, 30_000);
      times.push(performance.now() - t0);
      if (!args.json) console.error(`kill ${k + 1}: ${owner} -> ${times[times.length - 1]!.toFixed(0)} ms`);
      procs.set(owner, spawn(owner)); // back as the standby
    }
    report(
      `failover: kill -> first message, median (${args.kills} kills)`,
      pct(times, 50),
      "ms",
      `lease ${args.leaseMs} ms`,
    );
    report(`failover: kill -> first message, worst`, Math.max(...times), "ms");
    report(`failover: kill -> first message, best`, Math.min(...times), "ms");
  } finally {
    for (const p of procs.values()) {
      try {
        p.kill("SIGKILL");
      } catch { /* gone */ }
      await p.status;
    }
    await lp.stop();
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await sql.end();
    if (!failed) await Deno.remove(dir, { recursive: true });
  }
}

const only = args.only === "" ? ["store", "orders", "path", "failover"] : args.only.split(",");
if (only.includes("store")) await benchStore();
if (only.includes("orders")) await benchOrders();
if (only.includes("path")) await benchPath();
if (only.includes("failover")) await benchFailover();
if (args.json) console.log(JSON.stringify(results, null, 2));

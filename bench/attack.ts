/**
 * Issue 14's attack benchmark: one `fixg run` gateway (file journal, fsync batch) serves a legitimate
 * session while it is attacked, and the legitimate session's order → ack latency (`fixg bench --echo`, a
 * separate process, over ::1) and the gateway's resident memory are measured in each case:
 *   - baseline: no attack;
 *   - idle: N connections (default 5,000) to 127.0.0.1 that never send a byte;
 *   - bad-logons: Logons with a wrong password at R per second (default 50) from 127.0.0.1, and one
 *     legitimate Logon with the right password from ::1 in the middle (timed);
 *   - resend-stalled: a session whose store holds M messages (default 100,000) sends 40 ResendRequests
 *     7=1 16=0 and never reads;
 *   - resend-reading: a session that reads asks for its M messages again and again (the gateway resends
 *     all the time the legitimate session is measured).
 * Peak RSS is sampled from /proc every 10 ms. Prints a markdown table (and writes it with --out).
 *
 * usage: ./deno run -A bench/attack.ts [--seconds 5] [--rate 500] [--idle 5000] [--bad-per-sec 50]
 *        [--messages 100000] [--only NAME,...] [--out FILE] [--no-write-timeout]
 */
import {
  type Attack,
  badLogonAttack,
  fix,
  idleAttack,
  log,
  PASSWORD,
  readingResendAttack,
  sleep,
  stalledResendAttack,
} from "./attack_peers.ts";
import { runFixgBenchProcess } from "../src/bench/child.ts";
import { FIXG_LAUNCHER } from "../src/bench/child.ts";
import { hashPassword } from "../src/engine/auth/password.ts";
import { sessionKey } from "../src/session/session_id.ts";
import { FileJournal } from "../src/store/journal.ts";

interface Plan {
  seconds: number;
  rate: number;
  idle: number;
  badPerSec: number;
  messages: number;
  only: string[] | undefined;
  out: string | undefined;
  /** Leave `outbound:` out of the config (to run this script against a build without those keys). */
  noWriteTimeout: boolean;
}

const USAGE =
  "usage: bench/attack.ts [--seconds 5] [--rate 500] [--idle 5000] [--bad-per-sec 50] [--messages 100000] [--only baseline,idle,bad-logons,resend-stalled,resend-reading] [--out FILE] [--no-write-timeout]";

function parseArgs(argv: string[]): Plan {
  const plan: Plan = {
    seconds: 5,
    rate: 500,
    idle: 5000,
    badPerSec: 50,
    messages: 100_000,
    only: undefined,
    out: undefined,
    noWriteTimeout: false,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [a, v] = [argv[i], argv[i + 1]];
    if (a === "--no-write-timeout") {
      plan.noWriteTimeout = true;
      i--;
      continue;
    }
    const n = Number(v);
    if (v === undefined) fail(`attack: ${a} needs a value`);
    else if (a === "--seconds" && n > 0) plan.seconds = n;
    else if (a === "--rate" && n > 0) plan.rate = n;
    else if (a === "--idle" && Number.isInteger(n) && n >= 0) plan.idle = n;
    else if (a === "--bad-per-sec" && n > 0) plan.badPerSec = n;
    else if (a === "--messages" && Number.isInteger(n) && n > 0) plan.messages = n;
    else if (a === "--only") plan.only = v.split(",");
    else if (a === "--out") plan.out = v;
    else fail(`attack: bad argument ${a} ${v}`);
  }
  return plan;
}

function fail(msg: string): never {
  console.error(`${msg}\n${USAGE}`);
  Deno.exit(2);
}

function freePort(): number {
  const l = Deno.listen({ hostname: "::", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
}

/** Journals `count` NewOrderSingles we (GW) sent to `target`, 34=1..count, before the gateway starts. */
async function prefill(dir: string, target: string, count: number): Promise<void> {
  const j = await FileJournal.open({ dir, fsync: "none", onWarning: () => {} });
  const s = await j.openSession(
    sessionKey({ beginString: "FIX.4.4", senderCompId: "GW", targetCompId: target }),
    Date.now(),
  );
  for (let seq = 1; seq <= count; seq++) {
    void s.appendOutbound(
      seq,
      fix("D", "GW", target, seq, [[11, `ORD-${seq}`], [55, "EUR/USD"], [54, "1"], [38, "100"], [40, "1"], [
        60,
        "20261207-00:00:00.000",
      ]]),
    );
    if (seq % 10_000 === 0) await s.flush();
  }
  await j.close();
}

/** Resident set of a process, bytes (0 when it is gone). */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every 10 ms until stopped; peak and last. */
function rssSampler(pid: number) {
  let peak = rssOf(pid);
  const t = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 10);
  return {
    stop(): number {
      clearInterval(t);
      return Math.max(peak, rssOf(pid));
    },
  };
}

interface Gateway {
  pid: number;
  port: number;
  stderr(): string;
  stop(): Promise<void>;
}

async function startGateway(dir: string, hash: string, plan: Plan): Promise<Gateway> {
  const port = freePort();
  const yaml = `store: { type: file, dir: "${dir}/journal", fsync: batch }
log: { level: warn }
users:
  alice: { passwordHash: "${hash}" }
reload: { watch: false }
sessions:
  - { role: acceptor, port: ${port}, bindHost: "::", senderCompId: GW, targetCompId: LEGIT, app: echo, resetOnLogon: true }
  - { role: acceptor, port: ${port}, bindHost: "::", senderCompId: GW, targetCompId: SLOW, app: echo${
    plan.noWriteTimeout ? "" : ", outbound: { writeTimeoutSec: 5 }"
  } }
  - { role: acceptor, port: ${port}, bindHost: "::", senderCompId: GW, targetCompId: READER, app: echo }
  - { role: acceptor, port: ${port}, bindHost: "::", senderCompId: GW, targetCompId: "*", app: echo, authentication: users, allowedUsers: [alice] }
`;
  await Deno.writeTextFile(`${dir}/fixg.yaml`, yaml);
  const child = new Deno.Command(FIXG_LAUNCHER, {
    args: ["run", "--config", `${dir}/fixg.yaml`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const reading = (async () => {
    for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) err += c;
  })();
  let exited = false;
  child.status.then(() => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const c = await Deno.connect({ hostname: "::1", port });
      c.close();
      break;
    } catch {
      if (exited || Date.now() > deadline) throw new Error(`the gateway did not start: ${err.trim()}`);
      await sleep(50);
    }
  }
  return {
    pid: child.pid,
    port,
    stderr: () => err,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
      }, 10_000);
      await child.status;
      clearTimeout(t);
      await reading;
    },
  };
}

interface Row {
  scenario: string;
  count: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  rssBefore: number;
  rssPeak: number;
  /** 2 s after the attack stopped. */
  rssAfter: number;
  notes: string;
}

/** The legitimate session: `fixg bench --echo` at `rate` for `seconds` over ::1 (with 1 s warm-up). */
async function measureLegit(port: number, plan: Plan) {
  const r = await runFixgBenchProcess([
    "--target",
    `[::1]:${port}`,
    "--sender-comp-id",
    "LEGIT",
    "--target-comp-id",
    "GW",
    "--echo",
    "--rate",
    String(plan.rate),
    "--duration",
    String(plan.seconds),
    "--warmup",
    "1",
    "--no-floor",
  ]);
  const s = r.latency.orderToAck;
  if (s === undefined) throw new Error("the legitimate session measured no order-to-ack latency");
  return s;
}

async function scenario(
  name: string,
  gw: Gateway,
  plan: Plan,
  attack: Attack | undefined,
): Promise<Row> {
  log(`${name}...`);
  await sleep(500);
  const rssBefore = rssOf(gw.pid);
  const sampler = rssSampler(gw.pid);
  await attack?.start();
  let s: { count: number; p50Us: number; p99Us: number; p999Us: number; maxUs: number } | undefined;
  let failure = "";
  let note = "";
  try {
    s = await measureLegit(gw.port, plan);
  } catch (e) {
    // The legitimate session failing is a result (e.g. orders never answered while the gateway is stuck).
    const m = /ERROR: [^|]*/.exec(String(e instanceof Error ? e.message : e));
    failure = `**legitimate session failed: ${(m?.[0] ?? String(e)).trim()}**; `;
  } finally {
    note = (await attack?.stop()) ?? "";
  }
  const rssPeak = sampler.stop();
  await sleep(2000);
  const rssAfter = rssOf(gw.pid);
  return {
    scenario: name,
    count: s?.count ?? NaN,
    p50Us: s?.p50Us ?? NaN,
    p99Us: s?.p99Us ?? NaN,
    p999Us: s?.p999Us ?? NaN,
    maxUs: s?.maxUs ?? NaN,
    rssBefore,
    rssPeak,
    rssAfter,
    notes: failure + note,
  };
}

const mb = (b: number) => (b / 1048576).toFixed(1);
const us = (n: number) => (Number.isNaN(n) ? "—" : Math.round(n).toLocaleString("en-US"));

function table(rows: Row[]): string {
  const lines = [
    "| attack | orders | p50 µs | p99 µs | p99.9 µs | max µs | RSS before MB | RSS peak MB | growth MB | RSS 2 s after MB | notes |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${us(r.count)} | ${us(r.p50Us)} | ${us(r.p99Us)} | ${us(r.p999Us)} | ${
        us(r.maxUs)
      } | ${mb(r.rssBefore)} | ${mb(r.rssPeak)} | ${mb(r.rssPeak - r.rssBefore)} | ${
        mb(r.rssAfter)
      } | ${r.notes} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const plan = parseArgs(Deno.args);
  const want = (n: string) => plan.only === undefined || plan.only.includes(n);
  const dir = await Deno.makeTempDir({ prefix: "fixg-attack-" });
  try {
    log(`journaling ${plan.messages} messages for SLOW and for READER...`);
    await prefill(`${dir}/journal`, "SLOW", plan.messages);
    await prefill(`${dir}/journal`, "READER", plan.messages);
    const hash = await hashPassword(PASSWORD);
    const gw = await startGateway(dir, hash, plan);
    const rows: Row[] = [];
    try {
      if (want("baseline")) rows.push(await scenario("none (baseline)", gw, plan, undefined));
      if (want("idle")) {
        rows.push(
          await scenario(`(a) ${plan.idle} idle connections`, gw, plan, idleAttack(gw.port, plan.idle)),
        );
      }
      if (want("bad-logons")) {
        rows.push(
          await scenario(
            `(b) ${plan.badPerSec} bad Logons/s`,
            gw,
            plan,
            badLogonAttack(gw.port, plan.badPerSec),
          ),
        );
      }
      if (want("resend-stalled")) {
        rows.push(
          await scenario(
            `(c) ${plan.messages / 1000}k resend, peer not reading`,
            gw,
            plan,
            stalledResendAttack(gw.port, 40, plan.noWriteTimeout ? "none" : "5 s"),
          ),
        );
      }
      if (want("resend-reading")) {
        rows.push(
          await scenario(
            `(d) ${plan.messages / 1000}k resends, peer reading`,
            gw,
            plan,
            readingResendAttack(gw.port, plan.messages),
          ),
        );
      }
    } finally {
      await gw.stop();
    }
    const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
    const warnings = gw.stderr().split("\n").filter((l) => /write-timeout|EMFILE|accept/.test(l)).slice(0, 5);
    const out = `${
      table(rows)
    }\n\nload average at the end: ${load}; legitimate session: fixg bench --echo --rate ${plan.rate} for ${plan.seconds} s over ::1${
      warnings.length > 0
        ? `\n\ngateway log lines of note:\n${warnings.map((l) => `    ${l}`).join("\n")}`
        : ""
    }\n`;
    console.log(out);
    if (plan.out) await Deno.writeTextFile(plan.out, out);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

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
import { Encoder, Framer, MessageView } from "../src/codec/mod.ts";
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

const log = (s: string) => Deno.stderr.writeSync(new TextEncoder().encode(`attack: ${s}\n`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PASSWORD = "correct horse battery staple";

function freePort(): number {
  const l = Deno.listen({ hostname: "::", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
}

const enc = new Encoder();
/** A FIX 4.4 message from `[tag, value]` pairs after 35 (SendingTime added). */
function fix(msgType: string, sender: string, target: string, seq: number, fields: Array<[number, string]>) {
  enc.begin("FIX.4.4", msgType);
  enc.str(49, sender).str(56, target).int(34, seq);
  enc.timestamp(52, Date.now());
  for (const [t, v] of fields) enc.str(t, v);
  return enc.finish().slice();
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

/** A raw FIX client: frames received (MsgType and a few tags), optional. */
class Client {
  frames: MessageView[] = [];
  closed = false;
  #framer: Framer;
  #loop: Promise<void> | undefined;
  constructor(
    readonly conn: Deno.TcpConn,
    readonly keep = true,
    readonly onFrame?: (v: MessageView) => void,
  ) {
    this.#framer = new Framer({
      onFrame: (b, s, e) => {
        const v = MessageView.parse(b.subarray(s, e));
        this.onFrame?.(v);
        if (this.keep) this.frames.push(v.copy());
      },
      onGarbled: () => {},
    });
  }
  static async connect(host: string, port: number, keep = true, onFrame?: (v: MessageView) => void) {
    return new Client(await Deno.connect({ hostname: host, port }), keep, onFrame);
  }
  startReading(): void {
    this.#loop ??= (async () => {
      const buf = new Uint8Array(256 * 1024);
      try {
        for (;;) {
          const n = await this.conn.read(buf);
          if (n === null) break;
          this.#framer.push(buf.subarray(0, n));
        }
      } catch { /* reset */ }
      this.closed = true;
    })();
  }
  async send(b: Uint8Array): Promise<void> {
    await this.conn.write(b);
  }
  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
  async done(): Promise<void> {
    await this.#loop;
  }
}

/** Waits for `cond` (polling every 5 ms) up to `ms`; false on timeout. */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

/** A Logon of `sender` to GW and the time until the answer: a Logon back (accepted) or the close. */
async function timedLogon(host: string, port: number, sender: string, password: string) {
  const t0 = performance.now();
  const c = await Client.connect(host, port);
  c.startReading();
  await c.send(
    fix("A", sender, "GW", 1, [[98, "0"], [108, "30"], [141, "Y"], [553, "alice"], [554, password]]),
  );
  await until(() => c.closed || c.frames.length > 0, 60_000);
  const accepted = c.frames[0]?.msgType === "A";
  const ms = performance.now() - t0;
  c.close();
  return { accepted, ms };
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

type Attack = { start(): Promise<void>; stop(): Promise<string> };

function idleAttack(port: number, n: number): Attack {
  const conns: Deno.TcpConn[] = [];
  let failed = 0;
  const closedByGateway = { n: 0 };
  return {
    async start() {
      for (let i = 0; i < n; i++) {
        try {
          const c = await Deno.connect({ hostname: "127.0.0.1", port });
          conns.push(c);
          // Notice the gateway closing it (a read that ends), without sending anything.
          c.read(new Uint8Array(64)).then(
            (r) => r === null && closedByGateway.n++,
            () => closedByGateway.n++,
          );
        } catch {
          failed++;
        }
      }
    },
    async stop() {
      const closed = closedByGateway.n;
      const open = conns.length - closed;
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await sleep(50);
      return `${conns.length} connected (${failed} connects failed); closed by the gateway by the end: ${closed}, still open: ${open}`;
    },
  };
}

function badLogonAttack(port: number, perSec: number): Attack {
  let running = true;
  let sent = 0, accepted = 0;
  let loop: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  let legit: { accepted: boolean; ms: number } | undefined;
  return {
    async start() {
      loop = (async () => {
        const t0 = performance.now();
        while (running) {
          const due = t0 + (sent * 1000) / perSec;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
          const i = sent++;
          const p = timedLogon("127.0.0.1", port, `BAD${i}`, `wrong-${i}`).then(
            (r) => void (r.accepted && accepted++),
            () => {},
          );
          inFlight.add(p);
          p.finally(() => inFlight.delete(p));
        }
      })();
      await sleep(1000);
    },
    async stop() {
      // A legitimate Logon from another address during the flood.
      legit = await timedLogon("::1", port, "GOOD", PASSWORD);
      running = false;
      await loop;
      await Promise.race([Promise.all([...inFlight]), sleep(5000)]);
      return `${sent} bad Logons (${accepted} accepted); a legitimate Logon from ::1 during the flood: ${
        legit.accepted ? "accepted" : "REFUSED"
      } in ${legit.ms.toFixed(0)} ms`;
    },
  };
}

function stalledResendAttack(port: number, requests: number, writeTimeout: string): Attack {
  let conn: Deno.TcpConn | undefined;
  return {
    async start() {
      // Log on, read the Logon answer, then send the requests and read nothing more.
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(fix("A", "SLOW", "GW", 1, [[98, "0"], [108, "30"]]));
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      if (n === null || !new TextDecoder().decode(buf.subarray(0, n)).includes("\x0135=A\x01")) {
        throw new Error("SLOW: Logon refused");
      }
      for (let i = 0; i < requests; i++) {
        await conn.write(fix("2", "SLOW", "GW", 2 + i, [[7, "1"], [16, "0"]]));
      }
      await sleep(1000);
    },
    stop() {
      try {
        conn?.close();
      } catch { /* closed by the gateway */ }
      return Promise.resolve(
        `${requests} ResendRequests 7=1 16=0, the peer reads nothing after its Logon (write timeout ${writeTimeout})`,
      );
    },
  };
}

function readingResendAttack(port: number, messages: number): Attack {
  let conn: Deno.TcpConn | undefined;
  let running = true;
  let rounds = 0;
  let ignored = 0;
  let bytes = 0;
  let loop: Promise<void> | undefined;
  let reader: Promise<void> | undefined;
  // The end of a round: our Logon (messages + 1) gap-filled to messages + 2. The peer only scans the
  // bytes for it (parsing 100,000 frames a round would take the CPU the gateway is measured on).
  const end = `\x0136=${messages + 2}\x01`;
  const latin1 = new TextDecoder("latin1");
  const buf = new Uint8Array(256 * 1024);
  let seen = 0; // ends seen
  let loggedOn = false;
  const readAll = async (): Promise<void> => {
    let tail = "";
    for (;;) {
      const n = await conn!.read(buf).catch(() => null);
      if (n === null) return;
      bytes += n;
      const t = tail + latin1.decode(buf.subarray(0, n));
      if (!loggedOn && t.includes("\x0135=A\x01")) loggedOn = true;
      for (let i = t.indexOf(end); i >= 0; i = t.indexOf(end, i + 1)) {
        if (i + end.length > tail.length) seen++;
      }
      tail = t.slice(-32);
    }
  };
  return {
    async start() {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
      reader = readAll();
      await conn.write(fix("A", "READER", "GW", 1, [[98, "0"], [108, "30"]]));
      if (!(await until(() => loggedOn, 10_000))) throw new Error("READER: Logon refused");
      let seq = 2;
      loop = (async () => {
        while (running) {
          const before = seen;
          await conn!.write(fix("2", "READER", "GW", seq++, [[7, "1"], [16, "0"]]));
          // A request that reaches the gateway before it saw its last write taken is answered with
          // nothing (the range is still on its way): ask again after a while.
          if (await until(() => seen > before || !running, 3000)) rounds++;
          else ignored++;
        }
      })();
      await sleep(1000);
    },
    async stop() {
      running = false;
      await Promise.race([loop, sleep(30_000)]);
      conn?.close();
      await reader;
      return `${rounds} resends of ${messages} messages read by the peer (${
        (bytes / 1048576).toFixed(0)
      } MB)${
        ignored > 0 ? `; ${ignored} requests answered with nothing (their range still on its way)` : ""
      }`;
    },
  };
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

/**
 * Journal benchmarks (a script, not a timed test): append throughput of 200-byte messages under each
 * fsync policy, the latency one durable append adds to a round trip, recovery time of a 1-million-
 * message journal, and verify speed.
 *
 *   ./deno run -A bench/journal_bench.ts [--messages N] [--dir DIR] [--json]
 *
 * DIR (default: a temporary directory) should be on the disk the gateway will use: fsync costs are
 * the disk's. Results go to stdout as a table (or JSON with --json).
 */
import { FileJournal, type FsyncPolicy } from "../src/store/journal.ts";
import { verifyJournal } from "../src/store/reader.ts";

const args = parseArgs(Deno.args);
const N = args.messages;
const KEY = "FIX.4.4:BENCH->PEER";
const MESSAGE = makeMessage(200);
const results: Array<{ name: string; value: number; unit: string; note: string }> = [];

function makeMessage(size: number): Uint8Array {
  const head =
    "8=FIX.4.4\x019=178\x0135=D\x0134=1000000\x0149=BENCH\x0156=PEER\x0152=20240102-03:04:05.678\x0111=ORD-1\x0158=";
  const tail = "\x0110=123\x01";
  return new TextEncoder().encode(head + "x".repeat(size - head.length - tail.length) + tail);
}

function report(name: string, value: number, unit: string, note = ""): void {
  results.push({ name, value, unit, note });
  if (!args.json) console.log(`${name.padEnd(44)} ${fmt(value).padStart(12)} ${unit.padEnd(10)} ${note}`);
}

function fmt(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(2);
}

const base = args.dir ?? Deno.makeTempDirSync({ prefix: "fixg-journal-bench-" });
addEventListener("unload", () => {
  if (args.dir === undefined) Deno.removeSync(base, { recursive: true });
});

function freshDir(tag: string): string {
  const d = `${base}/${tag}-${Date.now()}`;
  Deno.mkdirSync(d, { recursive: true });
  return d;
}

/** Lets timers and I/O completions run (the flusher's timer and fdatasync). */
function turn(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

/**
 * Appends `count` messages in bursts of `burst`, without waiting for each burst but keeping at most
 * `window` bursts unacknowledged (a gateway holding back what is not durable yet).
 */
async function throughput(
  policy: FsyncPolicy,
  count: number,
  burst: number,
  window: number,
  batchMicros: number,
): Promise<number> {
  const dir = freshDir(policy);
  const j = await FileJournal.open({
    dir,
    fsync: policy,
    batchMicros,
    batchMessages: 4096,
    onWarning: () => {},
  });
  const s = await j.openSession(KEY, Date.now());
  const pending: Array<Promise<void> | void> = [];
  const t0 = performance.now();
  let seq = 1;
  while (seq <= count) {
    let last: Promise<void> | void = undefined;
    for (let k = 0; k < burst && seq <= count; k++) last = s.appendOutbound(seq++, MESSAGE);
    pending.push(last);
    if (pending.length > window) await pending.shift();
    else if (policy === "none" && (seq & 0xffff) < burst) await turn();
  }
  await s.flush();
  const ms = performance.now() - t0;
  await j.close();
  Deno.removeSync(dir, { recursive: true });
  return count / (ms / 1000);
}

/** Latency of one append awaited until durable, as a round trip would see it. */
async function latency(
  policy: FsyncPolicy,
  count: number,
  batchMicros: number,
): Promise<{ p50: number; p99: number }> {
  const dir = freshDir(`lat-${policy}`);
  const j = await FileJournal.open({ dir, fsync: policy, batchMicros, onWarning: () => {} });
  const s = await j.openSession(KEY, Date.now());
  const us: number[] = [];
  for (let i = 1; i <= count; i++) {
    const t = performance.now();
    await s.appendOutbound(i, MESSAGE);
    us.push((performance.now() - t) * 1000);
  }
  await j.close();
  Deno.removeSync(dir, { recursive: true });
  us.sort((a, b) => a - b);
  return { p50: us[Math.floor(us.length * 0.5)]!, p99: us[Math.floor(us.length * 0.99)]! };
}

if (!args.json) {
  console.log(`journal bench: ${N.toLocaleString("en-US")} messages of ${MESSAGE.length} bytes\n`);
}

// Warm-up: let V8 optimise the append path before anything is measured.
await throughput("none", Math.min(N, 300_000), 1000, 1 << 30, 1000);
report(
  "append fsync=none",
  await throughput("none", N, 1000, 1 << 30, 1000),
  "msg/s",
  "bursts of 1000, flushed at the end",
);
report(
  "append fsync=batch (1 ms window)",
  await throughput("batch", N, 1000, 8, 1000),
  "msg/s",
  "bursts of 1000, <= 8 unacknowledged",
);
report(
  "append fsync=batch (1 ms window, acked)",
  await throughput("batch", Math.min(N, 200_000), 100, 0, 1000),
  "msg/s",
  "bursts of 100, each awaited",
);
report(
  "append fsync=always (1 per fsync)",
  await throughput("always", 5_000, 1, 0, 0),
  "msg/s",
  "each message awaited",
);
report(
  "append fsync=always (group of 100)",
  await throughput("always", 100_000, 100, 0, 0),
  "msg/s",
  "bursts of 100, each awaited",
);

for (const [policy, micros] of [["none", 1000], ["batch", 1000], ["batch", 0], ["always", 0]] as const) {
  const l = await latency(policy, 2000, micros);
  const name = `durable append latency ${policy}${policy === "batch" ? ` (${micros} us)` : ""}`;
  report(`${name} p50`, l.p50, "us");
  report(`${name} p99`, l.p99, "us");
}

// Recovery: a journal of N messages (in and out, two sessions), closed cleanly and after a crash.
{
  const dir = freshDir("recovery");
  const j = await FileJournal.open({ dir, fsync: "none", onWarning: () => {} });
  const a = await j.openSession(KEY, Date.now());
  const b = await j.openSession("FIX.4.4:BENCH->OTHER", Date.now());
  for (let i = 1; i <= N / 2; i++) {
    void a.appendOutbound(i, MESSAGE);
    void b.appendInbound(i, MESSAGE);
    if ((i & 0xffff) === 0) await turn();
  }
  await j.close();
  let bytes = 0;
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.endsWith(".seg")) bytes += Deno.statSync(`${dir}/${e.name}`).size;
  }
  const timeOpen = async () => {
    const t = performance.now();
    const r = await FileJournal.open({ dir, fsync: "none", onWarning: () => {} });
    const ms = performance.now() - t;
    await r.close();
    return ms;
  };
  report(
    "recovery, clean shutdown (index files)",
    await timeOpen(),
    "ms",
    `${N.toLocaleString("en-US")} messages, ${(bytes / 1e6).toFixed(0)} MB`,
  );
  const idx = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".idx")).sort();
  Deno.removeSync(`${dir}/${idx.at(-1)}`);
  report("recovery after a crash (last segment scanned)", await timeOpen(), "ms");
  for (const e of [...Deno.readDirSync(dir)]) {
    if (e.name.endsWith(".idx")) Deno.removeSync(`${dir}/${e.name}`);
  }
  report("recovery, every index missing (full scan)", await timeOpen(), "ms");
  const t = performance.now();
  const v = verifyJournal(dir);
  const ms = performance.now() - t;
  report(
    "verify",
    v.records / (ms / 1000),
    "records/s",
    `${v.records.toLocaleString("en-US")} records in ${ms.toFixed(0)} ms`,
  );
  Deno.removeSync(dir, { recursive: true });
}

if (args.json) console.log(JSON.stringify({ messages: N, messageBytes: MESSAGE.length, results }, null, 2));

function parseArgs(a: string[]): { messages: number; dir: string | undefined; json: boolean } {
  const out = { messages: 1_000_000, dir: undefined as string | undefined, json: false };
  for (let i = 0; i < a.length; i++) {
    if (a[i] === "--messages") out.messages = Number(a[++i]);
    else if (a[i] === "--dir") out.dir = a[++i];
    else if (a[i] === "--json") out.json = true;
    else {
      console.error(`usage: journal_bench.ts [--messages N] [--dir DIR] [--json]`);
      Deno.exit(2);
    }
  }
  return out;
}

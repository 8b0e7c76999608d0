// The engine's outbound path alone, in one process: a logged-on SessionRunner sends bursts of
// NewOrderSingles (filters, the machine's fast path, the encoder, the writer, the store) over the memory
// transport to a reader that only counts the bytes. Reports CPU time of the thread per order
// (/proc/thread-self/stat, 10 ms ticks: other processes on a busy machine weigh less than on the wall clock)
// and wall time per order, the best of the runs. Written for issue 16's "one copy less" (docs/performance.md):
// run it from two trees, alternating, pinned to one CPU.
// Run: ./deno run -A bench/outbound_path.ts [--orders 200000] [--burst 2000] [--runs 5] [--store memory|journal]
import { encodeMessage, Encoder, type FixMessage, Tag } from "../src/codec/mod.ts";
import { Logger } from "../src/engine/log.ts";
import { SessionRunner } from "../src/engine/session_runner.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../src/session/types.ts";
import { FileJournal } from "../src/store/journal.ts";
import { MemoryMessageStore } from "../src/store/memory_store.ts";
import type { MessageStore } from "../src/store/types.ts";
import { memoryPair } from "../src/transport/memory.ts";

const args = Deno.args;
const flag = (
  name: string,
  dflt: string,
) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? dflt : dflt);
const orders = Number(flag("--orders", "200000"));
const burst = Number(flag("--burst", "2000"));
const runs = Number(flag("--runs", "5"));
const storeKind = flag("--store", "memory");
if (!(orders > 0 && burst > 0 && runs > 0) || (storeKind !== "memory" && storeKind !== "journal")) {
  console.error("usage: bench/outbound_path.ts [--orders N] [--burst N] [--runs N] [--store memory|journal]");
  Deno.exit(2);
}

/** CPU time of this thread, ms (user + system; clock ticks of 10 ms). */
function threadCpuMs(): number {
  const stat = Deno.readTextFileSync("/proc/thread-self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

const config: SessionConfig = {
  ...DEFAULT_SESSION_SETTINGS,
  id: { beginString: "FIX.4.4", senderCompId: "BENCH", targetCompId: "LP" },
  role: "initiator",
  checkLatency: false,
};

function order(i: number): FixMessage {
  return {
    msgType: "D",
    fields: [
      [Tag.ClOrdID, `ORD-${i}`],
      [Tag.Symbol, "EUR/USD"],
      [Tag.Side, "1"],
      [Tag.TransactTime, "20261207-04:00:00.000"],
      [Tag.OrderQty, 1000],
      [Tag.OrdType, "2"],
      [Tag.Price, 1.0852],
      [Tag.TimeInForce, "0"],
    ],
  };
}

async function run(): Promise<{ cpuNs: number; wallNs: number }> {
  let dir: string | undefined;
  let messageStore: MessageStore;
  if (storeKind === "journal") {
    dir = Deno.makeTempDirSync({ prefix: "fixg-outbound-path-" });
    messageStore = await FileJournal.open({ dir, fsync: "none" });
  } else messageStore = new MemoryMessageStore();
  const store = await messageStore.openSession("k", Date.now());
  const runner = SessionRunner.create(config, store, {}, {
    logger: new Logger({ level: "error" }),
    trackOrders: false,
  });
  const [ours, theirs] = memoryPair();
  let received = 0;
  let waiting: { bytes: number; resolve: () => void } | undefined;
  const reading = (async () => {
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const n = await theirs.read(buf);
      if (n === null) return;
      received += n;
      if (waiting !== undefined && received >= waiting.bytes) waiting.resolve();
    }
  })();
  const attached = runner.attach(ours);
  const enc = new Encoder();
  const logon = encodeMessage(enc, "FIX.4.4", {
    msgType: "A",
    fields: [[49, "LP"], [56, "BENCH"], [34, 1], [52, "20261207-04:00:00.000"], [98, 0], [108, 30]],
  }).slice();
  await theirs.write(logon);
  while (!runner.loggedOn) await new Promise((r) => setTimeout(r, 1));
  const until = (bytes: number) =>
    received >= bytes ? Promise.resolve() : new Promise<void>((resolve) => waiting = { bytes, resolve });
  // Warm-up: a tenth of the orders, unmeasured.
  let i = 0;
  const sendBurst = async () => {
    for (let k = 0; k < burst; k++) {
      const r = runner.send(order(i++));
      if (r.kind !== "sent" && r.kind !== "queued") throw new Error(`send: ${JSON.stringify(r)}`);
    }
    // Every order written (the queued ones leave as writes complete), then every byte read.
    while (runner.counters.messagesOut < i + 1) await new Promise((r) => setTimeout(r, 0));
    await until(runner.counters.bytesOut);
  };
  for (let n = 0; n < orders / 10; n += burst) await sendBurst();
  const cpu0 = threadCpuMs();
  const t0 = performance.now();
  for (let n = 0; n < orders; n += burst) await sendBurst();
  const wallNs = (performance.now() - t0) * 1e6 / orders;
  const cpuNs = (threadCpuMs() - cpu0) * 1e6 / orders;
  theirs.close();
  await attached;
  await reading;
  await runner.stop();
  await messageStore.close();
  if (dir !== undefined) Deno.removeSync(dir, { recursive: true });
  return { cpuNs, wallNs };
}

const results: { cpuNs: number; wallNs: number }[] = [];
for (let r = 0; r < runs; r++) results.push(await run());
const best = (k: "cpuNs" | "wallNs") => Math.min(...results.map((x) => x[k]));
console.log(
  `outbound path, ${orders} orders in bursts of ${burst}, store ${storeKind}, best of ${runs}: ` +
    `CPU ${best("cpuNs").toFixed(0)} ns/order, wall ${best("wallNs").toFixed(0)} ns/order ` +
    `(runs CPU ${results.map((x) => x.cpuNs.toFixed(0)).join(" ")}; wall ${
      results.map((x) => x.wallNs.toFixed(0)).join(" ")
    })`,
);

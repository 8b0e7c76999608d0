/**
 * The simulator's whole order path in one process, no sockets: `fixg simulate-lp --ack-only`'s session
 * (a SessionRunner, acceptor, memory store) with its LpHost, fed N NewOrderSingles over the memory
 * transport (pre-encoded, ~60 KB per write, as a burst arrives), until N ExecutionReports have come back.
 * CPU time of the process (process.cpuUsage) from the first write to the last acknowledgement, ns per
 * order: framing, validation, the session's step, LpHost, the simulator, the ack's encoding and store.
 *
 * Usage: ./deno run -A bench/lp_host_path.ts [--n 100000] [--rounds 11] ROOT [ROOT2]
 * Each ROOT is a checkout of fixg (`.` for this one; a worktree of another build for before/after): with
 * two, their rounds alternate in one process (A B, B A, ...) and the medians and minimums are printed.
 */
import { alternate, cpuMs, rootArgs } from "./_lib/ab.ts";

const tick = () => new Promise((r) => setTimeout(r, 1));

async function load(root: string, n: number): Promise<() => Promise<number>> {
  const { SessionRunner } = await import(`${root}/src/engine/session_runner.ts`);
  const { LpHost } = await import(`${root}/src/engine/lp_host.ts`);
  const { Logger } = await import(`${root}/src/engine/log.ts`);
  const { defaultLpConfig, LpSimulator } = await import(`${root}/src/app/lp/mod.ts`);
  const { DEFAULT_SESSION_SETTINGS } = await import(`${root}/src/session/types.ts`);
  const { MemoryMessageStore } = await import(`${root}/src/store/memory_store.ts`);
  const { memoryPair } = await import(`${root}/src/transport/memory.ts`);
  const { Encoder } = await import(`${root}/src/codec/mod.ts`);
  const { concatBytes } = await import(`${root}/src/codec/bytes.ts`);

  function frame(enc: InstanceType<typeof Encoder>, msgType: string, seq: number, body: [number, string][]) {
    enc.begin("FIX.4.4", msgType);
    enc.str(49, "BENCH").str(56, "LP").int(34, seq).timestamp(52, Date.now());
    for (const [t, v] of body) enc.str(t, v);
    return enc.finish().slice();
  }

  /** The orders, in writes of about 60 KB (the same bytes every round: each round is a fresh session). */
  const enc = new Encoder();
  const chunks: Uint8Array[] = [];
  let cur: Uint8Array[] = [], len = 0;
  const transact = "20261207-20:00:00.000";
  for (let i = 0; i < n; i++) {
    const f = frame(enc, "D", i + 2, [
      [11, `L${i.toString(36)}`],
      [55, "EUR/USD"],
      [54, i % 2 === 0 ? "1" : "2"],
      [60, transact],
      [38, "100000"],
      [40, "2"],
      [44, i % 2 === 0 ? "1.0840" : "1.0860"],
      [59, "0"],
    ]);
    cur.push(f);
    len += f.length;
    if (len > 60_000) {
      chunks.push(concatBytes(cur));
      cur = [];
      len = 0;
    }
  }
  if (cur.length > 0) chunks.push(concatBytes(cur));
  const logon = frame(enc, "A", 1, [[98, "0"], [108, "30"]]);
  const ER = [1, 0x33, 0x35, 0x3d, 0x38, 1]; // SOH 35=8 SOH

  return async () => {
    const config = defaultLpConfig();
    config.behaviours.push({ ackOnly: true });
    const sim = new LpSimulator(config, Date.now());
    // The host needs the runner and the runner the host: tied through a holder, as startSimulator does.
    const ref: { runner?: InstanceType<typeof SessionRunner> } = {};
    const host = new LpHost(sim, () => ref.runner);
    const [ours, theirs] = memoryPair();
    const store = await new MemoryMessageStore().openSession("k", Date.now());
    const r = ref.runner = SessionRunner.create(
      {
        ...DEFAULT_SESSION_SETTINGS,
        id: { beginString: "FIX.4.4", senderCompId: "LP", targetCompId: "BENCH" },
        role: "acceptor",
        checkLatency: false,
      },
      store,
      host,
      { logger: new Logger({ level: "error" }) },
    );
    // The other side: counts ExecutionReports (SOH 35=8 SOH, matched across reads).
    let acks = 0;
    let done!: () => void;
    const allAcked = new Promise<void>((res) => (done = res));
    const reading = (async () => {
      const buf = new Uint8Array(1 << 20);
      let m = 0;
      for (;;) {
        const k = await theirs.read(buf);
        if (k === null) return;
        for (let j = 0; j < k; j++) {
          const b = buf[j]!;
          if (b === ER[m]) {
            if (++m === ER.length) {
              m = 1; // the closing SOH opens the next field
              if (++acks === n) done();
            }
          } else m = b === 1 ? 1 : 0;
        }
      }
    })();
    const attached = r.attach(ours);
    await theirs.write(logon);
    while (!r.loggedOn) await tick();
    await tick();
    const t0 = cpuMs();
    for (const c of chunks) await theirs.write(c);
    await allAcked;
    const ms = cpuMs() - t0;
    host.stop();
    theirs.close();
    await attached;
    await reading;
    await r.stop();
    return (ms * 1e6) / n;
  };
}

const { n, rounds, roots } = rootArgs(
  Deno.args,
  { n: 100_000, rounds: 11 },
  "usage: ./deno run -A bench/lp_host_path.ts [--n N] [--rounds R] ROOT [ROOT2]",
);
const runs = await Promise.all(roots.map((r) => load(r.replace(/\/$/, ""), n)));
const res = await alternate(runs, rounds);
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
roots.forEach((root, i) => {
  const r = res[i]!;
  console.log(
    `${root}: ${n} orders -> acks, CPU ns per order: median ${med(r).toFixed(0)}, min ${
      Math.min(...r).toFixed(0)
    } (${r.map((x) => x.toFixed(0)).join(" ")})`,
  );
});

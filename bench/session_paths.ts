/**
 * The session runner's two hot paths in one process, over the memory transport and a memory store,
 * measured in CPU time (process.cpuUsage: less disturbed by other work on a shared machine than wall time):
 *   out: N NewOrderSingles sent on a logged-on session (filters, the fast path, the outbound buffer)
 *   in:  N ExecutionReports framed, stepped and delivered to onMessage (about 60 KB per read)
 *
 * usage: ./deno run -A bench/session_paths.ts [--n 100000] [--rounds 8] ROOT [ROOT2]
 * Each ROOT is a checkout of fixg (`.` for this one; a worktree of an older build for before/after): with
 * two, their runs alternate in one process (same JIT, same moment of the machine's load) and the medians and
 * minimums of both are printed.
 */
import { concatBytes } from "../src/codec/bytes.ts";
import { alternate, cpuMs as cpu, rootArgs } from "./_lib/ab.ts";

export async function load(root: string, N: number) {
  const { SessionRunner } = await import(`${root}/src/engine/session_runner.ts`);
  const { Logger } = await import(`${root}/src/engine/log.ts`);
  const { DEFAULT_SESSION_SETTINGS } = await import(`${root}/src/session/types.ts`);
  const { MemoryMessageStore } = await import(`${root}/src/store/memory_store.ts`);
  const { memoryPair } = await import(`${root}/src/transport/memory.ts`);
  const { Encoder, Tag } = await import(`${root}/src/codec/mod.ts`);

  function frame(msgType: string, seq: number, body: Array<[number, string]>): Uint8Array {
    const e = new Encoder();
    e.begin("FIX.4.4", msgType);
    e.str(49, "ISLD").str(56, "TW").int(34, seq).timestamp(52, Date.now());
    for (const [t, v] of body) e.str(t, v);
    return e.finish().slice();
  }

  async function run(): Promise<{ outMs: number; inMs: number }> {
    const [ours, theirs] = memoryPair();
    const store = await new MemoryMessageStore().openSession("k", Date.now());
    let got = 0;
    let doneIn!: () => void;
    const inDone = new Promise<void>((r) => (doneIn = r));
    const runner = SessionRunner.create(
      {
        ...DEFAULT_SESSION_SETTINGS,
        id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
        role: "initiator",
        checkLatency: false,
      },
      store,
      {
        onMessage: () => {
          if (++got === N) doneIn();
        },
      },
      { logger: new Logger({ level: "error" }), trackOrders: true },
    );
    let outBytes = 0;
    const reading = (async () => {
      const buf = new Uint8Array(1 << 20);
      for (;;) {
        const n = await theirs.read(buf);
        if (n === null) return;
        outBytes += n;
      }
    })();
    const attached = runner.attach(ours);
    await new Promise((r) => setTimeout(r, 5));
    await theirs.write(frame("A", 1, [[98, "0"], [108, "30"]]));
    while (!runner.loggedOn) await new Promise((r) => setTimeout(r, 1));
    const order = {
      msgType: "D",
      fields: [[Tag.ClOrdID, "o1"], [Tag.Symbol, "IBM"], [Tag.Side, "1"], [Tag.OrderQty, 100], [
        Tag.OrdType,
        "1",
      ]] as Array<[number, string | number]>,
    };
    const t0 = cpu();
    for (let i = 0; i < N; i++) {
      const r = runner.send(order);
      // Builds before the SendResult union answered the string "back-pressure".
      if (r === "back-pressure" || r.kind === "back-pressure") {
        await runner.whenWritable();
        i--;
      } else if ((i & 1023) === 0) await new Promise((r) => queueMicrotask(r as () => void));
    }
    while (runner.outboundBufferedBytes > 0 || runner.outbound.length > 0) {
      await new Promise((r) => setTimeout(r, 0));
    }
    const outMs = cpu() - t0;
    // inbound: pre-encode N messages in chunks
    const chunks: Uint8Array[] = [];
    let cur: Uint8Array[] = [], len = 0;
    for (let s = 2; s < N + 2; s++) {
      const f = frame("8", s, [
        [37, "X"],
        [11, `c${s}`],
        [17, `e${s}`],
        [150, "0"],
        [39, "0"],
        [55, "IBM"],
        [54, "1"],
        [38, "100"],
        [151, "100"],
        [14, "0"],
        [6, "0"],
      ]);
      cur.push(f);
      len += f.length;
      if (len > 60000) {
        chunks.push(concatBytes(cur));
        cur = [];
        len = 0;
      }
    }
    if (cur.length) chunks.push(concatBytes(cur));
    const t1 = cpu();
    for (const c of chunks) await theirs.write(c);
    await inDone;
    const inMs = cpu() - t1;
    theirs.close();
    await attached;
    await reading;
    await runner.stop();
    return { outMs, inMs };
  }
  return run;
}

const { n, rounds, roots } = rootArgs(
  Deno.args,
  { n: 100_000, rounds: 8 },
  "usage: ./deno run -A bench/session_paths.ts [--n N] [--rounds R] ROOT [ROOT2]",
);
const runs = await Promise.all(roots.map((r) => load(r.replace(/\/$/, ""), n)));
const res = (await alternate(runs, rounds)).map((xs) => ({
  out: xs.map((x) => x.outMs),
  in: xs.map((x) => x.inMs),
}));
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(0);
const min = (a: number[]) => Math.min(...a).toFixed(0);
roots.forEach((root, i) => {
  const r = res[i]!;
  console.log(
    `${root}: out ${n} sends: median ${med(r.out)} ms CPU, min ${min(r.out)} | in ${n} deliveries: median ${
      med(r.in)
    } ms, min ${min(r.in)}`,
  );
});

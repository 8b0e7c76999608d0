/**
 * How long a 100,000-message resend holds the event loop that every other session of the gateway shares
 * (issue 14.4): a session runner over the file journal (`fsync: batch`) answers ResendRequest 7=1 16=0
 * to a peer that reads everything; a timer measures the gaps between its turns before (idle) and during
 * the resend. The longest gap is what another session's message can wait behind the resend.
 *
 * usage: ./deno run -A bench/resend_stall.ts [--messages 100000] [--rounds 3] [--root DIR]
 *   --root: the fixg checkout whose src/ is measured (default: this one), to compare builds.
 */
const args = Deno.args;
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const N = Number(opt("--messages", "100000"));
const ROUNDS = Number(opt("--rounds", "3"));
const ROOT = opt("--root", new URL("..", import.meta.url).pathname).replace(/\/$/, "");
if (!(N > 0) || !(ROUNDS > 0)) {
  console.error("usage: bench/resend_stall.ts [--messages 100000] [--rounds 3] [--root DIR]");
  Deno.exit(2);
}

const { Logger } = await import(`${ROOT}/src/engine/log.ts`);
const { SessionRunner } = await import(`${ROOT}/src/engine/session_runner.ts`);
const { DEFAULT_SESSION_SETTINGS } = await import(`${ROOT}/src/session/types.ts`);
const { FileJournal } = await import(`${ROOT}/src/store/journal.ts`);
const { Encoder } = await import(`${ROOT}/src/codec/mod.ts`);

const enc = new Encoder();
function fix(type: string, seq: number, fields: Array<[number, string]>, fromPeer = false): Uint8Array {
  enc.begin("FIX.4.4", type);
  enc.str(49, fromPeer ? "ISLD" : "TW").str(56, fromPeer ? "TW" : "ISLD").int(34, seq);
  enc.timestamp(52, Date.now());
  for (const [t, v] of fields) enc.str(t, v);
  return enc.finish().slice();
}

const dir = await Deno.makeTempDir({ prefix: "fixg-resend-stall-" });
const journal = await FileJournal.open({ dir, fsync: "batch", onWarning: () => {} });
const store = await journal.openSession("FIX.4.4:TW->ISLD", Date.now());
for (let seq = 1; seq <= N; seq++) {
  void store.appendOutbound(
    seq,
    fix("D", seq, [[11, `ORD-${seq}`], [55, "EUR/USD"], [54, "1"], [38, "100"], [40, "1"]]),
  );
  if (seq % 10_000 === 0) await store.flush();
}
await store.flush();

// The peer: reads everything (a write completes on the next macrotask, like a socket with room).
const inbound: Uint8Array[] = [];
let wake: (() => void) | undefined;
let roundDone: (() => void) | undefined;
const endMark = `\x0136=${N + 2}\x01`; // our Logon (N + 1) gap-filled to N + 2: the end of a round
const latin1 = new TextDecoder("latin1");
const conn = {
  remoteAddr: "peer:1",
  remoteHost: "peer",
  async read(buf: Uint8Array): Promise<number | null> {
    while (inbound.length === 0) await new Promise<void>((r) => (wake = r));
    const c = inbound.shift()!;
    buf.set(c);
    return c.length;
  },
  write(b: Uint8Array): Promise<void> {
    // The peer sees the end of a round once the write holding it is taken (as with a socket).
    const end = latin1.decode(b.subarray(Math.max(0, b.length - 64))).includes(endMark);
    return new Promise((r) =>
      setTimeout(() => {
        r();
        if (end) roundDone?.();
      }, 0)
    );
  },
  close() {},
};
const send = (b: Uint8Array) => {
  inbound.push(b);
  wake?.();
};

const runner = SessionRunner.create(
  {
    ...DEFAULT_SESSION_SETTINGS,
    heartbeatIntervalSec: 3600, // the measurement is about the resend, not liveness
    id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
    role: "initiator",
  },
  store,
  {},
  { logger: new Logger({ level: "error" }) },
);
void runner.attach(conn);
await new Promise((r) => setTimeout(r, 20));
send(fix("A", 1, [[98, "0"], [108, "30"]], true));
while (!runner.loggedOn) await new Promise((r) => setTimeout(r, 5));

/** Gaps between turns of a 1 ms interval timer while `during` runs, ms. */
async function gaps(during: () => Promise<void>): Promise<number[]> {
  const g: number[] = [];
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    g.push(now - last);
    last = now;
  }, 1);
  await during();
  clearInterval(t);
  g.push(performance.now() - last); // up to the end (a resend done in one block has no turn inside)
  return g.sort((a, b) => a - b);
}
const pct = (g: number[], p: number) => g[Math.min(g.length - 1, Math.floor(g.length * p))]!;
const fmt = (g: number[]) =>
  `${g.length} turns, gap p50 ${pct(g, 0.5).toFixed(2)} p99 ${pct(g, 0.99).toFixed(2)} max ${
    g[g.length - 1]!.toFixed(2)
  } ms`;

const load = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
console.log(`resend_stall: ${N} messages, root ${ROOT}, load average ${load()}`);
console.log(`idle (500 ms): ${fmt(await gaps(() => new Promise((r) => setTimeout(r, 500))))}`);
let seq = 2;
for (let round = 1; round <= ROUNDS; round++) {
  const t0 = performance.now();
  const g = await gaps(async () => {
    const done = new Promise<void>((r) => (roundDone = r));
    send(fix("2", seq++, [[7, "1"], [16, "0"]], true));
    await done;
  });
  console.log(`resend ${round}: ${(performance.now() - t0).toFixed(0)} ms, ${fmt(g)}`);
}
await journal.close().catch(() => {});
await Deno.remove(dir, { recursive: true }).catch(() => {});
Deno.exit(0);

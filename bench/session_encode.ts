/**
 * The session's outbound encode path (src/session/messages.ts): an application NewOrderSingle, one with
 * header fields of its own (115, 128), and a SequenceReset-GapFill, in ns per message.
 *
 * With `--before DIR` (another checkout of fixg, e.g. `git archive <commit> | tar -x -C DIR`) both trees
 * are loaded in this one process and measured in adjacent rounds, alternating which goes first: each pair
 * of rounds is a paired sample, so a shared machine's phases fall on both sides. The report gives p10 and
 * median per side and the median of the per-pair ratios (after/before). Running a tree against itself
 * (`--before .`) shows the method's own bias.
 *
 * With `--codec` the messages are those of `fixg bench codec` (its fixture cases, encoded as its encode cell
 * does: `engineEncoding` and `encodeApp` with the clock read per message); the other tree must have
 * `engineEncoding` in src/bench/codec.ts.
 *
 * usage: ./deno run -A bench/session_encode.ts [--before DIR] [--codec] [--rounds 300] [--n 5000]
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    before: { type: "string" },
    codec: { type: "boolean", default: false },
    rounds: { type: "string", default: "300" },
    n: { type: "string", default: "5000" },
  },
});
const ROUNDS = Number(values.rounds);
const N = Number(values.n);
if (!(ROUNDS > 0) || !(N > 0)) {
  console.error("session_encode: --rounds and --n must be positive numbers");
  Deno.exit(2);
}

type Encode = (i: number) => unknown;

/** The cases of `fixg bench codec` this tool measures with --codec. */
const CODEC_CASES = [
  "Logon",
  "NewOrderSingle",
  "ExecutionReport",
  "MarketDataSnapshotFullRefresh (20 entries)",
  "Heartbeat",
];

/** The encode cells of one tree's `fixg bench codec` (see --codec). */
async function loadCodec(root: URL): Promise<Encode[]> {
  const bench = await import(new URL("src/bench/codec.ts", root).href);
  const messages = await import(new URL("src/session/messages.ts", root).href);
  if (typeof bench.engineEncoding !== "function") {
    console.error(`session_encode: ${root.pathname} has no engineEncoding in src/bench/codec.ts (--codec)`);
    Deno.exit(2);
  }
  const cases = await bench.defaultCodecCases();
  return CODEC_CASES.map((name) => {
    const { session, body } = bench.engineEncoding(
      cases.find((c: { name: string }) => c.name === name),
      Date.now(),
    );
    return (i: number) => messages.encodeApp(session, body, i, Date.now());
  });
}

/** The three encoders of one tree's session module. */
async function load(root: URL): Promise<Encode[]> {
  const mod = await import(new URL("src/session/mod.ts", root).href);
  const messages = await import(new URL("src/session/messages.ts", root).href);
  const s = mod.createSession(
    {
      ...mod.DEFAULT_SESSION_SETTINGS,
      id: { beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW" },
      role: "acceptor",
    },
    { nextSenderSeq: 1, nextTargetSeq: 1 },
    Date.now(),
  );
  const order = {
    msgType: "D",
    fields: [
      [11, "ORD1"],
      [21, "1"],
      [55, "EUR/USD"],
      [54, "1"],
      [60, "20240115-12:00:00.000"],
      [38, 1000000],
      [40, "2"],
      [44, 1.085],
      [59, "0"],
    ],
  };
  const routed = { msgType: "D", fields: [[115, "CLIENT"], [128, "DEST"], ...order.fields] };
  const now = Date.UTC(2026, 0, 5, 12);
  return [
    (i) => messages.encodeApp(s, order, i, now + i),
    (i) => messages.encodeApp(s, routed, i, now + i),
    (i) => messages.encodeGapFill(s, i, i + 5, now + i),
  ];
}

const NAMES = values.codec
  ? CODEC_CASES
  : ["NewOrderSingle", "NewOrderSingle with 115/128", "SequenceReset-GapFill"];
const loadTree = values.codec ? loadCodec : load;
const here = new URL("../", import.meta.url);
const after = await loadTree(here);
const before = values.before === undefined
  ? undefined
  : await loadTree(new URL(`file://${await Deno.realPath(values.before)}/`));

function time(f: Encode): number {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) f(i + 1);
  return ((performance.now() - t0) * 1e6) / N;
}
const q = (x: number[], p: number) => [...x].sort((a, b) => a - b)[Math.floor((x.length - 1) * p)]!;

for (let c = 0; c < NAMES.length; c++) {
  const b = after[c]!;
  const a = before?.[c];
  for (let i = 0; i < 40 * N; i++) {
    a?.(i + 1);
    b(i + 1);
  }
  const ta: number[] = [], tb: number[] = [], ratio: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (a === undefined) {
      tb.push(time(b));
      continue;
    }
    let x: number, y: number;
    if (r % 2 === 0) {
      x = time(a);
      y = time(b);
    } else {
      y = time(b);
      x = time(a);
    }
    ta.push(x);
    tb.push(y);
    ratio.push(y / x);
  }
  const fmt = (t: number[]) => `p10 ${q(t, 0.1).toFixed(0)} / median ${q(t, 0.5).toFixed(0)} ns`;
  console.log(
    a === undefined
      ? `${NAMES[c]}: ${fmt(tb)}`
      : `${NAMES[c]}: before ${fmt(ta)}, after ${fmt(tb)}, median pair ratio after/before ${
        q(ratio, 0.5).toFixed(3)
      }`,
  );
}

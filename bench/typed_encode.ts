/**
 * Encode speed of the typed builders (fix44.X.build) against the `[tag, value]` form, on the engine's
 * path: each message is made (the builder call, or the field list) and encoded by the session's
 * `encodeApp` into its encoder, as `SessionHandle.send` does. Rounds alternate between the two forms
 * (A B A B ...) so that machine load hits both alike; medians of the rounds are printed.
 *
 * Run: ./deno run -A bench/typed_encode.ts [--rounds 15] [--n 50000] [--cached-time]
 */
import { type Field, type FixMessage, formatTimestamp } from "../src/codec/mod.ts";
import { fix44 } from "../src/mod.ts";
import { createSession } from "../src/session/machine.ts";
import { encodeApp } from "../src/session/messages.ts";
import { DEFAULT_SESSION_SETTINGS } from "../src/session/types.ts";

const { ExecutionReport, MarketDataSnapshotFullRefresh, NewOrderSingle } = fix44;

function arg(name: string, dflt: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
}
const ROUNDS = arg("--rounds", 15);
const N = arg("--n", 50_000);

const session = createSession(
  {
    ...DEFAULT_SESSION_SETTINGS,
    id: { beginString: "FIX.4.4", senderCompId: "CLIENT", targetCompId: "LP" },
    role: "initiator",
  },
  { nextSenderSeq: 1, nextTargetSeq: 1 },
  Date.now(),
);

/** A case: the same message made both ways from a counter `i` (so nothing is made once and reused). */
interface Case {
  name: string;
  typed: (i: number, nowMs: number) => FixMessage;
  list: (i: number, nowMs: number) => FixMessage;
}

const entries = Array.from({ length: 20 }, (_, k) => ({
  mdEntryType: k % 2 === 0 ? fix44.MDEntryType.Bid : fix44.MDEntryType.Offer,
  mdEntryPx: 1.085 + (k % 2 === 0 ? -1 : 1) * (k >> 1) * 0.0001,
  mdEntrySize: 1_000_000 + k,
}));

const CASES: Case[] = [
  {
    name: "NewOrderSingle (8 fields)",
    typed: (i, nowMs) =>
      NewOrderSingle.build({
        clOrdID: `o${i}`,
        symbol: "EUR/USD",
        side: fix44.Side.Buy,
        transactTime: nowMs,
        orderQty: 1_000_000,
        ordType: fix44.OrdType.Limit,
        price: 1.085,
        timeInForce: fix44.TimeInForce.Day,
      }),
    list: (i, nowMs) => ({
      msgType: "D",
      fields: [
        [11, `o${i}`],
        [55, "EUR/USD"],
        [54, "1"],
        [60, stamp(nowMs)],
        [38, 1_000_000],
        [40, "2"],
        [44, 1.085],
        [59, "0"],
      ],
    }),
  },
  {
    name: "ExecutionReport (13 fields)",
    typed: (i, nowMs) =>
      ExecutionReport.build({
        orderID: `O${i}`,
        clOrdID: `o${i}`,
        execID: `E${i}`,
        execType: fix44.ExecType.Trade,
        ordStatus: fix44.OrdStatus.Filled,
        symbol: "EUR/USD",
        side: fix44.Side.Buy,
        orderQty: 1_000_000,
        lastQty: 1_000_000,
        lastPx: 1.085,
        leavesQty: 0,
        cumQty: 1_000_000,
        avgPx: 1.085,
        transactTime: nowMs,
      }),
    list: (i, nowMs) => ({
      msgType: "8",
      fields: [
        [37, `O${i}`],
        [11, `o${i}`],
        [17, `E${i}`],
        [150, "F"],
        [39, "2"],
        [55, "EUR/USD"],
        [54, "1"],
        [38, 1_000_000],
        [32, 1_000_000],
        [31, 1.085],
        [151, 0],
        [14, 1_000_000],
        [6, 1.085],
        [60, stamp(nowMs)],
      ],
    }),
  },
  {
    name: "MarketDataSnapshotFullRefresh (20 entries)",
    typed: (i) =>
      MarketDataSnapshotFullRefresh.build({ mdReqID: `r${i & 7}`, symbol: "EUR/USD", noMDEntries: entries }),
    list: (i) => {
      const fields: Field[] = [[262, `r${i & 7}`], [55, "EUR/USD"], [268, entries.length]];
      for (const e of entries) fields.push([269, e.mdEntryType], [270, e.mdEntryPx], [271, e.mdEntrySize]);
      return { msgType: "W", fields };
    },
  },
];

/**
 * TransactTime as text for the list form: formatted per message (`--cached-time`: once per millisecond,
 * as the hand-written app builders did before the typed ones replaced them; leaves the list's own cost).
 */
const CACHED = Deno.args.includes("--cached-time");
let stampMs = NaN, stampText = "";
function stamp(nowMs: number): string {
  if (!CACHED) return formatTimestamp(nowMs);
  if (nowMs !== stampMs) {
    stampMs = nowMs;
    stampText = formatTimestamp(nowMs);
  }
  return stampText;
}

let seq = 1;
let sink = 0;
function round(make: (i: number, nowMs: number) => FixMessage): number {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const nowMs = Date.now();
    sink += encodeApp(session, make(i, nowMs), seq++, nowMs).length;
  }
  return ((performance.now() - t0) * 1e6) / N;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `typed builder vs [tag, value], engine encode path (encodeApp), ${N} messages per round, ` +
    `${ROUNDS} alternating rounds, median ns per message (message made + encoded)` +
    (CACHED ? "; list TransactTime text cached per ms" : ""),
);
console.log("message                                       [tag,value]   typed   typed/list");
for (const c of CASES) {
  // Same bytes both ways (apart from nothing: both read the same clock value and counter).
  const nowMs = Date.now();
  const a = new TextDecoder().decode(encodeApp(session, c.list(1, nowMs), 1, nowMs));
  const b = new TextDecoder().decode(encodeApp(session, c.typed(1, nowMs), 1, nowMs));
  if (a !== b) throw new Error(`${c.name}: typed and [tag, value] bytes differ:\n${a}\n${b}`);
  round(c.list);
  round(c.typed); // warm-up
  const list: number[] = [], typed: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    list.push(round(c.list));
    typed.push(round(c.typed));
  }
  const l = median(list), t = median(typed);
  console.log(
    `${c.name.padEnd(44)} ${l.toFixed(0).padStart(11)} ${t.toFixed(0).padStart(7)} ${
      (t / l).toFixed(2).padStart(12)
    }`,
  );
}
if (sink === 0) throw new Error("nothing encoded");

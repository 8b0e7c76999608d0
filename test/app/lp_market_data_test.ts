import assert from "node:assert/strict";
import type { Field } from "../../src/codec/mod.ts";
import { BookBuilder, parseIncremental, parseSnapshot } from "../../src/app/market_data/mod.ts";
import { defaultLpConfig, LpSimulator } from "../../src/app/lp/mod.ts";
import { createPrng, uniformInt } from "../../src/app/prng.ts";
import { get, msg, toView } from "./helpers.ts";
import { messages, nos, START, testConfig, twoClients } from "./lp_helpers.ts";

const T = START + 10;

function mdr(
  id: string,
  type: string,
  depth: number,
  entryTypes: string[],
  symbols: string[],
  extra: Field[] = [],
) {
  const f: Field[] = [[262, id], [263, type], [264, depth], ...extra, [267, entryTypes.length]];
  for (const t of entryTypes) f.push([269, t]);
  f.push([146, symbols.length]);
  for (const s of symbols) f.push([55, s]);
  return msg("V", f);
}

Deno.test("subscribe: a snapshot, then incrementals with the book changes and the trades", () => {
  const sim = twoClients();
  const w = messages(sim.onMessage("A", mdr("M1", "1", 0, ["0", "1", "2"], ["TEST"]), T));
  assert.deepEqual(w, [{
    msgType: "W",
    fields: [
      [262, "M1"],
      [55, "TEST"],
      [268, 6],
      [269, "0"],
      [270, "99.99"],
      [271, 100],
      [269, "0"],
      [270, "99.98"],
      [271, 200],
      [269, "0"],
      [270, "99.97"],
      [271, 300],
      [269, "1"],
      [270, "100.01"],
      [271, 100],
      [269, "1"],
      [270, "100.02"],
      [271, 200],
      [269, "1"],
      [270, "100.03"],
      [271, 300],
    ],
  }]);
  const out = sim.onMessage("B", nos("b1", "1", 150, "100.02"), T);
  const x = messages(out, "A");
  assert.deepEqual(x, [{
    msgType: "X",
    fields: [
      [262, "M1"],
      [268, 4],
      [279, "2"],
      [269, "1"],
      [55, "TEST"],
      [270, "100.01"],
      [279, "1"],
      [269, "1"],
      [55, "TEST"],
      [270, "100.02"],
      [271, 150],
      [279, "0"],
      [269, "2"],
      [55, "TEST"],
      [270, "100.01"],
      [271, 100],
      [279, "0"],
      [269, "2"],
      [55, "TEST"],
      [270, "100.02"],
      [271, 50],
    ],
  }]);
  // A later snapshot carries the last trade.
  const w2 = messages(sim.onMessage("B", mdr("M9", "0", 1, ["2"], ["TEST"]), T));
  assert.deepEqual(w2[0]!.fields, [[262, "M9"], [55, "TEST"], [268, 1], [269, "2"], [270, "100.02"], [
    271,
    50,
  ]]);
  const st = sim.stats(T);
  assert.deepEqual([st.mdSnapshots, st.mdUpdates, st.subscriptions], [2, 1, 1]);
});

Deno.test("top-of-book subscriptions see only the best level move", () => {
  const sim = twoClients();
  sim.onMessage("A", mdr("M1", "1", 1, ["0", "1"], ["TEST"]), T);
  const x = messages(sim.onMessage("B", nos("b1", "1", 150, "100.02"), T), "A");
  assert.deepEqual(
    parseIncremental(toView(x[0]!)).entries.map((e) => `${e.actionCode} ${e.type} ${e.px} ${e.size}`),
    [
      "2 1 100.01 undefined",
      "0 1 100.02 150",
    ],
  );
  // A change deeper in the book sends nothing to it.
  assert.deepEqual(messages(sim.onMessage("B", nos("b2", "2", 10, "100.03"), T), "A"), []);
});

Deno.test("market data rejects, unsubscribe, snapshot-only and full-refresh updates", () => {
  const sim = twoClients(testConfig((c) => (c.strictSymbols = true)));
  const y = (m: ReturnType<typeof mdr>) =>
    messages(sim.onMessage("A", m, T)).map((o) => `${o.msgType} ${get(o, 281)} ${get(o, 58)}`);
  assert.deepEqual(y(mdr("M1", "1", 0, ["0"], ["TEST", "NOPE"])), ["Y 0 Unknown symbol NOPE"]);
  assert.deepEqual(y(mdr("M2", "1", 0, ["4"], ["TEST"])), ["Y 8 MDEntryType 4 not supported (0, 1, 2)"]);
  assert.deepEqual(y(mdr("M3", "7", 0, ["0"], ["TEST"])), [
    "Y 4 SubscriptionRequestType 7 not supported (0, 1, 2)",
  ]);
  assert.deepEqual(y(mdr("M4", "1", 0, ["0"], ["TEST"], [[265, 5]])), ["Y 6 MDUpdateType 5 not supported"]);
  assert.deepEqual(y(mdr("M5", "1", 0, ["0"], ["TEST"])), ["W undefined undefined"]);
  assert.deepEqual(y(mdr("M5", "1", 0, ["0"], ["TEST"])), ["Y 1 Duplicate MDReqID M5"]);
  assert.deepEqual(y(mdr("M5", "2", 0, ["0"], ["TEST"])), []);
  assert.deepEqual(y(mdr("M5", "2", 0, ["0"], ["TEST"])), [
    "Y undefined Unknown MDReqID M5: nothing to unsubscribe",
  ]);
  assert.deepEqual(
    messages(sim.onMessage("B", nos("b1", "2", 100, "99.99"), T), "A"),
    [],
    "no updates after unsubscribe",
  );
  assert.deepEqual(y(mdr("M6", "0", 2, ["0", "1"], ["TEST"])).map((s) => s[0]), ["W"]);
  assert.equal(sim.stats(T).subscriptions, 0, "a snapshot request is not a subscription");
  sim.onMessage("A", mdr("M7", "1", 1, ["0", "1"], ["TEST"], [[265, 0]]), T);
  const full = messages(sim.onMessage("B", nos("b2", "2", 200, "99.98"), T), "A");
  assert.deepEqual(full.map((m) => m.msgType), ["W"]);
  assert.deepEqual(parseSnapshot(toView(full[0]!))!.entries.map((e) => `${e.type} ${e.px} ${e.size}`), [
    "0 99.97 300",
    "1 100.01 100",
  ]);
  assert.equal(sim.stats(T).mdRejects, 6);
});

Deno.test("RptSeq, when configured, numbers every entry of a subscription", () => {
  const sim = twoClients(testConfig((c) => (c.marketData.rptSeq = true)));
  const w = messages(sim.onMessage("A", mdr("M1", "1", 0, ["0", "1"], ["TEST"]), T));
  assert.equal(get(w[0]!, 83), "0");
  const x1 = messages(sim.onMessage("B", nos("b1", "1", 150, "100.02"), T), "A");
  const x2 = messages(sim.onMessage("B", nos("b2", "1", 10, "100.00"), T), "A");
  const seqs = [...x1, ...x2].flatMap((m) => parseIncremental(toView(m)).entries.map((e) => e.rptSeq));
  assert.deepEqual(seqs, [1, 2, 3]);
});

Deno.test("a BookBuilder fed by the simulator's W and X stays live and equal to the simulator's book", () => {
  for (const rptSeq of [false, true]) {
    const cfg = defaultLpConfig();
    cfg.marketData.rptSeq = rptSeq;
    const sim = new LpSimulator(cfg, START);
    sim.onLogon("A", "A", START);
    sim.onLogon("B", "B", START);
    const books = new Map<string, BookBuilder>();
    const feed = (outs: ReturnType<LpSimulator["onTimer"]>) => {
      for (const m of messages(outs, "A")) {
        const v = toView(m);
        if (m.msgType === "W") {
          const s = parseSnapshot(v)!;
          let b = books.get(s.symbol);
          if (b === undefined) books.set(s.symbol, b = new BookBuilder(s.symbol));
          assert.equal(b.applySnapshot(s).status, "live");
        } else if (m.msgType === "X") {
          const inc = parseIncremental(v);
          for (const [sym, b] of books) {
            const u = b.applyIncremental(inc.entries.filter((e) => e.symbol === sym));
            assert.equal(u.status, "live", u.reason);
          }
        }
      }
    };
    feed(sim.onMessage("A", mdr("M1", "1", 0, ["0", "1", "2"], ["EUR/USD", "AAPL"]), START));
    const rng = createPrng(5);
    for (let t = START + 20; t < START + 20_000; t += 20) {
      feed(sim.onTimer(t));
      if (rng.next() < 0.2) {
        const aapl = sim.levels("AAPL", "bid", 1)[0]!.price;
        const px = (Number(aapl) + uniformInt(rng, -3, 3) / 100).toFixed(2);
        const side = rng.next() < 0.5 ? "1" : "2";
        const f: Field[] = [
          [11, `o${t}`],
          [55, "AAPL"],
          [54, side],
          [38, uniformInt(rng, 1, 400)],
          [40, "2"],
          [44, px],
        ];
        feed(sim.onMessage("B", msg("D", f), t));
      }
    }
    for (const sym of ["EUR/USD", "AAPL"]) {
      const b = books.get(sym)!;
      for (const side of ["bid", "offer"] as const) {
        assert.deepEqual(
          b.depth(side).map((l) => [l.px, l.size]),
          sim.levels(sym, side).map((l) => [Number(l.price), l.size]),
          `${sym} ${side}`,
        );
      }
    }
    assert.ok(sim.stats(START + 20_000).fills > 10);
  }
});

Deno.test("QuoteRequest: a quote from the book, sized quotes sweep, one side on request, unknown symbol rejected", () => {
  const sim = twoClients(testConfig((c) => {
    c.quotes.validityMs = 2000;
    c.strictSymbols = true;
  }));
  const q = (fields: Field[]) =>
    messages(sim.onMessage("A", msg("R", [[131, "Q1"], [146, 1], ...fields]), T));
  const s = q([[55, "TEST"]]);
  assert.deepEqual(s[0], {
    msgType: "S",
    fields: [
      [131, "Q1"],
      [117, s[0]!.fields[1]![1]],
      [55, "TEST"],
      [132, "99.99"],
      [133, "100.01"],
      [134, 100],
      [135, 100],
      [62, "20260310-14:00:02.010"],
      [60, "20260310-14:00:00.010"],
    ],
  });
  const sized = q([[55, "TEST"], [38, 250]]);
  assert.deepEqual([get(sized[0]!, 132), get(sized[0]!, 133), get(sized[0]!, 134)], [
    "99.98",
    "100.02",
    "250",
  ]);
  const buy = q([[55, "TEST"], [54, "1"]]);
  assert.deepEqual([get(buy[0]!, 132), get(buy[0]!, 133)], [undefined, "100.01"]);
  assert.deepEqual(q([[55, "NOPE"]])[0], {
    msgType: "AG",
    fields: [[131, "Q1"], [658, 1], [146, 1], [55, "NOPE"], [58, "Unknown symbol NOPE"]],
  });
  assert.notEqual(get(s[0]!, 117), get(sized[0]!, 117), "QuoteIDs are unique");
  assert.deepEqual([sim.stats(T).quotes, sim.stats(T).quoteRejects], [3, 1]);
});

import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors.ts";
import {
  DEFAULT_LP_SYMBOLS,
  defaultLpConfig,
  loadLpConfig,
  LpSimulator,
  parseLpConfig,
  PriceProcess,
} from "../../src/app/lp/mod.ts";
import { createPrng } from "../../src/app/prng.ts";
import { loadConfig } from "../../src/engine/config.ts";
import { msg } from "./helpers.ts";
import { START } from "./lp_helpers.ts";

Deno.test("defaults: FX and equity symbols, no behaviours, Day orders expire 17:00 New York", () => {
  const c = parseLpConfig(undefined, "lp.yaml");
  assert.deepEqual(c, defaultLpConfig());
  assert.deepEqual(c.symbols.map((s) => s.symbol), [
    "EUR/USD",
    "GBP/USD",
    "USD/JPY",
    "AAPL",
    "MSFT",
    "AMZN",
    "GOOGL",
  ]);
  assert.deepEqual(c.symbols[0], {
    symbol: "EUR/USD",
    startPrice: 1.085,
    tickSize: 0.00001,
    volatility: 0.08,
    updatesPerSecond: 10,
    spreadTicks: 5,
    depth: 5,
    levelSpacingTicks: 2,
    levelSize: 1_000_000,
  });
  assert.deepEqual(c.orders, {
    dayEnd: { time: "17:00", timeZone: "America/New_York" },
    cancelOnDisconnect: false,
    forgetDoneAfterMs: undefined,
    ackOnlyWindow: 1_000,
  });
  assert.equal(c.strictSymbols, false);
  assert.deepEqual(c.otherSymbols, {
    startPrice: 100,
    tickSize: 0.01,
    volatility: 0.2,
    updatesPerSecond: 4,
    spreadTicks: 2,
    depth: 5,
    levelSpacingTicks: 1,
    levelSize: 100,
  });
  // The defaults make a working book: EUR/USD 1.08498 / 1.08503 around 1.0850.
  const sim = new LpSimulator(c, START);
  assert.deepEqual(sim.levels("EUR/USD", "bid", 2), [{ price: "1.08498", size: 1_000_000 }, {
    price: "1.08496",
    size: 2_000_000,
  }]);
  assert.deepEqual(sim.levels("EUR/USD", "offer", 1), [{ price: "1.08503", size: 1_000_000 }]);
  assert.deepEqual(sim.levels("AAPL", "bid", 1), [{ price: "189.99", size: 200 }]);
});

Deno.test("a full config: built-in symbols take defaults for what is left out, behaviours and policies", () => {
  const c = parseLpConfig({
    seed: 7,
    symbols: [{ symbol: "EUR/USD", volatility: 0.2 }, {
      symbol: "BTC/USD",
      startPrice: 60000,
      tickSize: 0.5,
      levelSize: 2,
    }],
    sessions: [{ senderCompId: "LP", targetCompId: "*" }],
    behaviours: [
      { fromMs: 1000, toMs: 5000, clients: ["C1"], rejectFraction: 0.5, rejectReason: "busy" },
      { fillLatencyMs: { min: 10, max: 20 }, partialFillProbability: 0.3, skipSeqNums: { everyMessages: 5 } },
      {
        sendSequenceReset: true,
        dropHeartbeats: true,
        goSilent: false,
        slowReaderMs: 50,
        disconnectAfterMessages: 3,
      },
      { sendSequenceReset: { jump: 4 }, disconnectProbability: 0.01, fillLatencyMs: 5 },
    ],
    marketData: { rptSeq: true },
    orders: {
      dayEnd: { time: "16:30", timeZone: "Europe/London" },
      cancelOnDisconnect: true,
      forgetDoneAfterMs: 5000,
      ackOnlyWindow: 500,
    },
    quotes: { validityMs: 1000 },
  }, "lp.yaml");
  assert.equal(c.seed, 7);
  assert.equal(c.symbols[0]!.volatility, 0.2);
  assert.equal(c.symbols[0]!.tickSize, 0.00001);
  assert.deepEqual(c.symbols[1], {
    symbol: "BTC/USD",
    startPrice: 60000,
    tickSize: 0.5,
    volatility: 0.1,
    updatesPerSecond: 4,
    spreadTicks: 2,
    depth: 5,
    levelSpacingTicks: 1,
    levelSize: 2,
  });
  assert.deepEqual(c.sessions, [{ senderCompId: "LP", targetCompId: "*" }]);
  assert.deepEqual(c.behaviours, [
    { fromMs: 1000, toMs: 5000, clients: ["C1"], rejectFraction: 0.5, rejectReason: "busy" },
    {
      fillLatencyMs: { min: 10, max: 20 },
      partialFillProbability: 0.3,
      skipSeqNums: { everyMessages: 5, count: 1 },
    },
    {
      sendSequenceReset: { jump: 10 },
      dropHeartbeats: true,
      goSilent: false,
      slowReaderMs: 50,
      disconnectAfterMessages: 3,
    },
    { sendSequenceReset: { jump: 4 }, disconnectProbability: 0.01, fillLatencyMs: 5 },
  ]);
  assert.equal(c.marketData.rptSeq, true);
  assert.deepEqual(c.orders, {
    dayEnd: { time: "16:30", timeZone: "Europe/London" },
    cancelOnDisconnect: true,
    forgetDoneAfterMs: 5000,
    ackOnlyWindow: 500,
  });
  assert.equal(c.quotes.validityMs, 1000);
  assert.equal(parseLpConfig({ orders: { dayEnd: null } }, "x").orders.dayEnd, undefined);
});

Deno.test("bad values are ConfigErrors naming the file and the key", () => {
  const bad: [unknown, string][] = [
    [
      { symbols: [{ symbol: "ZZZ" }] },
      "lp.yaml: symbols[0].startPrice: is required for a symbol that is not built in (ZZZ)",
    ],
    [
      { symbols: [{ symbol: "EUR/USD", tickSize: "abc" }] },
      'lp.yaml: symbols[0].tickSize: "abc" is not a number',
    ],
    [
      { symbols: [{ symbol: "X", startPrice: 1.001, tickSize: 0.01 }] },
      "lp.yaml: symbols[0].startPrice: must be a multiple of tickSize 0.01",
    ],
    [
      { symbols: [{ symbol: "AAPL" }, { symbol: "AAPL" }] },
      "lp.yaml: symbols[1].symbol: duplicate symbol AAPL",
    ],
    [{ symbols: [] }, "lp.yaml: symbols: needs at least one symbol"],
    [
      { sessions: [{ senderCompId: "", targetCompId: "C" }] },
      "lp.yaml: sessions[0].senderCompId: must be a non-empty string",
    ],
    [{ sessions: [{ senderCompId: "S" }] }, "lp.yaml: sessions[0].targetCompId: required key missing"],
    [
      { symbols: [{ symbol: "X", startPrice: 0, tickSize: 0.01 }] },
      "lp.yaml: symbols[0].startPrice: 0 is not above 0",
    ],
    [{ symbols: [{ symbol: "AAPL", depth: 1.5 }] }, 'lp.yaml: symbols[0].depth: "1.5" is not an integer'],
    [
      { behaviours: [{ dropHeartbeats: "maybe" }] },
      'lp.yaml: behaviours[0].dropHeartbeats: "maybe" is not a boolean',
    ],
    [
      { behaviours: [{ sendSequenceReset: {} }] },
      "lp.yaml: behaviours[0].sendSequenceReset.jump: required key missing",
    ],
    [
      { behaviours: [{ rejectFraction: 1.5 }] },
      "lp.yaml: behaviours[0].rejectFraction: 1.5 is above the maximum 1",
    ],
    [
      { behaviours: [{ fromMs: 10, toMs: 5 }] },
      "lp.yaml: behaviours[0].toMs: must be after fromMs 10 (got 5)",
    ],
    [
      { behaviours: [{ fillLatencyMs: { min: 10, max: 5 } }] },
      "lp.yaml: behaviours[0].fillLatencyMs.max: must be a number >= 10 (got 5)",
    ],
    [
      { behaviours: [{ skipSeqNums: {} }] },
      "lp.yaml: behaviours[0].skipSeqNums: needs everyMessages or probability",
    ],
    [{ behaviours: [{ rejectFraction: 0.1, colour: "red" }] }, "lp.yaml: behaviours[0].colour: unknown key"],
    [{ orders: { dayEnd: { time: "25:00" } } }, 'lp.yaml: orders.dayEnd.time: must be a time "HH:MM"'],
    [
      { orders: { dayEnd: { time: "17:00", timeZone: "Atlantis/City" } } },
      'lp.yaml: orders.dayEnd.timeZone: unknown time zone "Atlantis/City"',
    ],
    [{ seeds: 1 }, "lp.yaml: seeds: unknown key"],
    ["text", "lp.yaml: (top level): expected a mapping"],
  ];
  for (const [obj, message] of bad) {
    assert.throws(() => parseLpConfig(obj, "lp.yaml"), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.ok(e.message.startsWith(message), `"${e.message}" should start with "${message}"`);
      assert.equal(e.exitCode, 2);
      return true;
    });
  }
});

Deno.test("loadLpConfig reads YAML and reports bad YAML and unreadable files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = `${dir}/lp.yaml`;
    await Deno.writeTextFile(
      good,
      "seed: 3\nsymbols:\n  - symbol: AAPL\n    volatility: 0.5\nsessions:\n  - senderCompId: LP\n    targetCompId: '0012'\n" +
        "behaviours:\n  - rejectFraction: 0.25\n    fromMs: 0\n    toMs: 1000\n",
    );
    const c = await loadLpConfig(good);
    assert.equal(c.seed, 3);
    assert.equal(c.symbols[0]!.volatility, 0.5);
    assert.equal(c.sessions[0]!.targetCompId, "0012");
    assert.deepEqual(c.behaviours, [{ rejectFraction: 0.25, fromMs: 0, toMs: 1000 }]);
    const bad = `${dir}/bad.yaml`;
    await Deno.writeTextFile(bad, "symbols: [\n");
    await assert.rejects(
      loadLpConfig(bad),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${bad}: not valid YAML`),
    );
    // An unquoted 0012 CompID is the string "0012", as in fixg.yaml (one schema machinery, YAML's
    // failsafe schema): not the number 12, not refused.
    const unquoted = `${dir}/num.yaml`;
    await Deno.writeTextFile(
      unquoted,
      "sessions:\n  - senderCompId: LP\n    targetCompId: 0012\nsymbols:\n  - symbol: 0700\n    startPrice: 10.00\n    tickSize: 0.01\n",
    );
    const u = await loadLpConfig(unquoted);
    assert.deepEqual(u.sessions, [{ senderCompId: "LP", targetCompId: "0012" }]);
    assert.equal(u.symbols[0]!.symbol, "0700");
    assert.equal(u.symbols[0]!.startPrice, 10);
    const fixg = `${dir}/fixg.yaml`;
    await Deno.writeTextFile(
      fixg,
      "sessions:\n  - role: acceptor\n    senderCompId: LP\n    targetCompId: 0012\n    port: 0\n",
    );
    const g = await loadConfig(fixg);
    assert.equal(g.sessions[0]!.targetCompId, u.sessions[0]!.targetCompId);
    await assert.rejects(loadLpConfig(`${dir}/missing.yaml`), /Cannot read simulator config/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("price process: the same seed gives the same path, another seed another one", () => {
  const cfg = { ...DEFAULT_LP_SYMBOLS[0]! };
  const path = (seed: number) => {
    const p = new PriceProcess(cfg, createPrng(seed));
    const out: number[] = [];
    for (let i = 0; i < 50; i++) {
      p.step(100);
      out.push(p.bestTicks().bid);
    }
    return out;
  };
  const a = path(42), b = path(42), c = path(43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every((t) => Number.isInteger(t)));
  // A 10 % annual volatility over 5 s moves EUR/USD by a few ticks, not by a figure.
  assert.ok(Math.abs(a[49]! - 108498) < 200, `moved to ${a[49]}`);
  const p = new PriceProcess(cfg, createPrng(1));
  assert.deepEqual(p.levels().bids.map((l) => [l.priceTicks, l.size]).slice(0, 2), [[108498, 1_000_000], [
    108496,
    2_000_000,
  ]]);
  assert.deepEqual(p.bestTicks(), { bid: 108498, offer: 108503 });
});

Deno.test("two simulators with the same seed and inputs give the same outputs", () => {
  const run = () => {
    const sim = new LpSimulator(defaultLpConfig(), START);
    sim.onLogon("S", "C", START);
    const out: string[] = [];
    const sub = msg("V", [[262, "M1"], [263, "1"], [264, 0], [267, 2], [269, "0"], [269, "1"], [146, 2], [
      55,
      "EUR/USD",
    ], [55, "AAPL"]]);
    for (const o of sim.onMessage("S", sub, START)) if ("message" in o) out.push(JSON.stringify(o.message));
    for (let t = START; t < START + 3000; t += 50) {
      for (const o of sim.onTimer(t)) if ("message" in o) out.push(JSON.stringify(o.message));
    }
    return { out, levels: sim.levels("EUR/USD", "bid", 3), mid: sim.mid("AAPL") };
  };
  const a = run(), b = run();
  assert.ok(a.out.length > 10, `${a.out.length} market data messages`);
  assert.deepEqual(a, b);
  assert.notEqual(a.mid, 190, "the price moved");
});

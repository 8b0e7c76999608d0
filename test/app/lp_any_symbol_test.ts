/**
 * The simulator makes a market in any symbol by default: an FX pair in either notation (EURUSD or
 * EUR/USD) is one book, answered in the client's notation; other instruments get the `otherSymbols`
 * price process. `strictSymbols` keeps rejecting symbols that are not configured.
 */
import assert from "node:assert/strict";
import { defaultLpConfig, LpSimulator, parseLpConfig } from "../../src/app/lp/mod.ts";
import { get, msg } from "./helpers.ts";
import { messages, START, sumER } from "./lp_helpers.ts";

const T = START + 1;

function order(cl: string, symbol: string, side: "1" | "2", qty: number, price?: string) {
  const f: [number, string | number][] = [[11, cl], [55, symbol], [54, side], [60, "20260310-14:00:00.000"], [
    38,
    qty,
  ], [40, price === undefined ? "1" : "2"]];
  if (price !== undefined) f.push([44, price]);
  f.push([59, "0"]);
  return msg("D", f);
}

function mdr(id: string, symbols: string[]) {
  return msg("V", [
    [262, id],
    [263, "1"],
    [264, 1],
    [267, 2],
    [269, "0"],
    [269, "1"],
    [146, symbols.length],
    ...symbols
      .map((s) => [55, s] as [number, string]),
  ]);
}

/** Defaults with fixed prices (no random walk), so prices are exact. */
function fixedConfig() {
  const c = defaultLpConfig();
  for (const s of c.symbols) s.volatility = 0;
  c.otherSymbols.volatility = 0;
  c.orders.dayEnd = undefined;
  return c;
}

Deno.test("EURUSD and EUR/USD trade in one book; reports carry the client's notation", () => {
  const sim = new LpSimulator(fixedConfig(), START);
  sim.onLogon("A", "CLIENT_A", START);
  sim.onLogon("B", "CLIENT_B", START);
  // A rests a bid inside the spread in EURUSD notation; B sells into it as EUR/USD.
  let out = messages(sim.onMessage("A", order("a1", "EURUSD", "1", 1000, "1.08500"), T));
  assert.deepEqual(out.map((m) => `${sumER(m)} ${get(m, 55)}`), ["0/0 a1 1000/0 @0 EURUSD"]);
  assert.deepEqual(sim.levels("EUR/USD", "bid", 1), [{ price: "1.08500", size: 1000 }]);
  out = messages(sim.onMessage("B", order("b1", "EUR/USD", "2", 1000, "1.08500"), T));
  assert.deepEqual(
    out.map((m) => `${m.msgType === "8" ? sumER(m) : m.msgType} ${get(m, 55)}`),
    [
      "0/0 b1 1000/0 @0 EUR/USD",
      "F/2 b1 0/1000 @1.08500 last 1000@1.08500 EUR/USD",
      "F/2 a1 0/1000 @1.08500 last 1000@1.08500 EURUSD",
    ],
  );
  assert.deepEqual(sim.symbols(), ["EUR/USD", "GBP/USD", "USD/JPY", "AAPL", "MSFT", "AMZN", "GOOGL"]);
});

Deno.test("market data for EURUSD: the EUR/USD book, in the client's notation", () => {
  const sim = new LpSimulator(fixedConfig(), START);
  sim.onLogon("A", "CLIENT_A", START);
  const out = messages(sim.onMessage("A", mdr("M1", ["EURUSD"]), T));
  assert.deepEqual(out.map((m) => `${m.msgType} ${get(m, 55)} ${get(m, 270)}`), ["W EURUSD 1.08498"]);
  assert.equal(sim.stats(T).mdRejects, 0);
});

Deno.test("an unconfigured symbol gets a book around otherSymbols.startPrice; quotes and orders work", () => {
  const cfg = parseLpConfig(
    { otherSymbols: { startPrice: 50, tickSize: 0.05, volatility: 0, spreadTicks: 2, levelSize: 10 } },
    "lp.yaml",
  );
  const sim = new LpSimulator(cfg, START);
  sim.onLogon("A", "CLIENT_A", START);
  const out = messages(sim.onMessage("A", order("x1", "XYZ.L", "1", 5), T));
  assert.deepEqual(out.map(sumER), ["0/0 x1 5/0 @0", "F/2 x1 0/5 @50.05 last 5@50.05"]);
  assert.deepEqual(sim.levels("XYZ.L", "bid", 1), [{ price: "49.95", size: 10 }]);
  const q = messages(sim.onMessage("A", msg("R", [[131, "Q1"], [146, 1], [55, "XYZ.L"]]), T));
  assert.deepEqual(q.map((m) => `${m.msgType} ${get(m, 55)} ${get(m, 132)}/${get(m, 133)}`), [
    "S XYZ.L 49.95/50.05",
  ]);
  assert.equal(sim.stats(T).rejects, 0);
});

Deno.test("strictSymbols (lp.yaml) rejects what is not configured, as before; both FX notations still map", () => {
  const cfg = parseLpConfig({ strictSymbols: true }, "lp.yaml");
  assert.equal(cfg.strictSymbols, true);
  assert.equal(defaultLpConfig().strictSymbols, false);
  const sim = new LpSimulator(cfg, START);
  sim.onLogon("A", "CLIENT_A", START);
  let out = messages(sim.onMessage("A", order("n1", "NOPE", "1", 1), T));
  assert.deepEqual(out.map((m) => `${get(m, 39)} ${get(m, 103)} ${get(m, 58)}`), ["8 1 Unknown symbol NOPE"]);
  out = messages(sim.onMessage("A", mdr("M2", ["NOPE"]), T));
  assert.deepEqual(out.map((m) => `${m.msgType} ${get(m, 58)}`), ["Y Unknown symbol NOPE"]);
  out = messages(sim.onMessage("A", order("n2", "EURUSD", "1", 1000), T));
  assert.equal(get(out[0]!, 39), "0");
  assert.throws(() => parseLpConfig({ strictSymbols: "maybe" }, "lp.yaml"), /lp\.yaml: strictSymbols/);
  assert.throws(() => parseLpConfig({ otherSymbols: { symbol: "X" } }, "lp.yaml"), /otherSymbols/);
});

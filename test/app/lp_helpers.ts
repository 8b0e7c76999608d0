/** Helpers for the simulator tests: a small fixed-price symbol, order messages, output filters. */
import type { Field, FixMessage } from "../../src/codec/mod.ts";
import {
  defaultLpConfig,
  type LpConfig,
  type LpOutput,
  LpSimulator,
  type LpSymbolConfig,
} from "../../src/app/lp/mod.ts";
import { get, msg } from "./helpers.ts";

/** 14:00 UTC on a Tuesday. */
export const START = Date.UTC(2026, 2, 10, 14, 0, 0);

/** TEST: 100.00, tick 0.01, fixed price, spread 2 ticks, 3 levels of 100/200/300: bids 99.99.., offers 100.01.. */
export const TEST_SYMBOL: LpSymbolConfig = {
  symbol: "TEST",
  startPrice: 100,
  tickSize: 0.01,
  volatility: 0,
  updatesPerSecond: 0,
  spreadTicks: 2,
  depth: 3,
  levelSpacingTicks: 1,
  levelSize: 100,
};

/** A config with TEST only, no Day expiry, and the given changes. */
export function testConfig(change: (c: LpConfig) => void = () => {}): LpConfig {
  const c = defaultLpConfig();
  c.symbols = [{ ...TEST_SYMBOL }];
  c.orders.dayEnd = undefined;
  change(c);
  return c;
}

/** A simulator with two logged-on clients, A and B. */
export function twoClients(cfg = testConfig()): LpSimulator {
  const sim = new LpSimulator(cfg, START);
  sim.onLogon("A", "CLIENT_A", START);
  sim.onLogon("B", "CLIENT_B", START);
  return sim;
}

/** A NewOrderSingle view. */
export function nos(
  cl: string,
  side: "1" | "2",
  qty: number,
  price?: string,
  tif = "0",
  extra: Field[] = [],
  header?: Field[],
) {
  const f: Field[] = [[11, cl], [55, "TEST"], [54, side], [60, "20260310-14:00:00.000"], [38, qty], [
    40,
    price === undefined ? "1" : "2",
  ]];
  if (price !== undefined) f.push([44, price]);
  f.push([59, tif], ...extra);
  return msg("D", f, header);
}

/** An OrderCancelRequest view. */
export function cxl(cl: string, orig: string, side: "1" | "2" = "1") {
  return msg("F", [[41, orig], [11, cl], [55, "TEST"], [54, side], [60, "20260310-14:00:00.000"], [38, 1]]);
}

/** An OrderCancelReplaceRequest view. */
export function rpl(cl: string, orig: string, side: "1" | "2", qty: number, price: string) {
  return msg("G", [[41, orig], [11, cl], [55, "TEST"], [54, side], [60, "20260310-14:00:00.000"], [38, qty], [
    40,
    "2",
  ], [44, price]]);
}

/** The messages of the outputs (optionally of one session), in order. */
export function messages(out: LpOutput[], sessionKey?: string): FixMessage[] {
  const r: FixMessage[] = [];
  for (const o of out) {
    // As plain {msgType, fields} (a typed builder's message makes its field list when read).
    if ("message" in o && (sessionKey === undefined || o.sessionKey === sessionKey)) {
      r.push({ msgType: o.message.msgType, fields: o.message.fields });
    }
  }
  return r;
}

/** The effects of the outputs. */
export function effects(out: LpOutput[]) {
  return out.flatMap((o) => ("effect" in o ? [{ sessionKey: o.sessionKey, ...o.effect }] : []));
}

/** A compact summary of an ExecutionReport: "150/39 cl leaves/cum @avg [last]". */
export function sumER(m: FixMessage): string {
  if (m.msgType !== "8") return `${m.msgType}`;
  const last = get(m, 32) === undefined ? "" : ` last ${get(m, 32)}@${get(m, 31)}`;
  return `${get(m, 150)}/${get(m, 39)} ${get(m, 11)} ${get(m, 151)}/${get(m, 14)} @${get(m, 6)}${last}`;
}

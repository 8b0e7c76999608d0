/**
 * A FIX 4.2 client gets FIX 4.2's messages: ExecTransType (20) on every ExecutionReport, ExecType 1/2 for
 * fills (FIX 4.2 has no F), a status report as ExecTransType 3 with the OrdStatus as ExecType (no I, no
 * OrdStatusReqID), OrdStatus 5 on a replace of an unfilled order, reject codes FIX 4.2 defines, no
 * QuoteRequestReject or mass status. A FIX 4.4 session on the same simulator is unchanged.
 */
import assert from "node:assert/strict";
import type { FixMessage } from "../../src/codec/mod.ts";
import { LpSimulator } from "../../src/app/lp/mod.ts";
import { get, msg } from "./helpers.ts";
import { cxl, messages, nos, rpl, START, testConfig } from "./lp_helpers.ts";

const T = START + 1;
/** 35, 11, 20, 150, 39, 151, 14, 32, 103, 102, 380. */
const row = (m: FixMessage) =>
  [m.msgType, ...[11, 20, 150, 39, 151, 14, 32, 103, 102, 380].map((t) => get(m, t) ?? "-")].join(" ");

function sims() {
  const sim = new LpSimulator(testConfig((c) => (c.strictSymbols = true)), START);
  sim.onLogon("A42", "CLIENT42", START, "FIX.4.2");
  sim.onLogon("A44", "CLIENT44", START, "FIX.4.4");
  return sim;
}

Deno.test("FIX 4.2 session: fills, partial fills, cancel, replace and status in FIX 4.2's codes; FIX 4.4 unchanged", () => {
  const run = (key: string) => {
    const sim = sims(); // a book of its own: the same fills
    const out: string[] = [];
    let t = T;
    const send = (v: ReturnType<typeof msg>) =>
      out.push(...messages(sim.onMessage(key, v, t++), key).map(row));
    send(nos(`${key}f`, "1", 50, "100.01")); // fills at once
    send(nos(`${key}p`, "1", 150, "100.02")); // 50 left at 100.01, 100 at 100.02: fills
    send(nos(`${key}r`, "2", 10, "101.00")); // rests
    send(rpl(`${key}r2`, `${key}r`, "2", 20, "101.00"));
    send(msg("H", [[11, `${key}r2`], [790, "S1"], [55, "TEST"], [54, "2"]]));
    send(msg("H", [[11, "nope"], [55, "TEST"], [54, "1"]]));
    send(cxl(`${key}c`, `${key}r2`, "2"));
    return out;
  };
  assert.deepEqual(run("A42"), [
    "8 A42f 0 0 0 50 0 - - - -",
    "8 A42f 0 2 2 0 50 50 - - -",
    "8 A42p 0 0 0 150 0 - - - -",
    "8 A42p 0 1 1 100 50 50 - - -",
    "8 A42p 0 2 2 0 150 100 - - -",
    "8 A42r 0 0 0 10 0 - - - -",
    "8 A42r2 0 5 5 20 0 - - - -",
    "8 A42r2 3 0 0 20 0 - - - -",
    "8 nope 3 8 8 0 0 - - - -",
    "8 A42c 0 4 4 0 0 - - - -",
  ]);
  // The same on FIX 4.4: no ExecTransType, ExecType F and I, OrdStatus 0 after the replace.
  assert.deepEqual(run("A44"), [
    "8 A44f - 0 0 50 0 - - - -",
    "8 A44f - F 2 0 50 50 - - -",
    "8 A44p - 0 0 150 0 - - - -",
    "8 A44p - F 1 100 50 50 - - -",
    "8 A44p - F 2 0 150 100 - - -",
    "8 A44r - 0 0 10 0 - - - -",
    "8 A44r2 - 5 0 20 0 - - - -",
    "8 A44r2 - I 0 20 0 - - - -",
    "8 nope - I 8 0 0 - - - -",
    "8 A44c - 4 4 0 0 - - - -",
  ]);
});

Deno.test("FIX 4.2 session: a status report carries no OrdStatusReqID, mass status and quote rejects are FIX 4.2 messages", () => {
  const sim = sims();
  const status = messages(
    sim.onMessage("A42", msg("H", [[11, "x"], [790, "S1"], [55, "TEST"], [54, "1"]]), T),
  );
  assert.equal(get(status[0]!, 790), undefined);
  const mass = messages(sim.onMessage("A42", msg("AF", [[584, "M1"], [585, 7]]), T));
  assert.deepEqual(mass.map(row), ["j - - - - - - - - - 3"]);
  const quote = messages(sim.onMessage("A42", msg("R", [[131, "Q1"], [146, 1], [55, "NOPE"]]), T));
  assert.deepEqual(
    quote.map((m) => [m.msgType, get(m, 45), get(m, 372), get(m, 379), get(m, 380), get(m, 58)]),
    [
      ["j", "2", "R", "Q1", "2", "Unknown symbol NOPE"],
    ],
  );
  // FIX 4.4: QuoteRequestReject.
  const q44 = messages(sim.onMessage("A44", msg("R", [[131, "Q1"], [146, 1], [55, "NOPE"]]), T));
  assert.deepEqual(q44.map((m) => [m.msgType, get(m, 658)]), [["AG", "1"]]);
});

Deno.test("FIX 4.2 session: OrdRejReason and CxlRejReason FIX 4.2 does not define are sent as 0 and 2 (Broker option)", () => {
  const sim = sims();
  const rejects = (key: string) => {
    const out: string[] = [];
    let t = T;
    const send = (v: ReturnType<typeof msg>) =>
      out.push(...messages(sim.onMessage(key, v, t++), key).map(row));
    send(nos("b1", "7" as "1", 1, "100.01")); // side: 11
    send(nos("b2", "1", 0, "100.01")); // qty: 13
    send(nos("b3", "1", 1, "100.001")); // tick: 99
    send(msg("D", [[11, "b4"], [55, "NOPE"], [54, "1"], [38, 1], [40, "1"]])); // symbol: 1
    send(nos("b5", "2", 10, "101.00"));
    send(nos("b5", "2", 10, "101.00")); // duplicate: 6
    send(cxl("b5", "b5", "2")); // duplicate ClOrdID: 6
    send(cxl("c1", "b5", "1")); // side differs: 99
    send(cxl("c2", "zz", "2")); // unknown: 1
    return out;
  };
  assert.deepEqual(rejects("A42"), [
    "8 b1 0 8 8 0 0 - 0 - -",
    "8 b2 0 8 8 0 0 - 0 - -",
    "8 b3 0 8 8 0 0 - 0 - -",
    "8 b4 0 8 8 0 0 - 1 - -",
    "8 b5 0 0 0 10 0 - - - -",
    "8 b5 0 8 0 10 0 - 6 - -",
    "9 b5 - - 0 - - - - 2 -",
    "9 c1 - - 0 - - - - 2 -",
    "9 c2 - - 8 - - - - 1 -",
  ]);
  assert.deepEqual(rejects("A44"), [
    "8 b1 - 8 8 0 0 - 11 - -",
    "8 b2 - 8 8 0 0 - 13 - -",
    "8 b3 - 8 8 0 0 - 99 - -",
    "8 b4 - 8 8 0 0 - 1 - -",
    "8 b5 - 0 0 10 0 - - - -",
    "8 b5 - 8 0 10 0 - 6 - -",
    "9 b5 - - 0 - - - - 6 -",
    "9 c1 - - 0 - - - - 99 -",
    "9 c2 - - 8 - - - - 1 -",
  ]);
});

Deno.test("FIX 4.3 session: FIX 4.4's messages without OrdStatusReqID and mass status fields, 103 and 102 codes FIX 4.3 defines", () => {
  const sim = new LpSimulator(testConfig(), START);
  sim.onLogon("A43", "CLIENT43", START, "FIX.4.3");
  let t = T;
  const send = (v: ReturnType<typeof msg>) => messages(sim.onMessage("A43", v, t++), "A43");
  send(nos("r1", "2", 10, "101.00"));
  const status = send(msg("H", [[11, "r1"], [790, "S1"], [55, "TEST"], [54, "2"]]));
  assert.deepEqual(status.map((m) => [row(m), get(m, 790)]), [["8 r1 - I 0 10 0 - - - -", undefined]]);
  const mass = send(msg("AF", [[584, "M1"], [585, 7]]));
  assert.deepEqual(mass.map((m) => [row(m), get(m, 584), get(m, 911), get(m, 912)]), [[
    "8 r1 - I 0 10 0 - - - -",
    undefined,
    undefined,
    undefined,
  ]]);
  assert.deepEqual(
    [nos("b1", "1", 0, "100.01"), nos("b2", "1", 1, "100.001"), cxl("c1", "r1", "1"), cxl("r1", "r1", "2")]
      .flatMap((v) => send(v).map(row)),
    ["8 b1 - 8 8 0 0 - 0 - -", "8 b2 - 8 8 0 0 - 0 - -", "9 c1 - - 0 - - - - 2 -", "9 r1 - - 0 - - - - 6 -"],
  );
});

Deno.test("FIX 4.1 and 4.0 sessions: LastShares/LastPx always, no CxlRejResponseTo or TransactTime in a cancel reject, no j or AG", () => {
  const sim = new LpSimulator(testConfig((c) => (c.strictSymbols = true)), START);
  sim.onLogon("A41", "CLIENT41", START, "FIX.4.1");
  sim.onLogon("A40", "CLIENT40", START, "FIX.4.0");
  const tags = (m: FixMessage) => m.fields.map(([t]) => t).join(",");
  for (const [key, v] of [["A41", 41], ["A40", 40]] as const) {
    let t = T;
    const send = (m: ReturnType<typeof msg>) => messages(sim.onMessage(key, m, t++), key);
    const [ack] = send(nos(`${key}r`, "2", 10, "101.00"));
    assert.equal(
      tags(ack!),
      v === 41
        ? "37,11,17,20,150,39,55,54,38,40,44,59,32,31,151,14,6,60"
        : "37,11,17,20,39,55,54,38,40,44,59,32,31,14,6,60",
    );
    assert.deepEqual([get(ack!, 32), get(ack!, 31)], ["0", "0"]);
    if (v === 40) assert.match(get(ack!, 17)!, /^\d+$/);
    const rej = [...send(cxl("c1", "nope")), ...send(cxl(`${key}r`, `${key}r`, "2"))];
    assert.deepEqual(
      rej.map(tags),
      v === 41 ? ["37,11,41,39,102,58", "37,11,41,39,58"] : ["37,11,102,58", "37,11,58"],
    );
    assert.deepEqual(send(msg("R", [[131, "Q1"], [146, 1], [55, "NOPE"]])), []);
    const [q] = send(msg("R", [[131, "Q2"], [146, 1], [55, "TEST"], [54, "1"]]));
    assert.equal(tags(q!), v === 41 ? "131,117,55,133,135,62,60" : "131,117,55,132,133,134,135,62");
  }
  assert.equal(sim.stats(T).businessRejects, 0);
});

/**
 * Interop: every kind of message `fixg simulate-lp` sends, as a validating QuickFIX C++ client of the
 * session's version sees it: `qf_validate` (bench/peers/quickfix/validate.cpp: QuickFIX's own
 * DataDictionary::validate with QuickFIX's dictionaries) answers each message the simulator's core
 * writes for a FIX 4.2, FIX 4.4 and FIXT 1.1 / FIX 5.0 SP2 session (acks, fills, partial fills, cancels,
 * replaces, status and mass status reports, IOC/FOK/market remainders, expiry, every reject,
 * OrderCancelRejects, market data, quotes, BusinessMessageRejects), framed with that version's header.
 * Every one must be valid: a field the version does not define, an enum value outside it (ExecType F in
 * FIX 4.2) or a required field missing (ExecTransType in FIX 4.2) is what QuickFIX rejects.
 * Skipped with a warning when qf_validate is not built (scripts/install_quickfix.sh).
 */
import assert from "node:assert/strict";
import { encodeMessage, Encoder, type FixMessage } from "../../src/codec/mod.ts";
import { LpSimulator } from "../../src/app/lp/mod.ts";
import { PEER_PATHS, quickfixNotBuilt } from "../../bench/peers/peer_process.ts";
import { ROOT, startSimulateLp } from "../_helpers/process.ts";
import { waitFor } from "../_helpers/wait.ts";
import { frame as wireFrame, RawClient } from "../engine/helpers.ts";
import { lpConfig } from "../app_e2e/harness.ts";
import { startLoopbackSimulator } from "../../src/engine/lp_host.ts";
import { msg } from "../app/helpers.ts";
import { cxl, messages, nos, rpl, START, testConfig } from "../app/lp_helpers.ts";

const QF_VALIDATE = PEER_PATHS.quickfixValidate;
const QF_VALIDATE_MISSING = quickfixNotBuilt(QF_VALIDATE);
if (QF_VALIDATE_MISSING !== undefined) {
  console.warn(`interop: simulate-lp versions skipped: ${QF_VALIDATE_MISSING}`);
}

/**
 * One trading day of a client on `beginString`: the messages the simulator sent it, in order, each
 * with what the client did to get it.
 */
export function lpDay(beginString: string): { cause: string; message: FixMessage }[] {
  const cfg = testConfig((c) => {
    c.strictSymbols = true;
    c.orders.dayEnd = { time: "14:01", timeZone: "UTC" };
  });
  const sim = new LpSimulator(cfg, START);
  const out: { cause: string; message: FixMessage }[] = [];
  let t = START;
  const take = (cause: string, o: ReturnType<LpSimulator["onTimer"]>) => {
    for (const m of messages(o, "A")) out.push({ cause, message: m });
  };
  take("logon", sim.onLogon("A", "CLIENT", t, beginString));
  const send = (cause: string, v: ReturnType<typeof msg>) => take(cause, sim.onMessage("A", v, ++t));
  send("buy 100 @ 100.01: ack + fill", nos("F1", "1", 100, "100.01"));
  send("buy 300 @ 100.03: ack + partial fills, rest resting", nos("P1", "1", 800, "100.03"));
  send("cancel of the partially filled order", cxl("P1C", "P1"));
  send("sell 10 @ 101.00: ack, resting", nos("R1", "2", 10, "101.00"));
  send("replace R1 up to 20 @ 101.01", rpl("R2", "R1", "2", 20, "101.01"));
  send("status of R2", msg("H", [[11, "R2"], [790, "S1"], [55, "TEST"], [54, "2"]]));
  send("status of an unknown order", msg("H", [[11, "NOPE"], [55, "TEST"], [54, "1"]]));
  send("mass status", msg("AF", [[584, "M1"], [585, 7]]));
  send("cancel of an unknown order", cxl("C9", "NOPE"));
  send("cancel of a filled order", cxl("C8", "F1"));
  send("cancel reusing a ClOrdID", cxl("F1", "R2", "2"));
  send("replace with a price off the tick", rpl("R3", "R2", "2", 20, "101.005"));
  send("cancel with the wrong side", cxl("C7", "R2", "1"));
  send("duplicate ClOrdID", nos("F1", "1", 1, "100.01"));
  send("bad side (sell short)", nos("X1", "5" as "1", 1, "100.01"));
  send("qty 0", nos("X2", "1", 0, "100.01"));
  send("price off the tick", nos("X3", "1", 1, "100.001"));
  send(
    "unknown symbol",
    msg("D", [[11, "X4"], [55, "NOPE"], [54, "1"], [60, "20260310-14:00:00.000"], [38, 1], [40, "1"]]),
  );
  send("IOC remainder", nos("I1", "1", 100000, "100.05", "3"));
  send("FOK not fillable", nos("K1", "1", 100000, "100.05", "4"));
  send("market remainder", nos("M1", "2", 100000));
  send("status of a rejected order", msg("H", [[11, "X2"], [55, "TEST"], [54, "1"]]));
  send("cancel of a rejected order", cxl("C6", "X2"));
  send("day order resting", nos("D1", "1", 5, "99.00"));
  send(
    "md subscribe",
    msg("V", [[262, "MD1"], [263, "1"], [264, 0], [265, 1], [267, 3], [269, "0"], [269, "1"], [269, "2"], [
      146,
      1,
    ], [55, "TEST"]]),
  );
  send("a trade on the subscribed book", nos("F2", "1", 10, "100.01"));
  send(
    "md unknown symbol",
    msg("V", [[262, "MD2"], [263, "1"], [264, 0], [267, 1], [269, "0"], [146, 1], [55, "NOPE"]]),
  );
  send(
    "md duplicate MDReqID",
    msg("V", [[262, "MD1"], [263, "1"], [264, 0], [267, 1], [269, "0"], [146, 1], [55, "TEST"]]),
  );
  send(
    "md bad depth",
    msg("V", [[262, "MD3"], [263, "1"], [264, -1], [267, 1], [269, "0"], [146, 1], [55, "TEST"]]),
  );
  send(
    "md bad subscription type",
    msg("V", [[262, "MD4"], [263, "5"], [264, 0], [267, 1], [269, "0"], [146, 1], [55, "TEST"]]),
  );
  send(
    "md unsubscribe unknown",
    msg("V", [[262, "MD9"], [263, "2"], [264, 0], [267, 1], [269, "0"], [146, 1], [55, "TEST"]]),
  );
  send(
    "md unsubscribe",
    msg("V", [[262, "MD1"], [263, "2"], [264, 0], [267, 1], [269, "0"], [146, 1], [55, "TEST"]]),
  );
  send("quote request", msg("R", [[131, "Q1"], [146, 1], [55, "TEST"]]));
  send("quote request unknown symbol", msg("R", [[131, "Q2"], [146, 1], [55, "NOPE"]]));
  send("unsupported message type", msg("B", [[148, "news"]]));
  send(
    "order missing Side",
    msg("D", [[11, "X5"], [55, "TEST"], [60, "20260310-14:00:00.000"], [38, 1], [40, "1"]]),
  );
  take("timer", sim.onTimer(START + 1000));
  take("day end", sim.onTimer(START + 61_000));
  return out;
}

/** Header of the simulator's messages on a session of `beginString` (the session adds them). */
function frame(beginString: string, m: FixMessage, seq: number): string {
  const bytes = encodeMessage(new Encoder(), beginString, {
    msgType: m.msgType,
    fields: [[49, "LP"], [56, "CLIENT"], [34, seq], [52, "20260310-14:00:00.000"], ...m.fields],
  });
  return Array.from(bytes, (b) => String.fromCharCode(b)).join("");
}

async function qfValidate(beginString: string, lines: string[]): Promise<string[]> {
  const child = new Deno.Command(QF_VALIDATE, {
    args: [
      "--begin-string",
      beginString,
      "--default-appl-ver-id",
      "9",
      "--dict-dir",
      `${ROOT}fixtures/dictionaries`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  // One message a line, '|' for SOH (RawClient's frames already are).
  await w.write(new TextEncoder().encode(lines.map((l) => l.replaceAll("\x01", "|") + "\n").join("")));
  await w.close();
  const out = await child.output();
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

for (const beginString of ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1"]) {
  Deno.test({
    name:
      `simulate-lp on ${beginString}: every message it sends is valid for a QuickFIX client of that version`,
    ignore: QF_VALIDATE_MISSING !== undefined,
    fn: async () => {
      const day = lpDay(beginString);
      const answers = await qfValidate(beginString, day.map((d, i) => frame(beginString, d.message, i + 2)));
      assert.equal(answers.length, day.length);
      const bad = day.flatMap((d, i) =>
        answers[i] === "ok"
          ? []
          : [`${d.cause}: ${answers[i]}: ${frame(beginString, d.message, i + 2).replaceAll("\x01", "|")}`]
      );
      assert.deepEqual(bad, []);
      // The day covers every message type the simulator sends.
      assert.deepEqual(
        [...new Set(day.map((d) => d.message.msgType))].sort(),
        beginString === "FIX.4.0" || beginString === "FIX.4.1"
          ? ["8", "9", "S"]
          : beginString === "FIX.4.2"
          ? ["8", "9", "S", "W", "X", "Y", "j"]
          : ["8", "9", "AG", "S", "W", "X", "Y", "j"],
      );
    },
  });
}

Deno.test({
  name:
    "simulate-lp on a FIX.4.2 session over TCP: the ack and the fill are FIX 4.2 ExecutionReports QuickFIX accepts",
  ignore: QF_VALIDATE_MISSING !== undefined,
  fn: async () => {
    const lp = await startLoopbackSimulator(lpConfig(), { beginString: "FIX.4.2", targetCompId: "CLIENT" });
    const c = await RawClient.connect(lp.port);
    try {
      const h = "49=CLIENT|56=LP|52=<TIME>|";
      await c.send(wireFrame("FIX.4.2", "A", `34=1|${h}98=0|108=30|`));
      await c.send(
        wireFrame("FIX.4.2", "D", `34=2|${h}11=o1|21=1|55=FIXD|54=1|60=<TIME>|38=100|40=2|44=100.01|`),
      );
      await waitFor(() => c.frames.length >= 3, "logon answer, ack and fill");
      const [logon, ack, fill] = c.frames as [string, string, string];
      assert.match(logon, /\|35=A\|/);
      assert.match(ack, /^8=FIX\.4\.2\|.*\|35=8\|.*\|11=o1\|.*\|20=0\|150=0\|39=0\|/);
      assert.match(
        fill,
        /^8=FIX\.4\.2\|.*\|35=8\|.*\|11=o1\|.*\|20=0\|150=2\|39=2\|.*\|32=100\|31=100\.01\|151=0\|14=100\|6=100\.01\|/,
      );
      assert.deepEqual(await qfValidate("FIX.4.2", c.frames.slice(0, 3)), ["ok", "ok", "ok"]);
    } finally {
      c.close();
      await lp.stop();
    }
  },
});

Deno.test({
  name:
    "fixg simulate-lp --begin-string FIXT.1.1 (FIX 5.0 SP2) over TCP: Logon with DefaultApplVerID 9, the ack and the fill valid for QuickFIX",
  ignore: QF_VALIDATE_MISSING !== undefined,
  fn: async () => {
    const lp = await startSimulateLp([
      "--begin-string",
      "FIXT.1.1",
      "--config",
      `${ROOT}fixtures/lp/fixed_price.yaml`,
    ]);
    const c = await RawClient.connect(lp.port);
    try {
      const h = "49=CLIENT|56=LP|52=<TIME>|";
      await c.send(wireFrame("FIXT.1.1", "A", `34=1|${h}98=0|108=30|1137=9|`));
      await c.send(
        wireFrame("FIXT.1.1", "D", `34=2|${h}11=o1|55=FIXD|54=1|60=<TIME>|38=100|40=2|44=100.01|`),
      );
      await waitFor(() => c.frames.length >= 3, "logon answer, ack and fill");
      const [logon, ack, fill] = c.frames as [string, string, string];
      assert.match(logon, /^8=FIXT\.1\.1\|.*\|35=A\|.*\|1137=9\|/);
      assert.match(ack, /^8=FIXT\.1\.1\|.*\|35=8\|.*\|11=o1\|.*\|150=0\|39=0\|/);
      assert.match(
        fill,
        /^8=FIXT\.1\.1\|.*\|35=8\|.*\|11=o1\|.*\|150=F\|39=2\|.*\|32=100\|31=100\.01\|151=0\|14=100\|6=100\.01\|/,
      );
      assert.deepEqual(await qfValidate("FIXT.1.1", c.frames.slice(0, 3)), ["ok", "ok", "ok"]);
    } finally {
      c.close();
      await lp.stop();
    }
  },
});

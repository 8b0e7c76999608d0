// The shared order transition table (nextPhase) that the tracker, the LP simulator and the load
// generator all move their orders with.
import assert from "node:assert/strict";
import {
  isFinalOrdStatus,
  isLivePhaseCode,
  nextPhase,
  ORD_STATUS_OF_PHASE,
  PHASE_CANCELED,
  PHASE_CODE,
  PHASE_DONE_FOR_DAY,
  PHASE_EXPIRED,
  PHASE_FILLED,
  PHASE_NEW,
  PHASE_PARTIALLY_FILLED,
  PHASE_PENDING_NEW,
  PHASE_REJECTED,
  phaseOfOrdStatus,
  PHASES,
} from "../../src/app/orders/mod.ts";

Deno.test("phase codes: names, codes and OrdStatus agree", () => {
  assert.equal(PHASES.length, 8);
  PHASES.forEach((name, code) => {
    assert.equal(PHASE_CODE[name], code);
    assert.equal(phaseOfOrdStatus(ORD_STATUS_OF_PHASE[code]), code);
  });
  assert.deepEqual(ORD_STATUS_OF_PHASE, ["A", "0", "1", "2", "4", "8", "C", "3"]);
  for (const os of ["6", "E", "9", "", undefined]) assert.equal(phaseOfOrdStatus(os), -1, String(os));
  assert.deepEqual(
    PHASES.map((_, c) => isLivePhaseCode(c)),
    [true, true, true, false, false, false, false, false],
  );
});

Deno.test("nextPhase: every ExecType from every phase", () => {
  // Rows: ExecType; columns: from PendingNew, New, PartiallyFilled, Filled, Canceled, Rejected,
  // Expired, DoneForDay (-1: cannot follow). Quantities: CumQty 40 of 100 (a partial fill).
  const P = PHASE_PENDING_NEW, N = PHASE_NEW, PF = PHASE_PARTIALLY_FILLED, F = PHASE_FILLED;
  const C = PHASE_CANCELED, R = PHASE_REJECTED, X = PHASE_EXPIRED, D = PHASE_DONE_FOR_DAY;
  const table: Record<string, number[]> = {
    "A": [P, -1, -1, -1, -1, -1, -1, -1],
    "0": [N, -1, -1, -1, -1, -1, -1, -1],
    "8": [R, -1, -1, -1, -1, -1, -1, -1],
    "F": [PF, PF, PF, -1, -1, -1, -1, -1],
    "5": [PF, PF, PF, -1, -1, -1, -1, -1],
    "6": [P, N, PF, -1, -1, -1, -1, -1],
    "E": [P, N, PF, -1, -1, -1, -1, -1],
    "4": [C, C, C, -1, -1, -1, -1, C],
    "C": [X, X, X, -1, -1, -1, -1, X],
    "3": [D, D, D, -1, -1, -1, -1, -1],
    "D": [P, N, PF, -1, -1, -1, -1, D],
    "I": [P, N, PF, F, C, R, X, D],
    "G": [-1, -1, -1, -1, -1, -1, -1, -1],
  };
  for (const [et, row] of Object.entries(table)) {
    assert.deepEqual(row.map((_, from) => nextPhase(from, et, 40, 100)), row, `ExecType ${et}`);
  }
  assert.equal(nextPhase(PHASE_NEW, undefined, 0, 100), -1);
});

Deno.test("nextPhase: quantities decide Filled, PartiallyFilled and New after a replace", () => {
  assert.equal(nextPhase(PHASE_NEW, "F", 100, 100), PHASE_FILLED);
  assert.equal(nextPhase(PHASE_PARTIALLY_FILLED, "F", 99.99999999999, 99.99999999999 + 1e-12), PHASE_FILLED);
  assert.equal(nextPhase(PHASE_NEW, "F", 60, 100), PHASE_PARTIALLY_FILLED);
  assert.equal(nextPhase(PHASE_PARTIALLY_FILLED, "5", 0, 100), PHASE_NEW);
  assert.equal(nextPhase(PHASE_PARTIALLY_FILLED, "5", 40, 40), PHASE_FILLED);
  assert.equal(nextPhase(PHASE_NEW, "5", 0, 100), PHASE_NEW);
});

Deno.test("isFinalOrdStatus: the OrdStatus values after which no answer comes (fixg send stops), from the order model", () => {
  const codes = "0123456789ABCDE".split("");
  assert.deepEqual(codes.filter((c) => isFinalOrdStatus(c)), ["2", "3", "4", "8", "C"]);
  assert.equal(isFinalOrdStatus(undefined), false);
});

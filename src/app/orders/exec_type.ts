/**
 * An ExecutionReport's ExecType (150) in the terms of the order model (app/orders/state_machine.ts,
 * FIX 4.3 on), whatever the session's version. FIX 4.0 to 4.2 say what a report is with two fields:
 * ExecTransType (20) says whether it is a new execution (0), the cancel (1) or correction (2) of an
 * earlier one, or a status (3); ExecType says a fill as 1 (Partial fill) or 2 (Fill), and in a status
 * report repeats the OrdStatus. FIX 4.3 on has one ExecType for each: F (Trade), H (Trade Cancel),
 * G (Trade Correct), I (Order Status). So on a FIX 4.0-4.2 report:
 *
 *   20=3 (Status)          -> I   (whatever the ExecType: it is the OrdStatus)
 *   20=1 (Cancel)          -> H   (a busted execution: not a fill)
 *   20=2 (Correct)         -> G   (a corrected execution: not a fill)
 *   20=0, 150=1 or 150=2   -> F   (a fill)
 *   20=0, any other 150    -> as it is
 *
 * A report of FIX 4.3 or later is taken as it is (FIX 4.4 has no ExecTransType and no ExecType 1 or 2).
 * The version is read from the frame's BeginString (8=FIX.4.0 to 8=FIX.4.2): a few byte reads, so a
 * FIX 4.4 report costs what reading ExecType cost before; only an old version's report reads tag 20.
 * FIX 4.0's report has no ExecType: undefined, as before (the model cannot follow it).
 */
import { Tag } from "../../codec/tags.ts";
import type { MessageView } from "../../codec/view.ts";

/** True when the frame of `v` begins with 8=FIX.4.0, 8=FIX.4.1 or 8=FIX.4.2. */
export function isFix42OrEarlier(v: MessageView): boolean {
  const b = v.buf, s = v.start;
  // "8=FIX.4.2": '8' '=' 'F' 'I' 'X' '.' '4' '.' digit SOH ("8=FIXT.1.1" has 'T' at 5). The version
  // digit first: on a FIX 4.3+ frame the first comparison decides.
  const d = b[s + 8]!;
  return d <= 0x32 && d >= 0x30 && b[s + 9] === 0x01 && b[s + 5] === 0x2e && b[s + 7] === 0x2e &&
    b[s + 6] === 0x34 && b[s] === 0x38 && v.end - s > 10;
}

/** The ExecType of report `v` in FIX 4.3+ terms (see the module comment). */
export function execTypeOf(v: MessageView): string | undefined {
  const et = v.getString(Tag.ExecType);
  // F (Trade) is FIX 4.3+ only: a fill of FIX 4.4 goes no further.
  if (et === "F" || !isFix42OrEarlier(v)) return et;
  return fix42ExecType(et, v.getString(Tag.ExecTransType));
}

/** FIX 4.0-4.2's ExecType `et` with ExecTransType `tt` in FIX 4.3+ terms. */
export function fix42ExecType(et: string | undefined, tt: string | undefined): string | undefined {
  switch (tt) {
    case "3":
      return "I";
    case "1":
      return "H";
    case "2":
      return "G";
    default:
      return et === "1" || et === "2" ? "F" : et;
  }
}

/** Orders and a counterparty the engine/library and HA tests share. */
import type { Application } from "../../src/engine/application.ts";
import type { FixMessage } from "../../src/codec/encoder.ts";

/** A NewOrderSingle as a field list (the generic `[tag, value]` form a library submits). */
export function order(id: string): FixMessage {
  return {
    msgType: "D",
    fields: [[11, id], [55, "EUR/USD"], [54, "1"], [38, 100], [40, "1"], [60, "20260101-00:00:00"]],
  };
}

/** An LP that acknowledges every NewOrderSingle (ExecType New) and, given `seen`, records its ClOrdID. */
export function ackingLp(seen?: string[]): Application {
  return {
    onMessage(v, s) {
      if (v.msgType !== "D") return;
      const id = v.getString(11)!;
      seen?.push(id);
      s.send({
        msgType: "8",
        fields: [
          [37, `o-${id}`],
          [11, id],
          [17, `e-${id}`],
          [150, "0"],
          [39, "0"],
          [55, "EUR/USD"],
          [54, "1"],
          [151, 100],
          [14, 0],
          [6, 0],
        ],
      });
    },
  };
}

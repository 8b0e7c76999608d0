import assert from "node:assert/strict";
import { orderCancelReplaceRequest } from "../../src/app/messages.ts";

Deno.test("orderCancelReplaceRequest: 37, 41, then the order's fields in NewOrderSingle order", () => {
  const m = orderCancelReplaceRequest({
    orderId: "O1",
    origClOrdId: "A",
    clOrdId: "B",
    account: "ACC",
    symbol: "EUR/USD",
    side: "1",
    transactTimeMs: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    orderQty: 100,
    ordType: "2",
    price: "1.2345",
    timeInForce: "0",
  });
  assert.equal(m.msgType, "G");
  assert.deepEqual(m.fields, [
    [37, "O1"],
    [41, "A"],
    [11, "B"],
    [1, "ACC"],
    [55, "EUR/USD"],
    [54, "1"],
    [60, "20260102-03:04:05.006"],
    [38, 100],
    [40, "2"],
    [44, "1.2345"],
    [59, "0"],
  ]);
});

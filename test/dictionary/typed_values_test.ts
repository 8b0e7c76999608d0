/**
 * The typed builders refuse a value they cannot write, when the message is built: a decimal that is not
 * finite (NaN, Infinity), an integer field given a fraction, a UTCTimestamp outside years 0000 to 9999
 * (microseconds or nanoseconds given for milliseconds) or NaN. Before, `build` took them: a timestamp of
 * NaN went out as `60=        -  :  :  .   ` (NUL bytes), Date.now() * 1000 as the year-8905 date
 * `60=89050111-18:32:06.000`, and a NaN price threw from `send` only when the message was encoded: a
 * message sent at once had used its MsgSeqNum by then (the next order went out with a gap before it), and
 * one queued (not logged on) was answered `queued`, then threw as the session drained its queue at logon:
 * the session's connection was closed and the order lost without a word to the application.
 */
import assert from "node:assert/strict";
import { fix44, Logger, pick, type SessionHandle, startAcceptor, startInitiator } from "../../src/mod.ts";

const { NewOrderSingle, OrdType, Side } = fix44;

function order(over: Partial<fix44.NewOrderSingle>): fix44.NewOrderSingle {
  return { clOrdID: "o1", side: Side.Buy, transactTime: 0, ordType: OrdType.Limit, ...over };
}

Deno.test("typed builders: a decimal that is not finite is refused by build, naming the field", () => {
  assert.throws(
    () => NewOrderSingle.build(order({ price: NaN })),
    new RangeError(
      'NewOrderSingle.price (44): NaN is not a finite decimal: give a finite number or its digits as text ("1.085")',
    ),
  );
  assert.throws(
    () => NewOrderSingle.adopt(order({ orderQty: Infinity })),
    new RangeError(
      'NewOrderSingle.orderQty (38): Infinity is not a finite decimal: give a finite number or its digits as text ("1.085")',
    ),
  );
  // In a group entry, and through pick.
  assert.throws(
    () => NewOrderSingle.build(order({ noAllocs: [{ allocAccount: "A", allocQty: -Infinity }] })),
    new RangeError(
      'NewOrderSingle.noAllocs[0].allocQty (80): -Infinity is not a finite decimal: give a finite number or its digits as text ("1.085")',
    ),
  );
  const Small = pick(NewOrderSingle, ["clOrdID", "side", "transactTime", "ordType", "price"]);
  assert.throws(
    () => Small.build(order({ price: NaN })),
    /NewOrderSingle.price \(44\): NaN is not a finite decimal/,
  );
});

Deno.test("typed builders: an integer field given a fraction is refused", () => {
  assert.throws(
    () => NewOrderSingle.build(order({ repurchaseTerm: 1.5 })),
    new RangeError("NewOrderSingle.repurchaseTerm (226): 1.5 is not an integer"),
  );
});

Deno.test("typed builders: a UTCTimestamp outside years 0000-9999 or NaN is refused; the range's ends are written", () => {
  const us = 1796695862912 * 1000; // Microseconds given for milliseconds.
  const hint = "is not a UTCTimestamp in epoch milliseconds (years 0000 to 9999): give milliseconds since " +
    "1970-01-01 UTC, e.g. Date.now()";
  assert.throws(
    () => NewOrderSingle.build(order({ transactTime: us })),
    new RangeError(`NewOrderSingle.transactTime (60): ${us} ${hint}`),
  );
  assert.throws(
    () => NewOrderSingle.build(order({ transactTime: NaN })),
    new RangeError(`NewOrderSingle.transactTime (60): NaN ${hint}`),
  );
  assert.throws(
    () => NewOrderSingle.build(order({ expireTime: 253402300800000 })),
    new RangeError(`NewOrderSingle.expireTime (126): 253402300800000 ${hint}`),
  );
  assert.deepEqual(
    NewOrderSingle.build(
      order({ transactTime: -62167219200000, expireTime: 253402300799999, price: "1.0850" }),
    )
      .fields,
    [[11, "o1"], [54, "1"], [60, "00000101-00:00:00.000"], [40, "2"], [44, "1.0850"], [
      126,
      "99991231-23:59:59.999",
    ]],
  );
  // Timestamps given as text are written as given (the escape hatch for finer precision).
  assert.deepEqual(
    NewOrderSingle.build(order({ transactTime: "20261208-02:11:02.912345" as unknown as number })).fields[2],
    [60, "20261208-02:11:02.912345"],
  );
});

Deno.test("a refused build leaves the session untouched: the next order goes out with the next MsgSeqNum", async () => {
  const logger = new Logger({ level: "error" });
  const seen: string[] = [];
  let last!: () => void;
  const done = new Promise<void>((r) => last = r);
  const lp = await startAcceptor({ port: 0, senderCompId: "LP", targetCompId: "CLIENT", logger }, {
    onMessage(v) {
      seen.push(`${v.seqNum} ${v.getString(11)} ${v.getString(60)}`);
      if (v.getString(11) === "ok") last();
    },
  });
  const results: string[] = [];
  const client = await startInitiator({
    port: lp.ports[0]!,
    senderCompId: "CLIENT",
    targetCompId: "LP",
    logger,
  }, {
    onCreate(s: SessionHandle) {
      // Not logged on yet: a message that builds is queued; one that does not never reaches the queue.
      for (const [id, t, px] of [["bad-ts", NaN, 1], ["bad-px", 5, NaN], ["ok", 5, 1]] as const) {
        try {
          const o = NewOrderSingle.build(order({ clOrdID: id, transactTime: t, price: px }));
          results.push(`${id} ${s.send(o).kind}`);
        } catch (e) {
          results.push(`${id} ${(e as Error).name}`);
        }
      }
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([done, new Promise((r) => timer = setTimeout(r, 5000))]);
    assert.deepEqual(seen, ["2 ok 19700101-00:00:00.005"]);
    assert.deepEqual(results, ["bad-ts RangeError", "bad-px RangeError", "ok queued"]);
  } finally {
    clearTimeout(timer);
    await client.stop();
    await lp.stop();
  }
});

/**
 * The load generator's NewOrderSingle as one small object (issue 16, docs/performance.md "Session 11").
 * A typed builder's message is two objects (the BuiltMessage and its input: ten fields) plus the
 * ClOrdID string and a heap number for TransactTime; in a burst, thousands of them wait in the
 * session's outbound queue while a write is in flight and survive scavenges. This one keeps the request
 * number and what it cannot look up (price text, TimeInForce, symbol, side, quantity), writes the ClOrdID
 * straight into the session's encoder from the number (`Encoder.strBase36`) and TransactTime from the
 * ledger's intended send time. Its fields are those of
 * `loose(pick(fix44.NewOrderSingle, ORDER_FIELDS)).adopt(...)` with the same values, in the same order,
 * encoded to the same bytes (test/app/load_order_message_test.ts). On a FIX 4.0-4.3 session (which require
 * HandlInst) the generator sends `LoadOrder42`: the same with HandlInst (21) 1 after the ClOrdID, as
 * `loose(pick(fix42.NewOrderSingle, [...ORDER_FIELDS, "handlInst"]))` writes it; a FIX 4.4 session's orders
 * stay LoadOrder (bytes unchanged, and one class on the FIX 4.4 hot path).
 *
 * A BuiltMessage so that the outbound queue counts its size without making its field list; its own
 * methods replace all of BuiltMessage's (`data` and `write` are not used).
 */
import { BuiltMessage, Encoder, type Field, type FieldSink } from "../../codec/encoder.ts";
import { MsgType } from "../../codec/tags.ts";
import { formatTimestamp } from "../../codec/timestamps.ts";
import type { RequestLedger } from "./ledger.ts";

/** Body bytes as the queue's estimate counts them: "tag=" and SOH (6) per field plus the value's length. */
const FIXED_ESTIMATE = 8 * 6 + 21 + 12 + 1 + 1 + 1; // TransactTime, OrderQty (a number), 40, 54, 59

const unused = (): void => {
  throw new Error("LoadOrder writes its own fields");
};

/** A NewOrderSingle of the load generator (request `i` of `ledger`). */
export class LoadOrder extends BuiltMessage<null> {
  #list: Field[] | undefined;

  constructor(
    readonly ledger: RequestLedger,
    readonly i: number,
    readonly symbol: string,
    /** "1" buy, "2" sell. */
    readonly side: string,
    readonly orderQty: number,
    readonly price: string,
    readonly timeInForce: string,
  ) {
    super(MsgType.NewOrderSingle, null, unused);
  }

  /** ClOrdID: the ledger's prefix and the request number in base 36 (RequestLedger.id). */
  get clOrdID(): string {
    return this.ledger.id(this.i);
  }

  /** TransactTime: the intended send time, in milliseconds. */
  get transactTime(): number {
    return Math.floor(this.ledger.sentUs[this.i]! / 1000);
  }

  /** HandlInst (21), written after the ClOrdID when set: none on FIX 4.4 (LoadOrder42 sets it). */
  get handlInst(): string | undefined {
    return undefined;
  }

  override get fields(): Field[] {
    if (this.#list !== undefined) return this.#list;
    const h = this.handlInst;
    const list: Field[] = [[11, this.clOrdID]];
    if (h !== undefined) list.push([21, h]);
    list.push(
      [55, this.symbol],
      [54, this.side],
      [60, formatTimestamp(this.transactTime)],
      [38, this.orderQty],
      [40, "2"],
      [44, this.price],
      [59, this.timeInForce],
    );
    return this.#list = list;
  }

  override set fields(list: Field[]) {
    this.#list = list;
  }

  override writeBody(out: FieldSink): boolean {
    if (this.#list !== undefined) return false;
    const h = this.handlInst;
    if (out instanceof Encoder) {
      out.strBase36(11, this.ledger.prefix, this.i);
      if (h !== undefined) out.str(21, h);
      out.str(55, this.symbol)
        .str(54, this.side)
        .timestamp(60, this.transactTime)
        .decimal(38, this.orderQty)
        .str(40, "2")
        .str(44, this.price)
        .str(59, this.timeInForce);
      return true;
    }
    out.field(11, this.clOrdID);
    if (h !== undefined) out.field(21, h);
    out.field(55, this.symbol);
    out.field(54, this.side);
    out.timestamp(60, this.transactTime);
    out.field(38, this.orderQty);
    out.field(40, "2");
    out.field(44, this.price);
    out.field(59, this.timeInForce);
    return true;
  }

  override estimateBytes(): number {
    if (this.#list !== undefined) return -1;
    const h = this.handlInst;
    return FIXED_ESTIMATE + this.ledger.prefix.length + base36Digits(this.i) + this.symbol.length +
      this.price.length + (h === undefined ? 0 : 6 + h.length);
  }
}

/** HandlInst 1: automated execution order, private, no broker intervention (a load generator's orders). */
export const HANDL_INST_AUTOMATED = "1";

/** A LoadOrder with HandlInst (21) 1: the NewOrderSingle of a FIX 4.0-4.3 session (HandlInst required there). */
export class LoadOrder42 extends LoadOrder {
  override get handlInst(): string {
    return HANDL_INST_AUTOMATED;
  }
}

function base36Digits(n: number): number {
  let d = 1;
  for (let q = Math.floor(n / 36); q > 0; q = Math.floor(q / 36)) d++;
  return d;
}

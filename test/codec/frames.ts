/** Test helpers: FIX frames from readable text ('|' for SOH) with BodyLength and CheckSum filled in. */
import { checksum, fromReadable, MessageView } from "../../src/codec/mod.ts";

/** A complete frame: `8=<begin>|9=<len>|<body>|10=<sum>|` where `body` starts at 35=. */
export function frame(body: string, beginString = "FIX.4.4"): Uint8Array {
  const b = fromReadable(body.endsWith("|") ? body : body + "|");
  const head = fromReadable(`8=${beginString}|9=${b.length}|`);
  const out = new Uint8Array(head.length + b.length + 7);
  out.set(head);
  out.set(b, head.length);
  const sum = checksum(out, 0, head.length + b.length);
  out.set(fromReadable(`10=${String(sum).padStart(3, "0")}|`), head.length + b.length);
  return out;
}

/** A view over `frame(body)`. */
export function viewOf(body: string, beginString = "FIX.4.4"): MessageView {
  return MessageView.parse(frame(body, beginString));
}

/** A view over exactly the given readable bytes (no fields added): for malformed layouts. */
export function rawView(text: string): MessageView {
  return MessageView.parse(fromReadable(text));
}

/** A valid FIX 4.4 NewOrderSingle body; tests splice problems into it. */
export const NOS_HEADER = "35=D|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045";
/** The body fields of NOS (after the header). */
export const NOS_BODY = "11=ord-1|21=1|55=IBM|54=1|60=20261122-01:02:03.045|38=100|40=2|44=1.5|59=0";
/** NOS_HEADER + NOS_BODY. */
export const NOS = `${NOS_HEADER}|${NOS_BODY}`;

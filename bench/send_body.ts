// The engine's side of one library SEND, in one process (issue 17): the body read into a message, the order
// tracking's pass over its fields, and the session's encoding of the frame. Before: messageFromBody (a field
// list, encoded again); after: PreEncodedMessage (the body's bytes copied into the frame as they are).
// Alternating rounds of 400,000 sends; prints the median and smallest µs per send of each.
// Run: taskset -c 1 ./deno run -A bench/send_body.ts
import { type FieldValue, forEachField } from "../src/codec/mod.ts";
import { messageFromBody } from "../src/engine/library_body.ts";
import { encodeApp } from "../src/session/messages.ts";
import { createSession, DEFAULT_SESSION_SETTINGS } from "../src/session/mod.ts";
import { PreEncodedMessage } from "../src/session/pre_encoded.ts";

const s = createSession(
  {
    ...DEFAULT_SESSION_SETTINGS,
    id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
    role: "initiator",
  },
  { nextSenderSeq: 1, nextTargetSeq: 1 },
  0,
);
/** Stands in for the order tracking's pass (open_orders.ts SentFields): one string per field. */
const sink = {
  id: undefined as FieldValue | undefined,
  n: 0,
  field(t: number, v: FieldValue) {
    if (t === 11) this.id = v;
    this.n++;
  },
  timestamp() {},
};
const bodies: Uint8Array[] = [];
for (let i = 0; i < 1024; i++) {
  bodies.push(
    new TextEncoder().encode(
      `35=D\x0111=C${
        1000000 + i
      }\x0155=EUR/USD\x0154=1\x0138=100\x0140=2\x0144=1.05\x0160=20260101-00:00:00\x01`,
    ),
  );
}
const N = 400_000;
function run(pre: boolean): number {
  const t = performance.now();
  let seq = 1;
  for (let i = 0; i < N; i++) {
    const b = bodies[i & 1023]!;
    const m = pre ? PreEncodedMessage.fromBody(b) : messageFromBody(b);
    forEachField(m, sink);
    encodeApp(s, m, seq++, 1_700_000_000_000);
  }
  return (performance.now() - t) * 1000 / N;
}
for (let r = 0; r < 4; r++) {
  run(false);
  run(true);
}
const a: number[] = [], b: number[] = [];
for (let r = 0; r < 8; r++) {
  a.push(run(false));
  b.push(run(true));
}
const med = (x: number[]) => x.slice().sort((p, q) => p - q)[x.length >> 1]!.toFixed(3);
const min = (x: number[]) => Math.min(...x).toFixed(3);
console.log(
  `µs per send: field list (messageFromBody) ${med(a)} (smallest ${min(a)}), pre-encoded ${med(b)} ` +
    `(smallest ${min(b)}); load average ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
);

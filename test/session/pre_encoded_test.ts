/**
 * A SEND body sent as it came (PreEncodedMessage): the frame is byte for byte the one the field list
 * (messageFromBody, the path before) gives, for plain bodies through the raw copy and for bodies with
 * header, trailer or data fields through the field list; errors as messageFromBody's.
 */
import assert from "node:assert/strict";
import type { FixMessage } from "../../src/codec/encoder.ts";
import { messageFromBody } from "../../src/engine/library_body.ts";
import { encodeApp } from "../../src/session/messages.ts";
import { createSession, DEFAULT_SESSION_SETTINGS } from "../../src/session/mod.ts";
import { PreEncodedMessage } from "../../src/session/pre_encoded.ts";

const T = Date.UTC(2026, 11, 7, 6, 40, 1, 234);

function encode(m: FixMessage, extra: Record<string, unknown> = {}): string {
  const s = createSession(
    {
      ...DEFAULT_SESSION_SETTINGS,
      id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
      role: "initiator",
      ...extra,
    },
    { nextSenderSeq: 1, nextTargetSeq: 1 },
    T,
  );
  return latin1(encodeApp(s, m, 7, T)).replaceAll("\x01", "|");
}

function latin1(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text.replaceAll("|", "\x01"), (c) => c.charCodeAt(0));
}

const PLAIN =
  "35=D|11=C1|1=ACC|55=EUR/USD|54=1|60=20261207-06:40:01.234|38=1000000|40=2|44=1.08525|58=caf\xe9|";

Deno.test("pre-encoded body: the raw path's frame is exactly the field list's", () => {
  const m = PreEncodedMessage.fromBody(bytes(PLAIN));
  assert.equal(m.msgType, "D");
  assert.ok(m.rawFields() !== undefined, "a plain body takes the raw path");
  const frame = encode(m);
  assert.equal(
    frame,
    "8=FIX.4.4|9=137|35=D|34=7|49=TW|52=20261207-06:40:01.234|56=ISLD|" +
      "11=C1|1=ACC|55=EUR/USD|54=1|60=20261207-06:40:01.234|38=1000000|40=2|44=1.08525|58=caf\xe9|10=" +
      frame.slice(-4),
  );
  assert.equal(frame, encode(messageFromBody(bytes(PLAIN))));
  // The raw path made no field list: it is still open afterwards.
  assert.ok(m.rawFields() !== undefined);
});

Deno.test("pre-encoded body: header, trailer, data fields and a second 35 take the field list, same bytes as before", () => {
  const bodies = [
    "35=D|11=C1|57=DESK|55=X|",
    "35=D|11=C1|34=99|49=ME|52=x|56=YOU|55=X|",
    "35=D|11=C1|55=X|93=3|89=abc|",
    "35=D|11=C1|55=X|96=ab|",
    "35=D|11=C1|35=G|55=X|",
    "11=C1|35=D|55=X|",
    "35=D|11=C1|55=X",
    "35=D|",
  ];
  for (const body of bodies) {
    const m = PreEncodedMessage.fromBody(bytes(body));
    const before = messageFromBody(bytes(body));
    assert.equal(m.msgType, before.msgType, body);
    assert.deepEqual(m.fields, before.fields, body);
    assert.equal(encode(PreEncodedMessage.fromBody(bytes(body))), encode(before), body);
  }
  assert.equal(PreEncodedMessage.fromBody(bytes("35=D|11=C1|57=DESK|")).rawFields(), undefined);
  assert.ok(PreEncodedMessage.fromBody(bytes("35=D|")).rawFields()?.length === 0);
});

Deno.test("pre-encoded body: with our configured 142/143 the raw body follows them, as the field list's", () => {
  const cfg = {
    id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD", senderLocationId: "LDN" },
  };
  const a = encode(PreEncodedMessage.fromBody(bytes(PLAIN)), cfg);
  assert.equal(a, encode(messageFromBody(bytes(PLAIN)), cfg));
  assert.ok(a.includes("|56=ISLD|142=LDN|11=C1|"), a);
});

Deno.test("pre-encoded body: once its fields are read (and perhaps changed) the field list is encoded", () => {
  const m = PreEncodedMessage.fromBody(bytes(PLAIN));
  m.fields.push([100, "XNYS"]);
  assert.equal(m.rawFields(), undefined);
  assert.ok(encode(m).includes("|58=caf\xe9|100=XNYS|10="));
});

Deno.test("pre-encoded body: writeBody gives the field list's fields; detach keeps the bytes when the buffer is reused", () => {
  const buf = bytes(PLAIN);
  const m = PreEncodedMessage.fromBody(buf);
  const seen: string[] = [];
  assert.equal(m.writeBody({ field: (t, v) => seen.push(`${t}=${v}`), timestamp: () => {} }), true);
  assert.deepEqual(seen, messageFromBody(bytes(PLAIN)).fields.map(([t, v]) => `${t}=${v}`));
  const frame = encode(PreEncodedMessage.fromBody(bytes(PLAIN)));
  m.detach();
  buf.fill(0x58);
  assert.equal(encode(m), frame);
});

Deno.test("pre-encoded body: errors as messageFromBody's", () => {
  for (const body of ["35=D|11=|", "35=D|x=1|", "35=D|011=1|", "11=C1|", "35=D|11"]) {
    assert.throws(() => messageFromBody(bytes(body)), (e: Error) => {
      assert.throws(() => PreEncodedMessage.fromBody(bytes(body)), { message: e.message });
      return true;
    }, body);
  }
});

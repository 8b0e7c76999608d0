/** What SEND carries: a FixMessage (typed builder or fields) as body bytes, and back on the engine side. */
import assert from "node:assert/strict";
import { NewOrderSingle } from "../../src/dictionary/generated/fix44.ts";
import { connectEngine, encodeBody, sessionIdOfKey } from "../../src/engine/library_client.ts";
import { messageFromBody } from "../../src/engine/library_server.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b).replaceAll("\x01", "|");

Deno.test("encodeBody: fields and typed builders as SOH-delimited body, MsgType first", () => {
  assert.equal(
    text(encodeBody({ msgType: "D", fields: [[11, "a"], [38, 100], [44, 1.25], [1, "x y"], [114, true]] })),
    "35=D|11=a|38=100|44=1.25|1=x y|114=Y|",
  );
  const built = NewOrderSingle.build({
    clOrdID: "o1",
    symbol: "EUR/USD",
    side: "1",
    transactTime: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    orderQty: 100,
    ordType: "2",
    price: 1.0845,
  });
  assert.equal(
    text(encodeBody(built)),
    "35=D|11=o1|55=EUR/USD|54=1|60=20260102-03:04:05.006|38=100|40=2|44=1.0845|",
  );
});

Deno.test("messageFromBody: session header and trailer tags dropped; bad bodies refused with the reason", () => {
  const m = messageFromBody(
    new TextEncoder().encode("8=FIX.4.4\x0135=D\x0134=9\x0149=X\x0111=a\x0158=p=q\x0110=000\x01"),
  );
  assert.deepEqual([m.msgType, m.fields], ["D", [[11, "a"], [58, "p=q"]]]);
  assert.throws(() => messageFromBody(new TextEncoder().encode("11=a\x01")), /no MsgType \(35\)/);
  assert.throws(() => messageFromBody(new TextEncoder().encode("35=D\x01x=1\x01")), /bad field at byte 5/);
  assert.throws(
    () => messageFromBody(new TextEncoder().encode("35=D\x0111=\x01")),
    /tag 11 has an empty value/,
  );
});

Deno.test("sessionIdOfKey: the parts of a session key", () => {
  assert.deepEqual(sessionIdOfKey("FIX.4.4:CLIENT->LP"), {
    beginString: "FIX.4.4",
    senderCompId: "CLIENT",
    targetCompId: "LP",
  });
  assert.deepEqual(sessionIdOfKey("FIXT.1.1:TW/DESK->ISLD/T1#primary"), {
    beginString: "FIXT.1.1",
    senderCompId: "TW",
    targetCompId: "ISLD",
    senderSubId: "DESK",
    targetSubId: "T1",
    qualifier: "primary",
  });
});

Deno.test("connectEngine takes secret: Deno.env.get(...) as docs/engine_library.md writes it (string | undefined)", async () => {
  const secret: string | undefined = Deno.env.get("FIXG_TEST_NO_SUCH_SECRET_VAR");
  const path = `/tmp/fixg-no-engine-${Deno.pid}.sock`;
  await assert.rejects(
    connectEngine({ socket: path, name: "t", secret, reconnect: false }),
    /cannot connect to the engine|No such file/,
  );
});

Deno.test("encodeBody: tags of 1 to 9 digits written as their decimal digits, exact bytes", () => {
  const body = encodeBody({
    msgType: "D",
    fields: [[1, "a"], [9, "x"], [10, "y"], [11, "b"], [99, "c"], [100, "d"], [12345, "e"], [999999999, "f"]],
  });
  assert.equal(
    new TextDecoder().decode(body),
    "35=D\x011=a\x019=x\x0110=y\x0111=b\x0199=c\x01100=d\x0112345=e\x01999999999=f\x01",
  );
});

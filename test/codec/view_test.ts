/** MessageView: lifetime (copy), data fields, nested groups, timestamps, scaled decimals. */
import assert from "node:assert/strict";
import {
  encodeMessage,
  Encoder,
  formatScaled,
  formatTimestamp,
  Framer,
  fromReadable,
  MessageView,
  parseTimestampString,
  toReadable,
} from "../../src/codec/mod.ts";
import { builtinDictionary } from "../../src/dictionary/mod.ts";
import { latin1String } from "../../src/codec/ascii.ts";
import { frame, NOS } from "./frames.ts";

const F1 = frame(NOS);
const F2 = frame("35=0|49=TW|56=ISLD|34=3|52=20261122-01:02:03.045|112=PING");

Deno.test("a view handed out by the framer is clobbered by buffer reuse; its copy() is not", () => {
  // Frames spanning chunks are assembled in the framer's own buffer, which the next frame reuses.
  const kept: MessageView[] = [];
  const live: MessageView[] = [];
  const framer = new Framer({
    onFrame: (buf, s, e) => {
      const v = MessageView.parse(buf, s, e);
      live.push(v);
      kept.push(v.copy());
    },
    onGarbled: () => assert.fail("garbled"),
  });
  const stream = new Uint8Array([...F1, ...F2]);
  for (let i = 0; i < stream.length; i += 10) framer.push(stream.subarray(i, i + 10));
  assert.equal(kept.length, 2);
  assert.equal(toReadable(kept[0]!.bytes()), toReadable(F1));
  assert.equal(kept[0]!.getString(11), "ord-1");
  assert.equal(kept[1]!.getString(112), "PING");
  assert.deepEqual(kept[0]!.toPairs(), MessageView.parse(F1).toPairs());
  // The first live view points into the reused buffer: it now shows the second frame's bytes.
  assert.notEqual(toReadable(live[0]!.bytes()), toReadable(F1));
});

Deno.test("a copy survives reuse of the encoder's buffer", () => {
  const enc = new Encoder(64);
  const first = enc.begin("FIX.4.4", "0").str(49, "A").str(112, "first").finish();
  const view = MessageView.parse(first);
  const copy = view.copy();
  enc.begin("FIX.4.4", "0").str(49, "B").str(112, "other").finish();
  assert.equal(copy.getString(112), "first");
  assert.equal(copy.getString(49), "A");
  assert.equal(view.getString(112), "other", "the uncopied view sees the new bytes (documented lifetime)");
});

Deno.test("data fields: RawData (95/96) holding SOH, XmlData (212/213) in the header", () => {
  const raw = "a\x01b=c\x018=FIX";
  const xml = "<x a='1'>\x01</x>";
  const enc = new Encoder();
  const f = encodeMessage(enc, "FIX.4.4", {
    msgType: "A",
    fields: [
      [49, "TW"],
      [56, "ISLD"],
      [34, 1],
      [52, "20261122-01:02:03.045"],
      [212, xml.length],
      [213, xml],
      [
        98,
        0,
      ],
      [108, 30],
      [95, raw.length],
      [96, raw],
    ],
  });
  const v = MessageView.parse(f);
  assert.equal(v.parseError, undefined);
  assert.equal(new TextDecoder().decode(v.getBytes(96)), raw);
  assert.equal(v.getString(213), xml);
  assert.equal(v.getInt(95), raw.length);
  assert.equal(v.getInt(108), 30);
  assert.deepEqual(v.toPairs().map(([t]) => t), [8, 9, 35, 49, 56, 34, 52, 212, 213, 98, 108, 95, 96, 10]);
  // The length field is written for the caller when left out.
  const g = MessageView.parse(encodeMessage(enc, "FIX.4.4", { msgType: "A", fields: [[96, raw]] }));
  assert.deepEqual(g.toPairs().slice(2, 5), [[35, "A"], [95, String(raw.length)], [96, raw]]);
  // A wrong length is a parse error naming the data field, not a crash.
  const bad = MessageView.parse(fromReadable("8=FIX.4.4|9=20|35=A|95=99|96=ab|10=000|"));
  assert.equal(bad.parseError?.kind, "data length mismatch");
  assert.equal(bad.tagAt(bad.parseError!.fieldIndex), 96);
});

Deno.test("nested repeating groups through view.group with the dictionary's delimiters", () => {
  const dict = builtinDictionary("FIX.4.4");
  const sides = dict.messagesByName.get("NewOrderCross")!.groupsByCountTag.get(552)!;
  const parties = sides.groupsByCountTag.get(453)!;
  const subs = parties.groupsByCountTag.get(802)!;
  const v = MessageView.parse(frame(
    "35=s|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|548=X1|549=1|550=0|552=2|" +
      "54=1|11=a|453=2|448=P1|447=D|452=1|802=2|523=s1|803=1|523=s2|803=2|448=P2|447=D|452=3|38=10|" +
      "54=2|11=b|38=20|55=IBM|60=20261122-01:02:03.045|40=1",
  ));
  const entries = v.group(552, sides.delimiterTag, sides.allTags);
  assert.equal(entries.length, 2);
  assert.deepEqual(entries.map((e) => [e.getChar(54), e.getString(11), e.getInt(38)]), [["1", "a", 10], [
    "2",
    "b",
    20,
  ]]);
  const p0 = entries[0]!.group(453, parties.delimiterTag, parties.allTags);
  assert.deepEqual(p0.map((e) => e.getString(448)), ["P1", "P2"]);
  assert.deepEqual(p0[0]!.group(802, subs.delimiterTag, subs.allTags).map((e) => e.getString(523)), [
    "s1",
    "s2",
  ]);
  assert.deepEqual(p0[1]!.group(802, subs.delimiterTag, subs.allTags), []);
  assert.deepEqual(entries[1]!.group(453, parties.delimiterTag, parties.allTags), []);
  // Fields after the group belong to the message again.
  assert.equal(v.getString(55), "IBM");
});

Deno.test("UTCTimestamp round trip at s, ms, us and ns precision", () => {
  const epochMs = Date.UTC(2026, 10, 22, 23, 59, 58, 987);
  const cases = [
    ["s", 0, "20261122-23:59:58", 0],
    ["ms", 0, "20261122-23:59:58.987", 3],
    ["us", 654321, "20261122-23:59:58.987654", 6],
    ["ns", 654321, "20261122-23:59:58.987654321", 9],
  ] as const;
  const enc = new Encoder();
  for (const [precision, sub, text, digits] of cases) {
    assert.equal(formatTimestamp(epochMs, precision, sub), text);
    const v = MessageView.parse(enc.begin("FIX.4.4", "0").timestamp(52, epochMs, precision, sub).finish());
    assert.equal(v.getString(52), text);
    const ts = v.getTimestamp(52)!;
    assert.equal(ts.epochMs, precision === "s" ? epochMs - 987 : epochMs);
    assert.equal(ts.subMsNanos, precision === "us" ? 654000 : precision === "ns" ? 654321 : 0);
    assert.equal(ts.digits, digits);
  }
  assert.equal(parseTimestampString("20261122-24:00:00"), undefined);
  assert.equal(parseTimestampString("20261122-23:59:58.98"), undefined);
  assert.equal(parseTimestampString("19700101-00:00:00.000")?.epochMs, 0);
  assert.equal(parseTimestampString("20240229-12:00:00")?.epochMs, Date.UTC(2024, 1, 29, 12));
  assert.equal(parseTimestampString("20230229-12:00:00"), undefined);
  const d = MessageView.parse(frame("35=0|75=20261122|272=20261301"));
  assert.equal(d.getDateOnly(75), Date.UTC(2026, 10, 22));
  assert.equal(d.getDateOnly(272), undefined);
});

Deno.test("decimals as scaled integers: exact, truncated, negative, malformed; encoder writes them exactly", () => {
  const v = MessageView.parse(
    frame("35=D|44=1.2345|38=100|99=-0.5|6=.25|31=12.|32=abc|14=1.2.3|15=-|132=123456789.123456789"),
  );
  assert.equal(v.getDecimalScaled(44, 4), 12345);
  assert.equal(v.getDecimalScaled(44, 2), 123, "digits beyond the scale are truncated");
  assert.equal(v.getDecimalScaled(44, 8), 123450000);
  assert.equal(v.getDecimalScaled(38, 3), 100000);
  assert.equal(v.getDecimalScaled(99, 2), -50);
  assert.equal(v.getDecimalScaled(6, 2), 25);
  assert.equal(v.getDecimalScaled(31, 1), 120);
  assert.equal(v.getDecimalScaled(32, 2), undefined);
  assert.equal(v.getDecimalScaled(14, 2), undefined);
  assert.equal(v.getDecimalScaled(15, 2), undefined);
  assert.equal(v.getDecimalScaled(132, 9), undefined, "beyond 2^53 is refused, not rounded");
  assert.equal(v.getDecimalScaled(132, 6), 123456789123456);
  assert.equal(v.getDecimalScaled(9999, 2), undefined);
  assert.equal(v.getFloat(44), 1.2345);
  assert.equal(v.getFloat(32), undefined);
  assert.equal(formatScaled(12345, 4), "1.2345");
  assert.equal(formatScaled(-1, 4), "-0.0001");
  assert.equal(formatScaled(100, 0), "100");
  const enc = new Encoder();
  const e = MessageView.parse(
    enc.begin("FIX.4.4", "D").decimalScaled(44, 12345, 4).decimal(38, 1e-7).decimal(99, 0.1 + 0.2).decimal(
      6,
      2e21,
    )
      .finish(),
  );
  assert.equal(e.getString(44), "1.2345");
  assert.equal(e.getString(38), "0.0000001");
  assert.equal(e.getString(99), "0.30000000000000004");
  assert.equal(e.getString(6), "2000000000000000000000");
});

Deno.test("typed getters: int, char, boolean, absent fields, malformed values", () => {
  const v = MessageView.parse(frame("35=D|34=42|54=1|43=Y|97=N|141=X|38=-7|11=|58=x y"));
  assert.equal(v.getInt(34), 42);
  assert.equal(v.getInt(38), -7);
  assert.equal(v.getInt(11), undefined);
  assert.equal(v.getChar(54), "1");
  assert.equal(v.getChar(58), undefined);
  assert.equal(v.getBoolean(43), true);
  assert.equal(v.getBoolean(97), false);
  assert.equal(v.getBoolean(141), undefined);
  assert.equal(v.getString(11), "");
  assert.equal(v.getString(9999), undefined);
  assert.equal(v.has(58), true);
  assert.equal(v.seqNum, 42);
  assert.equal(v.msgType, "D");
});

Deno.test("getFloat reads digits from the bytes and gives exactly Number() of the text; malformed is undefined", () => {
  const values = [
    "0",
    "-0",
    "1.",
    ".25",
    "-.5",
    "100.01",
    "1.2345",
    "0.1",
    "0.3",
    "123456789012345",
    "1234567890.12345",
    "0.0000000000000000000001",
    "1234567890123456789", // 19 digits: the string path
    "0.00000000000000000000000001", // scale 26: the string path
    "99999999999999.9",
  ];
  // Seeded pseudo-random decimals of 1..15 digits with 0..8 decimals.
  let x = 12345;
  for (let k = 0; k < 2000; k++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const digits = String(x).padStart(10, "0") + String(x * 7 % 100000).padStart(5, "0");
    const n = 1 + (x % 15);
    const d = x % 9;
    const body = digits.slice(0, n);
    values.push(d > 0 && d < n ? `${body.slice(0, n - d)}.${body.slice(n - d)}` : body);
  }
  const text = values.map((s, i) => `${1000 + i}=${s}`).join("|");
  const v = MessageView.parse(frame(`35=D|${text}`));
  values.forEach((s, i) =>
    assert.ok(Object.is(v.getFloat(1000 + i), Number(s)), `${s}: ${v.getFloat(1000 + i)}`)
  );
  const bad = MessageView.parse(frame("35=D|44=1.2.3|38=|99=-|6=.|31=1e5|32=+1|14= 1|15=1-"));
  for (const tag of [44, 38, 99, 6, 31, 32, 14, 15]) assert.equal(bad.getFloat(tag), undefined, `tag ${tag}`);
});

Deno.test("latin1String: every length (short, cons-string range, long) decodes byte for byte", () => {
  const bytes = Uint8Array.from({ length: 200 }, (_, i) => 32 + (i * 7) % 95);
  for (let len = 0; len <= 150; len++) {
    const expected = String.fromCharCode(...bytes.subarray(3, 3 + len));
    assert.equal(latin1String(bytes, 3, 3 + len), expected, `length ${len}`);
  }
});

/**
 * Issue 16, "one of each": one UTCTimestamp parser (codec/timestamps.ts; the session's SendingTime
 * check uses it) and one group reader (codec/view.ts; app/groups.ts's splitGroup is a view over it).
 */
import assert from "node:assert/strict";
import { parseTimestamp, parseTimestampMs, parseTimestampString } from "../../src/codec/timestamps.ts";
import { parseUtcTimestampMs } from "../../src/session/header.ts";
import { isUtcTimestamp } from "../../src/dictionary/formats.ts";
import { GROUP_STOP_TAGS, splitGroup } from "../../src/app/groups.ts";
import { MessageView } from "../../src/codec/view.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("one timestamp parser: the session's parseUtcTimestampMs is the codec's parseTimestampMs", () => {
  assert.equal(parseUtcTimestampMs, parseTimestampMs);
  // The validator's format check is the codec's, the rules parseTimestampMs applies.
  const b = bytes("20230229-12:00:00");
  assert.equal(isUtcTimestamp(b, 0, b.length), false);
});

Deno.test("parseTimestampMs and parseTimestamp agree on valid and malformed values", () => {
  const cases: [string, number | undefined][] = [
    ["19700101-00:00:00", 0],
    ["19700101-00:00:00.001", 1],
    ["20240229-12:00:00", Date.UTC(2024, 1, 29, 12)],
    ["20261122-23:59:60.999", Date.UTC(2026, 10, 22, 23, 59, 59, 999) + 1000],
    ["20261122-23:59:58.123456", Date.UTC(2026, 10, 22, 23, 59, 58, 123)],
    ["20261122-23:59:58.123456789", Date.UTC(2026, 10, 22, 23, 59, 58, 123)],
    ["20000229-00:00:00", Date.UTC(2000, 1, 29)],
    ["19000229-00:00:00", undefined],
    ["19690720-20:17:40", Date.UTC(1969, 6, 20, 20, 17, 40)],
    ["20230229-12:00:00", undefined],
    ["20240431-12:00:00", undefined],
    ["20241301-12:00:00", undefined],
    ["20240100-12:00:00", undefined],
    ["20261122-24:00:00", undefined],
    ["20261122-23:60:00", undefined],
    ["20261122-23:59:61", undefined],
    ["20261122-23:59:58.98", undefined],
    ["20261122-23:59:58.1234", undefined],
    ["20261122-23:59:58.12a", undefined],
    ["20261122-23:59:58.123456a89", undefined],
    ["20261122T23:59:58", undefined],
    ["20261122-23-59:58", undefined],
    ["20261122-23:59:58Z", undefined],
    ["20261122-23:59:58.000+01", undefined],
    ["2026112-23:59:58.000", undefined],
    ["", undefined],
  ];
  for (const [s, ms] of cases) {
    const b = bytes(s);
    assert.equal(parseTimestampString(s)?.epochMs, ms, s);
    assert.equal(parseTimestamp(b, 0, b.length)?.epochMs, ms, s);
    const n = parseTimestampMs(b, 0, b.length);
    if (b.length > 0) assert.equal(isUtcTimestamp(b, 0, b.length), ms !== undefined, s);
    if (ms === undefined) assert.ok(Number.isNaN(n), `${s} -> ${n}`);
    else assert.equal(n, ms, s);
  }
  assert.deepEqual(parseTimestampString("20261122-23:59:58.123456"), {
    epochMs: Date.UTC(2026, 10, 22, 23, 59, 58, 123),
    subMsNanos: 456_000,
    digits: 6,
  });
  assert.deepEqual(parseTimestampString("20261122-23:59:58.123456789")?.subMsNanos, 456_789);
});

const SOH = "\x01";
function frame(body: string): MessageView {
  const b = body.split("|").join(SOH) + SOH;
  const head = `8=FIX.4.4${SOH}9=${b.length}${SOH}`;
  let sum = 0;
  for (const c of bytes(head + b)) sum += c;
  const text = `${head}${b}10=${String(sum % 256).padStart(3, "0")}${SOH}`;
  return MessageView.parse(bytes(text));
}

Deno.test("one group reader: splitGroup (any tag, stop tags) is the view's groupUntil", () => {
  // An MD snapshot whose entries carry a tag fixg has no table for (9999), then 10.
  const v = frame(
    "35=W|49=A|56=B|34=2|52=20260101-00:00:00|55=X|268=2|269=0|270=1.5|9999=x|269=1|270=1.6|271=5",
  );
  const a = splitGroup(v, 268, 269);
  const b = v.groupUntil(268, 269, GROUP_STOP_TAGS);
  assert.deepEqual(a.map((e) => [e.from, e.to]), b.map((e) => [e.from, e.to]));
  assert.deepEqual(a.map((e) => [e.getString(269), e.getString(270), e.getString(9999), e.getString(271)]), [
    ["0", "1.5", "x", undefined],
    ["1", "1.6", undefined, "5"],
  ]);
  // With a member list the same entries end at the first tag outside it (9999 is not a member).
  const m = v.group(268, 269, new Set([269, 270, 271]));
  assert.deepEqual(m.map((e) => [e.from, e.to]), [[a[0]!.from, a[0]!.from + 2]]);
  // A stop tag ends the group; no count tag or no delimiter after it gives no entries.
  assert.deepEqual(splitGroup(v, 268, 269, new Set([9999])).map((e) => e.to - e.from), [2]);
  assert.deepEqual(splitGroup(v, 146, 55), []);
  assert.deepEqual(splitGroup(v, 55, 269), []);
});

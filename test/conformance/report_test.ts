import assert from "node:assert/strict";
import {
  failureLines,
  jsonReport,
  junitXml,
  type ScenarioResult,
  summarize,
  summaryLine,
} from "../../src/conformance/mod.ts";

const pass: ScenarioResult = {
  file: "fixtures/conformance/fix44/2a_seq_as_expected.def",
  name: "2a_seq_as_expected",
  passed: true,
  durationMs: 12,
  extraMessages: [],
  transcript: [],
};
const fail: ScenarioResult = {
  file: "fixtures/conformance/fix44/2b_seq_too_high.def",
  name: "2b_seq_too_high",
  passed: false,
  durationMs: 1500,
  failure: {
    line: 9,
    source: "E8=FIX.4.4|35=2|...",
    message: "tag 7: expected 7=2, received 7=3",
    expected: "8=FIX.4.4|35=2|7=2|16=0|",
    received: "8=FIX.4.4|9=61|35=2|7=3|16=0|10=001|",
    tag: 7,
  },
  extraMessages: [{ conn: 1, text: "8=FIX.4.4|35=0|<x>|" }],
  transcript: [],
};
const skipped = [{
  file: "fixtures/conformance/fix42/12_logout_on_stop.def",
  name: "12_logout_on_stop",
  reason: "requires engine-stop",
}];

Deno.test("summary line: N passed, M failed (skips appended)", () => {
  assert.equal(summaryLine(summarize([pass, fail])), "1 passed, 1 failed");
  assert.equal(summaryLine(summarize([pass], skipped)), "1 passed, 0 failed (1 skipped)");
  assert.deepEqual(failureLines(fail), [
    "line 9: tag 7: expected 7=2, received 7=3",
    "expected: 8=FIX.4.4|35=2|7=2|16=0|",
    "received: 8=FIX.4.4|9=61|35=2|7=3|16=0|10=001|",
  ]);
  assert.deepEqual(failureLines(pass), []);
});

Deno.test("JUnit XML: a suite per directory, failures with the first difference, escaped", () => {
  assert.equal(
    junitXml([pass, fail], skipped),
    [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<testsuites name="fixg conformance" tests="3" failures="1" skipped="1" time="1.512">`,
      `  <testsuite name="fixtures/conformance/fix44" tests="2" failures="1" errors="0" skipped="0" time="1.512">`,
      `    <testcase classname="fixtures/conformance/fix44" name="2a_seq_as_expected" file="fixtures/conformance/fix44/2a_seq_as_expected.def" time="0.012"/>`,
      `    <testcase classname="fixtures/conformance/fix44" name="2b_seq_too_high" file="fixtures/conformance/fix44/2b_seq_too_high.def" time="1.500">`,
      `      <failure message="line 9: tag 7: expected 7=2, received 7=3">line 9: tag 7: expected 7=2, received 7=3`,
      `expected: 8=FIX.4.4|35=2|7=2|16=0|`,
      `received: 8=FIX.4.4|9=61|35=2|7=3|16=0|10=001|</failure>`,
      `      <system-out>extra message on connection 1: 8=FIX.4.4|35=0|&lt;x&gt;|</system-out>`,
      `    </testcase>`,
      `  </testsuite>`,
      `  <testsuite name="fixtures/conformance/fix42" tests="1" failures="0" errors="0" skipped="1" time="0.000">`,
      `    <testcase classname="fixtures/conformance/fix42" name="12_logout_on_stop" file="fixtures/conformance/fix42/12_logout_on_stop.def" time="0.000">`,
      `      <skipped message="requires engine-stop"/>`,
      `    </testcase>`,
      `  </testsuite>`,
      `</testsuites>`,
      ``,
    ].join("\n"),
  );
});

Deno.test("JSON report: status per scenario, failure details, no transcript", () => {
  const j = jsonReport("acceptor-under-test", "127.0.0.1:9876", [pass, fail], skipped);
  assert.deepEqual(j.summary, { passed: 1, failed: 1, skipped: 1, durationMs: 1512 });
  assert.equal(j.results[0]!.status, "pass");
  assert.equal(j.results[1]!.status, "fail");
  assert.equal(j.results[1]!.failure?.tag, 7);
  assert.equal("transcript" in j.results[1]!, false);
  assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
});

import assert from "node:assert/strict";
import {
  type BenchReport,
  parseBenchJson,
  readBenchJson,
  renderBenchJson,
  REQUIRED_NUMBER_KEYS,
  sampleBenchReport,
  SUMMARY_KEYS,
} from "../../src/report/mod.ts";
import { ConfigError } from "../../src/errors.ts";

Deno.test("bench JSON has the schema keys exactly, in a stable order", () => {
  const json = JSON.parse(renderBenchJson(sampleBenchReport()));
  assert.deepEqual(Object.keys(json), [
    "tool",
    "schemaVersion",
    "version",
    "startedAt",
    "sent",
    "acknowledged",
    "rejected",
    "lost",
    "durationSec",
    "throughputPerSec",
    "latency",
    "config",
    "effectiveSettings",
    "processes",
    "perSession",
    "timeline",
    "latencyDistribution",
    "notes",
  ]);
  for (const k of REQUIRED_NUMBER_KEYS) assert.equal(typeof json[k], "number", k);
  assert.deepEqual(Object.keys(json.latency), ["orderToAck", "orderToFill", "cancelToAck"]);
  for (const m of Object.keys(json.latency)) {
    assert.deepEqual(Object.keys(json.latency[m]), [
      "count",
      "p50Us",
      "p90Us",
      "p99Us",
      "p999Us",
      "p9999Us",
      "maxUs",
      "meanUs",
      "stddevUs",
    ]);
  }
  assert.deepEqual(SUMMARY_KEYS, Object.keys(json.latency.orderToAck));
  assert.equal(json.tool, "fixg bench");
  assert.equal(json.schemaVersion, 1);
  assert.deepEqual(Object.keys(json.timeline[0]), ["tSec", "sent", "acked"]);
});

Deno.test("parseBenchJson round-trips a rendered report", () => {
  const report = sampleBenchReport();
  const back = parseBenchJson(renderBenchJson(report), "A.json");
  assert.deepEqual(back, JSON.parse(JSON.stringify(report)) as BenchReport);
});

Deno.test("parseBenchJson names the file and key of what is wrong (a usage error)", () => {
  const good = JSON.parse(renderBenchJson(sampleBenchReport()));
  const bad = (mutate: (o: Record<string, unknown>) => void) => {
    const o = structuredClone(good);
    mutate(o);
    return JSON.stringify(o);
  };
  assert.throws(
    () => parseBenchJson("{", "A.json"),
    (e) => e instanceof ConfigError && /^A\.json: not valid JSON/.test(e.message),
  );
  assert.throws(
    () => parseBenchJson(bad((o) => delete o.lost), "A.json"),
    (e) =>
      e instanceof ConfigError && e.message === 'A.json: "lost" must be a number (missing)' &&
      e.exitCode === 2,
  );
  assert.throws(
    () =>
      parseBenchJson(
        bad((o) => ((o.latency as Record<string, Record<string, unknown>>).orderToAck!.p99Us = "x")),
        "B.json",
      ),
    (e) => e instanceof ConfigError && e.message === 'B.json: "latency.orderToAck.p99Us" must be a number',
  );
  assert.throws(() => parseBenchJson(bad((o) => (o.tool = "wrk")), "C.json"), /"tool" is "wrk"/);
  assert.throws(() => parseBenchJson("[]", "D.json"), /must be a JSON object/);
});

Deno.test("a minimal CI-written report with only the required keys is accepted", () => {
  const r = parseBenchJson(
    JSON.stringify({
      sent: 10,
      acknowledged: 10,
      rejected: 0,
      lost: 0,
      durationSec: 1,
      throughputPerSec: 10,
      latency: {},
    }),
    "min.json",
  );
  assert.deepEqual(r.perSession, []);
  assert.deepEqual(r.timeline, []);
  assert.equal(r.version, "unknown");
});

Deno.test("readBenchJson reports a missing file as a usage error", async () => {
  await assert.rejects(
    () => readBenchJson("/nonexistent/fixg-bench.json"),
    (e) =>
      e instanceof ConfigError &&
      /Cannot read bench report "\/nonexistent\/fixg-bench\.json"/.test(e.message),
  );
});

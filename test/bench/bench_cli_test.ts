/**
 * `fixg bench` end to end through the launcher: the README's default run (a `fixg simulate-lp` child), its
 * --json, --html and --histogram files, `fixg bench compare` verdicts and exit codes, and usage errors.
 */
import assert from "node:assert/strict";
import * as hdr from "hdr-histogram-js";
import { FIXG_LAUNCHER } from "../../src/bench/mod.ts";
import { REQUIRED_NUMBER_KEYS, SUMMARY_KEYS } from "../../src/report/mod.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function fixg(...args: string[]): Promise<Run> {
  const out = await new Deno.Command(FIXG_LAUNCHER, { args, stdout: "piped", stderr: "piped", stdin: "null" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("fixg bench (default target: a simulate-lp child) reports every schema key, an HTML plot and an HdrHistogram log", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-bench-cli-" });
  try {
    const json = `${dir}/a.json`;
    const html = `${dir}/a.html`;
    const log = `${dir}/a.hlog`;
    const run = await fixg(
      "bench",
      "--duration",
      "2",
      "--warmup",
      "0.5",
      "--rate",
      "500",
      "--no-floor", // the floor and the ping-pong reference: test/bench/pacing_floor_test.ts
      "--no-progress",
      "--json",
      json,
      "--html",
      html,
      "--histogram",
      log,
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /^orders: sent \d+ {2}acknowledged \d+ {2}rejected 0 {2}lost 0/m);
    assert.match(run.stdout, /^order -> ack +\d+/m);
    assert.match(run.stdout, /^simulator +\d+/m);

    const report = JSON.parse(await Deno.readTextFile(json));
    await t.step("--json has every schema key with sane values", () => {
      for (const k of REQUIRED_NUMBER_KEYS) assert.equal(typeof report[k], "number", k);
      assert.equal(report.lost, 0);
      assert.equal(report.rejected, 0);
      assert.ok(report.sent > 300 && report.sent <= 1000, `sent ${report.sent}`); // 60% of 1000 requests, roughly
      assert.equal(report.acknowledged, report.sent);
      assert.ok(Math.abs(report.durationSec - 2) < 0.2, `durationSec ${report.durationSec}`);
      assert.equal(report.throughputPerSec, Math.round((report.acknowledged / report.durationSec) * 10) / 10);
      for (const m of ["orderToAck", "orderToFill", "cancelToAck", "mdRequestToSnapshot"]) {
        const s = report.latency[m];
        assert.ok(s !== undefined, `latency.${m}`);
        assert.deepEqual(Object.keys(s), [...SUMMARY_KEYS]);
        assert.ok(s.count > 0);
        const ordered = [s.p50Us, s.p90Us, s.p99Us, s.p999Us, s.p9999Us, s.maxUs];
        for (let i = 1; i < ordered.length; i++) {
          assert.ok(ordered[i] >= ordered[i - 1], `${m} percentiles ordered`);
        }
        assert.ok(s.p50Us > 1 && s.maxUs < 10_000_000 && s.meanUs > 0 && s.stddevUs >= 0, m);
      }
      assert.equal(report.latency.orderToAck.count, report.acknowledged);
      assert.equal(report.perSession.length, 1);
      assert.equal(report.perSession[0].sessionId, "FIX.4.4:BENCH->LP");
      assert.deepEqual(report.processes.map((p: { role: string }) => p.role), ["generator", "simulator"]);
      assert.ok(report.timeline.length >= 2);
      assert.ok(report.effectiveSettings.some((e: { knob: string }) => e.knob === "TCP_NODELAY"));
    });

    await t.step("--html is one page with the percentile plot as inline SVG", async () => {
      const page = await Deno.readTextFile(html);
      assert.match(page, /^<!DOCTYPE html>/);
      assert.match(page, /<svg[^>]*>/);
      assert.match(page, /<polyline class="curve" data-series="orderToAck"/);
    });

    await t.step("--histogram is an HdrHistogram log that hdr-histogram-js reads", async () => {
      const text = await Deno.readTextFile(log);
      assert.deepEqual(hdr.listTags(text), [
        "orderToAck",
        "orderToFill",
        "cancelToAck",
        "mdRequestToSnapshot",
      ]);
      const reader = new hdr.HistogramLogReader(text);
      const first = reader.nextIntervalHistogram()!;
      assert.equal(first.tag, "orderToAck");
      assert.equal(first.totalCount, report.latency.orderToAck.count);
      // The log is in nanoseconds; the report in microseconds (same 3-digit buckets).
      assert.ok(
        Math.abs(first.getValueAtPercentile(50) / 1000 - report.latency.orderToAck.p50Us) <=
          report.latency.orderToAck.p50Us * 0.002 + 0.01,
      );
    });

    await t.step(
      "compare: an equal run passes (0), a slower one regresses (1), a broken file is unusable (2)",
      async () => {
        const same = await fixg("bench", "compare", json, json);
        assert.equal(same.code, 0, same.stdout + same.stderr);
        assert.match(same.stdout, /verdict: no regression beyond 10%/);

        const slower = structuredClone(report);
        for (const k of ["p50Us", "p90Us", "p99Us", "p999Us", "p9999Us", "maxUs", "meanUs"]) {
          slower.latency.orderToAck[k] *= 1.5;
        }
        const b = `${dir}/b.json`;
        await Deno.writeTextFile(b, JSON.stringify(slower));
        const worse = await fixg("bench", "compare", json, b, "--threshold", "10");
        assert.equal(worse.code, 1, worse.stdout + worse.stderr);
        assert.match(worse.stdout, /orderToAck p99 µs .* \+50\.0% +REGRESSION/);
        assert.match(worse.stdout, /^verdict: REGRESSION beyond 10%/m);
        const lenient = await fixg("bench", "compare", json, b, "--threshold", "60", "--json");
        assert.equal(lenient.code, 0);
        assert.equal(JSON.parse(lenient.stdout).regressed, false);

        const broken = `${dir}/broken.json`;
        const { sent: _sent, ...rest } = report;
        await Deno.writeTextFile(broken, JSON.stringify(rest));
        const bad = await fixg("bench", "compare", json, broken);
        assert.equal(bad.code, 2);
        assert.equal(bad.stderr.trim(), `fixg: ${broken}: "sent" must be a number (missing)`);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fixg bench: usage errors exit 2 with one line", async () => {
  const cases: Array<[string[], string]> = [
    [["bench", "--rate", "abc"], 'fixg: --rate: "abc" is not a number'],
    [
      ["bench", "--rate", "5", "--ping-pong"],
      "fixg: choose one load shape: --ping-pong, --rate, --ramp or --burst",
    ],
    [["bench", "--burst", "0"], "fixg: --burst: N must be 1..10000000, got 0"],
    [
      ["bench", "--ramp", "1000:2000:500"],
      'fixg: --ramp: "1000:2000:500" is not FROM:TO:STEP:SECONDS (e.g. 1000:20000:1000:2)',
    ],
    [["bench", "--target", "nohost"], 'fixg: --target: "nohost" is not HOST:PORT'],
    [
      ["bench", "--mix", "new=1,swap=2"],
      'fixg: --mix: "swap=2" is not KIND=WEIGHT with KIND one of new, cancel, replace, md',
    ],
    [["bench", "--sessions", "0"], "fixg: --sessions: 0 is below the minimum 1"],
    [["bench", "--cpu", "x"], 'fixg: --cpu: Invalid CPU list "x": expected e.g. 0 or 0-3 or 0,2'],
    [
      ["bench", "--config", "/nonexistent/bench.yaml"],
      'fixg: Cannot read bench config "/nonexistent/bench.yaml": ',
    ],
    [
      ["bench", "compare", "/nonexistent/a.json", "/nonexistent/b.json"],
      'fixg: Cannot read bench report "/nonexistent/a.json": ',
    ],
    [["bench", "codec", "--iterations", "-5"], "fixg: --iterations: -5 is below the minimum 1"],
  ];
  const runs = await Promise.all(cases.map(([args]) => fixg(...args)));
  for (const [i, run] of runs.entries()) {
    const [args, message] = cases[i]!;
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${args.join(" ")}: ${run.stderr}`);
    assert.ok(lines[0]!.startsWith(message), `${args.join(" ")}: ${lines[0]}`);
    assert.equal(run.stdout, "");
  }
});

Deno.test("fixg bench codec --json measures parse, parse+validate and encode per fixture message and for a user file", async () => {
  const run = await fixg("bench", "codec", "--json", "--iterations", "2000");
  assert.equal(run.code, 0, run.stderr);
  const rows = JSON.parse(run.stdout) as Array<
    { message: string; op: string; msgsPerSec: number; nsPerMsg: number }
  >;
  for (const message of ["NewOrderSingle", "ExecutionReport", "MarketDataSnapshotFullRefresh (20 entries)"]) {
    for (const op of ["parse", "parse+validate", "encode"]) {
      const r = rows.find((x) => x.message === message && x.op === op);
      assert.ok(r !== undefined, `${message} ${op}`);
      assert.deepEqual(Object.keys(r), ["message", "op", "msgsPerSec", "nsPerMsg"]);
      assert.ok(r.nsPerMsg > 0 && r.msgsPerSec > 0);
      assert.ok(Math.abs(r.msgsPerSec - 1e9 / r.nsPerMsg) / r.msgsPerSec < 0.01);
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "fixg-bench-codec-" });
  try {
    const file = `${dir}/venue.txt`;
    await Deno.writeTextFile(
      file,
      "8=FIX.4.4|9=56|35=0|49=VENUE|56=US|34=7|52=20261122-09:00:00.000|112=X|10=027|\n",
    );
    const mine = await fixg("bench", "codec", "--message", file, "--iterations", "1000");
    assert.equal(mine.code, 0, mine.stderr);
    assert.match(mine.stdout, /^Heartbeat +\d+ +[\d,]+ +\d+ +[\d,]+ +\d+ +[\d,]+ +\d+$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

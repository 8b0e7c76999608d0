/**
 * `fixg bench` outputs and first-minute mistakes (issue 15, items 4-7): `--json -` on stdout, values that look
 * like flags refused, every output path checked before the load, a refused connection said at once, `--echo`
 * without `--target` a usage error, the headline in requests/s and orders/s. Short loads only (< 10 s each).
 */
import assert from "node:assert/strict";
import { FIXG_LAUNCHER } from "../../src/bench/mod.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function fixg(...args: string[]): Promise<Run> {
  const t0 = performance.now();
  const out = await new Deno.Command(FIXG_LAUNCHER, { args, stdout: "piped", stderr: "piped", stdin: "null" })
    .output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: performance.now() - t0,
  };
}

const SHORT = ["--rate", "200", "--duration", "0.5", "--warmup", "0", "--no-floor", "--no-progress"];

Deno.test("bench: an output flag whose value starts with -- is refused (exit 2), before any load", async () => {
  for (const flag of ["--json", "--html", "--histogram"]) {
    const run = await fixg("bench", flag, "--no-progress");
    assert.equal(run.code, 2, `${flag}: ${run.stderr}`);
    assert.equal(
      run.stderr.trim(),
      `fixg: ${flag}: "--no-progress" looks like a flag, not a file name (use ${flag} FILE, or ${flag} - for stdout)`,
    );
    assert.equal(run.stdout, "");
  }
});

Deno.test("bench: every output path is checked before the load starts (exit 2, nothing run)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-bench-paths-" });
  try {
    const missing = `${dir}/missing/dir`; // a directory that does not exist
    const cases: Array<[string[], string]> = [
      [["--json", `${missing}/r.json`], `fixg: --json: cannot write "${missing}/r.json": `],
      [["--html", `${missing}/r.html`], `fixg: --html: cannot write "${missing}/r.html": `],
      [["--histogram", dir], `fixg: --histogram: cannot write "${dir}": it is a directory`],
      [["--json", "-", "--html", "-"], "fixg: only one of --json, --html, --histogram can be - (stdout)"],
    ];
    for (const [args, message] of cases) {
      const run = await fixg("bench", ...args, "--no-progress");
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.ok(run.stderr.startsWith(message), `${args.join(" ")}: ${run.stderr}`);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      assert.equal(run.stdout, "");
      // No load ran: a load prints its summary (the stdout checked empty above); no wall-clock bound,
      // which a cold start on a loaded machine could exceed.
    }
    // The check leaves nothing behind.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench --json - prints the JSON report alone on stdout and the summary on stderr", async () => {
  const run = await fixg("bench", ...SHORT, "--json", "-");
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.equal(report.tool, "fixg bench");
  assert.equal(report.lost, 0);
  // The human summary goes to stderr when stdout carries the JSON.
  assert.match(run.stderr, /^order -> ack +\d+/m);
});

Deno.test("bench --target HOST:PORT with nothing listening says connection refused at once (exit 1)", async () => {
  const run = await fixg("bench", "--target", "127.0.0.1:1", "--no-progress");
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr.trim(), /^fixg: cannot connect to 127\.0\.0\.1:1: connection refused/);
  // At once: not after the 10 s logon timeout (the bound leaves room for a cold start on a loaded machine).
  assert.ok(run.ms < 9000, `took ${run.ms} ms`);
});

Deno.test("bench --echo without --target is a usage error", async () => {
  const run = await fixg("bench", "--echo", "--no-progress");
  assert.equal(run.code, 2, run.stderr);
  assert.equal(
    run.stderr.trim(),
    "fixg: --echo needs --target HOST:PORT of an echo acceptor (e.g. `fixg run --acceptor --app echo`): the simulator the bench starts without --target does not echo",
  );
});

Deno.test("a file that cannot be written after the run does not stop the others; the caller still has the report", async () => {
  const { defaultLpConfig } = await import("../../src/app/lp/mod.ts");
  const { startLoopbackSimulator } = await import("../../src/engine/lp_host.ts");
  const { resolveBenchOptions, runBench, writeBenchOutputs } = await import("../../src/bench/mod.ts");
  const sim = await startLoopbackSimulator(defaultLpConfig());
  const dir = await Deno.makeTempDir({ prefix: "fixg-bench-out-" });
  try {
    const o = await resolveBenchOptions({
      target: `127.0.0.1:${sim.port}`,
      burst: "50",
      warmup: "0",
      progress: false,
      json: `${dir}/gone/r.json`,
      html: `${dir}/r.html`,
    });
    const outcome = await runBench(o);
    const out = await writeBenchOutputs(outcome, o);
    assert.deepEqual(out.lines, [`html: ${dir}/r.html`]);
    assert.equal(out.errors.length, 1);
    assert.match(out.errors[0]!, /^Cannot write the JSON report ".*\/gone\/r\.json": /);
    assert.ok((await Deno.stat(`${dir}/r.html`)).size > 1000);
    const json = await writeBenchOutputs(outcome, {
      jsonFile: "-",
      htmlFile: undefined,
      histogramFile: undefined,
    });
    assert.equal(JSON.parse(json.stdout!).requests.sent, 50);
  } finally {
    await sim.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

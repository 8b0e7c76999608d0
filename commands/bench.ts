/**
 * `fixg bench`: load a FIX acceptor (or a `fixg simulate-lp` child) and report latency percentiles;
 * `fixg bench codec`: codec throughput; `fixg bench compare A.json B.json`: regression check for CI.
 * The work is in src/bench (runner, shapes, child process) and src/report (renderers).
 */
import type { Command } from "@commander-js/extra-typings";
import {
  type BenchFlags,
  checkOutputPaths,
  DEFAULT_MEASURE,
  defaultCodecCases,
  formatCodecMeasurements,
  loadCodecCases,
  type MeasureOptions,
  parseNumber,
  renderBenchSummary,
  resolveBenchOptions,
  runBench,
  runCodecBench,
  SimulatorChild,
  writeBenchOutputs,
} from "../src/bench/mod.ts";
import { compareReports, ProgressLine, readBenchJson, renderComparison } from "../src/report/mod.ts";
import { renderEngineBench, runEngineBench } from "../src/bench/engine_ipc.ts";
import { ConfigError, EnvironmentError } from "../src/errors.ts";
import { engineSecret } from "./sessions.ts";

/** `fixg bench --engine PATH`: the load generator attached as a library (src/bench/engine_ipc.ts). */
async function benchEngine(flags: {
  engine?: string;
  session?: string;
  orders?: string;
  pipelined?: string;
  target?: string;
  targetCompId?: string;
  json?: string;
  secretEnv?: string;
}): Promise<void> {
  const count = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--${name}: a positive integer (got "${v}")`);
    return n;
  };
  let target: { host: string; port: number; targetCompId: string } | undefined;
  if (flags.target !== undefined) {
    const i = flags.target.lastIndexOf(":");
    const port = Number(flags.target.slice(i + 1));
    if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError(`--target: HOST:PORT (got "${flags.target}")`);
    }
    target = { host: flags.target.slice(0, i), port, targetCompId: flags.targetCompId ?? "LP" };
  }
  const orders = count("orders", flags.orders), pipelined = count("pipelined", flags.pipelined);
  const secret = engineSecret(flags);
  // A typo in the output path must not cost the run (exit 2 before attaching, as without --engine).
  if (flags.json !== undefined) {
    await checkOutputPaths({ jsonFile: flags.json, htmlFile: undefined, histogramFile: undefined });
  }
  const report = await runEngineBench({
    socket: flags.engine!,
    ...(flags.session !== undefined ? { session: flags.session } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(orders !== undefined ? { orders } : {}),
    ...(pipelined !== undefined ? { pipelined } : {}),
    ...(secret !== undefined ? { secret } : {}),
    log: (l) => writeErr(l + "\n"),
  });
  // With --json - the report is alone on stdout (parseable) and the table goes to stderr, as for fixg bench.
  if (flags.json === "-") writeErr(renderEngineBench(report).trimEnd() + "\n");
  else console.log(renderEngineBench(report));
  if (flags.json !== undefined) {
    const text = JSON.stringify(report, null, 2) + "\n";
    if (flags.json === "-") console.log(text.trimEnd());
    else {
      try {
        await Deno.writeTextFile(flags.json, text);
      } catch (e) {
        throw new EnvironmentError(
          `Cannot write the JSON report "${flags.json}": ${e instanceof Error ? e.message : e}`,
          {
            exitCode: 1,
          },
        );
      }
    }
  }
}

/** The flags `fixg bench --engine` takes; `--session`, `--orders`, `--pipelined`, `--secret-env` only go with it. */
const ENGINE_FLAGS = new Set([
  "engine",
  "session",
  "orders",
  "pipelined",
  "secretEnv",
  "target",
  "targetCompId",
  "json",
]);
const ENGINE_ONLY = new Set(["session", "orders", "pipelined", "secretEnv"]);

/**
 * A flag given on the command line that the chosen mode does not use is a usage error (exit 2), never
 * ignored: `--html` with `--engine` would otherwise write nothing, `--orders` without it measure the default.
 */
function checkModeFlags(
  cmd: { opts(): Record<string, unknown>; getOptionValueSource(key: string): string | undefined },
  engine: boolean,
): void {
  const opts = cmd.opts();
  const given = Object.keys(opts).filter((k) => cmd.getOptionValueSource(k) === "cli");
  const flag = (k: string) =>
    `--${opts[k] === false ? "no-" : ""}${k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`;
  const bad = given.find((k) => engine ? !ENGINE_FLAGS.has(k) : ENGINE_ONLY.has(k));
  if (bad === undefined) return;
  throw new ConfigError(
    engine
      ? `${
        flag(bad)
      } does not apply to --engine (it takes --session, --orders, --pipelined, --secret-env, --target, --target-comp-id, --json)`
      : `${flag(bad)} needs --engine`,
  );
}

function writeErr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  while (at < bytes.length) at += Deno.stderr.writeSync(bytes.subarray(at));
}

/** Registers `fixg bench` and its subcommands `codec` and `compare`. */
export function registerBench(program: Command): void {
  // `bench` has a --json FILE of its own and subcommands with a --json flag: with positional options the
  // program hands `bench` its arguments in order, so `bench codec --json` reaches codec. (It also means a
  // program option such as --version must come before the command name, as it always does.)
  program.enablePositionalOptions();
  const bench = program.command("bench")
    // Subcommands own their flags: `bench codec --json` is codec's --json, not bench's --json FILE.
    .enablePositionalOptions()
    .description(
      "load a FIX 4.4 acceptor (default: a `fixg simulate-lp` child on a free loopback port) and report latency percentiles",
    )
    .option("-c, --config <file>", "bench.yaml with any of the settings below (flags win)")
    .option("--target <host:port>", "acceptor to load instead of starting `fixg simulate-lp`")
    .option("--sender-comp-id <id>", "our SenderCompID; more sessions add 2, 3... (default BENCH)")
    .option("--target-comp-id <id>", "the acceptor's CompID (default LP)")
    .option("--begin-string <v>", "FIX.4.4 (default) or FIX.4.2")
    .option("--ping-pong", "load shape: one request in flight per session")
    .option("--rate <n>", "load shape: n requests per second over all sessions, open loop (default 1000)")
    .option(
      "--ramp <from:to:step:sec>",
      "load shape: rate steps; reports the highest rate within --ramp-p99-us",
    )
    .option("--ramp-p99-us <us>", "latency bound of a sustained ramp step, order-to-ack p99 (default 1000)")
    .option("--burst <n[xm]>", "load shape: n requests per session as fast as possible, m times")
    .option("--burst-pause-ms <ms>", "pause between bursts (default 200)")
    .option("--duration <sec>", "measured seconds of ping-pong and rate runs (default 5)")
    .option(
      "--warmup <sec>",
      "seconds of unmeasured load of the same shape first (whole bursts for --burst, one at least; default 1)",
    )
    .option("--sessions <n>", "initiator sessions, SenderCompIDs X, X2, X3... (default 1)")
    .option("--mix <spec>", "request mix, e.g. new=0.6,cancel=0.2,replace=0.15,md=0.05 (the default)")
    .option("--symbols <list>", "comma-separated built-in symbols (bench.yaml can define others)")
    .option("--grace-ms <ms>", "a request unanswered this long is lost: exit code 1 (default 5000)")
    .option("--echo", "the target echoes NewOrderSingles (`fixg run --app echo`): the echo is the ack")
    .option("--seed <n>", "seed of the request generator (default 1)")
    .option("--heartbeat <sec>", "HeartBtInt of our sessions (default 30)")
    .option("--no-validate", "do not validate inbound messages against the FIX 4.4 dictionary")
    .option("--cpu <list>", "pin the generator (every thread) and the simulator child to these CPUs, e.g. 0")
    .option("--delay", "TCP_NODELAY off: Nagle's algorithm on (for experiments)")
    .option("--no-delay", "TCP_NODELAY on (the default; printed in the effective settings)")
    .option("--rcvbuf <bytes>", "SO_RCVBUF of our sockets")
    .option("--sndbuf <bytes>", "SO_SNDBUF of our sockets")
    .option(
      "--read-spin-us <us>",
      "spin each socket read up to this many µs before sleeping (needs a CPU of its own; docs/tuning.md)",
    )
    .option("--lock-buffers", "mlock the hot-path buffers (mlockall is not used: V8 aborts under it)")
    .option(
      "--no-floor",
      "skip the references: the raw TCP echo floor (rate and ping-pong runs) and a rate run's ping-pong reference",
    )
    .option("--json <file>", "write the report as JSON (docs/bench_json_schema.md); - for stdout")
    .option("--html <file>", "write a self-contained HTML page with the percentile plot; - for stdout")
    .option("--histogram <file>", "write the latencies in HdrHistogram's interval log format; - for stdout")
    .option("--no-progress", "no live progress line on stderr")
    .option(
      "--engine <path>",
      "attach to a running gateway's engine socket as a library and measure order->ack through it, beside a raw " +
        "Unix-socket ping-pong (and in-process against --target HOST:PORT, an acceptor taking any SenderCompID)",
    )
    .option(
      "--session <key>",
      "with --engine: the session to claim (default: the first logged-on one no library holds)",
    )
    .option("--orders <n>", "with --engine: measured ping-pong orders per path (default 2000)")
    .option("--pipelined <n>", "with --engine: orders of the pipelined throughput run (default 5000)")
    .option("--secret-env <var>", "with --engine: environment variable holding the engine's shared secret")
    .action(async (flags, cmd) => {
      checkModeFlags(cmd, flags.engine !== undefined);
      if (flags.engine !== undefined) {
        await benchEngine(flags);
        return;
      }
      const options = await resolveBenchOptions(flags as BenchFlags);
      // A typo in an output path must not cost a whole run: check them all before the load (exit 2).
      await checkOutputPaths(options);
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = () => {
        interrupts++;
        if (interrupts === 1) {
          writeErr(
            "\nfixg bench: interrupted: stopping the load, draining and reporting (again to quit at once)\n",
          );
          controller.abort();
        } else {
          SimulatorChild.killAll();
          Deno.exit(130);
        }
      };
      Deno.addSignalListener("SIGINT", onSignal);
      Deno.addSignalListener("SIGTERM", onSignal);
      let exitCode: number;
      try {
        const outcome = await runBench(options, {
          ...(options.progress ? { progress: new ProgressLine() } : {}),
          signal: controller.signal,
        });
        const out = await writeBenchOutputs(outcome, options);
        // The summary is printed whatever happened to the files: a finished run's report is never lost.
        const summary = renderBenchSummary(outcome, out.lines).trimEnd() + "\n";
        if (out.stdout !== undefined) {
          writeErr(summary);
          const bytes = new TextEncoder().encode(out.stdout.endsWith("\n") ? out.stdout : out.stdout + "\n");
          let at = 0;
          while (at < bytes.length) at += Deno.stdout.writeSync(bytes.subarray(at));
        } else console.log(summary.trimEnd());
        for (const e of out.errors) writeErr(`fixg: ${e}\n`);
        exitCode = out.errors.length > 0 && outcome.exitCode === 0 ? 1 : outcome.exitCode;
      } finally {
        Deno.removeSignalListener("SIGINT", onSignal);
        Deno.removeSignalListener("SIGTERM", onSignal);
      }
      Deno.exit(exitCode);
    });

  bench.command("codec")
    .description("fixg's codec throughput per message: parse, parse+validate, encode (msgs/s and ns/msg)")
    .option(
      "--message <file>",
      "FIX messages to measure, one per line ('|', '^A' or SOH; 9 and 10 computed when the file has neither); " +
        "default: the fixtures",
    )
    .option("--iterations <n>", "messages per timed round instead of calibrating to ~80 ms")
    .option("--json", "print a JSON array of {message, op, msgsPerSec, nsPerMsg}")
    .action(async (f) => {
      const cases = f.message === undefined ? await defaultCodecCases() : await loadCodecCases(f.message);
      const options: MeasureOptions = f.iterations === undefined ? DEFAULT_MEASURE : {
        ...DEFAULT_MEASURE,
        iterations: parseNumber(f.iterations, "--iterations", { integer: true, min: 1, max: 1e9 }),
      };
      const progress = !f.json && Deno.stderr.isTerminal()
        ? (label: string) => writeErr(`\r\x1b[2K  measuring ${label}`)
        : undefined;
      const results = runCodecBench(cases, options, progress);
      if (progress) writeErr("\r\x1b[2K");
      if (f.json) console.log(JSON.stringify(results, null, 2));
      else {
        console.log(`fixg codec, one core, Deno ${Deno.version.deno}; ns = nanoseconds per message`);
        console.log(formatCodecMeasurements(results, cases));
      }
    });

  bench.command("compare")
    .description(
      "compare two `fixg bench --json` files: exit 1 on a regression beyond the threshold, 2 on unusable input",
    )
    .argument("<baseline>", "the reference run (A.json)")
    .argument("<candidate>", "the run to judge (B.json)")
    .option(
      "--threshold <pct>",
      "allowed change in percent before a percentile or the throughput counts",
      "10",
    )
    .option("--min-delta-us <us>", "latency changes smaller than this are never judged", "0")
    .option("--json", "print the comparison as JSON")
    .action(async (baseline, candidate, f) => {
      const thresholdPct = parseNumber(f.threshold, "--threshold", { min: 0 });
      const minDeltaUs = parseNumber(f.minDeltaUs, "--min-delta-us", { min: 0 });
      const a = await readBenchJson(baseline);
      const b = await readBenchJson(candidate);
      const result = compareReports(a, b, { thresholdPct, minDeltaUs });
      if (f.json) console.log(JSON.stringify({ baseline, candidate, ...result }, null, 2));
      else console.log(renderComparison(result, { baseline, candidate }).trimEnd());
      Deno.exit(result.regressed ? 1 : 0);
    });
}

/**
 * Long fuzz runs: `deno task fuzz -- --seed N --iterations N` (or `--iteration K` to replay one).
 * Prints progress and totals; on a broken invariant prints the seed, iteration and input and exits 1.
 */
import { Fuzzer, FuzzFailure } from "../test/fuzz/fuzzer.ts";

// `deno task fuzz -- --seed N` hands the `--` to the script: skip it.
const args = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;

function arg(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`fuzz: --${name} needs a non-negative integer`);
    Deno.exit(2);
  }
  return v;
}

if (args.includes("--help") || args.includes("-h")) {
  console.log("usage: deno task fuzz -- [--seed N] [--iterations N] [--iteration K]");
  Deno.exit(0);
}
// A misspelt flag (--seeds 42) must not run a long fuzz with other settings than asked for.
for (let i = 0; i < args.length; i += 2) {
  if (!["--seed", "--iterations", "--iteration"].includes(args[i]!)) {
    console.error(
      `fuzz: unknown argument "${
        args[i]
      }"; usage: deno task fuzz -- [--seed N] [--iterations N] [--iteration K]`,
    );
    Deno.exit(2);
  }
}
const seed = arg("seed", Date.now() % 1_000_000);
const only = arg("iteration", -1);
const iterations = arg("iterations", 100_000);
const fuzzer = new Fuzzer(seed);
const from = only >= 0 ? only : 0;
const to = only >= 0 ? only + 1 : iterations;
console.log(`fuzz: seed ${seed}, iterations ${from}..${to - 1}`);
const t0 = performance.now();
let last = t0;
try {
  for (let i = from; i < to; i++) {
    fuzzer.iteration(i);
    const now = performance.now();
    if (now - last > 5000) {
      last = now;
      const s = fuzzer.stats;
      console.log(
        `  ${i + 1 - from} iterations, ${s.frames} frames, ${s.garbled} garbled, ${s.rejects} rejects`,
      );
    }
  }
} catch (e) {
  if (e instanceof FuzzFailure) {
    console.error(`fuzz: FAILED: ${e.message}`);
    console.error(`replay: deno task fuzz -- --seed ${e.seed} --iteration ${e.iteration}`);
    Deno.exit(1);
  }
  throw e;
}
const s = fuzzer.stats;
const secs = (performance.now() - t0) / 1000;
console.log(
  `fuzz: ok: ${s.iterations} iterations, ${s.bytes} bytes, ${s.frames} frames, ${s.garbled} garbled, ` +
    `${s.valid} valid, ${s.rejects} rejects in ${secs.toFixed(1)} s`,
);
console.log(
  `  reject reasons: ${[...s.reasons].sort((a, b) => a[0] - b[0]).map(([r, n]) => `${r}:${n}`).join(" ")}`,
);
console.log(`  garbled: ${[...s.garbledReasons].map(([r, n]) => `${r}: ${n}`).join("; ")}`);

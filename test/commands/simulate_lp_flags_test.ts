/**
 * `fixg simulate-lp` checks every flag before it starts: a bad value exits 2 with one line naming the
 * flag, and nothing (no "listening" line) is printed on stdout.
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;

async function run(args: string[]) {
  const child = new Deno.Command(`${root}fixg`, {
    args: ["simulate-lp", "--port", "0", "--host", "127.0.0.1", "--stats-interval", "0", ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  // A simulator that started anyway is stopped (it would run for ever).
  const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
  const out = await child.output();
  clearTimeout(timer);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

const cases: [string[], string][] = [
  [["--stats-interval", "-1"], "--stats-interval"],
  [["--stats-interval", "x"], "--stats-interval"],
  [["--log-format", "xml"], "--log-format"],
  [["--fill-latency-ms", "50-5"], "--fill-latency-ms"],
  [["--admin-port", "http"], "--admin-port"],
  [["--begin-string", "FIX.9.9"], "--begin-string"],
  [["--port", "70000"], "--port"],
  [["--behaviour-from-ms", "100"], "--behaviour-from-ms"],
  [["--go-silent", "--behaviour-from-ms", "500", "--behaviour-to-ms", "100"], "--behaviour-to-ms"],
  [["--reject-fraction", "2"], "--reject-fraction"],
];

for (const [args, flag] of cases) {
  Deno.test(`fixg simulate-lp ${args.join(" ")}: exit 2 naming ${flag}, before listening`, async () => {
    const r = await run(args);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.equal(r.stdout, "", "nothing printed on stdout (no listening line)");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^fixg: ${flag}: `));
  });
}

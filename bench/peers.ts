/**
 * `deno task bench`: fixg measured against its peers. Today the codec table (bench/codec_peers.ts):
 * parse, parse+validate and encode throughput of fixg, jspurefix and fixparser on the same messages.
 *
 * usage: ./deno task bench [--json] [--quick]
 *   --json   print the results as a JSON array instead of the table
 *   --quick  shorter rounds (a rough table in a few seconds; not for docs/performance.md)
 */
import {
  type CodecBenchOptions,
  DEFAULT_CODEC_BENCH,
  formatCodecTable,
  runCodecPeers,
} from "./codec_peers.ts";

const USAGE = "usage: deno task bench [--json] [--quick]\n";

if (import.meta.main) {
  let json = false;
  let options: CodecBenchOptions = { ...DEFAULT_CODEC_BENCH };
  for (const arg of Deno.args) {
    if (arg === "--json") json = true;
    else if (arg === "--quick") options = { ...options, roundMs: 40, rounds: 3 };
    else if (arg === "--help" || arg === "-h") {
      console.log(USAGE.trimEnd());
      Deno.exit(0);
    } else {
      console.error(`bench: unknown argument ${arg}\n${USAGE}`);
      Deno.exit(2);
    }
  }
  const progress = Deno.stderr.isTerminal()
    ? (label: string) => Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[2K  measuring ${label}`))
    : undefined;
  const results = await runCodecPeers(progress ? { ...options, onProgress: progress } : options);
  if (progress) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[2K"));
  if (json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log(
      `codec throughput, one core, Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); ns = ns per message`,
    );
    console.log(formatCodecTable(results));
  }
}

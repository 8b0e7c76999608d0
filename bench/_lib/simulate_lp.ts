/**
 * `fixg simulate-lp` as a child process, as the benchmarks (bench/ha_bench.ts) and the tests
 * (test/_helpers/process.ts) start it.
 */
import { freePort, type RunningPeer, startPeer } from "../peers/peer_process.ts";

/** The repository root (where `./fixg` is). */
const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * `fixg simulate-lp --json` on a free loopback port, stats off, started and waited for (its "listening"
 * line); `extra` flags are appended.
 */
export function startSimulateLp(extra: string[] = [], timeoutMs?: number): Promise<RunningPeer> {
  return startPeer({
    cmd: `${ROOT}fixg`,
    args: [
      "simulate-lp",
      "--port",
      String(freePort()),
      "--host",
      "127.0.0.1",
      "--stats-interval",
      "0",
      "--json",
      ...extra,
    ],
  }, timeoutMs);
}

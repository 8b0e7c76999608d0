/**
 * In-process A/B benchmarks: the code of one or two checkouts of fixg (ROOT [ROOT2]) loaded in one
 * process, their rounds alternating (A B, B A, ...: same JIT, same moment of the machine's load), timed in
 * the process's CPU time (process.cpuUsage: less disturbed by other work on a shared machine than wall time).
 */
import process from "node:process";

/** CPU time of this process so far (user + system), ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * The arguments `[--n N] [--rounds R] ROOT [ROOT2]` (each ROOT a directory, relative to the current one:
 * returned as an absolute path ending in "/"); prints `usage` and exits 2 when they are not that.
 */
export function rootArgs(
  args: readonly string[],
  defaults: { n: number; rounds: number },
  usage: string,
): { n: number; rounds: number; roots: string[] } {
  let { n, rounds } = defaults;
  const roots: string[] = [];
  for (let k = 0; k < args.length; k++) {
    if (args[k] === "--n") n = Number(args[++k]);
    else if (args[k] === "--rounds") rounds = Number(args[++k]);
    else {
      roots.push(
        new URL(args[k]!.endsWith("/") ? args[k]! : `${args[k]}/`, `file://${Deno.cwd()}/`).pathname,
      );
    }
  }
  if (roots.length === 0 || roots.length > 2 || !(n > 0) || !(rounds > 0)) {
    console.error(usage);
    Deno.exit(2);
  }
  return { n, rounds, roots };
}

/** Runs every one of `runs` `rounds` times, even rounds in order, odd rounds reversed; the results per run. */
export async function alternate<T>(runs: ReadonlyArray<() => Promise<T>>, rounds: number): Promise<T[][]> {
  const res: T[][] = runs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? runs.map((_, i) => i) : runs.map((_, i) => runs.length - 1 - i);
    for (const i of order) res[i]!.push(await runs[i]!());
  }
  return res;
}

/**
 * A child process of a benchmark with its output collected as text (`text.out`, `text.err`), and a wait for
 * a condition on it (bounded: a benchmark whose peer never starts fails instead of hanging).
 */

/** Spawns `cmd` with stdout and stderr piped into `text`; `done` settles when both streams end. */
export function spawn(cmd: string[]) {
  const child = new Deno.Command(cmd[0]!, { args: cmd.slice(1), stdout: "piped", stderr: "piped" }).spawn();
  const text = { out: "", err: "" };
  const done = Promise.all([
    (async () => {
      for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) text.out += c;
    })(),
    (async () => {
      for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) text.err += c;
    })(),
  ]);
  return { child, text, done };
}

/** Polls `cond` every 10 ms; throws after `timeoutMs` (default 20 s) naming `what`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Stops `children` in order (SIGTERM, then its exit) and waits for their output to end. */
export async function stopAll(children: ReturnType<typeof spawn>[]): Promise<void> {
  for (const c of children) {
    c.child.kill("SIGTERM");
    await c.child.status;
  }
  await Promise.all(children.map((c) => c.done));
}

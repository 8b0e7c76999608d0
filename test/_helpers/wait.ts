/**
 * Waiting on events with a bounded timeout, never a fixed sleep: a condition becoming true, a promise
 * settling, a TCP port accepting, a line appearing in captured output.
 */

/**
 * Polls `cond` (every `intervalMs`, 5 ms by default) until it holds; throws naming `what` after `timeoutMs`.
 * `cond` may be async (e.g. a status fetched over HTTP).
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
  intervalMs = 5,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Resolves with `promise`, or rejects with "timed out waiting for `what`" after `timeoutMs`; the timer is
 * cleared either way (no leaked timer).
 */
export async function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise with its resolve function outside, for "this event happened" signals. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Waits until something accepts connections on 127.0.0.1:`port` (an empty probe, closed at once).
 * `gone()`, when given, is checked between probes: a process that exited will never listen, so the wait
 * ends with its reason instead of the timeout.
 */
export async function waitForPort(
  port: number,
  o: { timeoutMs?: number; intervalMs?: number; gone?: () => string | undefined } = {},
): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = o.gone?.();
    if (why !== undefined) throw new Error(`nothing will listen on ${port}: ${why}`);
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing listened on ${port} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 50));
    }
  }
}

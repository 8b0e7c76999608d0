/**
 * Stopping a gateway's sessions in bounded time. A runner's stop ends with its session's last flush, which
 * a store that cannot confirm it holds for ever (PostgreSQL with its synchronous standby gone). Past the
 * Logouts' time and 3 s more, the store is closed: its close gives up what it cannot confirm within its own
 * bound (outcome unknown; docs/ha.md "A commit the standby may not have"), which ends those flushes.
 */
import type { Scheduler, Timer } from "../clock.ts";
import type { MessageStore } from "../store/types.ts";
import type { SessionRunner } from "./session_runner.ts";

/** Stops every runner; each one's outcome, failures included (the caller reports the first). */
export async function stopRunners(
  runners: SessionRunner[],
  store: MessageStore,
  scheduler: Scheduler,
): Promise<PromiseSettledResult<void>[]> {
  const stops = Promise.allSettled(runners.map((r) => r.stop()));
  const limit = Math.max(0, ...runners.map((r) => r.config.logoutTimeoutMs)) + 1000 + 3000;
  let t: Timer | undefined, late = false;
  await Promise.race([
    stops,
    new Promise<void>((r) => (t = scheduler.after(limit, () => (late = true, r())))),
  ]);
  t?.cancel();
  if (late) await store.close().catch(() => {});
  return await stops;
}

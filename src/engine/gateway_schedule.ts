/**
 * The gateway's side of session schedules (the windows themselves are ./schedule.ts): the Logout at a
 * window's end, and the sequence reset of a new window. The reset follows QuickFIX's rule
 * (`windowResetDue`): a session whose numbers were created before its current window opened starts that
 * window at 1. It is a state, not an edge, so it also happens when the gateway was down at the window's
 * open or started before it, and a restart in the middle of the window keeps the numbers.
 */
import type { GatewayEntry, GatewaySession } from "./gateway_types.ts";
import type { Logger } from "./log.ts";
import { currentWindow, windowResetDue } from "./schedule.ts";

/** A reset is due by the session's schedule, and not waived by a reload for this window. */
function resetDue(e: GatewayEntry, now: number): boolean {
  const start = e.spec.schedule && windowResetDue(e.spec.schedule, e.store.creationTimeMs(), now);
  return start !== undefined && start !== e.windowKeptMs;
}

/**
 * Every second: logs out sessions whose window closed; resets the numbers of a session whose numbers
 * predate its current window: at once when it is not connected, after a Logout when it is logged on
 * (back-to-back windows: the next opens as the last closes; the reset follows the disconnect).
 */
export function checkSchedules(entries: Iterable<GatewayEntry>, now: number, logger: Logger): void {
  for (const e of entries) {
    const s = e.spec.schedule;
    if (!s) continue;
    const w = currentWindow(s, now);
    if (!w) {
      if (e.runner.loggedOn) {
        logger.info("schedule", "session window closed: logging out", e.runner.key);
        e.runner.logout("End of session window");
      }
      continue;
    }
    if (!resetDue(e, now)) continue;
    if (!e.runner.connected) void windowReset(e, now, logger);
    else if (e.runner.loggedOn && e.windowLogoutMs !== w.startMs) {
      e.windowLogoutMs = w.startMs;
      logger.info("schedule", "new session window: logging out to reset sequence numbers", e.runner.key);
      e.runner.logout("New session window");
    }
  }
}

/**
 * The schedule's reset of a session that is not connected, when its numbers predate its current window.
 * Asked by the schedule checks and before a connection is attached (an initiator's connect, an
 * acceptor's Logon), so no Logon goes out or is answered with the numbers of an earlier window.
 * Resolves when done (at once when no reset is due); asked twice, it resets once.
 */
export function windowReset(e: GatewayEntry, now: number, logger: Logger): Promise<void> {
  if (e.runner.connected) return Promise.resolve();
  if (e.windowReset !== undefined) return e.windowReset;
  if (!resetDue(e, now)) return Promise.resolve();
  logger.info("schedule", "new session window: sequence numbers reset", e.runner.key);
  const p: Promise<void> = e.runner.resetSequence().then(() => {}).finally(() => {
    if (e.windowReset === p) e.windowReset = undefined;
  });
  e.windowReset = p;
  return p;
}

/**
 * A reload gives the session `spec`: a changed schedule resets nothing in the window in progress (the
 * counterparty's numbers did not move); numbers created before that window's new start are kept until
 * the next window.
 */
export function scheduleReloaded(e: GatewayEntry, spec: GatewaySession, now: number): void {
  if (spec.schedule && JSON.stringify(spec.schedule) !== JSON.stringify(e.spec.schedule)) {
    e.windowKeptMs = currentWindow(spec.schedule, now)?.startMs;
  }
}

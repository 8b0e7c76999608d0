/**
 * Fault injection of a session (the LP simulator's behaviours): drop outbound heartbeats, send nothing
 * at all (messages are still numbered and stored: the peer sees a gap), or wait before each read (a
 * slow reader). Off by default; the LP host switches them as its scenario says.
 */
export class Faults {
  /** Outbound Heartbeats (35=0) are numbered and stored but not written. */
  dropHeartbeats = false;
  /** Nothing is written (every message is numbered and stored). */
  silent = false;
  /** Milliseconds waited (on the session's scheduler) before each read. */
  readDelayMs = 0;

  /** True when a message of type `msgType` must not be written. */
  suppresses(msgType: string): boolean {
    return this.silent || (this.dropHeartbeats && msgType === "0");
  }
}

/** The pure FIX session machine: types, `createSession` and `step`, and helpers the engine and tools use. */
export * from "./types.ts";
export { createSession, step } from "./machine.ts";
export type {
  ActiveState,
  AwaitingLogonState,
  DisconnectedState,
  LoggedOnState,
  LogonSentState,
  LogoutSentState,
  OutstandingResendRequest,
  QueuedInbound,
  QueuedOutbound,
  SessionCore,
  SessionState,
} from "./state.ts";
export { isLoggedOn } from "./state.ts";
export { nextTickMs } from "./timers.ts";
export { parseUtcTimestampMs } from "./header.ts";
export { seqTooLowText } from "./logon.ts";
export { MAX_INBOUND_QUEUE, MAX_INBOUND_QUEUE_BYTES } from "./gap.ts";

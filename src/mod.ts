/**
 * fixg as a library: what an application needs, nothing internal. Re-exports only; the list is pinned by
 * test/mod_exports_test.ts (an addition is a decision, not an accident).
 *
 * - Run sessions: `startGateway` (a fixg.yaml), `Gateway` (sessions in code), `startInitiator` /
 *   `startAcceptor` (one session), or attach to a running engine with `connectEngine`.
 * - Your code: `Application` callbacks and `SessionHandle.send`.
 * - Messages: typed builders, views and a cracker per FIX version (`fix42`, `fix44`, `fix50sp2`,
 *   `cracker`; `pick`/`loose` narrow a type to some fields or widen its codes), `MessageView` for
 *   what arrives, and `FixMessage` (`{ msgType, fields: [[tag, value]] }`) as the escape hatch, with
 *   `Tag` and `MsgType` names.
 * - Tests: the pure session machine (`createSession`, `step`) and `ManualScheduler` (alias `ManualClock`)
 *   to drive a gateway or a session with no real time.
 */

// Errors: ConfigError (exit 2 in the CLI), DictionaryError, EnvironmentError, JournalCorruptError.
export * from "./errors.ts";

// Running sessions.
export {
  type AcceptorSpec,
  Gateway,
  type GatewayOptions,
  type GatewaySession,
  type GatewaySessionStatus,
  type LogonContext,
  type LogonHook,
  type ReconnectPolicy,
} from "./engine/gateway.ts";
export { buildGateway, type BuildOptions, startGateway } from "./engine/build.ts";
export { type FixgConfig, loadConfig, parseConfig } from "./engine/config.ts";
export { type QuickSessionOptions, startAcceptor, startInitiator } from "./engine/quick.ts";
export { Logger, type LoggerOptions, type LogLevel } from "./engine/log.ts";
export type { Schedule } from "./engine/schedule.ts";
export type { MessageStore, SeqNums } from "./store/types.ts";
export { MemoryMessageStore } from "./store/memory_store.ts";
export { FileJournal } from "./store/journal.ts";

// The application's side.
export type {
  Application,
  OutgoingAdmin,
  RejectedMessage,
  SendFailure,
  SendResult,
  SessionHandle,
} from "./engine/application.ts";

// Attached applications: a library process trading through a running engine (docs/engine_library.md).
export {
  connectEngine,
  type EngineConnectOptions,
  EngineError,
  type EngineLibrary,
  LibrarySession,
  type SendAnswer,
  type SessionInfo,
} from "./engine/library_client.ts";

// Messages: typed (generated per version, runtime in dictionary/typed.ts) and the [tag, value] escape hatch.
export * as fix42 from "./dictionary/generated/fix42.ts";
export * as fix44 from "./dictionary/generated/fix44.ts";
export * as fix50sp2 from "./dictionary/generated/fix50sp2.ts";
export {
  cracker,
  type CrackerHandlers,
  type Decimal,
  type InputOf,
  loose,
  type LooseInput,
  type MessageType,
  pick,
  type ReadValue,
  type ViewOf,
} from "./dictionary/typed.ts";
export { type Field, type FieldValue, type FixMessage } from "./codec/encoder.ts";
export { GroupEntry, MessageView } from "./codec/view.ts";
export { MsgType, Tag } from "./codec/tags.ts";
export { formatTimestamp, type TimestampPrecision } from "./codec/timestamps.ts";

// Dictionaries and validation settings (SessionConfig.dictionary, .validation).
export type { Dictionary } from "./dictionary/model.ts";
export { builtinDictionary, loadDictionary } from "./dictionary/loader.ts";
export type { ValidationOptions } from "./dictionary/validate.ts";

// Sessions: identity and settings, and the pure machine for tests (step(state, input, nowMs) -> actions).
export {
  type Action,
  DEFAULT_SESSION_SETTINGS,
  type Input,
  type SessionConfig,
  type SessionEvent,
  type SessionId,
  sessionKey,
  type StepResult,
} from "./session/types.ts";
export { createSession, step } from "./session/machine.ts";
export type { SessionState } from "./session/state.ts";

// Time for tests: a scheduler moved by hand (and the interface the engine takes).
export {
  type Clock,
  ManualClock,
  ManualScheduler,
  type Scheduler,
  systemScheduler,
  type Timer,
} from "./clock.ts";

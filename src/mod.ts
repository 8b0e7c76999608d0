/** fixg as a library: the codec, dictionaries, the session machine, stores and the engine. Re-exports only. */
export * from "./codec/mod.ts";
export * from "./errors.ts";
export type { Dictionary, FieldDef, GroupDef, MemberDef, MessageDef } from "./dictionary/model.ts";
export { SESSION_REJECT_TEXT, SessionRejectReason } from "./dictionary/reject.ts";
export type { RejectInfo } from "./dictionary/reject.ts";
export {
  createValidator,
  STRICT_VALIDATION,
  validate,
  type ValidationOptions,
  Validator,
  type ValidatorSettings,
} from "./dictionary/validate.ts";
export { builtinDictionary, loadDictionary } from "./dictionary/loader.ts";
export * from "./session/types.ts";
export type { Direction, MessageStore, SeqNums, SessionStore, StoredMessage } from "./store/types.ts";
export { MAX_STORE_SEQ } from "./store/types.ts";
export { MemoryMessageStore } from "./store/memory_store.ts";
export { FileJournal } from "./store/journal.ts";
export type {
  Application,
  OutgoingAdmin,
  RejectedMessage,
  SendResult,
  SessionHandle,
} from "./engine/application.ts";
export {
  findForLogon,
  instantiate,
  isTemplate,
  type LogonMatch,
  matchesTemplate,
  sameSession,
  sessionIdFromInbound,
} from "./session/session_id.ts";
export { Gateway, type GatewaySession, type ReconnectPolicy } from "./engine/gateway.ts";
export { SessionRunner, type SessionStatus } from "./engine/session_runner.ts";
export { Logger } from "./engine/log.ts";
export { type QuickSessionOptions, startAcceptor, startInitiator } from "./engine/quick.ts";
export { buildGateway } from "./engine/build.ts";
export {
  connectEngine,
  type EngineConnectOptions,
  EngineError,
  type EngineLibrary,
  LibrarySession,
  type SendAnswer,
  type SessionInfo,
} from "./engine/library_client.ts";
export { loadConfig, parseConfig } from "./engine/config.ts";
// Typed messages (generated from the dictionaries; runtime in dictionary/typed.ts): builders that write
// straight into the session's encoder, typed views, and a cracker routing views by MsgType.
export * as fix42 from "./dictionary/generated/fix42.ts";
export * as fix44 from "./dictionary/generated/fix44.ts";
export * as fix50sp2 from "./dictionary/generated/fix50sp2.ts";
export {
  cracker,
  type CrackerHandlers,
  type Decimal,
  type InputOf,
  type MessageType,
  type ReadValue,
  type ViewOf,
} from "./dictionary/typed.ts";

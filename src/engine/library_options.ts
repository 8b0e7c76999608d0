/** The options of the engine's library endpoint (EngineServer, library_server.ts). */
import type { Scheduler } from "../clock.ts";
import type { EngineEvent } from "./boundary.ts";
import type { Logger } from "./log.ts";

/** Options of the engine's library endpoint. */
export interface EngineServerOptions {
  /** Path of the Unix domain socket (created with mode 0600; a stale socket file is replaced). */
  socket: string;
  /** Shared secret libraries must present in HELLO (none when absent). Never logged. */
  secret?: string;
  /** Journal directory (file store): replays read the inbound messages from it. */
  journalDir?: string;
  /** Resolves when everything appended to the store so far is journaled (the store's flush). */
  flush?: () => Promise<void>;
  logger: Logger;
  /** Sends of one library awaiting their answer (journaling) before back-pressure answers; default 4096. */
  maxInFlight?: number;
  /** Answers kept per session for retried request ids; default 10000. */
  recentRequests?: number;
  /** Bytes waiting to be written to one library before it is dropped as too slow; default 64 MiB. */
  maxQueuedBytes?: number;
  /**
   * A connection that has not completed its HELLO within this many ms gets ERROR HELLO_REQUIRED and is
   * closed; default 10000.
   */
  helloTimeoutMs?: number;
  /** Connections without a completed HELLO at once; one more is closed at once, without a word. Default 64. */
  maxPendingLibraries?: number;
  /**
   * Library connections at once (with or without their HELLO); one more is closed at once, without a word.
   * Default 256.
   */
  maxLibraries?: number;
  /** Time and timers (the HELLO timeout); default the attached gateway's scheduler (tests: a ManualScheduler). */
  scheduler?: Scheduler;
  /** Without a journal: inbound application messages kept per session for replays; default 10000. */
  memoryReplay?: number;
  /** Sees every session event (boundary.ts) the endpoint gets, before it is written (valid during the call). */
  observe?: (e: EngineEvent) => void;
  /**
   * Library connections' reads spin for up to this many µs before parking (library_spin.ts; `fixg run`
   * sets it from `tuning.readSpinUs`, with the FIX sockets'). A CPU per spinning process. Default: off.
   */
  readSpinUs?: number;
}

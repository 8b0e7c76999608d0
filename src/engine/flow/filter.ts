/**
 * Session policies as filters: the runner carries out the machine's actions and nothing else; what a
 * deployment adds around that (the kill switch and risk limits, open-order tracking, throttles, fault
 * injection) is a small object the runner calls at two points of a message's way.
 *
 *   send(message) ─► OutboundFilter.check ─► priority queue ─► OutboundFilter.onLeave ─► step()
 *   step() deliver ─► InboundFilter.onMessage ─► Application.onMessage
 *
 * The runner composes them from its options (the gateway passes config); each can be tested alone
 * with a FlowContext of its own.
 */
import type { FixMessage, MessageView } from "../../codec/mod.ts";
import type { SessionCounters } from "../session/counters.ts";
import type { Logger } from "../log.ts";
import type { Priority } from "./outbound_queue.ts";

/** What a filter may see and do of its session. */
export interface FlowContext {
  /** The session key, for log lines. */
  readonly key: string;
  readonly logger: Logger;
  readonly counters: SessionCounters;
  /** The session's time, epoch ms (the read's while the messages of a read are handled). */
  nowMs(): number;
  /** performance.now() when the bytes being handled were read (latency measurement). */
  readonly readAtPerfMs: number;
  /** FIX 4.2 and later: BusinessMessageReject exists. */
  readonly fix42Plus: boolean;
  /** True while the session is logged on (the machine's phase is active). */
  readonly active: boolean;
  /** Queues a message the filter makes (a cancel, a reject) at `priority`, behind the current step. */
  enqueue(message: FixMessage, priority: Priority): void;
  /** Starts the Logout handshake. */
  logout(text: string): void;
}

/** A filter on the way out: application sends before they are queued, and as they leave the queue. */
export interface OutboundFilter {
  /**
   * An application send before it is queued or numbered: a reason (e.g. "order entry blocked (kill
   * switch)") refuses it (`send` answers `{ kind: "refused" }`) and nothing is sent; undefined lets it pass.
   */
  check?(message: FixMessage, ctx: FlowContext): string | undefined;
  /**
   * The message leaves its queue for the machine, which numbers it now; `perfNow()` is the time it
   * left on performance.now()'s clock (called only by a filter that needs it: no clock read per message).
   */
  onLeave?(message: FixMessage, perfNow: () => number): void;
}

/** A filter on the way in: in-sequence application messages, before the application sees them. */
export interface InboundFilter {
  /** Returns false to keep the message from the application (a filter answering it itself). */
  onMessage(view: MessageView, ctx: FlowContext): boolean;
}

/**
 * The plain-number counters of one session (read at scrape time: never a registry call on the hot
 * path) and how the machine's events and the messages in and out move them.
 */
import type { SessionEvent } from "../../session/types.ts";
import type { Logger } from "../log.ts";
import { LineRateLimit } from "../line_rate_limit.ts";

/** Plain-number counters of one session, read at scrape time (never a registry call on the hot path). */
export class SessionCounters {
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  garbled = 0;
  rejectsSent = 0;
  rejectsReceived = 0;
  businessRejectsSent = 0;
  resendRequestsSent = 0;
  resendRequestsReceived = 0;
  gapFillsSent = 0;
  /** Messages resent (PossDupFlag=Y) in answer to ResendRequests. */
  messagesResent = 0;
  /** Gaps detected in inbound sequence numbers. */
  gapsDetected = 0;
  heartbeatsMissed = 0;
  reconnects = 0;
  logons = 0;
  /** Logons refused (authentication, address, schedule, validation). */
  logonsRefused = 0;
  disconnects = 0;
  backPressureEvents = 0;
  /** Inbound application messages over the inbound throttle (not delivered). */
  throttledIn = 0;
  /** Times the outbound throttle held messages back. */
  throttledOutWaits = 0;
  /** Order-entry sends refused: orders blocked (kill switch) or a risk limit. */
  ordersRefused = 0;
  /** Of those, refused by a risk limit (a tripped circuit breaker included). */
  riskRefusals = 0;
  /** Order rejects (ExecutionReport 150=8) counted by the risk circuit breaker. */
  riskRejectsSeen = 0;
  /** OrderCancelRequests queued by the kill switch. */
  killSwitchCancels = 0;
  /** Store (journal) failures: the session stopped sending (disk full, I/O error). */
  storeErrors = 0;
  /** Disconnects because the peer did not read (outbound.writeTimeoutSec). */
  writeTimeouts = 0;
  /** Times the read loop stopped reading: too much held for or from a peer that does not read. */
  readPauses = 0;
  /** ResendRequests answered with nothing: their range was being resent when they came in. */
  resendRequestsIgnored = 0;
  /** Resends whose store read failed: the connection ended (no gap fill), the peer asks again. */
  resendReadFailures = 0;
  /** When the last Heartbeat (35=0) came in / went out, epoch ms (0 = never). */
  lastHeartbeatInMs = 0;
  lastHeartbeatOutMs = 0;
  /** When the current logon began, epoch ms (0 while not logged on). */
  loggedOnSinceMs = 0;
  /** Messages in by MsgType. */
  readonly inByType = new Map<string, number>();
  /** Messages out by MsgType. */
  readonly outByType = new Map<string, number>();
  /** Rejects sent by SessionRejectReason. */
  readonly rejectsByReason = new Map<string, number>();
}

/** Most distinct MsgType labels counted per direction; beyond that, types count as "other". */
const MAX_MSG_TYPE_LABELS = 128;

/** Counts one message by MsgType, keeping the label set bounded whatever a counterparty sends. */
export function countType(m: Map<string, number>, t: string): void {
  const c = m.get(t);
  if (c !== undefined) {
    m.set(t, c + 1);
    return;
  }
  const key = m.size < MAX_MSG_TYPE_LABELS && /^[0-9A-Za-z]{1,3}$/.test(t) ? t : "other";
  m.set(key, (m.get(key) ?? 0) + 1);
}

/** Moves the counters an event of the machine stands for (rejects, gaps, resends, timeouts...). */
export function countEvent(c: SessionCounters, ev: SessionEvent): void {
  switch (ev.name) {
    case "reject-sent": {
      c.rejectsSent++;
      const reason = String(ev.data?.["reason"] ?? ev.data?.["373"] ?? "?");
      c.rejectsByReason.set(reason, (c.rejectsByReason.get(reason) ?? 0) + 1);
      break;
    }
    case "reject-received":
      c.rejectsReceived++;
      break;
    case "business-reject-sent":
      c.businessRejectsSent++;
      break;
    case "gap":
      c.gapsDetected++;
      break;
    case "resend": {
      // ResendRequests sent and received are counted from the messages themselves (35=2).
      const resent = ev.data?.["resent"];
      if (typeof resent === "number") c.messagesResent += resent;
      break;
    }
    case "gap-fill":
      c.gapFillsSent++;
      break;
    case "heartbeat-timeout":
      c.heartbeatsMissed++;
      break;
    case "logon-refused":
      c.logonsRefused++;
      break;
  }
}

/**
 * Events a session logs whatever their rate: its life (logon, logout, disconnect, timeouts), which a
 * peer cannot repeat faster than it connects. Every other event's line is one a logged-on peer can
 * cause per message it sends (garbled frames, gaps, rejects, ignored Logons, ResendRequests).
 */
const ALWAYS_LOGGED: ReadonlySet<string> = new Set([
  "logon",
  "logout",
  "disconnect",
  "heartbeat-timeout",
  "logon-timeout",
  "logout-timeout",
  "logon-refused",
  "test-request",
]);
/** Event lines of one session beyond ALWAYS_LOGGED: a burst of this many, then EVENT_LINES_PER_SEC. */
export const EVENT_LINES_BURST = 200;
export const EVENT_LINES_PER_SEC = 20;

/**
 * The per-session rate limit of event lines (counting is never limited: metrics see every event), so a
 * peer cannot turn its messages into log lines without bound (a line is several times the frame that
 * causes it); the next line written says how many were left out.
 */
export class EventLineLimit extends LineRateLimit {
  constructor() {
    super(EVENT_LINES_BURST, EVENT_LINES_PER_SEC);
  }

  /** What the line written now appends: how many were left out before it (and the count restarts). */
  suffix(): string {
    const n = this.takeDropped();
    return n === 0 ? "" : ` (${n} event lines of this session not logged: rate limit)`;
  }
}

/** An event of the machine: counted and logged; true when it is a warning or error (the session's last error). */
export function recordEvent(
  c: SessionCounters,
  logger: Logger,
  key: string,
  ev: SessionEvent,
  limit?: EventLineLimit,
  nowMs = 0,
): boolean {
  countEvent(c, ev);
  const { level, name, data } = ev;
  if (logger.enabled(level) && (limit === undefined || ALWAYS_LOGGED.has(name) || limit.take(nowMs))) {
    const text = limit === undefined ? ev.text : ev.text + limit.suffix();
    logger.log(
      data ? { level, event: name, text, session: key, data } : { level, event: name, text, session: key },
    );
  }
  return level === "error" || level === "warn";
}

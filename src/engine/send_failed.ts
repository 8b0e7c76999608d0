/**
 * Numbered messages a store could not commit (the PostgreSQL store: fenced, or the database unreachable
 * past its retry time) never reach the wire. The engine reports each application message among them to
 * the application (`Application.onSendFailed`) and logs it (`send-failed`): never a silent loss.
 * Orders still queued (not numbered) in a session closed on a lost lease are carried over to the
 * session's next opening on this gateway (`CarriedOrders`), and reported only when that does not come.
 */
import type { Scheduler, Timer } from "../clock.ts";
import { ADMIN_MSG_TYPES, type FixMessage, MessageView, Tag } from "../codec/mod.ts";
import type { SessionStore } from "../store/types.ts";
import type { Application, SendFailure, SessionHandle } from "./application.ts";
import type { Logger } from "./log.ts";
import { applicationSink, sendFailedEvent } from "./boundary.ts";

/** Logs one message not sent and tells the application. */
function report(
  info: SendFailure,
  app: Application,
  session: SessionHandle,
  logger: Logger,
  key: string,
): void {
  logger.warn(
    "send-failed",
    `${info.seq > 0 ? `MsgSeqNum ${info.seq}` : "Queued message"} (MsgType ${info.msgType}${
      info.clOrdId ? `, ClOrdID ${info.clOrdId}` : ""
    }) not sent: ${info.reason}`,
    key,
    { seq: info.seq, msgType: info.msgType },
  );
  try {
    if (app.onSendFailed !== undefined) applicationSink(app, session).emit(sendFailedEvent(key, info));
  } catch (e) {
    logger.error("app-error", `onSendFailed: ${e instanceof Error ? e.message : String(e)}`, key);
  }
}

/**
 * Application messages still queued in a session the gateway closes for good (its cluster lease was
 * lost): never numbered, never sent; each is reported with `seq` 0.
 */
export function reportWithdrawn(
  messages: FixMessage[],
  reason: string,
  app: Application,
  session: SessionHandle,
  logger: Logger,
  key: string,
): void {
  for (const m of messages) {
    const id = m.fields.find((f) => f[0] === Tag.ClOrdID)?.[1];
    report(
      id !== undefined
        ? {
          seq: 0,
          msgType: m.msgType,
          clOrdId: id instanceof Uint8Array ? new TextDecoder().decode(id) : String(id),
          reason,
        }
        : { seq: 0, msgType: m.msgType, reason },
      app,
      session,
      logger,
      key,
    );
  }
}

/** Wires `store.onNotCommitted` (when the store can lose messages) to the application and the log. */
export function reportNotCommitted(
  store: SessionStore,
  app: Application,
  session: SessionHandle,
  logger: Logger,
  key: string,
): void {
  if (!("onNotCommitted" in store)) return;
  store.onNotCommitted = (messages, reason) => {
    for (const m of messages) {
      let info: SendFailure;
      try {
        const v = MessageView.parse(m.bytes);
        if (ADMIN_MSG_TYPES.has(v.msgType)) continue;
        const clOrdId = v.getString(Tag.ClOrdID);
        info = clOrdId
          ? { seq: m.seq, msgType: v.msgType, clOrdId, reason }
          : { seq: m.seq, msgType: v.msgType, reason };
      } catch {
        info = { seq: m.seq, msgType: "?", reason };
      }
      report(info, app, session, logger, key);
    }
  };
}

/** How long orders withdrawn from a session closed on a lost lease wait for it to open here again. */
export const CARRY_MS = 60_000;

interface Held {
  messages: FixMessage[];
  reason: string;
  app: Application;
  session: SessionHandle;
  timer: Timer;
}

/**
 * Orders the application handed to a session that was then closed on a lost lease before they were
 * numbered (the database out of reach for longer than the lease, say). They are sent by the session when
 * this gateway opens it again (they wait for its Logon, ahead of newer sends), or reported not sent
 * (`onSendFailed`, seq 0) when another gateway owns the session now, when the gateway stops, or after
 * `holdMs`.
 */
export class CarriedOrders {
  readonly #held = new Map<string, Held>();
  /** After reportAll (the gateway stops): nothing is held any more, it is reported at once. */
  #closed = false;

  constructor(
    readonly logger: Logger,
    readonly scheduler: Scheduler,
    readonly holdMs: number = CARRY_MS,
  ) {}

  /** Keeps `messages` of session `key` (closed: `reason`) for its next opening here. */
  hold(key: string, messages: FixMessage[], reason: string, app: Application, session: SessionHandle): void {
    if (messages.length === 0) return;
    if (this.#closed) {
      reportWithdrawn(messages, `${reason}; the gateway stopped`, app, session, this.logger, key);
      return;
    }
    const prev = this.#held.get(key);
    prev?.timer.cancel();
    const all = prev === undefined ? messages : [...prev.messages, ...messages];
    const timer = this.scheduler.after(
      this.holdMs,
      () =>
        this.report(key, `the session was not opened again here within ${Math.round(this.holdMs / 1000)} s`),
    );
    this.#held.set(key, { messages: all, reason, app, session, timer });
    this.logger.warn(
      "orders-held",
      `${all.length} order(s) not yet numbered when the session closed (${reason}): sent when it opens here again`,
      key,
    );
  }

  /** Session `key` is open again here: its held orders go to `session.send` (queued until Logon). */
  sendHeld(key: string, session: SessionHandle): void {
    const h = this.#held.get(key);
    if (h === undefined) return;
    this.#held.delete(key);
    h.timer.cancel();
    const refused: FixMessage[] = [];
    let why = "";
    for (const m of h.messages) {
      try {
        const r = session.send(m);
        if (r.kind === "back-pressure") {
          refused.push(m);
          why = "back-pressure when the session opened again";
        } else if (r.kind === "refused") {
          refused.push(m);
          why = r.reason;
        }
      } catch (e) {
        refused.push(m);
        why = e instanceof Error ? e.message : String(e);
      }
    }
    reportWithdrawn(refused, why, h.app, session, this.logger, key);
  }

  /** Reports session `key`'s held orders as not sent (another gateway owns it, ...). */
  report(key: string, why: string): void {
    const h = this.#held.get(key);
    if (h === undefined) return;
    this.#held.delete(key);
    h.timer.cancel();
    reportWithdrawn(h.messages, `${h.reason}; ${why}`, h.app, h.session, this.logger, key);
  }

  /** Reports every held order as not sent (the gateway stops). */
  reportAll(why: string): void {
    this.#closed = true;
    for (const key of [...this.#held.keys()]) this.report(key, why);
  }
}

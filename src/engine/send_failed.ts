/**
 * Numbered messages a store could not commit (the PostgreSQL store: fenced, or the database unreachable
 * past its retry time) never reach the wire. The engine reports each application message among them to
 * the application (`Application.onSendFailed`) and logs it (`send-failed`): never a silent loss.
 */
import { ADMIN_MSG_TYPES, type FixMessage, MessageView, Tag } from "../codec/mod.ts";
import type { SessionStore } from "../store/types.ts";
import type { Application, SendFailure, SessionHandle } from "./application.ts";
import type { Logger } from "./log.ts";

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
    app.onSendFailed?.(info, session);
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

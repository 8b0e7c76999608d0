/**
 * The echo application: the standard test counterparty. Every supported application message is
 * sent back with the same MsgType and body; the header is rebuilt by the session, PossDupFlag (43)
 * and OrigSendingTime (122) are dropped, PossResend (97) is kept. A NewOrderSingle with PossResend=Y
 * whose ClOrdID was already seen in this logon session is not echoed (FIX test case 19).
 */
import { type Field, type MessageView, Tag } from "../../codec/mod.ts";
import { DATA_LENGTH_TAGS } from "../../codec/tags.ts";
import type { Application, SessionHandle } from "../application.ts";

/** Message types the echo app handles by default: NewOrderSingle, SecurityDefinition, Email. */
export const ECHO_DEFAULT_MSG_TYPES: ReadonlySet<string> = new Set(["D", "d", "C"]);

/** Header and trailer tags the session writes itself (not copied from the received message). */
const NOT_COPIED = new Set([8, 9, 35, 10, 34, 49, 56, 52, 43, 122, 50, 57, 115, 128, 116, 129, 142, 143, 144, 145, 369, 1128, 1129]);

/** Creates an echo application. */
export function echoApp(): Application {
  const seenClOrdIds = new Map<string, Set<string>>();
  return {
    onLogon(s: SessionHandle) {
      seenClOrdIds.set(s.key, new Set());
    },
    onMessage(view: MessageView, s: SessionHandle) {
      const type = view.msgType;
      if (type === "D") {
        const id = view.getString(Tag.ClOrdID) ?? "";
        let seen = seenClOrdIds.get(s.key);
        if (!seen) seenClOrdIds.set(s.key, seen = new Set());
        if (view.getString(Tag.PossResend) === "Y" && seen.has(id)) return;
        seen.add(id);
      }
      s.send({ msgType: type, fields: bodyOf(view) });
    },
  };
}

/** The fields of a message minus what the session writes itself; data fields keep their bytes. */
export function bodyOf(view: MessageView): Field[] {
  const out: Field[] = [];
  for (let i = 0; i < view.count; i++) {
    const tag = view.tagAt(i);
    if (NOT_COPIED.has(tag) || tag < 0) continue;
    if (DATA_LENGTH_TAGS.has(tag)) out.push([tag, view.buf.slice(view.valueStartAt(i), view.valueEndAt(i))]);
    else out.push([tag, view.stringAt(i)]);
  }
  return out;
}

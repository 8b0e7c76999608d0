/** Test helpers: FixMessage <-> MessageView round trips and quick field access. */
import { encodeMessage, Encoder, type Field, type FixMessage, MessageView } from "../../src/codec/mod.ts";

const enc = new Encoder();

/** Encodes a message (with a minimal header) and parses it back into a view that can be kept. */
export function toView(
  msg: FixMessage,
  header: Field[] = [[49, "CLIENT"], [56, "LP"], [34, 2]],
): MessageView {
  const bytes = encodeMessage(enc, "FIX.4.4", { msgType: msg.msgType, fields: [...header, ...msg.fields] });
  return MessageView.parse(bytes).copy();
}

/** Builds a view from a MsgType and [tag, value] pairs. */
export function msg(msgType: string, fields: Field[], header?: Field[]): MessageView {
  return toView({ msgType, fields }, header);
}

/** The first value of `tag` in a built message, as a string. */
export function get(m: FixMessage, tag: number): string | undefined {
  for (const [t, v] of m.fields) if (t === tag) return typeof v === "boolean" ? (v ? "Y" : "N") : String(v);
  return undefined;
}

/** All values of `tag` in a built message. */
export function all(m: FixMessage, tag: number): string[] {
  return m.fields.filter(([t]) => t === tag).map(([, v]) => String(v));
}

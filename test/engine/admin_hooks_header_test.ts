/** toAdmin's header placement uses the codec's one list of header tags (src/codec/tags.ts HEADER_TAGS). */
import assert from "node:assert/strict";
import { HEADER_TAGS, MessageView } from "../../src/codec/mod.ts";
import { OutgoingAdminMessage } from "../../src/engine/admin_hooks.ts";
import { frame } from "./helpers.ts";

Deno.test("toAdmin: OnBehalfOfSendingTime (370), a header field, goes at the end of the header, not after the body", () => {
  assert.ok(HEADER_TAGS.has(370));
  const m = new OutgoingAdminMessage(
    frame("FIX.4.4", "A", "49=A|56=B|34=1|52=20260101-00:00:00.000|98=0|108=30|"),
  );
  m.set(370, "20260101-00:00:00.000");
  m.set(115, "ON");
  m.set(141, "Y");
  const v = MessageView.parse(m.build());
  assert.deepEqual(v.toPairs().map(([t]) => t), [8, 9, 35, 49, 56, 34, 52, 370, 115, 98, 108, 141, 10]);
});

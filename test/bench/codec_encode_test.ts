import assert from "node:assert/strict";
import { MessageView } from "../../src/codec/mod.ts";
import { defaultCodecCases, engineEncoding } from "../../src/bench/codec.ts";
import { encodeApp } from "../../src/session/messages.ts";
import { validate } from "../../src/dictionary/validate.ts";

Deno.test("fixg bench codec's encode is the engine's: encodeApp of the body fields gives a valid frame with the same body", async () => {
  const cases = await defaultCodecCases();
  assert.ok(cases.length >= 5);
  const nowMs = Date.UTC(2026, 0, 5, 12, 0, 0, 0);
  for (const c of cases) {
    const { session, body } = engineEncoding(c, nowMs);
    assert.ok(body.fields.every(([t]) => t !== 34 && t !== 49 && t !== 52 && t !== 56), c.name);
    const frame = encodeApp(session, body, 7, nowMs);
    const out = MessageView.parse(frame.slice());
    assert.equal(out.msgType, c.msgType);
    assert.equal(out.seqNum, 7);
    assert.equal(out.getTimestamp(52)?.epochMs, nowMs);
    if (c.dict !== undefined) assert.equal(validate(out, c.dict), undefined, c.name);
    const original = MessageView.parse(c.bytes);
    const rest = (v: MessageView) => {
      const list: string[] = [];
      for (let i = 0; i < v.count; i++) {
        const t = v.tagAt(i);
        if (![8, 9, 10, 34, 35, 49, 52, 56].includes(t)) list.push(`${t}=${v.stringAt(i)}`);
      }
      return list.sort().join("|");
    };
    assert.equal(rest(out), rest(original), c.name);
  }
});

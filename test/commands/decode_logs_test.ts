/**
 * `fixg decode` reads fixg's own DEBUG logs (whole messages: Text is not truncated there; a masked
 * message carries the BodyLength and CheckSum of the masked text) and hand-typed messages without
 * BodyLength (9) and CheckSum (10): computed with --compute-lengths, or automatically when the input
 * has neither, and said so.
 */
import assert from "node:assert/strict";
import { decodeInput } from "../../commands/decode.ts";
import { MessageView } from "../../src/codec/mod.ts";
import { Logger } from "../../src/engine/log.ts";
import { frame } from "../engine/helpers.ts";
import { fixgOutput } from "../_helpers/mod.ts";
const LONG_TEXT =
  "Value is incorrect (out of range) for this tag: 44 must be above zero, got -1 from the client";

function decode(text: string) {
  let out = "";
  const s = decodeInput(new TextEncoder().encode(text), { json: true }, (t) => (out += t));
  return { summary: s, objects: out.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)) };
}

Deno.test("a logged Reject keeps its whole Text and decodes without a BodyLength mismatch", () => {
  const lines: string[] = [];
  const logger = new Logger({ level: "debug", sink: (l) => lines.push(l), nowMs: () => 0 });
  const v = MessageView.parse(
    frame("FIX.4.4", "3", `49=ISLD|56=TW|34=7|52=20260101-00:00:00.000|45=3|58=${LONG_TEXT}|371=44|373=5|`),
  );
  logger.debug("out", logger.loggedMessage(v), "FIX.4.4:ISLD->TW", { dir: "out", seq: 7, msgType: "3" });
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.includes(`|58=${LONG_TEXT}|`), lines[0]);
  const d = decode(lines.join("\n") + "\n");
  assert.equal(d.summary.garbled, 0, JSON.stringify(d.objects));
  assert.equal(d.summary.messages, 1);
  assert.equal(d.objects[0].msgType, "3");
});

Deno.test("a logged Logon with its Password masked decodes: 9 and 10 are those of the masked text", () => {
  const lines: string[] = [];
  const logger = new Logger({ level: "debug", format: "json", sink: (l) => lines.push(l) });
  const v = MessageView.parse(
    frame(
      "FIX.4.4",
      "A",
      "49=TW|56=ISLD|34=1|52=20260101-00:00:00.000|98=0|108=30|553=alice|554=S3cr3t-Pa55|",
    ),
  );
  logger.debug("out", logger.loggedMessage(v), "FIX.4.4:TW->ISLD");
  assert.equal(lines[0]!.includes("S3cr3t"), false);
  assert.match(lines[0]!, /\|554=\*\*\*\|/);
  const d = decode(lines[0]! + "\n");
  assert.equal(d.summary.garbled, 0, JSON.stringify(d.objects));
  assert.equal(d.summary.messages, 1);
  // The human rendering (redactedMessage: the log app, --app log) still truncates Text.
  const r = MessageView.parse(
    frame("FIX.4.4", "3", `49=A|56=B|34=2|52=20260101-00:00:00.000|45=1|58=${LONG_TEXT}|`),
  );
  assert.match(logger.redactedMessage(r), /\|58=Value is incorrect \(out of range…\|/);
});

const fixgDecode = (input: string, ...args: string[]) =>
  fixgOutput(["decode", "--json", ...args, "-"], { stdin: input });

Deno.test("fixg decode: hand-typed messages without 9 and 10 are completed automatically, and it says so", async () => {
  const r = await fixgDecode(
    "8=FIX.4.4|35=0|49=TW|56=ISLD|34=2|52=20260101-00:00:00.000|\n" +
      "8=FIX.4.4|35=5|49=TW|56=ISLD|34=3|52=20260101-00:00:01.000|58=bye|\n",
  );
  assert.equal(r.code, 0, r.stderr);
  const objs = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(objs.map((o) => o.msgType), ["0", "5"]);
  assert.equal(
    r.stderr.trim(),
    "fixg: note: BodyLength (9) and CheckSum (10) computed for 2 messages (the input has neither)",
  );
});

Deno.test("fixg decode --compute-lengths: messages with wrong or partial 9/10 are recomputed; without the flag they are garbled", async () => {
  const input = "8=FIX.4.4|9=5|35=0|49=TW|56=ISLD|34=2|52=20260101-00:00:00.000|10=000|\n" +
    "8=FIX.4.4|35=0|49=TW|56=ISLD|34=3|52=20260101-00:00:00.000|10=000|\n";
  const plain = await fixgDecode(input);
  assert.equal(plain.code, 1);
  const fixed = await fixgDecode(input, "--compute-lengths");
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.equal(fixed.stdout.trim().split("\n").length, 2);
  assert.equal(
    fixed.stderr.trim(),
    "fixg: note: BodyLength (9) and CheckSum (10) computed for 2 messages (--compute-lengths)",
  );
});

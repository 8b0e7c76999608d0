import assert from "node:assert/strict";
import {
  completeMessage,
  joinFields,
  parseScenario,
  readable,
  renderSend,
  ScenarioParseError,
  splitFields,
  substituteTimes,
} from "../../src/conformance/mod.ts";
import { checksum } from "../../src/codec/ascii.ts";
import { Framer } from "../../src/codec/framer.ts";

const NOW = Date.UTC(2026, 0, 15, 9, 30, 0, 250);

function sendStep(text: string) {
  const s = parseScenario(`iCONNECT\nI${text}\n`, "t.def");
  const step = s.steps[1]!;
  assert.equal(step.kind, "send");
  return step as Extract<typeof step, { kind: "send" }>;
}

function sentText(text: string, nowMs = NOW): string {
  return readable(new TextDecoder("latin1").decode(renderSend(sendStep(text), nowMs)));
}

Deno.test("parses the line kinds, connection prefixes, comments and blank lines", () => {
  const s = parseScenario(
    [
      "# logon",
      "",
      "iCONNECT",
      "I8=FIX.4.4|35=A|34=1|49=TW|52=<TIME>|56=ISLD|98=0|108=30|",
      "E8=FIX.4.4|9=60|35=A|34=1|49=ISLD|52=00000000-00:00:00|56=TW|98=0|108=30|10=0|",
      "   # indented comment",
      "2iCONNECT",
      "2I8=FIX.4.4^A35=A^A34=1^A49=TW^A52=<TIME>^A56=ISLD^A98=0^A108=30^A",
      "2eDISCONNECT",
      "iDISCONNECT\r",
    ].join("\n"),
    "fixtures/x/1S_b_demo.def",
  );
  assert.equal(s.name, "1S_b_demo");
  assert.deepEqual(s.steps.map((x) => [x.kind, x.line, x.conn]), [
    ["connect", 3, 1],
    ["send", 4, 1],
    ["expect", 5, 1],
    ["connect", 7, 2],
    ["send", 8, 2],
    ["expect-disconnect", 9, 2],
    ["disconnect", 10, 1],
  ]);
  const e = s.steps[2]!;
  assert.equal(e.kind, "expect");
  if (e.kind !== "expect") return;
  // 9 and 10 are not compared; 52 is matched by pattern.
  assert.deepEqual(e.fields.map((f) => `${f.tag}=${f.value}${f.timestamp ? "(ts)" : ""}`), [
    "8=FIX.4.4",
    "35=A",
    "34=1",
    "49=ISLD",
    "52=00000000-00:00:00(ts)",
    "56=TW",
    "98=0",
    "108=30",
  ]);
  const two = s.steps[4]!;
  assert.equal(
    two.kind === "send" && two.text,
    "8=FIX.4.4\x0135=A\x0134=1\x0149=TW\x0152=<TIME>\x0156=ISLD\x0198=0\x01108=30\x01",
  );
});

Deno.test("a line with a real SOH keeps | as part of a value", () => {
  const s = parseScenario("iCONNECT\nI8=FIX.4.4\x0135=C\x0158=a|b\x01\n");
  const step = s.steps[1]!;
  assert.equal(step.kind === "send" && step.text, "8=FIX.4.4\x0135=C\x0158=a|b\x01");
});

Deno.test("directives: timeout, quiet, mode, verbatim", () => {
  const s = parseScenario(
    "#!timeout=3s\n#!quiet=50\n#!mode=initiator\niCONNECT\n#!verbatim\n# why\nI8=FIX.4.4|9=999|35=0|10=000|\n",
  );
  assert.equal(s.timeoutMs, 3000);
  assert.equal(s.quietMs, 50);
  assert.equal(s.mode, "initiator-under-test");
  const step = s.steps[1]!;
  assert.equal(step.kind === "send" && step.verbatim, true);
  assert.equal(parseScenario("#!timeout=1500ms\niCONNECT\n").timeoutMs, 1500);
});

Deno.test("<TIME>, <TIME+n> and <TIME-n> become UTCTimestamps with milliseconds", () => {
  assert.equal(
    substituteTimes("52=<TIME>|122=<TIME-60>|126=<TIME+3600>", NOW),
    "52=20260115-09:30:00.250|122=20260115-09:29:00.250|126=20260115-10:30:00.250",
  );
});

Deno.test("BodyLength and CheckSum are filled in when absent", () => {
  const out = sentText("8=FIX.4.4|35=0|34=2|49=TW|52=<TIME>|56=ISLD|");
  const body = "35=0|34=2|49=TW|52=20260115-09:30:00.250|56=ISLD|";
  assert.ok(out.startsWith(`8=FIX.4.4|9=${body.length}|${body}10=`), out);
  const bytes = new TextEncoder().encode(out.replaceAll("|", "\x01"));
  const sum = checksum(bytes, 0, bytes.length - 7);
  assert.ok(out.endsWith(`|10=${String(sum).padStart(3, "0")}|`), out);
});

Deno.test("BodyLength and CheckSum are recomputed when present, in place", () => {
  const out = sentText("8=FIX.4.4|9=5|35=0|34=2|49=TW|52=<TIME>|56=ISLD|10=123|");
  const fresh = sentText("8=FIX.4.4|35=0|34=2|49=TW|52=<TIME>|56=ISLD|");
  assert.equal(out, fresh);
});

Deno.test("the filled-in frame passes the codec framer, also with 35 out of place (case 2t)", () => {
  const frames: string[] = [];
  const garbled: string[] = [];
  const f = new Framer({
    onFrame: (b, s, e) => frames.push(readable(new TextDecoder("latin1").decode(b.subarray(s, e)))),
    onGarbled: (g) => garbled.push(g.reason),
  });
  f.push(renderSend(sendStep("8=FIX.4.4|35=D|34=2|49=TW|52=<TIME>|56=ISLD|11=A|"), NOW));
  f.push(renderSend(sendStep("8=FIX.4.4|49=TW|35=0|34=3|52=<TIME>|56=ISLD|"), NOW));
  assert.equal(frames.length, 1);
  assert.deepEqual(garbled, ["MsgType missing or not the third field"]);
});

Deno.test("verbatim lines are sent as written (placeholders still replaced)", () => {
  const s = parseScenario("iCONNECT\n#!verbatim\nI8=FIX.4.4|9=999|35=0|52=<TIME>|10=000|\n");
  const step = s.steps[1]!;
  assert.equal(step.kind, "send");
  if (step.kind !== "send") return;
  assert.equal(
    readable(new TextDecoder().decode(renderSend(step, NOW))),
    "8=FIX.4.4|9=999|35=0|52=20260115-09:30:00.250|10=000|",
  );
});

Deno.test("data fields are split by their length field, so SOH inside the value is kept", () => {
  const r = splitFields("8=FIX.4.4\x0195=3\x0196=a\x01b\x0158=x\x01");
  assert.deepEqual(r.fields.map((f) => [f.tag, f.value]), [["8", "FIX.4.4"], ["95", "3"], ["96", "a\x01b"], [
    "58",
    "x",
  ]]);
  assert.equal(r.problem, undefined);
  const done = completeMessage(r.fields);
  assert.equal(done[1]!.tag, "9");
  assert.equal(done[1]!.value, String("95=3|96=a|b|58=x|".length));
  assert.ok(joinFields(done).includes("96=a\x01b\x01"));
});

function parseError(text: string): ScenarioParseError {
  try {
    parseScenario(text, "dir/bad.def");
  } catch (e) {
    assert.ok(e instanceof ScenarioParseError);
    return e;
  }
  assert.fail("expected a parse error");
}

Deno.test("parse errors name the file and the line", () => {
  const cases: Array<[string, number, RegExp]> = [
    ["iCONNECT\n\nX8=FIX.4.4|35=0|\n", 3, /unrecognised line "X8=FIX/],
    ["iCONNECT\nIfoo|35=0|\n", 2, /field 1 "foo" is not tag=value/],
    ["iCONNECT\nI8=FIX.4.4|35=0|abc=1|\n", 2, /field 3 "abc=1"/],
    ["iCONNECT\nI8=FIX.4.4|52=<TIME+x>|\n", 2, /bad time placeholder "<TIME\+x>"/],
    ["iCONNECT\nE\n", 2, /E line without a message/],
    ["I8=FIX.4.4|35=0|\n", 1, /I on connection 1 before iCONNECT/],
    ["iCONNECT\n2E8=FIX.4.4|35=0|\n", 2, /E on connection 2 before 2iCONNECT/],
    ["iCONNECT\neCONNECT\n", 2, /unrecognised line "eCONNECT"/],
    ["iCONNECT\nICONNECT\n", 2, /unknown command "ICONNECT"/],
    ["#!timeout=soon\niCONNECT\n", 1, /#!timeout needs a duration/],
    ["#!color=red\niCONNECT\n", 1, /unknown directive "#!color=red"/],
    ["iCONNECT\n#!verbatim\nE8=FIX.4.4|35=0|\n", 3, /#!verbatim \(line 2\) must be followed by an I line/],
    ["iCONNECT\n#!verbatim\n", 2, /no I line follows/],
    ["# nothing\n", 1, /no steps/],
    ["0iCONNECT\n", 1, /connection number must be 1 or more/],
  ];
  for (const [text, line, re] of cases) {
    const e = parseError(text);
    assert.equal(e.line, line, text);
    assert.equal(e.file, "dir/bad.def");
    assert.equal(e.exitCode, 2);
    assert.match(e.message, new RegExp(`^dir/bad\\.def:${line}: `), text);
    assert.match(e.message, re, text);
  }
});

Deno.test("verbatim I lines may hold what is not tag=value (garbled cases)", () => {
  const s = parseScenario("iCONNECT\n#!verbatim\nI8=FIX.4.4|9=ABC|35=0|junk|10=000|\n");
  assert.equal(s.steps[1]!.kind, "send");
});

Deno.test("QuickFIX's connection spelling: i2,CONNECT, I2,..., E1,..., e2,DISCONNECT, i1,DISCONNECT", () => {
  const s = parseScenario(
    [
      "i1,CONNECT",
      "I1,8=FIX.4.4|35=A|34=1|49=TW|52=<TIME>|56=ISLD|98=0|108=30|",
      "E1,8=FIX.4.4|9=61|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW|98=0|108=30|10=0|",
      "i2,CONNECT",
      "I2,8=FIX.4.4|35=A|34=1|49=TW|52=<TIME>|56=ISLD|98=0|108=30|",
      "e2,DISCONNECT",
      "i1,DISCONNECT",
    ].join("\n"),
  );
  assert.deepEqual(
    s.steps.map((x) => [x.kind, x.conn]),
    [["connect", 1], ["send", 1], ["expect", 1], ["connect", 2], ["send", 2], ["expect-disconnect", 2], [
      "disconnect",
      1,
    ]],
  );
  const send = s.steps[1]!;
  assert.ok(send.kind === "send" && send.text.startsWith("8=FIX.4.4\x0135=A\x01"));
});

Deno.test("strict parsing takes I lines as written: fields that are not tag=value are sent, not errors", () => {
  const text = "iCONNECT\nI8=FIX.4.2|35=0|34=2|4garbled9=TW|52=<TIME>|56=ISLD|-1=HI|\n";
  assert.throws(() => parseScenario(text, "t.def"), /field 4 "4garbled9=TW"/);
  const s = parseScenario(text, "t.def", { strict: true });
  const step = s.steps[1]!;
  assert.equal(step.kind, "send");
  if (step.kind !== "send") return;
  const out = readable(new TextDecoder("latin1").decode(renderSend(step, NOW, true)));
  const body = "35=0|34=2|4garbled9=TW|52=20260115-09:30:00|56=ISLD|-1=HI|";
  assert.ok(out.startsWith(`8=FIX.4.2|9=${body.length}|${body}10=`), out);
  // E lines stay checked: an expected message must be tag=value.
  assert.throws(
    () => parseScenario("iCONNECT\nE8=FIX.4.2|abc=1|\n", "t.def", { strict: true }),
    /field 2 "abc=1"/,
  );
});

Deno.test("strict sending keeps a BodyLength and CheckSum written in the line and writes <TIME> in seconds (the reference runner's rules)", () => {
  const step = sendStep("8=FIX.4.4|9=30|35=0|34=2|49=TW|52=<TIME>|56=ISLD|");
  const asWritten = readable(new TextDecoder("latin1").decode(renderSend(step, NOW, true)));
  const body = "35=0|34=2|49=TW|52=20260115-09:30:00|56=ISLD|";
  assert.ok(asWritten.startsWith(`8=FIX.4.4|9=30|${body}10=`), asWritten);
  const bytes = new TextEncoder().encode(asWritten.replaceAll("|", "\x01"));
  assert.ok(asWritten.endsWith(`|10=${String(checksum(bytes, 0, bytes.length - 7)).padStart(3, "0")}|`));
  // A written CheckSum is kept; BodyLength is filled in before it.
  assert.equal(
    readable(
      new TextDecoder("latin1").decode(renderSend(sendStep("8=FIX.4.4|35=0|52=<TIME>|10=256|"), NOW, true)),
    ),
    `8=FIX.4.4|9=26|35=0|52=20260115-09:30:00|10=256|`,
  );
  // A line that does not start with BeginString is sent exactly as written (case 2t).
  assert.equal(
    readable(
      new TextDecoder("latin1").decode(renderSend(sendStep("35=0|8=FIX.4.4|9=29|34=2|10=121|"), NOW, true)),
    ),
    "35=0|8=FIX.4.4|9=29|34=2|10=121|",
  );
  // Default mode recomputes them, and writes times with milliseconds.
  assert.ok(
    sentText("8=FIX.4.4|9=30|35=0|34=2|49=TW|52=<TIME>|56=ISLD|").startsWith(
      `8=FIX.4.4|9=${body.length + 4}|`,
    ),
  );
});

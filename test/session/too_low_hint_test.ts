/**
 * The counterparty says our MsgSeqNum is too low (our store is new, reset or replaced: fixg cannot know
 * what the counterparty has seen): the log line names the fix, with the number the counterparty expects.
 * Pure machine, manual clock.
 */
import assert from "node:assert/strict";
import type { Action } from "../../src/session/mod.ts";
import { tooLowHint } from "../../src/session/logout.ts";
import { Transcript } from "./harness.ts";

function eventTexts(actions: Action[]): string[] {
  return actions.flatMap((
    a,
  ) => (a.kind === "event" ? [`${a.event.level} ${a.event.name} ${a.event.text}`] : []));
}

const FIX =
  'set ours: POST /sessions/{id}/set-seq {"nextSenderSeq": 120} or fixg sessions --engine PATH --session KEY --next-sender-seq 120 (docs/operations.md, "Sequence number mismatch")';

Deno.test("too low: the counterparty's Logout answering our Logon names the fix and the number it expects", () => {
  const t = new Transcript({ role: "initiator" });
  t.connect();
  assert.deepEqual(t.recv("35=5|34=120|58=MsgSeqNum too low, expecting 120 but received 1"), [
    "disconnect Logon refused: peer answered our Logon with a Logout: MsgSeqNum too low, expecting 120 but received 1",
  ]);
  const [line] = eventTexts(t.lastActions).filter((l) => l.includes("logon-refused"));
  assert.equal(
    line,
    "warn logon-refused peer answered our Logon with a Logout: MsgSeqNum too low, expecting 120 but received 1. " +
      "The counterparty expects MsgSeqNum 120: our outbound numbers are behind what it has seen (a new or reset store?). " +
      `Agree the numbers with it, then ${FIX}`,
  );
});

Deno.test("too low: a Logout after logon (we answered its Logon with a number it had seen) names the fix too", () => {
  const t = new Transcript({ role: "acceptor" });
  t.connect();
  t.logonAcceptor();
  t.recv("35=5|34=2|58=MsgSeqNum too low, expecting 120 but received 1");
  const [line] = eventTexts(t.lastActions).filter((l) => l.includes(" logout "));
  assert.ok(
    line!.startsWith("warn logout Logout received: MsgSeqNum too low, expecting 120 but received 1. "),
    line,
  );
  assert.ok(line!.endsWith(FIX), line);
});

Deno.test("too low hint: only for that Text; without a number it says N", () => {
  assert.equal(tooLowHint(undefined), "");
  assert.equal(tooLowHint("Unknown user"), "");
  assert.match(tooLowHint("MsgSeqNum too low"), /expects a higher MsgSeqNum.*"nextSenderSeq": N\}/);
  // A Logout with another Text stays an info line, as before.
  const t = new Transcript({ role: "acceptor" });
  t.connect();
  t.logonAcceptor();
  t.recv("35=5|34=2|58=bye");
  assert.deepEqual(eventTexts(t.lastActions).filter((l) => l.includes(" logout ")), [
    "info logout Logout received: bye",
  ]);
});

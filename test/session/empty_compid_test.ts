/** An empty CompID (`56=`) is "Tag specified without a value" (373=4), which comes before the CompID check (issue 13.8). */
import assert from "node:assert/strict";
import { builtinDictionary } from "../../src/dictionary/loader.ts";
import { Transcript } from "./harness.ts";

function loggedOn(dictionary = true, checkFieldsHaveValues = true): Transcript {
  const t = new Transcript({
    config: dictionary
      ? { dictionary: builtinDictionary("FIX.4.4"), validation: { checkFieldsHaveValues } }
      : {},
  });
  assert.deepEqual(t.logonAcceptor(), ["persist-inbound 1", "send admin 35=A|34=1|98=0|108=30", "logon"]);
  return t;
}

Deno.test("56= and 49= (no value): Reject 373=4 with RefTagID, number consumed, session stays up", () => {
  for (const tag of [56, 49]) {
    const t = loggedOn();
    assert.deepEqual(t.recv(`35=0|34=2|${tag}=`), [
      "persist-inbound 2",
      `send admin 35=3|34=2|45=2|58=Tag specified without a value|371=${tag}|372=0|373=4`,
    ]);
    assert.deepEqual(t.recv("35=0|34=3"), ["persist-inbound 3"]);
  }
});

Deno.test("56= when empty values are not checked (no dictionary, or checkFieldsHaveValues off): CompID problem", () => {
  for (const [dictionary, checkFieldsHaveValues] of [[false, true], [true, false]]) {
    const t = loggedOn(dictionary, checkFieldsHaveValues);
    const out = t.recv("35=0|34=2|56=");
    assert.deepEqual(out.slice(0, 2), [
      "persist-inbound 2",
      "send admin 35=3|34=2|45=2|58=CompID problem|372=0|373=9",
    ]);
    // The Logout process follows (issue 13.11: as QuickFIX, no RefTagID, a Logout without Text).
    assert.deepEqual(out.slice(2), ["send admin 35=5|34=3"]);
  }
});

Deno.test("a message carrying tag 0: Reject 373=0 Invalid tag number with RefTagID 0 (issue 13.9)", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=0|34=2|0=x"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Invalid tag number|371=0|372=0|373=0",
  ]);
});

/** import-quickfix's text formats (src/ops/quickfix_format.ts) and its notes on unknown settings. */
import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors.ts";
import { emit, ordered, parseSections } from "../../src/ops/quickfix_format.ts";
import { importQuickfix } from "../../src/ops/quickfix_import.ts";

Deno.test("parseSections: sections, Key=Value lines with line numbers, errors naming file and line", () => {
  const s = parseSections("# c\n[DEFAULT]\nA=1\n\n[session]\n B = x=y \n", "q.cfg");
  assert.deepEqual(s, [
    { name: "DEFAULT", line: 2, settings: [{ key: "A", value: "1", line: 3 }] },
    { name: "SESSION", line: 5, settings: [{ key: "B", value: "x=y", line: 6 }] },
  ]);
  const bad: [string, string][] = [
    ["[OTHER]\n", "q.cfg:1: unknown section [OTHER] (expected [DEFAULT] or [SESSION])"],
    ["[SESSION]\nnoequals\n", 'q.cfg:2: expected Key=Value, got "noequals"'],
    ["A=1\n[SESSION]\n", "q.cfg:1: setting before any [DEFAULT] or [SESSION] section"],
    ["[DEFAULT]\nA=1\n", "q.cfg: no [SESSION] section"],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => parseSections(text, "q.cfg"),
      (e: unknown) => e instanceof ConfigError && e.message === message,
    );
  }
});

Deno.test("emit and ordered: YAML lines, strings quoted, session keys in the documented order", () => {
  const out: string[] = [];
  emit(
    ordered({ port: 9, targetCompId: "0012", role: "initiator", x: { y: true, z: {} } }),
    "    ",
    out,
    "  - ",
  );
  assert.deepEqual(out, [
    '  - role: "initiator"',
    '    targetCompId: "0012"',
    "    port: 9",
    "    x:",
    "      y: true",
    "      z: {}",
  ]);
});

Deno.test("an unknown setting is kept as a comment, a password-like one without its value", () => {
  const yaml = importQuickfix(
    "[DEFAULT]\nVendorPassword=s3cret\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nFancy=42\n",
    "q.cfg",
  );
  assert.match(yaml, /# {3}VendorPassword: unknown QuickFIX setting \(line 2\), not converted/);
  assert.match(yaml, /# {3}Fancy=42: unknown QuickFIX setting \(line 7\), not converted/);
  assert.equal(yaml.includes("s3cret"), false);
});

/**
 * `fixg decode` on the golden fixtures: output compared with snapshots in fixtures/messages
 * (UPDATE_SNAPSHOTS=1 rewrites them after an intended change; review the diff).
 */
import assert from "node:assert/strict";
import { decodeInput, type DecodeOptions, type DecodeSummary } from "../../commands/decode.ts";
import { fromReadable } from "../../src/codec/mod.ts";
import { parseDictionary } from "../../src/dictionary/mod.ts";
import { frame } from "../codec/frames.ts";

const dir = new URL("../../fixtures/messages/", import.meta.url);

function run(input: Uint8Array, options: DecodeOptions): { text: string; summary: DecodeSummary } {
  let text = "";
  const summary = decodeInput(input, options, (t) => text += t);
  return { text, summary };
}

function snapshot(name: string, actual: string): void {
  const url = new URL(name, dir);
  if (Deno.env.get("UPDATE_SNAPSHOTS") === "1") Deno.writeTextFileSync(url, actual);
  const expected = Deno.readTextFileSync(url);
  assert.equal(actual, expected, `${name} differs (UPDATE_SNAPSHOTS=1 to accept an intended change)`);
}

Deno.test("decode fix44_samples.txt: tables with names, meanings, groups, a marked reject, a garbled line", () => {
  const input = Deno.readFileSync(new URL("fix44_samples.txt", dir));
  const { text, summary } = run(input, { json: false });
  snapshot("fix44_samples.decoded.txt", text);
  assert.deepEqual(summary, { messages: 13, invalid: 1, garbled: 1, exitCode: 1 });
  assert.match(text, /^! 54 +Side +Z$/m);
  assert.match(
    text,
    /^! invalid: 373=5 Value is incorrect \(out of range\) for this tag \(RefTagID 371=54 Side\)$/m,
  );
  assert.match(text, /^garbled at offset \d+ \(90 bytes\): CheckSum mismatch$/m);
  assert.match(text, /^ {4}- 448 +PartyID +FIRM1$/m);
});

Deno.test("decode --json: one object per message, groups as entries", () => {
  const input = Deno.readFileSync(new URL("fix44_samples.txt", dir));
  const { text } = run(input, { json: true });
  snapshot("fix44_samples.decoded.jsonl", text);
  const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 14);
  const nos = lines.find((l) => l.msgType === "D" && l.valid);
  const parties = nos.fields.find((f: { tag: number }) => f.tag === 453);
  assert.deepEqual(parties.entries[1], [
    { tag: 448, name: "PartyID", value: "TRADER7" },
    { tag: 447, name: "PartyIDSource", value: "D", meaning: "PROPRIETARY_CUSTOM_CODE" },
    { tag: 452, name: "PartyRole", value: "3", meaning: "CLIENT_ID" },
  ]);
  const w = lines.find((l) => l.msgType === "W");
  assert.equal(w.fields.find((f: { tag: number }) => f.tag === 268).entries.length, 20);
  const bad = lines.find((l) => l.valid === false && l.reject);
  assert.deepEqual(bad.reject, {
    reason: 5,
    text: "Value is incorrect (out of range) for this tag",
    refTagId: 54,
  });
  assert.deepEqual(lines.find((l) => l.garbled), { offset: 2467, length: 90, garbled: "CheckSum mismatch" });
});

Deno.test("decode a raw SOH stream: newlines are noise, fragments and a cut-off tail are garbled", () => {
  const input = Deno.readFileSync(new URL("fix44_raw.fix", dir));
  const { text, summary } = run(input, { json: false });
  snapshot("fix44_raw.decoded.txt", text);
  assert.deepEqual(summary, { messages: 3, invalid: 0, garbled: 2, exitCode: 1 });
});

Deno.test("decode: log prefixes, '^A' delimiters, missing final delimiter, several messages per line", () => {
  const f = new TextDecoder().decode(frame("35=0|49=A|56=B|34=1|52=20261122-01:02:03.045")).replaceAll(
    "\x01",
    "|",
  );
  const text = `2026-11-22 01:02:03 INFO [s1] ${f.slice(0, -1)}\n` +
    `${f.replaceAll("|", "^A")}  trailing words\r\n` +
    `${f}${f}\n` +
    "no fix on this line\n";
  const { text: out, summary } = run(new TextEncoder().encode(text), { json: true });
  assert.deepEqual(summary, { messages: 4, invalid: 0, garbled: 0, exitCode: 0 });
  const offsets = out.trimEnd().split("\n").map((l) => JSON.parse(l).offset);
  const starts = [...text.matchAll(/8=FIX/g)].map((m) => m.index);
  assert.deepEqual(offsets, starts);
  // The same messages as a raw SOH stream: a CheckSum without its SOH is malformed there.
  const raw = run(fromReadable(`${f.slice(0, -1)}\n${f}`), { json: false });
  assert.deepEqual(raw.summary, { messages: 1, invalid: 0, garbled: 1, exitCode: 1 });
  assert.match(raw.text, /^garbled at offset 0 \(\d+ bytes\): CheckSum malformed$/m);
});

Deno.test("decode --dict: a custom dictionary names venue fields", () => {
  const xml = Deno.readTextFileSync(new URL("../../fixtures/dictionaries/FIX44.xml", import.meta.url))
    .replace(
      " <fields>",
      " <fields>\n  <field number='20001' name='VenueTag' type='CHAR'><value enum='X' description='EXTRA'/></field>",
    )
    .replace(
      "<message name='Heartbeat' msgtype='0' msgcat='admin'>",
      "<message name='Heartbeat' msgtype='0' msgcat='admin'>\n   <field name='VenueTag' required='N' />",
    );
  const dict = parseDictionary(xml, "venue.xml");
  const input = frame("35=0|49=A|56=B|34=1|52=20261122-01:02:03.045|20001=X");
  const plain = run(input, { json: false });
  assert.match(plain.text, /^\? 20001 +\? +X$/m);
  assert.equal(plain.summary.exitCode, 0, "user-defined tags pass by default");
  const custom = run(input, { json: false, dict });
  assert.match(custom.text, /^ {2}20001 +VenueTag +X +EXTRA$/m);
});

Deno.test("./fixg decode: exit codes 1 (problems), 0 (clean), 2 (unusable input)", async () => {
  const root = new URL("../../", import.meta.url);
  const fixg = (args: string[], stdin?: string) => {
    const cmd = new Deno.Command(new URL("fixg", root), {
      args: ["decode", ...args],
      cwd: root,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin !== undefined) {
      const w = cmd.stdin.getWriter();
      w.write(new TextEncoder().encode(stdin)).then(() => w.close());
    }
    return cmd.output();
  };
  const samples = await fixg(["fixtures/messages/fix44_samples.txt"]);
  assert.equal(samples.code, 1);
  const clean = new TextDecoder().decode(frame("35=0|49=A|56=B|34=1|52=20261122-01:02:03.045")).replaceAll(
    "\x01",
    "|",
  );
  const ok = await fixg(["-"], clean + "\n");
  assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
  assert.match(new TextDecoder().decode(ok.stdout), /^1 messages, 0 invalid, 0 garbled$/m);
  const none = await fixg([], "hello\n");
  assert.equal(none.code, 2);
  assert.equal(new TextDecoder().decode(none.stderr), "fixg: No FIX message (8=FIX...) found in stdin\n");
  const missing = await fixg(["--dict", "/nonexistent.xml", "fixtures/messages/fix44_samples.txt"]);
  assert.equal(missing.code, 2);
  assert.match(
    new TextDecoder().decode(missing.stderr),
    /^fixg: Cannot read dictionary "\/nonexistent\.xml"/,
  );
});

/**
 * Secrets and the journal (issue 14 item 11): a Logon's Password (554) and NewPassword (925) never
 * reach the disk, journal files and directories are private to their owner, and `fixg journal
 * inspect` / `export` mask secrets unless asked with --show-secrets.
 */
import assert from "node:assert/strict";
import { exportJournal, inspectJournal, parseMaskTags } from "../../commands/journal.ts";
import { MessageView } from "../../src/codec/view.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { isLogonFrame, maskFields } from "../../src/store/secrets.ts";
import { capture, fixg } from "../commands/journal_helpers.ts";
import { KEY, manualClock, tempDir } from "./helpers.ts";

const T0 = 1_700_000_000_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A valid FIX 4.4 frame (BodyLength and CheckSum right) with these body fields after 8 and 9. */
function frame(body: string): Uint8Array {
  const b = body.replaceAll("|", "\x01");
  const head = `8=FIX.4.4\x019=${b.length}\x01`;
  let sum = 0;
  for (const c of enc.encode(head + b)) sum += c;
  return enc.encode(`${head}${b}10=${String(sum & 0xff).padStart(3, "0")}\x01`);
}

/** True when the frame's BodyLength and CheckSum are right. */
function validFrame(bytes: Uint8Array): boolean {
  const v = MessageView.parse(bytes);
  const bodyStart = v.valueEndAt(1) + 1;
  const ci = v.count - 1;
  const bodyEnd = v.valueStartAt(ci) - 3;
  let sum = 0;
  for (let i = 0; i < bodyEnd; i++) sum += bytes[i]!;
  return v.getInt(9) === bodyEnd - bodyStart && v.getInt(10) === (sum & 0xff);
}

const LOGON_IN = frame(
  "35=A|34=1|49=LP|56=FIXG|52=20240102-09:30:00.000|98=0|108=30|553=trader|554=s3cr3t-in|",
);
const LOGON_OUT = frame(
  "35=A|34=1|49=FIXG|56=LP|52=20240102-09:30:00.000|98=0|108=30|553=me|554=s3cr3t-out|925=n3w-s3cr3t|",
);
/** An application message that carries a password (UserRequest): resent as is, so stored as is. */
const USER_REQUEST = frame(
  "35=BE|34=2|49=FIXG|56=LP|52=20240102-09:30:01.000|923=u1|924=1|553=bob|554=app-pw|1=ACC-7|",
);

Deno.test("maskFields replaces values with *** and keeps BodyLength and CheckSum right", () => {
  const m = maskFields(LOGON_OUT, new Set([554, 925]));
  assert.equal(
    dec.decode(m).replaceAll("\x01", "|").replace(/10=\d{3}\|$/, ""),
    "8=FIX.4.4|9=" + (MessageView.parse(m).getInt(9)) +
      "|35=A|34=1|49=FIXG|56=LP|52=20240102-09:30:00.000|98=0|108=30|553=me|554=***|925=***|",
  );
  assert.ok(validFrame(LOGON_OUT));
  assert.ok(validFrame(m));
  assert.equal(MessageView.parse(m).getInt(9), MessageView.parse(LOGON_OUT).getInt(9)! - 10 + 3 - 10 + 3);
  // Nothing to mask: the same array.
  assert.equal(maskFields(USER_REQUEST, new Set([925])), USER_REQUEST);
  assert.ok(isLogonFrame(LOGON_IN));
  assert.ok(!isLogonFrame(USER_REQUEST));
});

Deno.test("the journal stores Logons without Password and NewPassword, both directions; files 0600, directories 0700", async () => {
  const parent = tempDir();
  const dir = `${parent}/journal`;
  const journal = await FileJournal.open({ dir, clock: manualClock(T0), onWarning: () => {} });
  const s = await journal.openSession(KEY, T0);
  void s.appendInbound(1, LOGON_IN);
  void s.appendOutbound(1, LOGON_OUT);
  void s.appendOutbound(2, USER_REQUEST);
  await s.flush();
  // The Logon is never resent (gap-filled), so the stored copy needs no password; it stays a valid frame.
  const stored = await s.getOutbound(1, 1);
  assert.equal(stored.length, 1);
  assert.ok(validFrame(stored[0]!.bytes));
  assert.equal(MessageView.parse(stored[0]!.bytes).getString(554), "***");
  assert.equal(MessageView.parse(stored[0]!.bytes).getString(925), "***");
  // An application message is resent byte for byte.
  assert.deepEqual((await s.getOutbound(2, 2))[0]!.bytes, USER_REQUEST);
  await journal.close();

  const files = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name).sort();
  assert.deepEqual(files.filter((f) => f.endsWith(".seg") || f.endsWith(".idx") || f === "LOCK"), [
    "0000000001.idx",
    "0000000001.seg",
    "LOCK",
  ]);
  let all = "";
  for (const f of files) {
    const st = Deno.statSync(`${dir}/${f}`);
    assert.equal(st.mode! & 0o777, 0o600, `${f} mode ${(st.mode! & 0o777).toString(8)}`);
    all += dec.decode(Deno.readFileSync(`${dir}/${f}`));
  }
  assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700);
  assert.ok(!all.includes("s3cr3t"), "a Logon password reached the disk");
  assert.ok(all.includes("554=***"));
  assert.ok(all.includes("554=app-pw"), "application messages are stored as sent");
});

Deno.test("inspect and export mask 554/925 (and asked-for tags) unless --show-secrets", async () => {
  const dir = tempDir();
  const journal = await FileJournal.open({ dir, clock: manualClock(T0), onWarning: () => {} });
  const s = await journal.openSession(KEY, T0);
  void s.appendOutbound(1, USER_REQUEST);
  await journal.close();

  for (const format of ["fix", "json", "csv"] as const) {
    const c = capture();
    assert.equal(exportJournal(dir, format, {}, c.out), 1);
    assert.ok(!c.text().includes("app-pw"), `${format}: ${c.text()}`);
    assert.ok(c.text().includes("ACC-7"));
    const shown = capture();
    exportJournal(dir, format, {}, shown.out, await parseMaskTags({ showSecrets: true }));
    assert.ok(shown.text().includes("app-pw"));
    const more = capture();
    exportJournal(dir, format, {}, more.out, await parseMaskTags({ maskTags: "1" }));
    assert.ok(!more.text().includes("app-pw") && !more.text().includes("ACC-7"), more.text());
  }
  const fixOut = capture();
  exportJournal(dir, "fix", {}, fixOut.out);
  assert.ok(validFrame(fixOut.bytes().subarray(0, fixOut.bytes().length - 1)));
  for (const json of [false, true]) {
    const c = capture();
    await inspectJournal(dir, { filter: {}, json }, c.out);
    assert.ok(!c.text().includes("app-pw"), c.text());
    assert.ok(c.text().includes("***"));
  }

  const cli = await fixg("journal", "export", dir, "--format", "csv");
  assert.equal(cli.code, 0, cli.stderr);
  assert.ok(!cli.stdout.includes("app-pw") && cli.stdout.includes("554=***"), cli.stdout);
  const cliShow = await fixg("journal", "inspect", dir, "--show-secrets");
  assert.equal(cliShow.code, 0, cliShow.stderr);
  assert.ok(cliShow.stdout.includes("app-pw"));
  const cliMask = await fixg("journal", "inspect", dir, "--json", "--mask-tags", "1,553");
  assert.equal(cliMask.code, 0, cliMask.stderr);
  assert.ok(
    !cliMask.stdout.includes("app-pw") && !cliMask.stdout.includes("ACC-7") &&
      !cliMask.stdout.includes("bob"),
  );
  const bad = await fixg("journal", "export", dir, "--format", "fix", "--mask-tags", "x");
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'fixg: --mask-tags takes tag numbers, e.g. 1,58 (got "x")\n');
});

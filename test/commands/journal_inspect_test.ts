/** `fixg journal inspect`: decoded records, filters, JSON, --follow on a live journal. */
import assert from "node:assert/strict";
import { inspectJournal, parseFilter, parseSince } from "../../commands/journal.ts";
import { ConfigError } from "../../src/errors.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { tempDir } from "../store/helpers.ts";
import { assertSnapshot, capture, fixg, fixtureJournal } from "./journal_helpers.ts";
import { FIXTURE_T0 } from "./journal_fixture.ts";

Deno.test("inspect prints every record, messages decoded with field names", async () => {
  const dir = await fixtureJournal();
  const c = capture();
  const n = await inspectJournal(dir, { filter: {}, json: false }, c.out);
  assert.equal(n, 19);
  assertSnapshot("journal_inspect.txt", c.text(), dir);
});

Deno.test("inspect filters by session, sequence range and MsgType; JSON lines", async () => {
  const dir = await fixtureJournal();
  const c = capture();
  const filter = parseFilter({ session: "FIX.4.4:FIXG->LP1", from: "2", to: "3", type: "D,8" }, 0);
  assert.equal(await inspectJournal(dir, { filter, json: true }, c.out), 4);
  assertSnapshot("journal_inspect_filtered.jsonl", c.text(), dir);
  const byId = capture();
  assert.equal(
    await inspectJournal(dir, { filter: parseFilter({ session: "2" }, 0), json: false }, byId.out),
    3,
  );
  assert.ok(byId.text().includes("FIX.4.2:FIXG->BROKER  seq 1  Heartbeat (35=0)"));
});

Deno.test("inspect --since keeps records from that time on", async () => {
  const dir = await fixtureJournal();
  const c = capture();
  const filter = parseFilter({ since: "2024-01-03T00:00:00Z" }, 0);
  assert.equal(await inspectJournal(dir, { filter, json: false }, c.out), 2);
  assert.deepEqual(c.text().split("\n").filter((l) => /^\d{10}\.seg@/.test(l)), [
    "0000000002.seg@2344  2024-01-03T09:30:00.000Z  seq-reset  FIX.4.4:FIXG->LP1 epoch 2  next out 1, next in 1",
    "0000000002.seg@2392  2024-01-03T09:30:00.000Z  out  FIX.4.4:FIXG->LP1  seq 1  NewOrderSingle (35=D)",
  ]);
});

Deno.test("--since accepts ISO, FIX timestamps, epoch ms and durations; bad flags are ConfigErrors", () => {
  const now = FIXTURE_T0;
  assert.equal(parseSince("2024-01-02T09:30:00Z", now), FIXTURE_T0);
  assert.equal(parseSince("20240102-09:30:00.000", now), FIXTURE_T0);
  assert.equal(parseSince(String(FIXTURE_T0), now), FIXTURE_T0);
  assert.equal(parseSince("15m", now), FIXTURE_T0 - 900_000);
  assert.equal(parseSince("2d", now), FIXTURE_T0 - 2 * 86_400_000);
  assert.throws(() => parseSince("yesterday", now), ConfigError);
  assert.throws(() => parseFilter({ from: "x" }, now), /--from must be a sequence number, got "x"/);
  assert.throws(() => parseFilter({ from: "5", to: "2" }, now), /--to 2 is below --from 5/);
  assert.throws(() => parseFilter({ type: "," }, now), /--type needs MsgTypes/);
});

Deno.test("inspect --follow prints records a live gateway appends", async () => {
  const dir = tempDir();
  const journal = await FileJournal.open({ dir, segmentBytes: 4096, onWarning: () => {} });
  const s = await journal.openSession("FIX.4.4:A->B", FIXTURE_T0);
  await s.appendOutbound(1, new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=0\x0110=000\x01"));
  const lines: string[] = [];
  const ac = new AbortController();
  const dec = new TextDecoder();
  const seen = new Promise<void>((resolve) => {
    const out = {
      text: (t: string) => {
        for (const l of t.split("\n")) {
          if (/^\d{10}\.seg@/.test(l)) lines.push(l.replace(/ {2}\S+Z {2}/, "  <time>  "));
        }
        if (lines.filter((l) => / seq \d+ /.test(l)).length >= 20) resolve();
      },
      bytes: (b: Uint8Array) => out.text(dec.decode(b)),
    };
    void inspectJournal(dir, { filter: {}, json: false, follow: ac.signal, pollMs: 10 }, out).then(() =>
      resolve()
    );
  });
  // Enough records to rotate into a second segment while following.
  for (let i = 2; i <= 20; i++) {
    await s.appendOutbound(
      i,
      new TextEncoder().encode(
        `8=FIX.4.4\x019=5\x0135=0\x0134=${i}\x01${"58=x".padEnd(200, "x")}\x0110=000\x01`,
      ),
    );
  }
  await seen;
  ac.abort();
  await journal.close();
  assert.equal(
    lines[0],
    "0000000001.seg@64  <time>  session-open  FIX.4.4:A->B epoch 1 created 2024-01-02T09:30:00.000Z  next out 1, next in 1",
  );
  const messages = lines.filter((l) => / seq \d+ /.test(l));
  assert.deepEqual(
    messages.map((l) => / seq (\d+) /.exec(l)?.[1]),
    Array.from({ length: 20 }, (_, i) => String(i + 1)),
  );
  // The journal rotated while we followed: the new segment's session table shows the numbers then.
  assert.ok(messages.at(-1)!.startsWith("0000000002.seg@"), lines.join("\n"));
  assert.ok(
    lines.some((l) =>
      /^0000000002\.seg@64 {2}<time> {2}session-open {2}FIX\.4\.4:A->B epoch 1 .* next out \d+, next in 1$/
        .test(l)
    ),
  );
});

Deno.test("the real CLI: inspect output, a usage error exits 2", async () => {
  const dir = await fixtureJournal();
  const r = await fixg("journal", "inspect", dir, "--type", "0");
  assert.equal(r.code, 0, r.stderr);
  const c = capture();
  await inspectJournal(dir, { filter: { types: new Set(["0"]) }, json: false }, c.out);
  assert.equal(r.stdout, c.text());
  const bad = await fixg("journal", "inspect", dir, "--from", "abc");
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'fixg: --from must be a sequence number, got "abc"\n');
  const missing = await fixg("journal", "inspect", `${dir}/nope`);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^fixg: Cannot read journal directory ".*\/nope": No such file or directory/);
});

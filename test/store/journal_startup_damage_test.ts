/**
 * Start-up and damaged sealed segments (issue 14 item 8): damage that loses records is refused,
 * naming the file and offset and pointing at `fixg journal verify` / `repair`; after repair the
 * journal opens with the right numbers. One test per damage class, bounded counts.
 */
import assert from "node:assert/strict";
import { JournalCorruptError } from "../../src/errors.ts";
import { indexFileName, SEGMENT_HEADER_BYTES, segmentFileName } from "../../src/store/format.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { verifyJournal } from "../../src/store/reader.ts";
import { repairJournal } from "../../src/store/repair.ts";
import { crashImage, fixedMessage, KEY, manualClock, tempDir } from "./helpers.ts";

const T0 = 1_700_000_000_000;

/** Three runs: segments 1..3 with outbound 1..100, 101..200, 201..300 and inbound 1..10 per run; closed cleanly. */
async function threeRuns(): Promise<string> {
  const dir = tempDir();
  for (let run = 0; run < 3; run++) {
    const j = await FileJournal.open({ dir, clock: manualClock(T0), onWarning: () => {} });
    const s = await j.openSession(KEY, T0);
    for (let i = run * 100 + 1; i <= run * 100 + 100; i++) void s.appendOutbound(i, fixedMessage(i, "out"));
    for (let i = run * 10 + 1; i <= run * 10 + 10; i++) void s.appendInbound(i, fixedMessage(i, "in"));
    await j.close();
  }
  return dir;
}

async function open(dir: string): Promise<{ numbers: string; warnings: string[] }> {
  const warnings: string[] = [];
  const j = await FileJournal.open({ dir, clock: manualClock(T0), onWarning: (m) => warnings.push(m) });
  const s = j.sessions().map((x) => `${x.nextSenderSeq}/${x.nextTargetSeq}`).join(" ");
  await j.close();
  return { numbers: s, warnings };
}

/** Open refuses with JournalCorruptError naming `file` and a byte offset, pointing at verify and repair. */
async function refused(dir: string, file: string, detail: RegExp): Promise<string> {
  let message = "";
  await assert.rejects(
    () => open(dir),
    (e: unknown) => {
      assert.ok(e instanceof JournalCorruptError, String(e));
      message = e.message;
      return true;
    },
  );
  assert.match(message, new RegExp(`is damaged in ${file.replace(".", "\\.")} at byte \\d+`));
  assert.match(message, detail);
  assert.match(message, /fixg journal verify .*fixg journal repair/);
  return message;
}

/** Repair, then the journal opens with the last run's numbers (the session table of later segments keeps them). */
async function repairedOpens(dir: string, expected = "301/31"): Promise<void> {
  repairJournal(dir);
  const again = await open(dir);
  assert.equal(again.numbers, expected);
}

function cut(path: string, size: number): void {
  const f = Deno.openSync(path, { write: true });
  f.truncateSync(size);
  f.close();
}

Deno.test("a middle segment cut to 0, 30 or 64 bytes is refused (not dropped); repair lets the journal open", async () => {
  for (const [size, withIndex] of [[0, true], [30, true], [64, true], [0, false], [30, false]] as const) {
    const dir = await threeRuns();
    assert.equal((await open(dir)).numbers, "301/31");
    cut(`${dir}/${segmentFileName(2)}`, size);
    if (!withIndex) Deno.removeSync(`${dir}/${indexFileName(2)}`);
    const m = await refused(
      dir,
      "0000000002.seg",
      withIndex
        ? new RegExp(
          `the segment is ${size} bytes but its index covers 27416: 111 records from byte ${size} on are missing`,
        )
        : /shorter than a segment header, but later segments follow: its records are lost/,
    );
    assert.ok(!m.includes("removed"), m);
    if (withIndex) {
      assert.ok(
        verifyJournal(dir).problems.some((p) =>
          p.kind === "index-stale" && /the segment was cut short/.test(p.message)
        ),
      );
    }
    // Nothing was deleted by the refused start.
    assert.equal(Deno.statSync(`${dir}/${segmentFileName(2)}`).size, size);
    await repairedOpens(dir);
  }
});

Deno.test("a middle segment cut at a record boundary with its index gone is refused (the next session table is ahead)", async () => {
  const dir = await threeRuns();
  const path = `${dir}/${segmentFileName(2)}`;
  const size = Deno.statSync(path).size;
  // The last 5 records (inbound 16..20, 248 bytes each) of segment 2 gone, exactly at a record boundary, and its index too.
  cut(path, size - 5 * 248);
  Deno.removeSync(`${dir}/${indexFileName(2)}`);
  await refused(
    dir,
    "0000000002.seg",
    /its records end at epoch 1, next out 201, next in 16 for session FIX\.4\.4:FIXG->LP, but 0000000003\.seg starts at epoch 1, next out 201, next in 21: records at its end are lost/,
  );
  // The refused start left no index behind that would make the next start trust the segment.
  await refused(dir, "0000000002.seg", /records at its end are lost/);
  await repairedOpens(dir);
});

Deno.test("a middle segment deleted is refused; repair puts an empty segment in its place", async () => {
  const dir = await threeRuns();
  Deno.removeSync(`${dir}/${segmentFileName(2)}`);
  Deno.removeSync(`${dir}/${indexFileName(2)}`);
  await refused(
    dir,
    "0000000002.seg",
    /0000000002\.seg is missing between 0000000001\.seg and 0000000003\.seg/,
  );
  const report = repairJournal(dir, { dryRun: true });
  assert.deepEqual(report.actions.map((a) => `${a.kind} ${a.file}`), ["placeholder-segment 0000000002.seg"]);
  await repairedOpens(dir);
});

Deno.test("bit flips anywhere in sealed segments are refused at start-up (30 positions)", async () => {
  const dir = await threeRuns();
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let k = 0; k < 30; k++) {
    const n = 1 + (k % 3);
    const path = `${dir}/${segmentFileName(n)}`;
    const orig = Deno.readFileSync(path);
    const b = orig.slice();
    const at = Math.floor(rnd() * b.length);
    b[at] = b[at]! ^ (1 << Math.floor(rnd() * 8));
    Deno.writeFileSync(path, b);
    await refused(dir, segmentFileName(n), /CRC|framing|header|implausible|unknown record|differs/);
    Deno.writeFileSync(path, orig);
  }
  assert.equal((await open(dir)).numbers, "301/31");
});

Deno.test("zeroed 4 KiB pages in sealed segments are refused (6 pages, including a segment's last page)", async () => {
  const dir = await threeRuns();
  for (const [n, page] of [[1, 0], [1, 2], [2, 1], [2, 4], [3, 3], [1, -1]] as const) {
    const path = `${dir}/${segmentFileName(n)}`;
    const orig = Deno.readFileSync(path);
    const b = orig.slice();
    const last = Math.floor((b.length - 1) / 4096);
    const p = page < 0 ? last : page;
    assert.ok(p <= last);
    b.fill(0, p * 4096, Math.min(b.length, p * 4096 + 4096));
    Deno.writeFileSync(path, b);
    await refused(dir, segmentFileName(n), /./);
    Deno.writeFileSync(path, orig);
  }
  assert.equal((await open(dir)).numbers, "301/31");
});

Deno.test("a last segment cut to exactly its header is detected, with and without its index", async () => {
  // Clean close: the index says how long the segment was.
  const dir = await threeRuns();
  cut(`${dir}/${segmentFileName(3)}`, SEGMENT_HEADER_BYTES);
  await refused(dir, "0000000003.seg", /records from byte 64 on are missing/);
  // The records of the last run are lost, but its numbers reached the counterparty: the high-water
  // marks of the clean close keep the session from reusing them.
  await repairedOpens(dir, "301/21");

  // A crash image: no index for the last segment, only the session table tells.
  const live = await threeRuns();
  const j = await FileJournal.open({ dir: live, clock: manualClock(T0), onWarning: () => {} });
  const s = await j.openSession(KEY, T0);
  for (let i = 301; i <= 310; i++) void s.appendOutbound(i, fixedMessage(i, "out"));
  await s.flush();
  const image = crashImage(live);
  await j.close();
  assert.equal((await open(crashImage(image))).numbers, "311/31");
  cut(`${image}/${segmentFileName(4)}`, SEGMENT_HEADER_BYTES);
  await refused(image, "0000000004.seg", /holds only its header \(no session table\)/);
  // verify, which the refusal points to, shows it too.
  assert.deepEqual(
    verifyJournal(image).problems.filter((p) => p.kind === "session-table-missing").map((p) =>
      `${p.file}@${p.offset}`
    ),
    ["0000000004.seg@64"],
  );
  // 301..310 were written before the crash (so may have been sent) and are lost with the segment's
  // records: the run's reservation (301 + 1024 - 1) counts, since the newest segment left is sealed
  // although that run never closed. Before: 301, reusing them.
  await repairedOpens(image, "1325/31");
});

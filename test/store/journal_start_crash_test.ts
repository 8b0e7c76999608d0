/**
 * A crash of the start itself, at every step it reports (each warning: a torn tail cut, an index rebuilt,
 * numbers skipped, a lost reset begun), and again in the start after it: the start that finally completes
 * resumes every session as the uncrashed start does (same epoch, same next target number) and never below
 * its next sender number. The journal's crash sweep (journal_crash_sweep_test.ts) crashes the run; this
 * crashes the recovery, which rewrites files (truncation, index, HIGHWATER) before the new segment exists.
 * A crash is simulated by throwing from onWarning: every write before it is synchronous, so the files are
 * as a kill -9 at that instant leaves them (the segment file it had opened is closed, as the kernel would).
 */
import assert from "node:assert/strict";
import { FileJournal, type FileJournalOptions, type JournalFile } from "../../src/store/journal.ts";
import { JOURNAL_FILE_MODE, scanSegment, segmentFileName } from "../../src/store/format.ts";
import {
  crashImage,
  fixedMessage,
  flipByte,
  KEY,
  KEY2,
  manualClock,
  settle,
  T0,
  tempDir,
} from "./helpers.ts";

type Numbers = Record<string, [number, number, number]>;

const CRASH = new Error("simulated crash");

/** Starts the journal in `dir` as boot `bootId`; with `crashAt`, the start dies at its crashAt-th warning (0-based). */
async function start(dir: string, bootId: string, crashAt = -1): Promise<Numbers | undefined> {
  const files: JournalFile[] = [];
  let seen = 0;
  const options: FileJournalOptions = {
    dir,
    fsync: "batch",
    seqReserve: 100,
    segmentBytes: 4096,
    clock: manualClock(T0 + 60_000),
    bootId,
    onWarning: () => {
      if (seen++ === crashAt) throw CRASH;
    },
    openSegmentFile: (path) => {
      const f = Deno.openSync(path, { write: true, createNew: true, mode: JOURNAL_FILE_MODE });
      files.push(f);
      return f;
    },
  };
  let j: FileJournal;
  try {
    j = await FileJournal.open(options);
  } catch (e) {
    if (e !== CRASH) throw e;
    for (const f of files) {
      try {
        f.close();
      } catch { /* closed */ }
    }
    return undefined;
  }
  const out: Numbers = {};
  for (const s of j.sessions()) out[s.sessionKey] = [s.epoch, s.nextSenderSeq, s.nextTargetSeq];
  await j.close();
  return out;
}

/** A journal of two sessions after `run`, as a crash leaves it (HIGHWATER "running" in boot-a). */
async function crashed(
  run: (
    a: (seq: number) => void,
    aIn: (seq: number) => void,
    b: (seq: number) => void,
    reset: () => void,
  ) => void,
): Promise<string> {
  const dir = tempDir();
  const j = await FileJournal.open({
    dir,
    fsync: "batch",
    seqReserve: 100,
    segmentBytes: 4096,
    clock: manualClock(T0),
    bootId: "boot-a",
    onWarning: () => {},
  });
  const a = await j.openSession(KEY, T0);
  const b = await j.openSession(KEY2, T0);
  run(
    (seq) => void a.appendOutbound(seq, fixedMessage(seq, "out", 150)),
    (seq) => void a.appendInbound(seq, fixedMessage(seq, "in", 120)),
    (seq) => void b.appendOutbound(seq, fixedMessage(seq, "out", 130)),
    () => void a.reset(T0 + 5000),
  );
  await j.flush();
  await settle();
  const image = crashImage(dir);
  await j.close();
  Deno.removeSync(dir, { recursive: true });
  return image;
}

/** The newest segment file of `dir` and its records. */
function newest(
  dir: string,
): { path: string; recs: Array<{ offset: number; type: number; sessionId: number }> } {
  const n = Math.max(
    ...[...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".seg")).map((e) => parseInt(e.name)),
  );
  const path = `${dir}/${segmentFileName(n)}`;
  const recs: Array<{ offset: number; type: number; sessionId: number }> = [];
  scanSegment(
    Deno.readFileSync(path),
    (r) => recs.push({ offset: r.offset, type: r.type, sessionId: r.sessionId }),
  );
  return { path, recs };
}

/** Session 1 sent 1..40 and received 1..4, session 2 sent 1..20 (a segment of 4096 bytes: several rotations). */
const plain = () =>
  crashed((a, aIn, b) => {
    for (let i = 1; i <= 40; i++) {
      a(i);
      if (i % 10 === 0) aIn(i / 10);
      if (i % 2 === 0) b(i / 2);
    }
  });

const SCENARIOS: Array<{ name: string; bootId: string; image: () => Promise<string> }> = [
  {
    // The last record's bytes wrong (not cut short): its message may have been sent, its number is skipped.
    name: "a damaged last record, same boot",
    bootId: "boot-a",
    image: async () => {
      const image = await plain();
      const { path, recs } = newest(image);
      flipByte(path, recs[recs.length - 1]!.offset + 60);
      return image;
    },
  },
  {
    // A crash while the newest segment's first records (its session table) were written: the start cuts
    // it back to its header, which holds nothing then; a crash right after must not leave it refused.
    name: "a crash inside the newest segment's session table, same boot",
    bootId: "boot-a",
    image: async () => {
      const image = await plain();
      const { path, recs } = newest(image);
      Deno.truncateSync(path, recs[0]!.offset + 10);
      return image;
    },
  },
  {
    // A power cut lost the newest records (reserved): numbers up to the reservation are skipped.
    name: "records lost to a power cut, another boot",
    bootId: "boot-b",
    image: async () => {
      const image = await plain();
      const { path, recs } = newest(image);
      Deno.truncateSync(path, recs[recs.length - 4]!.offset);
      return image;
    },
  },
  {
    // The seq-reset record and the new epoch's messages lost to a power cut: the start begins that epoch.
    name: "a reset lost to a power cut, another boot",
    bootId: "boot-b",
    image: async () => {
      const image = await crashed((a, aIn, b, reset) => {
        for (let i = 1; i <= 12; i++) a(i);
        aIn(1);
        b(1);
        reset();
        for (let i = 1; i <= 3; i++) a(i);
      });
      const { path, recs } = newest(image);
      Deno.truncateSync(path, recs.find((r) => r.type === 2)!.offset);
      return image;
    },
  },
  {
    // The segment being written deleted after a crash: the newest left is sealed, the reservations count.
    name: "the newest segment deleted, same boot",
    bootId: "boot-a",
    image: async () => {
      const image = await plain();
      Deno.removeSync(newest(image).path);
      return image;
    },
  },
];

for (const sc of SCENARIOS) {
  Deno.test(`a crash at every step of the start (${sc.name}): the next start resumes as the uncrashed one`, async () => {
    const image = await sc.image();
    const copy0 = crashImage(image);
    const want = (await start(copy0, sc.bootId))!;
    Deno.removeSync(copy0, { recursive: true });
    let crashes = 0;
    for (let k = 0;; k++) {
      // A start that dies at its k-th warning, then the next one at its j-th (none once j passes its
      // last), then one that completes.
      let done = false;
      for (let j = 0;; j++) {
        const copy = crashImage(image);
        const first = await start(copy, sc.bootId, k);
        if (first !== undefined) {
          done = true;
          Deno.removeSync(copy, { recursive: true });
          break;
        }
        const second = await start(copy, sc.bootId, j);
        const got = second ?? (await start(copy, sc.bootId))!;
        crashes++;
        const at = `${sc.name}: crash at warning ${k}${second === undefined ? `, then at ${j}` : ""}`;
        for (const key of [KEY, KEY2]) {
          assert.deepEqual(
            [got[key]![0], got[key]![2]],
            [want[key]![0], want[key]![2]],
            `${at}: ${key} epoch, next in`,
          );
          assert.ok(
            got[key]![1] >= want[key]![1],
            `${at}: ${key} next out ${got[key]![1]} < ${want[key]![1]}`,
          );
        }
        Deno.removeSync(copy, { recursive: true });
        if (second !== undefined) break;
      }
      if (done) break;
    }
    assert.ok(crashes > 0, "the start reported nothing: no crash point");
    Deno.removeSync(image, { recursive: true });
  });
}

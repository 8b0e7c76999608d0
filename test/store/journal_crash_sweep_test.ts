/**
 * A crash at every byte of the segment being written (the last one: its session table, messages of two
 * sessions and a reset), checked from outside as an on-call engineer would: `verify` reports a torn tail
 * and nothing at a record boundary; the start truncates it and resumes each session in the right epoch,
 * the next sender number above every number whose record is whole (exactly that, in the same boot) and
 * the next target number exactly after the last whole inbound record (a resend is requested, nothing
 * skipped); `repair` makes the same journal, twice is once, and the start after it is as safe. Bounded:
 * every byte of the first 100 and around every record boundary, every 5th elsewhere (about 400 images).
 */
import assert from "node:assert/strict";
import { FileJournal } from "../../src/store/journal.ts";
import {
  type RecordFields,
  scanSegment,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
} from "../../src/store/format.ts";
import { repairJournal } from "../../src/store/repair.ts";
import { verifyJournal } from "../../src/store/verify.ts";
import { crashImage, fixedMessage, KEY, KEY2, manualClock, openJournal, T0, tempDir } from "./helpers.ts";

/** Every file under `dir` but LOCK, with its bytes (to compare two repairs). */
function contents(dir: string): string {
  const out: string[] = [];
  const walk = (p: string) => {
    for (const e of [...Deno.readDirSync(p)].sort((a, b) => a.name < b.name ? -1 : 1)) {
      if (e.name === "LOCK") continue;
      if (e.isDirectory) walk(`${p}/${e.name}`);
      else out.push(`${p.slice(dir.length)}/${e.name}:${Deno.readFileSync(`${p}/${e.name}`).join(",")}`);
    }
  };
  walk(dir);
  return out.join("\n");
}

async function numbers(dir: string): Promise<{ a: number[]; b: number[] }> {
  const j = await FileJournal.open({ dir, clock: manualClock(T0), bootId: "boot-a", onWarning: () => {} });
  const by = new Map(j.sessions().map((s) => [s.sessionKey, [s.epoch, s.nextSenderSeq, s.nextTargetSeq]]));
  await j.close();
  return { a: by.get(KEY)!, b: by.get(KEY2)! };
}

Deno.test("a crash at every byte of the last segment: verify, the start and repair keep every number right", async () => {
  const dir = tempDir();
  const { journal } = await openJournal(dir, { segmentBytes: 4096, seqReserve: 100 });
  const a = await journal.openSession(KEY, T0);
  const b = await journal.openSession(KEY2, T0);
  let oa = 1, ia = 1, ob = 1;
  for (let i = 1; i <= 30; i++) {
    void a.appendOutbound(oa, fixedMessage(oa++, "out", 120));
    if (i % 3 === 0) void a.appendInbound(ia, fixedMessage(ia++, "in", 100));
    if (i % 2 === 0) void b.appendOutbound(ob, fixedMessage(ob++, "out", 90));
    if (i % 4 === 0) await journal.flush();
    if (i === 28) {
      void a.reset(T0 + 5000);
      oa = ia = 1;
    }
  }
  await journal.flush();
  const image = crashImage(dir);
  await journal.close();
  const last = segmentFileName(3);
  assert.deepEqual([...Deno.readDirSync(image)].map((e) => e.name).filter((n) => n.endsWith(".seg")).sort(), [
    segmentFileName(1),
    segmentFileName(2),
    last,
  ]);
  const full = Deno.readFileSync(`${image}/${last}`);
  const recs: Array<
    Pick<RecordFields, "offset" | "length" | "type" | "dir" | "sessionId" | "epoch" | "seq" | "seq2">
  > = [];
  scanSegment(full, (r) => recs.push({ ...r }));
  // The segment holds the session table, a reset of session 1 and messages of both sessions in both epochs.
  assert.deepEqual(recs.map((r) => r.type).filter((t, i, all) => all.indexOf(t) === i).sort(), [1, 2, 4]);

  /** [epoch, next out, next in] of session 1 and next out of session 2 when the segment ends at `cut`. */
  const expected = (cut: number) => {
    let ea = 0, outA = 0, inA = 0, outB = 0;
    for (const r of recs) {
      if (r.type !== 4) continue;
      if (r.sessionId === 1) [ea, outA, inA] = [r.epoch, r.seq - 1, r.seq2 - 1];
      else outB = r.seq - 1;
    }
    for (const r of recs) {
      if (r.offset + r.length > cut) break;
      if (r.type === 2 && r.sessionId === 1) [ea, outA, inA] = [r.epoch, 0, 0];
      if (r.type !== 1) continue;
      if (r.sessionId === 1 && r.dir === 2) outA = r.seq;
      if (r.sessionId === 1 && r.dir === 1) inA = r.seq;
      if (r.sessionId === 2) outB = r.seq;
    }
    return { a: [ea, outA + 1, inA + 1], outB: outB + 1 };
  };
  const ends = new Set(recs.map((r) => r.offset + r.length));
  const cuts: number[] = [];
  for (let c = 0; c <= full.length; c++) {
    if (c < 100 || c % 5 === 0 || [...ends].some((e) => Math.abs(e - c) <= 2)) cuts.push(c);
  }
  assert.ok(cuts.length > 350 && cuts.length < 600, `${cuts.length} cuts`);

  let checked = 0;
  for (const cut of cuts) {
    const at = `cut at ${cut} of ${full.length}`;
    const copy = crashImage(image);
    Deno.truncateSync(`${copy}/${last}`, cut);
    const exp = expected(cut);
    const v = verifyJournal(copy);
    if (cut === SEGMENT_HEADER_BYTES) {
      // The header alone while earlier segments know sessions: refused until repair (see startup_damage).
      assert.deepEqual(v.problems.map((p) => p.kind), ["session-table-missing"], at);
      Deno.removeSync(copy, { recursive: true });
      continue;
    }
    if (cut < SEGMENT_HEADER_BYTES) {
      // Created, its header not (fully) written: reported on that file (the start removes it).
      assert.ok(v.problems.length > 0 && v.problems.every((p) => p.file === last), `${at}: ${v.problems}`);
    } else assert.deepEqual(v.problems.map((p) => p.kind), ends.has(cut) ? [] : ["torn-tail"], at);
    const repaired = crashImage(copy);

    const n = await numbers(copy);
    assert.deepEqual(n.a, exp.a, at);
    if (cut < SEGMENT_HEADER_BYTES) {
      // The segment removed: the newest left is sealed, so session 2's reservation counts (skips a block).
      assert.ok(n.b[1]! >= exp.outB, `${at}: ${n.b}`);
    } else assert.equal(n.b[1], exp.outB, at);

    repairJournal(repaired);
    const once = contents(repaired);
    repairJournal(repaired);
    assert.equal(contents(repaired), once, `${at}: repair twice is not repair once`);
    assert.deepEqual(verifyJournal(repaired).problems, [], at);
    const r = await numbers(repaired);
    assert.deepEqual([r.a[0], r.a[2]], [exp.a[0], exp.a[2]], at);
    assert.ok(r.a[1]! >= exp.a[1]! && r.b[1]! >= exp.outB, `${at}: ${r.a} ${r.b}`);
    Deno.removeSync(copy, { recursive: true });
    Deno.removeSync(repaired, { recursive: true });
    checked++;
  }
  assert.equal(checked, cuts.length - 1);
});

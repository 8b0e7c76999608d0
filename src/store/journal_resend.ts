/**
 * Resend reads of the file journal: a session's outbound messages by sequence number, from the
 * batches still in memory and from the segment files, checked record by record (a damaged one is
 * left out with a warning: the session gap-fills it).
 */
import { checkRecord, dataViewOf, DirCode, RecordFields, RecordType, segmentFileName } from "./format.ts";
import type { GroupCommit } from "./journal_commit.ts";
import type { ResolvedOptions } from "./journal_options.ts";
import type { SessionState } from "./journal_state.ts";
import { errorText } from "./lock.ts";
import type { StoredMessage } from "./types.ts";

/** Largest read of a resend per await: about 1 ms of parsing, so other sessions wait no longer. */
const READ_SPAN_BYTES = 256 * 1024;

/**
 * Outbound messages of `s` with seq in [from, to] (to 0: up to the last), ascending. Never forces or
 * waits for an fdatasync: records still in a batch (not yet written, or written and not yet synced)
 * are copied from memory at once; the rest is read from the segment files asynchronously, one span
 * of at most READ_SPAN_BYTES per await, so a large resend leaves the event loop to other sessions.
 */
export async function readOutbound(
  o: ResolvedOptions,
  commit: GroupCommit,
  s: SessionState,
  from: number,
  to: number,
): Promise<StoredMessage[]> {
  const idx = s.out;
  const i0 = idx.lowerBound(Math.max(from, 0));
  const i1 = to === 0 ? idx.length : idx.lowerBound(to + 1);
  if (i1 <= i0) return [];
  // Snapshot what the read needs of the index: later appends or a set-back may change it meanwhile.
  const n = i1 - i0;
  const segs = idx.segs.slice(i0, i1), offs = idx.offs.slice(i0, i1);
  const lens = idx.lens.slice(i0, i1), seqs = idx.seqs.slice(i0, i1);
  const got: Array<StoredMessage | undefined> = new Array(n);
  const r = new RecordFields();
  const check = (
    buf: Uint8Array,
    dv: DataView,
    p: number,
    avail: number,
    k: number,
    where: string,
  ): void => {
    const len = checkRecord(buf, dv, p, avail);
    if (len > 0) r.load(buf, dv, p, len, offs[k]!);
    if (
      len <= 0 || r.type !== RecordType.Message || r.dir !== DirCode.Out || r.sessionId !== s.id ||
      r.seq !== seqs[k]
    ) {
      o.onWarning(
        `journal "${o.dir}": outbound message ${seqs[k]} of "${s.key}" at ${segmentFileName(segs[k]!)} byte ${
          offs[k]
        }${where} is damaged; it will be gap-filled`,
      );
      return;
    }
    got[k] = { seq: r.seq, bytes: buf.slice(r.payloadStart, r.payloadEnd) };
  };
  // The tail still in batches, copied now (a settled batch's buffer is reused by later appends).
  let fileEnd = n;
  const inMemory = commit.inMemory();
  for (let k = n - 1; k >= 0; k--) {
    const seg = segs[k]!, off = offs[k]!, len = lens[k]!;
    const b = inMemory.find((x) => x.segment === seg && off >= x.start && off + len <= x.start + x.len);
    if (b === undefined) break;
    check(b.buf, b.dv, off - b.start, b.len, k, " (in memory)");
    fileEnd = k;
  }
  // The rest has been written to its segment file (page cache at least): async reads, span by span.
  let k = 0;
  while (k < fileEnd) {
    const seg = segs[k]!;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(`${o.dir}/${segmentFileName(seg)}`, { read: true });
    } catch (e) {
      o.onWarning(
        `journal "${o.dir}": cannot read ${segmentFileName(seg)} for a resend (${
          errorText(e)
        }); those messages will be gap-filled`,
      );
      while (k < fileEnd && segs[k] === seg) k++;
      continue;
    }
    try {
      while (k < fileEnd && segs[k] === seg) {
        // One read per span of nearby records (other sessions' records in between are read and skipped).
        const start = offs[k]!;
        let j = k;
        let end = start + lens[k]!;
        while (
          j + 1 < fileEnd && segs[j + 1] === seg && offs[j + 1]! + lens[j + 1]! - start <= READ_SPAN_BYTES
        ) {
          j++;
          end = offs[j]! + lens[j]!;
        }
        const buf = new Uint8Array(end - start);
        await file.seek(start, Deno.SeekMode.Start);
        let read = 0;
        while (read < buf.length) {
          const m = await file.read(buf.subarray(read));
          if (m === null || m === 0) break;
          read += m;
        }
        const dv = dataViewOf(buf);
        for (; k <= j; k++) check(buf, dv, offs[k]! - start, read, k, "");
      }
    } finally {
      file.close();
    }
  }
  const out: StoredMessage[] = [];
  for (let q = 0; q < n; q++) if (got[q] !== undefined) out.push(got[q]!);
  return out;
}

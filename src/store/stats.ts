/** `fixg journal stats`: message counts per type, session and second, and sizes. Read-only. */
import { beginStringOf, JournalReader, msgTypeOf } from "./record_reader.ts";

/** Counts of one MsgType. */
export interface TypeStats {
  msgType: string;
  /** BeginString of the first message of this type (to name it with the right dictionary). */
  beginString: string;
  in: number;
  out: number;
  bytes: number;
}

/** What `fixg journal stats` reports. */
export interface JournalStats {
  dir: string;
  segments: number;
  bytes: number;
  records: { message: number; "seq-reset": number; "set-seq": number; "session-open": number };
  damagedRegions: number;
  byType: TypeStats[];
  bySession: Array<{ key: string; in: number; out: number }>;
  messageBytes: { min: number; max: number; avg: number; total: number };
  /** Wall-clock span of the messages and their rate. */
  rate: {
    firstMs: number;
    lastMs: number;
    seconds: number;
    avgPerSecond: number;
    peakPerSecond: number;
    peakAtMs: number;
  } | undefined;
}

/** Message counts per type, session and second, and sizes. */
export function journalStats(
  dir: string,
  options: { onProgress?: (doneBytes: number, totalBytes: number) => void } = {},
): JournalStats {
  const reader = JournalReader.open(dir);
  const types = new Map<string, TypeStats>();
  const sessions = new Map<number, { key: string; in: number; out: number }>();
  const records = { message: 0, "seq-reset": 0, "set-seq": 0, "session-open": 0 };
  let damaged = 0;
  let min = Infinity, max = 0, total = 0;
  let firstMs = Infinity, lastMs = 0;
  let curSec = -1, curCount = 0, peak = 0, peakAt = 0;
  let done = 0;
  reader.forEach((r) => {
    records[r.type]++;
    if (r.type !== "message") return;
    const t = msgTypeOf(r.payload);
    let ts = types.get(t);
    if (ts === undefined) {
      types.set(t, ts = { msgType: t, beginString: beginStringOf(r.payload), in: 0, out: 0, bytes: 0 });
    }
    let ss = sessions.get(r.sessionId);
    if (ss === undefined) sessions.set(r.sessionId, ss = { key: r.sessionKey, in: 0, out: 0 });
    const n = r.payload.length;
    if (r.direction === "in") {
      ts.in++;
      ss.in++;
    } else {
      ts.out++;
      ss.out++;
    }
    ts.bytes += n;
    total += n;
    if (n < min) min = n;
    if (n > max) max = n;
    if (r.wallMs < firstMs) firstMs = r.wallMs;
    if (r.wallMs > lastMs) lastMs = r.wallMs;
    const sec = Math.floor(r.wallMs / 1000);
    if (sec !== curSec) {
      curSec = sec;
      curCount = 0;
    }
    curCount++;
    if (curCount > peak) {
      peak = curCount;
      peakAt = sec * 1000;
    }
  }, {
    onDamage: (d) => {
      if (reader.isProblem(d)) damaged++;
    },
    onSegmentDone: (s) => options.onProgress?.(done += s.bytes, reader.totalBytes),
  });
  const count = records.message;
  const seconds = count === 0 ? 0 : Math.max((lastMs - firstMs) / 1000, 0);
  return {
    dir: reader.dir,
    segments: reader.segments.length,
    bytes: reader.totalBytes,
    records,
    damagedRegions: damaged,
    byType: [...types.values()].sort((a, b) =>
      b.in + b.out - (a.in + a.out) || (a.msgType < b.msgType ? -1 : 1)
    ),
    bySession: [...sessions.values()],
    messageBytes: count === 0
      ? { min: 0, max: 0, avg: 0, total: 0 }
      : { min, max, avg: total / count, total },
    rate: count === 0 ? undefined : {
      firstMs,
      lastMs,
      seconds,
      avgPerSecond: seconds > 0 ? count / seconds : count,
      peakPerSecond: peak,
      peakAtMs: peakAt,
    },
  };
}

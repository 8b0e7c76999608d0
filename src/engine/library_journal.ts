/**
 * What the engine's endpoint reads back for a claim: the inbound application messages to replay and the
 * ClOrdIDs already sent, from the file journal (scanJournal) or, without one, from a ring in memory.
 */
import { MessageView } from "../codec/mod.ts";
import { JournalReader, listSegments, msgTypeOf, type SegmentInfo } from "../store/reader.ts";
import type { LibraryConn, Slot } from "./library_conn.ts";

/**
 * Admin MsgTypes the engine keeps to itself. A session-level Reject (35=3) is the exception: it answers a
 * message a library sent, so it goes to the holder (live and replayed) like an application message.
 */
export const ADMIN: ReadonlySet<string> = new Set(["0", "1", "2", "4", "5", "A"]);

/** Inbound messages to replay, ascending, in batches (each held only while it is sent). */
export type ReplayBatches =
  | AsyncIterable<ReadonlyArray<{ seq: number; raw: Uint8Array }>>
  | Iterable<ReadonlyArray<{ seq: number; raw: Uint8Array }>>;

/** What a claim reads from the journal for one session's newest epoch. */
export interface JournalScan {
  /** How many inbound application messages (and 35=3) with MsgSeqNum above `after` there are. */
  inboundCount: number;
  /**
   * Those messages, ascending, in batches: the bytes the scan kept (at most `keepBytes` in all), the
   * rest read again from their segments one segment at a time, so a replay of a long journal never holds
   * more than about a segment in memory. Throws when a segment went meanwhile (retention).
   */
  inbound: () => ReplayBatches;
  /** ClOrdID (11) -> MsgSeqNum of the outbound application messages (the first send of each), oldest first. */
  sent: Map<string, number>;
  /** Segments read (the scan walks back from the newest only as far as it needs). */
  segmentsRead: number;
}

/** Bytes of replayed messages a scan keeps from its first read; beyond it, segments are read again. */
export const SCAN_KEEP_BYTES = 8 * 1024 * 1024;

/** One segment's share of a scan: the inbound messages wanted from it (bytes when kept), its ClOrdIDs. */
interface ScanPart {
  segment: SegmentInfo;
  inbound: Array<{ seq: number; raw: Uint8Array | undefined }>;
  sent: Array<[string, number]>;
}

/**
 * Reads one session's newest epoch from the journal, walking back from the newest segment: inbound
 * application messages (and 35=3) after `after`, and the ClOrdIDs of the last `maxSent` outbound ones.
 * It stops at the segment whose session table shows both covered (every segment starts with one), or
 * where the epoch or the session began, and yields to the event loop between segments: a long journal
 * does not stall the sessions. Of the inbound messages it keeps the bytes of the newest up to
 * `keepBytes`; `inbound()` reads the others again when the replay gets to them.
 */
export async function scanJournal(
  dir: string,
  key: string,
  after: number,
  maxSent = 10_000,
  keepBytes = SCAN_KEEP_BYTES,
): Promise<JournalScan> {
  const segments = listSegments(dir);
  const view = new MessageView();
  let epoch = -1;
  /** Per segment read, newest first. */
  const parts: ScanPart[] = [];
  let sentCount = 0;
  let kept = 0;
  let read = 0;
  for (let i = segments.length - 1; i >= 0; i--) {
    if (read > 0) await new Promise((r) => setTimeout(r, 0));
    read++;
    const part: ScanPart = { segment: segments[i]!, inbound: [], sent: [] };
    let open: { epoch: number; nextSender: number; nextTarget: number } | undefined;
    let reset = false;
    const records: Array<
      { epoch: number; type: string; dir: string | undefined; seq: number; raw: Uint8Array }
    > = [];
    JournalReader.ofSegments(dir, [segments[i]!]).forEach((r) => {
      if (r.sessionKey !== key) return;
      if (r.type === "session-open" && open === undefined) {
        open = { epoch: r.epoch, nextSender: r.seq, nextTarget: r.seq2 };
        return;
      }
      if (r.type === "seq-reset") reset = true;
      if (r.type !== "message") return;
      // The payload is a view of the segment's buffer: the records of this segment go with it.
      records.push({
        epoch: r.epoch,
        type: msgTypeOf(r.payload),
        dir: r.direction,
        seq: r.seq,
        raw: r.payload,
      });
    });
    if (epoch < 0) {
      // The newest segment names the current epoch (its session table, or a reset in it).
      for (const r of records) epoch = Math.max(epoch, r.epoch);
      if (open !== undefined) epoch = Math.max(epoch, open.epoch);
      if (epoch < 0) continue; // The session has nothing here yet.
    }
    // Newest segment first, newest message first within it: the bytes kept are those of the newest.
    for (let k = records.length - 1; k >= 0; k--) {
      const r = records[k]!;
      if (r.epoch !== epoch || ADMIN.has(r.type)) continue;
      if (r.dir === "out") {
        const id = view.parseInto(r.raw, 0, r.raw.length).getString(11);
        if (id !== undefined) {
          part.sent.push([id, r.seq]);
          sentCount++;
        }
      } else if (r.seq > after) {
        const keep = kept + r.raw.length <= keepBytes;
        if (keep) kept += r.raw.length;
        part.inbound.push({ seq: r.seq, raw: keep ? r.raw.slice() : undefined });
      }
    }
    part.sent.reverse();
    part.inbound.reverse();
    parts.push(part);
    const o = open as { epoch: number; nextSender: number; nextTarget: number } | undefined;
    // Done when this segment began in an older epoch or before the session (the epoch started here), or
    // when its session table shows every inbound message after `after` and enough sends in here or later.
    if (o === undefined || o.epoch !== epoch || (reset && o.epoch < epoch)) break;
    if (o.nextTarget <= after + 1 && (o.nextSender <= 1 || sentCount >= maxSent)) break;
  }
  // Oldest first; a MsgSeqNum journaled twice in the epoch (an operator set the expected number back)
  // is replayed as first received.
  parts.reverse();
  const seen = new Set<number>();
  const sent = new Map<string, number>();
  let inboundCount = 0;
  for (const part of parts) {
    part.inbound = part.inbound.filter((m) => !seen.has(m.seq) && seen.add(m.seq) !== undefined);
    inboundCount += part.inbound.length;
    for (const [id, seq] of part.sent) if (!sent.has(id)) sent.set(id, seq);
  }
  seen.clear();
  const wanted = parts.filter((p) => p.inbound.length > 0);
  return { inboundCount, inbound: () => replayBatches(dir, key, epoch, wanted), sent, segmentsRead: read };
}

/**
 * The planned messages in MsgSeqNum order: parts whose numbers interleave go in one batch (sorted), the
 * others a batch each; bytes not kept are read again from the part's segment.
 */
async function* replayBatches(
  dir: string,
  key: string,
  epoch: number,
  parts: ScanPart[],
): AsyncGenerator<ReadonlyArray<{ seq: number; raw: Uint8Array }>> {
  const range = (p: ScanPart) => {
    let lo = Infinity, hi = -Infinity;
    for (const m of p.inbound) [lo, hi] = [Math.min(lo, m.seq), Math.max(hi, m.seq)];
    return [lo, hi] as const;
  };
  for (let i = 0; i < parts.length;) {
    let [, hi] = range(parts[i]!);
    let j = i + 1;
    for (; j < parts.length; j++) {
      const [lo2, hi2] = range(parts[j]!);
      if (lo2 > hi) break;
      hi = Math.max(hi, hi2);
    }
    const batch: Array<{ seq: number; raw: Uint8Array }> = [];
    for (const p of parts.slice(i, j)) {
      if (p.inbound.some((m) => m.raw === undefined)) await reread(dir, key, epoch, p);
      for (const m of p.inbound) batch.push({ seq: m.seq, raw: m.raw! });
      p.inbound = [];
    }
    batch.sort((a, b) => a.seq - b.seq);
    yield batch;
    i = j;
  }
}

/** Fills in the bytes of `part`'s messages not kept, from its segment (the first record of each number). */
async function reread(dir: string, key: string, epoch: number, part: ScanPart): Promise<void> {
  const missing = new Map<number, { seq: number; raw: Uint8Array | undefined }>();
  for (const m of part.inbound) if (m.raw === undefined) missing.set(m.seq, m);
  await new Promise((r) => setTimeout(r, 0));
  try {
    JournalReader.ofSegments(dir, [part.segment]).forEach((r) => {
      if (r.sessionKey !== key || r.type !== "message" || r.epoch !== epoch || r.direction === "out") return;
      const m = missing.get(r.seq);
      if (m === undefined) return;
      m.raw = r.payload.slice();
      missing.delete(r.seq);
    });
  } catch (e) {
    throw new Error(
      `journal segment ${part.segment.file} unreadable during the replay: ${
        e instanceof Error ? e.message : e
      }`,
    );
  }
  if (missing.size > 0) {
    throw new Error(
      `journal segment ${part.segment.file} changed during the replay (${missing.size} messages gone)`,
    );
  }
}

/** The last `size` inbound messages of a session (memory store replays), oldest overwritten. */
export class Ring {
  readonly #items: Array<{ seq: number; raw: Uint8Array }> = [];
  #next = 0;
  constructor(readonly size: number) {}

  push(seq: number, raw: Uint8Array): void {
    if (this.#items.length < this.size) this.#items.push({ seq, raw });
    else this.#items[this.#next] = { seq, raw };
    this.#next = (this.#next + 1) % this.size;
  }

  /** Messages with MsgSeqNum above `seq`, oldest first. */
  after(seq: number): Array<{ seq: number; raw: Uint8Array }> {
    const n = this.#items.length;
    const start = n < this.size ? 0 : this.#next;
    const out: Array<{ seq: number; raw: Uint8Array }> = [];
    for (let i = 0; i < n; i++) {
      const m = this.#items[(start + i) % n]!;
      if (m.seq > seq) out.push(m);
    }
    return out;
  }
}

/**
 * A claim's replay to its library: `old` (read back in ascending batches, each read when the one before
 * is sent) above `last` as replayed MESSAGEs, LIVE,
 * then the live messages held in `slot.pending` meanwhile (more arrive while this runs), none twice; then
 * `slot.pending` is cleared and live messages go straight to the library. Paced: whenever more than
 * `paceBytes` wait to be written to the library it waits for them to be written, so a replay larger than
 * the library's `maxQueuedBytes` does not get a library that reads drop as too slow (held messages count
 * towards that limit: library_server.ts #onMessage). Ends early when the library goes, releases the session,
 * or claims it again (`slot.replaying` is no longer `token`).
 */
export async function sendReplay(
  c: LibraryConn,
  slot: Slot,
  token: object,
  last: number,
  old: ReplayBatches,
  paceBytes: number,
): Promise<void> {
  const key = slot.key;
  const gone = () => c.closed || slot.holder !== c || slot.replaying !== token;
  /** False when the replay must end. */
  const pace = async (): Promise<boolean> => {
    if (gone()) return false;
    if (c.queuedBytes <= paceBytes) return true;
    await c.drained();
    return !gone();
  };
  let top = last;
  let count = 0;
  for await (const batch of old) {
    for (const m of batch) {
      if (m.seq <= top) continue;
      if (!(await pace())) return;
      c.send({ type: "message", key, seq: m.seq, replayed: true, raw: m.raw });
      top = m.seq;
      count++;
    }
    if (gone()) return;
  }
  c.send({ type: "live", key, replayed: count });
  for (;;) {
    const held = slot.pending;
    if (held === undefined || gone()) return;
    if (held.length === 0) {
      slot.pending = undefined;
      slot.replaying = undefined;
      return;
    }
    slot.pending = [];
    slot.pendingBytes = 0;
    for (const m of held) {
      if (m.seq <= top) continue;
      if (!(await pace())) return;
      c.send({ type: "message", key, seq: m.seq, replayed: false, raw: m.raw });
      top = m.seq;
    }
  }
}

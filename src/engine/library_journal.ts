/**
 * What the engine's endpoint reads back for a claim: the inbound application messages to replay and the
 * ClOrdIDs already sent, from the file journal (scanJournal) or, without one, from a ring in memory.
 */
import { MessageView } from "../codec/mod.ts";
import { JournalReader, listSegments, msgTypeOf } from "../store/reader.ts";
import type { LibraryConn, Slot } from "./library_conn.ts";

/**
 * Admin MsgTypes the engine keeps to itself. A session-level Reject (35=3) is the exception: it answers a
 * message a library sent, so it goes to the holder (live and replayed) like an application message.
 */
export const ADMIN: ReadonlySet<string> = new Set(["0", "1", "2", "4", "5", "A"]);

/** What a claim reads from the journal for one session's newest epoch. */
export interface JournalScan {
  /** Inbound application messages with MsgSeqNum above `after`, ascending. */
  inbound: Array<{ seq: number; raw: Uint8Array }>;
  /** ClOrdID (11) -> MsgSeqNum of the outbound application messages (the first send of each), oldest first. */
  sent: Map<string, number>;
  /** Segments read (the scan walks back from the newest only as far as it needs). */
  segmentsRead: number;
}

/**
 * Reads one session's newest epoch from the journal, walking back from the newest segment: inbound
 * application messages (and 35=3) after `after`, and the ClOrdIDs of the last `maxSent` outbound ones.
 * It stops at the segment whose session table shows both covered (every segment starts with one), or
 * where the epoch or the session began, and yields to the event loop between segments: a long journal
 * does not stall the sessions.
 */
export async function scanJournal(
  dir: string,
  key: string,
  after: number,
  maxSent = 10_000,
): Promise<JournalScan> {
  const segments = listSegments(dir);
  const view = new MessageView();
  let epoch = -1;
  /** Per segment read, newest first. */
  const parts: Array<{ inbound: Array<{ seq: number; raw: Uint8Array }>; sent: Array<[string, number]> }> =
    [];
  let sentCount = 0;
  let read = 0;
  for (let i = segments.length - 1; i >= 0; i--) {
    if (read > 0) await new Promise((r) => setTimeout(r, 0));
    read++;
    const part = {
      inbound: [] as Array<{ seq: number; raw: Uint8Array }>,
      sent: [] as Array<[string, number]>,
    };
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
      records.push({
        epoch: r.epoch,
        type: msgTypeOf(r.payload),
        dir: r.direction,
        seq: r.seq,
        raw: r.payload.slice(),
      });
    });
    if (epoch < 0) {
      // The newest segment names the current epoch (its session table, or a reset in it).
      for (const r of records) epoch = Math.max(epoch, r.epoch);
      if (open !== undefined) epoch = Math.max(epoch, open.epoch);
      if (epoch < 0) continue; // The session has nothing here yet.
    }
    for (const r of records) {
      if (r.epoch !== epoch || ADMIN.has(r.type)) continue;
      if (r.dir === "out") {
        const id = view.parseInto(r.raw, 0, r.raw.length).getString(11);
        if (id !== undefined) {
          part.sent.push([id, r.seq]);
          sentCount++;
        }
      } else if (r.seq > after) part.inbound.push({ seq: r.seq, raw: r.raw });
    }
    parts.push(part);
    const o = open as { epoch: number; nextSender: number; nextTarget: number } | undefined;
    // Done when this segment began in an older epoch or before the session (the epoch started here), or
    // when its session table shows every inbound message after `after` and enough sends in here or later.
    if (o === undefined || o.epoch !== epoch || (reset && o.epoch < epoch)) break;
    if (o.nextTarget <= after + 1 && (o.nextSender <= 1 || sentCount >= maxSent)) break;
  }
  const bySeq = new Map<number, Uint8Array>();
  const sent = new Map<string, number>();
  for (let k = parts.length - 1; k >= 0; k--) {
    for (const m of parts[k]!.inbound) if (!bySeq.has(m.seq)) bySeq.set(m.seq, m.raw);
    for (const [id, seq] of parts[k]!.sent) if (!sent.has(id)) sent.set(id, seq);
  }
  return {
    inbound: [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map(([seq, raw]) => ({ seq, raw })),
    sent,
    segmentsRead: read,
  };
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
 * A claim's replay to its library: `old` (read back, ascending) above `last` as replayed MESSAGEs, LIVE,
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
  old: Array<{ seq: number; raw: Uint8Array }>,
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
  for (const m of old) {
    if (m.seq <= top) continue;
    if (!(await pace())) return;
    c.send({ type: "message", key, seq: m.seq, replayed: true, raw: m.raw });
    top = m.seq;
    count++;
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

/**
 * The journal's side of the high-water marks (the file itself is ./highwater.ts): before an outbound
 * number can reach the socket under `fsync: batch` or `none` it must lie inside a synced reservation;
 * exact marks at close and when a write fails; and at start-up the numbers the previous run may have
 * sent without journaling them, which the session then skips (gap-fills) instead of reusing.
 */
import { EnvironmentError } from "../errors.ts";
import { crc32c } from "./crc32c.ts";
import { HighWaterFile, type HighWaterMark, type HighWaterSlot, readHighWater } from "./highwater.ts";
import type { ResolvedOptions } from "./journal_options.ts";
import { MAX_SEQ, type SessionState, type SessionTable } from "./journal_state.ts";
import { errorText } from "./lock.ts";

/** A session whose next sender number the marks raise at this start, and why. */
export interface SeqFloor {
  s: SessionState;
  floor: number;
  why: string;
  /** A sequence reset the journal lost: the session starts this epoch at the floor (see open()). */
  epoch?: number;
}

/** The high-water marks of one open journal. */
export class SeqReservations {
  readonly #o: ResolvedOptions;
  readonly #sessions: SessionTable;
  /** Fails the journal (a reservation that cannot be synced) and returns the error appends now get. */
  readonly #fail: (e: unknown) => EnvironmentError;
  #hw: HighWaterFile | undefined;
  /** Highest slot generation per session id in HIGHWATER at open: a new session's slots continue above it. */
  #hwGenerations = new Map<number, number>();
  /** Sessions whose next sender number the marks raise at this start: applied after the session table. */
  #floors: SeqFloor[] = [];
  /** Reservations of sessions the journal does not know (lost whole), for `lostSession`. */
  #others = new Map<number, HighWaterMark & { keyCrc: number }>();

  constructor(o: ResolvedOptions, sessions: SessionTable, fail: (e: unknown) => EnvironmentError) {
    this.#o = o;
    this.#sessions = sessions;
    this.#fail = fail;
  }

  /**
   * Reads the marks the previous run left and opens the file for this one. A number that may have
   * reached the counterparty but is not in the journal (a failed write, or records lost to a power cut
   * inside the batch window) raises the session's next sender number above it: those numbers are
   * gap-filled on resend, never handed out again.
   */
  open(droppedRecords = false, lastSealed = false): void {
    const keys = new Map<number, string>();
    for (const s of this.#sessions.values()) keys.set(s.id, s.key);
    const read = readHighWater(this.#o.dir, keys);
    const rebooted = read.bootId === "" || this.#o.bootId === "" || read.bootId !== this.#o.bootId;
    this.#hwGenerations = read.generations;
    this.#others = read.others;
    // The slots of a session the journal lost whole hold its reservation under its old id: a session new
    // to the journal must not take that id, or its marks overwrite the reservation (two writes: a run's
    // first reservation and its close) and the lost session, opened later, starts again at 1.
    for (const id of read.others.keys()) {
      if (id >= this.#sessions.nextId) this.#sessions.nextId = id + 1;
    }
    for (const s of this.#sessions.values()) {
      const m = read.marks.get(s.id);
      s.hw = HighWaterFile.slot(s.id, s.key, read.generations.get(s.id) ?? 0);
      if (m === undefined) continue;
      // Exact marks (clean close, failed write) always count. A reservation counts when the run did not
      // close cleanly and either its journal failed or the machine restarted: within one boot the
      // kernel kept every record written before its message reached the socket. It counts too when
      // records were dropped since (a damaged tail truncated at this start, a region skipped, or
      // `fixg journal repair`): what they held may have been sent.
      const repaired = read.state === "repaired";
      // A run that did not close writes its newest segment without an index (sealing happens at rotation,
      // once the next segment holds its first records, and at a clean close): a sealed newest segment after
      // such a run means the segment it was writing is gone (deleted by hand), and its numbers with it. Only
      // a reservation of the journal's own epoch counts so: the same picture follows a crash of a start
      // between creating its segment file and writing it, or `repair` indexing a crashed journal, where a later
      // epoch's reservation is of a reset never written (never sent), and starting that epoch would be a
      // reset the counterparty never saw. Skipping numbers is harmless; a spurious reset is not.
      const lostNewest = lastSealed && read.state === "running" && m.epoch === s.epoch;
      const counts = m.exact || read.state === "failed" || read.state === undefined || repaired ||
        droppedRecords || lostNewest || (read.state === "running" && rebooted);
      if (!counts) continue;
      if (m.epoch > s.epoch) {
        // A reset lost with its batch (power cut) after the new epoch's numbers were reserved: going on
        // in the old epoch would hand the counterparty (which reset with us) old-epoch messages as
        // PossDup resends under numbers it has seen in the new one. The writer starts the new epoch.
        const why = read.state === "failed"
          ? "the journal's last write failed"
          : "the machine restarted before it was synced";
        this.#floors.push({ s, floor: m.mark + 1, why, epoch: m.epoch });
        continue;
      }
      if (m.epoch === s.epoch && m.mark >= s.nextSender) {
        const why = m.exact
          ? read.state === "failed"
            ? "the journal's last write failed"
            : "they were handed out before the last close"
          : read.state === "failed"
          ? "the journal's last write failed"
          : droppedRecords
          ? "damaged records were dropped at this start"
          : repaired
          ? "damaged records were removed since the last run (fixg journal repair, or a start that did not finish)"
          : lostNewest && !rebooted
          ? "the last run did not close, yet its newest segment is sealed: the segment it was writing is missing"
          : "the machine restarted before they were synced";
        this.#floors.push({ s, floor: m.mark + 1, why });
      }
    }
    try {
      // The floors are known from what the header is about to lose (the previous run's boot id, "failed",
      // "repaired") or from records this start dropped (gone from the segment once truncated): they become
      // exact marks, synced, before the header says "running" for this boot. A start that fails after
      // this (a full disk when the new segment is created) leaves them for the next start, which would
      // otherwise take the reservations for a process crash in this boot and hand their numbers out again.
      this.#hw = HighWaterFile.open(this.#o.dir, this.#o.bootId, (f) => {
        for (const { s, floor, epoch } of this.#floors) {
          f.writeSync(this.#slot(s), epoch ?? s.epoch, floor - 1, true);
        }
      });
    } catch (e) {
      throw new EnvironmentError(
        `Cannot write the journal's high-water marks "${this.#o.dir}/HIGHWATER": ${errorText(e)}`,
        { cause: e, exitCode: 2 },
      );
    }
  }

  /**
   * A session new to the journal that HIGHWATER knows under its key: the journal lost it whole (its
   * session-open record and first messages were in the batch a power cut lost), and numbers up to the
   * mark may have reached the counterparty. Returns that slot's epoch and mark (once), or undefined.
   */
  lostSession(key: string): { epoch: number; mark: number } | undefined {
    const keyCrc = crc32c(new TextEncoder().encode(key));
    // Several ids may hold the key (a lost session comes back under a new id, and the directory is then
    // emptied of its segments): the newest epoch's highest mark is what may have been sent.
    let best: HighWaterMark | undefined;
    for (const [id, m] of this.#others) {
      if (m.keyCrc !== keyCrc) continue;
      this.#others.delete(id);
      if (m.mark < 1) continue;
      if (best === undefined || m.epoch > best.epoch || (m.epoch === best.epoch && m.mark > best.mark)) {
        best = m;
      }
    }
    if (best === undefined) return undefined;
    return { epoch: Math.max(1, best.epoch), mark: Math.min(best.mark, MAX_SEQ - 1) };
  }

  /** Closes the file (no marks written: see writeExactMarks). */
  close(): void {
    this.#hw?.close();
    this.#hw = undefined;
  }

  /** Makes sure outbound `seq` is covered by a synced reservation before its message can leave. */
  reserve(s: SessionState, seq: number): void {
    const hw = this.#hw;
    if (hw === undefined || this.#o.fsync === "always") {
      // `always` holds every message until its record is durable: nothing to reserve.
      s.reserveAt = MAX_SEQ;
      return;
    }
    const slot = this.#slot(s);
    if (s.reserveBlock === 0) s.reserveBlock = this.#o.seqReserve;
    if (s.reservedEpoch !== s.epoch || seq > s.reserved) {
      // Not covered: wait for a synchronous reservation (rare: the background one was too slow). A
      // burst that outruns the background reservations (one task appending thousands of messages)
      // gets larger blocks, so it pays one fdatasync per block, not per seqReserve numbers.
      const now = this.#o.nowUs() / 1000;
      if (s.reservedEpoch === s.epoch && now - s.lastSyncReserveMs < 1000) {
        s.reserveBlock = Math.min(s.reserveBlock * 2, this.#o.seqReserve * 16);
      }
      s.lastSyncReserveMs = now;
      const r = s.reserveBlock;
      const mark = Math.min(seq - 1 + r, MAX_SEQ);
      try {
        s.reservedGen = hw.writeSync(slot, s.epoch, mark, false);
      } catch (e) {
        throw this.#fail(e);
      }
      s.reserved = mark;
      s.reservedEpoch = s.epoch;
      s.reserveAt = mark - (r >> 1);
      return;
    }
    // Half the block used: reserve the next one in the background.
    s.reserveAt = s.reserved;
    if (slot.asyncSlot >= 0) return;
    const r = s.reserveBlock;
    const epoch = s.epoch;
    const mark = Math.min(seq + r, MAX_SEQ);
    hw.writeAsync(slot, epoch, mark).then((g) => {
      if (g > s.reservedGen && s.epoch === epoch) {
        s.reservedGen = g;
        s.reserved = mark;
        s.reservedEpoch = epoch;
        s.reserveAt = mark - (r >> 1);
      }
    }, (e) => {
      // The next number above the reservation tries synchronously, and fails the journal if it must.
      this.#o.onWarning(`journal "${this.#o.dir}": could not write ${hw.path} (${errorText(e)})`);
    });
  }

  /**
   * Exact marks for every session (what was handed out), then the file's state. A session whose
   * seq-reset record was never written (`resetBatch` still set after the writer settled it: its batch's
   * write failed) gets the epoch before the reset and the numbers handed out in it: nothing of the new
   * epoch reached the counterparty, which is still in the old one (and its reservation of the new
   * epoch, already in the file, must not make the next start begin that epoch).
   */
  writeExactMarks(state: "closed" | "failed"): void {
    const hw = this.#hw;
    if (hw === undefined) return;
    try {
      for (const s of this.#sessions.values()) {
        if (s.resetBatch !== 0) hw.writeSync(this.#slot(s), s.wireEpoch, s.wireMark, true, false);
        else hw.writeSync(this.#slot(s), s.epoch, Math.max(s.nextSender - 1, s.failedOut), true, false);
      }
      // One fdatasync for every slot and the state.
      hw.writeState(state);
    } catch (e) {
      this.#o.onWarning(`journal "${this.#o.dir}": could not write ${hw.path} (${errorText(e)})`);
    }
  }

  /**
   * An outbound message appended after a failure may still reach the wire: its number is recorded. Not
   * in an epoch whose seq-reset record was never written (`resetBatch` set): the engine sends nothing
   * whose records are not in the file, so the counterparty is still in the epoch before, whose exact
   * mark stays.
   */
  outAfterFailure(s: SessionState, seq: number): void {
    if (s.resetBatch !== 0) return;
    if (!Number.isInteger(seq) || seq <= s.failedOut || seq < s.nextSender || seq > MAX_SEQ) return;
    s.failedOut = seq;
    const hw = this.#hw;
    if (hw === undefined) return;
    try {
      hw.writeSync(this.#slot(s), s.epoch, Math.max(s.nextSender - 1, seq), true);
    } catch { /* the failure was reported; the reservation still covers it */ }
  }

  /** The sessions the marks raise (once: the writer applies them after the new segment's session table). */
  takeFloors(): SeqFloor[] {
    const f = this.#floors;
    this.#floors = [];
    return f;
  }

  /** Resolves when no background reservation is in flight. */
  idle(): Promise<void> {
    return this.#hw?.idle() ?? Promise.resolve();
  }

  /** True while the marks file is open. */
  get isOpen(): boolean {
    return this.#hw !== undefined;
  }

  #slot(s: SessionState): HighWaterSlot {
    return s.hw ??= HighWaterFile.slot(s.id, s.key, this.#hwGenerations.get(s.id) ?? 0);
  }
}

/**
 * The file journal's state and machinery behind FileJournal (./journal.ts): frames records into the
 * open batch, rotates segments, hands batches to the commit stages (./journal_commit.ts), keeps the
 * high-water reservations (./journal_reservations.ts), serves resends (./journal_resend.ts), applies
 * retention and closes. Start-up recovery is ./journal_recovery.ts.
 */
import { EnvironmentError, FixgError } from "../errors.ts";
import {
  DirCode,
  indexFileName,
  MAX_PAYLOAD_BYTES,
  RECORD_HEADER_BYTES,
  RecordType,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  sessionOpenPayload,
  writeRecord,
  writeSegmentHeader,
} from "./format.ts";
import { IndexBuilder } from "./index_format.ts";
import { syncDirectory, writeIndex, writeIndexSync } from "./files.ts";
import {
  type Batch,
  type CommitHost,
  GroupCommit,
  growBatch,
  promiseOf,
  rejected,
} from "./journal_commit.ts";
import type { ResolvedOptions } from "./journal_options.ts";
import { recoverJournal } from "./journal_recovery.ts";
import { readOutbound } from "./journal_resend.ts";
import { SeqReservations } from "./journal_reservations.ts";
import { checkSeq, newState, type SealedSegment, type SessionState, SessionTable } from "./journal_state.ts";
import { errorText, type JournalLock } from "./lock.ts";
import { isLogonFrame, redactLogon } from "./secrets.ts";
import type { SeqNums, SessionStore, StoredMessage } from "./types.ts";

const EMPTY = new Uint8Array(0);

/** One session's view of the journal. */
export class JournalSessionStore implements SessionStore {
  readonly sessionKey: string;
  readonly #w: JournalWriter;
  readonly #s: SessionState;

  constructor(w: JournalWriter, s: SessionState) {
    this.#w = w;
    this.#s = s;
    this.sessionKey = s.key;
  }

  get durableBeforeSend(): boolean {
    return this.#w.o.fsync === "always";
  }

  seqNums(): SeqNums {
    return { nextSenderSeq: this.#s.nextSender, nextTargetSeq: this.#s.nextTarget };
  }

  creationTimeMs(): number {
    return this.#s.creationMs;
  }

  appendOutbound(seq: number, bytes: Uint8Array): void | Promise<void> {
    return this.#w.appendMessage(this.#s, DirCode.Out, seq, bytes);
  }

  appendInbound(seq: number, bytes: Uint8Array): void | Promise<void> {
    return this.#w.appendMessage(this.#s, DirCode.In, seq, bytes);
  }

  setNextTargetSeq(seq: number): void | Promise<void> {
    return this.#w.setSeq(this.#s, this.#s.nextSender, seq);
  }

  setNextSenderSeq(seq: number): void | Promise<void> {
    return this.#w.setSeq(this.#s, seq, this.#s.nextTarget);
  }

  getOutbound(from: number, to: number): Promise<StoredMessage[]> {
    return this.#w.readOutbound(this.#s, from, to);
  }

  reset(nowMs: number): void | Promise<void> {
    return this.#w.reset(this.#s, nowMs);
  }

  flush(): Promise<void> {
    return this.#w.flush();
  }

  writeAppended(): Promise<void> | undefined {
    return this.#w.writeAppended();
  }

  close(): Promise<void> {
    if (this.#s.handle === this) this.#s.handle = undefined;
    return Promise.resolve();
  }
}

/** The journal's state and machinery; FileJournal and JournalSessionStore are its faces. */
export class JournalWriter implements CommitHost {
  readonly o: ResolvedOptions;
  readonly #lock: JournalLock;
  readonly #sessions = new SessionTable();
  #sealed: SealedSegment[] = [];
  readonly #commit: GroupCommit;
  readonly #marks: SeqReservations;

  // The segment being appended to (logically: bytes may still wait in batches).
  #segment = 0;
  #segPos = 0;
  #segHeadEnd = 0;
  #segIndex = new IndexBuilder();
  #segLastWallMs = 0;

  #writeArmed = false;
  #wallFresh = false;
  #wallBase = 0;
  #monoBase = 0;
  #closed = false;

  constructor(o: ResolvedOptions, lock: JournalLock) {
    this.o = o;
    this.#lock = lock;
    this.#commit = new GroupCommit(o, this);
    this.#marks = new SeqReservations(o, this.#sessions, (e) => this.#commit.fail(e));
  }

  /** The segment records are framed into. */
  get segment(): number {
    return this.#segment;
  }

  /** Where the next record of the current segment goes. */
  get segPos(): number {
    return this.#segPos;
  }

  /** Recovery dropped records (a damaged tail, a skipped region): the marks' reservations count. */
  #droppedAtOpen = false;
  /** The newest segment was sealed before this start (see Recovered.lastSealed). */
  #lastSealedAtOpen = false;

  /** Rebuilds every session from the segments (./journal_recovery.ts), then applies retention. */
  recover(): void {
    const r = recoverJournal(this.o, this.#sessions);
    this.#sealed = r.sealed;
    this.#segment = r.lastSegment;
    this.#droppedAtOpen = r.droppedRecords;
    this.#lastSealedAtOpen = r.lastSealed;
    this.applyRetention(this.o.clock.wallMs());
  }

  /** Reads the marks the previous run left and opens the marks file for this one. */
  openHighWater(): void {
    this.#marks.open(this.#droppedAtOpen, this.#lastSealedAtOpen);
  }

  closeHighWater(): void {
    this.#marks.close();
  }

  /** CommitHost: the old segment's file is synced and closed; its index is written, retention applied. */
  async sealed(s: SealedSegment): Promise<void> {
    if (s.index !== undefined) await writeIndex(this.o.dir, s.segment, s.bytes, s.index, this.o.onWarning);
    s.index = undefined;
    this.#sealed.push(s);
    this.applyRetention(this.o.clock.wallMs());
  }

  /**
   * CommitHost: the journal failed; every number appended so far may have been sent, except in an
   * epoch whose seq-reset record was never written (see #settleResets).
   */
  failed(): void {
    this.#settleResets();
    this.#marks.writeExactMarks("failed");
  }

  /**
   * A session's reset whose batch reached the file (write(2)) is no longer pending: from then on its
   * new epoch may be on the wire. One that did not stays pending for good (nothing is written after a
   * failure), and the exact marks keep the epoch before it (SeqReservations.writeExactMarks). Once per
   * failure or close, over the sessions.
   */
  #settleResets(): void {
    const written = this.#commit.writtenId;
    for (const s of this.#sessions.values()) {
      if (s.resetBatch !== 0 && s.resetBatch <= written) s.resetBatch = 0;
    }
  }

  /** Creates the first segment of this run: header plus a session-open record per session, made durable. */
  async startSegment(): Promise<void> {
    const n = this.#segment + 1;
    const path = `${this.o.dir}/${segmentFileName(n)}`;
    this.#commit.openFirst(n);
    this.#beginSegment(this.#commit.pending[0]!, n);
    // After the session table (which repeats what the segments say): the numbers the marks forbid.
    for (const { s, floor, why, epoch } of this.#marks.takeFloors()) {
      if (epoch !== undefined) {
        this.o.onWarning(
          `journal "${this.o.dir}": session ${s.key} reached epoch ${epoch} (outbound MsgSeqNum up to ${
            floor - 1
          } may have reached the counterparty) but the journal holds epoch ${s.epoch} only: a sequence reset was lost (${why}); ` +
            `the session starts epoch ${epoch} itself and resumes at ${floor} (those numbers are gap-filled on resend, nothing of epoch ${s.epoch} is resent; inbound starts again at 1)`,
        );
        this.#beginEpoch(s, epoch, this.o.clock.wallMs());
        s.nextSender = floor;
        this.#frame(RecordType.SetSeq, DirCode.None, s, s.nextSender, s.nextTarget, -1, EMPTY);
        continue;
      }
      this.o.onWarning(
        `journal "${this.o.dir}": session ${s.key}: outbound MsgSeqNum ${s.nextSender}${
          floor - 1 > s.nextSender ? `..${floor - 1}` : ""
        } may have reached the counterparty but ${
          floor - 1 > s.nextSender ? "are" : "is"
        } not in the journal (${why}); the session resumes at ${floor} and gap-fills ${
          floor - 1 > s.nextSender ? "them" : "it"
        } on resend instead of reusing ${floor - 1 > s.nextSender ? "them" : "it"}`,
      );
      s.nextSender = floor;
      this.#frame(RecordType.SetSeq, DirCode.None, s, s.nextSender, s.nextTarget, -1, EMPTY);
    }
    try {
      await this.#commit.drain();
    } catch (e) {
      throw new EnvironmentError(
        `Cannot write journal segment "${path}": ${errorText(e instanceof EnvironmentError ? e.cause : e)}`,
        {
          cause: e,
          exitCode: 2,
        },
      );
    }
    if (this.o.fsync !== "none") syncDirectory(this.o.dir);
  }

  /** Frames a segment header and the session table into batch `b` (which must be empty). */
  #beginSegment(b: Batch, n: number): void {
    const wall = this.o.clock.wallMs();
    writeSegmentHeader(b.buf, 0, {
      segment: n,
      createdMs: wall,
      monoOriginMs: this.o.clock.monoOriginMs,
      pid: Deno.pid,
    });
    b.len = SEGMENT_HEADER_BYTES;
    this.#segment = n;
    this.#segPos = SEGMENT_HEADER_BYTES;
    this.#segIndex = new IndexBuilder();
    this.#segLastWallMs = wall;
    for (const s of this.#sessions.values()) this.#frameSessionOpen(s, wall);
    this.#segHeadEnd = this.#segPos;
  }

  #frameSessionOpen(s: SessionState, wall: number): void {
    this.#frame(
      RecordType.SessionOpen,
      DirCode.None,
      s,
      s.nextSender,
      s.nextTarget,
      wall,
      sessionOpenPayload(s.creationMs, s.key),
    );
    this.#segIndex.keys.set(s.id, { key: s.key, creationMs: s.creationMs });
  }

  // ---------------------------------------------------------------- appends

  openSession(key: string, nowMs: number): SessionStore {
    if (this.#closed) throw new FixgError("STORE_CLOSED", `Journal "${this.o.dir}" is closed`);
    let s = this.#sessions.byKey.get(key);
    if (s === undefined) {
      if (this.#commit.failed) throw this.#commit.failed;
      const lost = this.#marks.lostSession(key);
      s = newState(this.#sessions.nextId, key, lost?.epoch ?? 1, nowMs, 1, 1);
      this.#sessions.register(s);
      this.#frameSessionOpen(s, this.o.clock.wallMs());
      if (lost !== undefined) {
        // Its numbers up to the mark may have reached the counterparty: never handed out again.
        this.o.onWarning(
          `journal "${this.o.dir}": session ${key} is not in the journal but HIGHWATER reserved outbound MsgSeqNum up to ${lost.mark} for it ` +
            `(its first records were lost: the machine restarted before they were synced); the session starts at ${
              lost.mark + 1
            } (those numbers are gap-filled on resend) instead of at 1`,
        );
        s.nextSender = lost.mark + 1;
        this.#frame(RecordType.SetSeq, DirCode.None, s, s.nextSender, s.nextTarget, -1, EMPTY);
      }
      this.#schedule();
    }
    if (s.handle !== undefined) {
      throw new FixgError(
        "STORE_SESSION_OPEN",
        `Session "${key}" is already open in journal "${this.o.dir}"`,
      );
    }
    s.handle = new JournalSessionStore(this, s);
    return s.handle;
  }

  sessionList(): Array<{ sessionKey: string; epoch: number; creationTimeMs: number } & SeqNums> {
    return [...this.#sessions.values()].map((s) => ({
      sessionKey: s.key,
      epoch: s.epoch,
      creationTimeMs: s.creationMs,
      nextSenderSeq: s.nextSender,
      nextTargetSeq: s.nextTarget,
    }));
  }

  appendMessage(s: SessionState, dir: number, seq: number, bytes: Uint8Array): void | Promise<void> {
    const failed = this.#commit.failed;
    if (failed) {
      if (dir === DirCode.Out) this.#marks.outAfterFailure(s, seq);
      return rejected(failed);
    }
    this.#checkOpen(s);
    // The number after it is the session's next one (its session table at the next segment's head).
    checkSeq(seq + 1);
    // The number must be reserved (synced) before the engine can write the message to the socket.
    if (dir === DirCode.Out && seq > s.reserveAt) {
      try {
        this.#marks.reserve(s, seq);
      } catch (e) {
        if (e instanceof Error && e === this.#commit.failed) return rejected(e);
        throw e;
      }
    }
    if (bytes.length > MAX_PAYLOAD_BYTES) {
      throw new FixgError(
        "JOURNAL_RECORD_TOO_LARGE",
        `A ${bytes.length}-byte message cannot be journaled (limit ${MAX_PAYLOAD_BYTES})`,
      );
    }
    // A Logon's Password and NewPassword never reach the disk (Logons are gap-filled, never resent).
    if (isLogonFrame(bytes)) bytes = redactLogon(bytes);
    const off = this.#frame(RecordType.Message, dir, s, seq, 0, -1, bytes);
    if (dir === DirCode.Out) {
      s.nextSender = seq + 1;
      s.out.add(seq, this.#segment, off, RECORD_HEADER_BYTES + bytes.length);
    } else {
      s.nextTarget = seq + 1;
    }
    return this.#schedule();
  }

  setSeq(s: SessionState, nextSender: number, nextTarget: number): void | Promise<void> {
    if (this.#commit.failed) return rejected(this.#commit.failed);
    this.#checkOpen(s);
    checkSeq(nextSender);
    checkSeq(nextTarget);
    // Moved forward, the counterparty is told (SequenceReset-Reset 36=N) once this record is written,
    // before it is synced: a reservation up to N-1 makes a start after a power cut resume at N or above.
    if (nextSender - 1 > s.reserveAt) {
      try {
        this.#marks.reserve(s, nextSender - 1);
      } catch (e) {
        if (e instanceof Error && e === this.#commit.failed) return rejected(e);
        throw e;
      }
    }
    s.nextSender = nextSender;
    s.nextTarget = nextTarget;
    this.#frame(RecordType.SetSeq, DirCode.None, s, nextSender, nextTarget, -1, EMPTY);
    return this.#schedule();
  }

  reset(s: SessionState, nowMs: number): void | Promise<void> {
    if (this.#commit.failed) return rejected(this.#commit.failed);
    this.#checkOpen(s);
    // The epoch the counterparty may be in until this reset's record is written: the current one, unless
    // an earlier reset of it is not written either (then the one before that, already recorded).
    if (s.resetBatch === 0 || s.resetBatch <= this.#commit.writtenId) {
      s.wireEpoch = s.epoch;
      s.wireMark = s.nextSender - 1;
    }
    this.#beginEpoch(s, s.epoch + 1, nowMs);
    // The batch the seq-reset record went into (a rotation may have opened it).
    s.resetBatch = this.#commit.pending[this.#commit.pending.length - 1]!.id;
    return this.#schedule();
  }

  /** Starts `epoch` of a session at `wallMs`: both numbers back to 1, nothing held; frames its SeqReset record. */
  #beginEpoch(s: SessionState, epoch: number, wallMs: number): void {
    s.epoch = epoch;
    s.creationMs = wallMs;
    s.nextSender = 1;
    s.nextTarget = 1;
    s.out.clear();
    // The new epoch's numbers need a reservation of their own before the first one leaves.
    s.reserveAt = 0;
    s.failedOut = 0;
    this.#frame(RecordType.SeqReset, DirCode.None, s, 1, 1, wallMs, EMPTY);
  }

  #checkOpen(s: SessionState): void {
    if (this.#closed) throw new FixgError("STORE_CLOSED", `Journal "${this.o.dir}" is closed`);
    if (s.handle === undefined) throw new FixgError("STORE_SESSION_CLOSED", `Session "${s.key}" is closed`);
  }

  /**
   * Frames one record into the open batch (rotating first if the segment is full); returns its offset.
   * `wallMs` -1 means now. The wall clock is read once per event-loop task and advanced by the
   * monotonic clock within it: one clock call per record instead of two (they were a third of the cost).
   */
  #frame(
    type: number,
    dir: number,
    s: SessionState,
    seq: number,
    seq2: number,
    wallMs: number,
    payload: Uint8Array,
  ): number {
    const mono = this.o.clock.monoNs();
    if (!this.#wallFresh) {
      this.#wallBase = this.o.clock.wallMs();
      this.#monoBase = mono;
      this.#wallFresh = true;
    }
    const wall = wallMs >= 0 ? wallMs : this.#wallBase + Math.floor((mono - this.#monoBase) / 1e6);
    const len = RECORD_HEADER_BYTES + payload.length;
    if (this.#segPos + len > this.o.segmentBytes && this.#segPos > this.#segHeadEnd) this.#rotate();
    const b = this.#commit.pending[this.#commit.pending.length - 1]!;
    if (b.len + len > b.buf.length) growBatch(b, b.len + len);
    const off = this.#segPos;
    writeRecord(b.buf, b.dv, b.len, type, dir, s.id, s.epoch, seq, seq2, mono, wall, payload);
    b.len += len;
    b.count++;
    this.#segPos += len;
    this.#segIndex.add(off, len, type, dir, s.id, s.epoch, seq, seq2, wall);
    if (wall > this.#segLastWallMs) this.#segLastWallMs = wall;
    return off;
  }

  /** Closes the current segment and starts the next one (in a new batch; the flusher switches files). */
  #rotate(): void {
    const sealed: SealedSegment = {
      segment: this.#segment,
      bytes: this.#segPos,
      lastWallMs: this.#segLastWallMs,
      index: this.#segIndex,
    };
    const b = this.#commit.newBatch(this.#segment + 1);
    b.seals = sealed;
    this.#commit.pending.push(b);
    this.#beginSegment(b, this.#segment + 1);
    this.#commit.write();
  }

  /** Arranges for the open batch to be written per the policy; returns what an append returns. */
  #schedule(): void | Promise<void> {
    const b = this.#commit.pending[this.#commit.pending.length - 1]!;
    if (b.count >= this.o.batchMessages) {
      this.#commit.write();
    } else if (!this.#writeArmed) {
      // Written at the end of the current task: one write(2) for everything appended in it, and a
      // process crash cannot lose what an earlier task appended.
      this.#writeArmed = true;
      queueMicrotask(() => {
        this.#writeArmed = false;
        this.#wallFresh = false;
        this.#commit.write();
      });
    }
    if (this.o.fsync === "none") return undefined;
    return promiseOf(b);
  }

  /** Resolves when everything appended so far is durable under the policy (written, for none). */
  flush(): Promise<void> {
    return this.#commit.flush();
  }

  /** Every record appended so far to the OS now (undefined), or a promise for when it is (a segment switch). */
  writeAppended(): Promise<void> | undefined {
    return this.#commit.writeNow();
  }

  /** Outbound messages of `s` with seq in [from, to] (to 0: up to the last): see ./journal_resend.ts. */
  readOutbound(s: SessionState, from: number, to: number): Promise<StoredMessage[]> {
    if (this.#commit.failed) return Promise.reject(this.#commit.failed);
    return readOutbound(this.o, this.#commit, s, from, to);
  }

  /** Deletes the oldest sealed segments beyond the limits, never one holding a current-epoch outbound message. */
  applyRetention(nowMs: number): void {
    const days = this.o.retentionDays;
    const maxBytes = this.o.retentionBytes;
    if (days === undefined && maxBytes === undefined) return;
    let protectFrom = Infinity;
    for (const s of this.#sessions.values()) {
      if (s.out.length > 0 && s.out.segs[0]! < protectFrom) protectFrom = s.out.segs[0]!;
    }
    let total = this.#segPos;
    for (const s of this.#sealed) total += s.bytes;
    while (this.#sealed.length > 0) {
      const s = this.#sealed[0]!;
      if (s.segment >= protectFrom || s.segment >= this.#segment) break;
      const old = days !== undefined && s.lastWallMs < nowMs - days * 86_400_000;
      const over = maxBytes !== undefined && total > maxBytes;
      if (!old && !over) break;
      try {
        Deno.removeSync(`${this.o.dir}/${segmentFileName(s.segment)}`);
        try {
          Deno.removeSync(`${this.o.dir}/${indexFileName(s.segment)}`);
        } catch { /* never written or already gone */ }
      } catch (e) {
        this.o.onWarning(
          `journal "${this.o.dir}": retention could not delete ${segmentFileName(s.segment)}: ${
            errorText(e)
          }`,
        );
        break;
      }
      this.#sealed.shift();
      total -= s.bytes;
      this.o.onWarning(
        `journal "${this.o.dir}": retention deleted ${
          segmentFileName(s.segment)
        } (${s.bytes} bytes, last record ${new Date(s.lastWallMs).toISOString()})`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    let error: unknown;
    try {
      if (this.#commit.failed === undefined) await this.#commit.drain();
    } catch (e) {
      error = e;
    }
    try {
      // None: made durable now. Failed: an fdatasync or a switch still in flight ends first.
      await this.#commit.close();
    } catch (e) {
      error ??= e;
    }
    this.#closed = true;
    const clean = this.#commit.failed === undefined && error === undefined;
    if (clean) writeIndexSync(this.o.dir, this.#segment, this.#segPos, this.#segIndex, this.o.onWarning);
    // The journal holds every number handed out (or, failed, the marks say which): marks become exact.
    if (this.#marks.isOpen) {
      await this.#marks.idle();
      this.#settleResets();
      this.#marks.writeExactMarks(clean ? "closed" : "failed");
      this.closeHighWater();
    }
    for (const s of this.#sessions.values()) s.handle = undefined;
    this.#lock.release();
    if (error !== undefined) throw error;
  }
}

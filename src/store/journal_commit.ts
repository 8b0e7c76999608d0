/**
 * The journal's write and sync stages (group commit). Records are framed by the writer into the open
 * batch (the last of `pending`); `write()` hands every pending batch to the segment file with one
 * write(2) each, in order; then, in the background while the next batch fills, fdatasync: `always` as
 * soon as the previous one is done, `batch` at most once per `batchMicros` (a timer on the options'
 * Scheduler) unless `batchMessages` records wait or a flush asks, `none` never (only at close). A batch's
 * promise resolves when it is durable under the policy. A batch of the next segment switches files
 * once the old one is synced (the writer seals the old segment: index, retention).
 */
import type { Timer } from "../clock.ts";
import { EnvironmentError } from "../errors.ts";
import { dataViewOf, segmentFileName } from "./format.ts";
import { syncDirectory } from "./files.ts";
import type { JournalFile, ResolvedOptions } from "./journal_options.ts";
import type { SealedSegment } from "./journal_state.ts";
import { errorText } from "./lock.ts";

const BATCH_BUFFER_BYTES = 1024 * 1024;

/** Bytes waiting to be written to one segment. */
export interface Batch {
  /** Ascending in creation order, which is the order batches are written in. */
  id: number;
  segment: number;
  /** Offset in its segment of `buf[0]` (reads serve records not yet synced from the batch). */
  start: number;
  buf: Uint8Array;
  dv: DataView;
  len: number;
  count: number;
  /** Set on the first batch of a new segment: the segment it seals. */
  seals: SealedSegment | undefined;
  promise: Promise<void> | undefined;
  resolve: (() => void) | undefined;
  reject: ((e: unknown) => void) | undefined;
}

/** What the commit stages need of the writer. */
export interface CommitHost {
  /** The segment records are framed into (batches may still wait for an older file). */
  readonly segment: number;
  /** Its length so far: where the next record goes. */
  readonly segPos: number;
  /** The file of the segment `s` describes is synced and closed: write its index, apply retention. */
  sealed(s: SealedSegment): Promise<void>;
  /** The journal has just failed: record what may have been sent (exact high-water marks). */
  failed(): void;
}

/** The write and sync stages of one journal. */
export class GroupCommit {
  readonly #o: ResolvedOptions;
  readonly #host: CommitHost;
  /** Framed, not yet written; the last one is open for appends. */
  pending: Batch[] = [];
  /** Written to the OS, waiting for an fdatasync (always, batch). */
  #written: Batch[] = [];
  /** Covered by the fdatasync in flight. */
  #syncingBatches: Batch[] = [];
  #syncing: Promise<void> | undefined;
  #lastSyncStartUs = -Infinity;
  #forceSync = false;
  /** A segment switch is in progress (it awaits); writes resume after it. */
  #switching = false;
  #switchDone: Promise<void> = Promise.resolve();
  /** Old segments being sealed after a switch, in order (see #switchFile). */
  #sealing: Promise<void> = Promise.resolve();
  #syncTimer: Timer | undefined;
  #pool: Uint8Array[] = [];
  /** The file being written (may lag the writer's segment while batches of a new segment wait). */
  #file: JournalFile | undefined;
  #fileSegment = 0;
  /** Set once a write or sync failed: nothing is journaled after it. */
  failed: EnvironmentError | undefined;
  /** Id of the last batch handed to the file with write(2) (every batch with a lower id was too). */
  writtenId = 0;
  #nextId = 1;

  constructor(o: ResolvedOptions, host: CommitHost) {
    this.#o = o;
    this.#host = host;
  }

  /** Creates segment `n`'s file (the first of this run) and opens its first batch. */
  openFirst(n: number): void {
    const path = `${this.#o.dir}/${segmentFileName(n)}`;
    try {
      this.#file = this.#o.openSegmentFile(path);
    } catch (e) {
      throw new EnvironmentError(`Cannot create journal segment "${path}": ${errorText(e)}`, { cause: e });
    }
    this.#fileSegment = n;
    this.pending.push(this.newBatch(n));
  }

  /** Batches whose bytes may not be in the file yet, oldest first (resend reads copy from them). */
  inMemory(): Batch[] {
    return [...this.#syncingBatches, ...this.#written, ...this.pending];
  }

  /** Resolves when everything appended so far is durable under the policy (written, for none). */
  flush(): Promise<void> {
    if (this.failed) return rejected(this.failed);
    const open = this.pending[this.pending.length - 1];
    let target: Batch | undefined;
    if (open !== undefined && (open.len > 0 || this.pending.length > 1)) target = open;
    else if (this.#written.length > 0) target = this.#written[this.#written.length - 1];
    else if (this.#syncingBatches.length > 0) target = this.#syncingBatches[this.#syncingBatches.length - 1];
    if (target === undefined) return Promise.resolve();
    // Once the batch is durable, also the seal of a segment its write switched away from (chained by
    // #switchFile before that write): after a flush every segment but the newest has its index, as before
    // seals followed the switch (a crash image taken then opens without rebuilding one).
    const p = promiseOf(target).then(() => this.#sealing);
    // An explicit flush does not wait for the batch window.
    this.#forceSync = true;
    this.write();
    return p;
  }

  /**
   * Hands every pending batch to the file now (write(2)): undefined when every record appended so far
   * is in the OS (a process crash keeps it), else a promise that resolves when it is: a segment switch
   * in progress waits for the old file's fdatasync first. Rejects when the journal has failed.
   */
  writeNow(): Promise<void> | undefined {
    if (this.failed) return rejected(this.failed);
    this.write();
    if (this.failed) return rejected(this.failed);
    if (!this.#switching) return undefined;
    return this.#switchDone.then(() => this.writeNow());
  }

  /** Flushes until nothing is pending, written-but-unsynced or in flight. Throws the failure if any. */
  async drain(): Promise<void> {
    for (;;) {
      await this.flush();
      if (this.failed) throw this.failed;
      const open = this.pending[this.pending.length - 1];
      const idle = !this.#switching && this.#syncing === undefined && this.#written.length === 0 &&
        this.pending.length <= 1 && (open === undefined || open.len === 0);
      if (idle) return;
      if (this.#syncing !== undefined) await this.#syncing;
    }
  }

  /** Write stage: every pending batch goes to the file with write(2), in order. */
  write(): void {
    if (this.failed !== undefined || this.#switching) return;
    const batches = this.pending;
    const last = batches[batches.length - 1];
    if (last === undefined) return;
    if (batches.length > 1 || last.len > 0) {
      this.pending = [this.newBatch(this.#host.segment)];
      for (let i = 0; i < batches.length; i++) {
        const b = batches[i]!;
        if (b.segment !== this.#fileSegment) {
          // The rest goes after the switch (which must wait for the old file's fsync).
          this.pending = [...batches.slice(i), ...this.pending];
          this.#switchDone = this.#switchFile(b);
          return;
        }
        try {
          let p = 0;
          while (p < b.len) p += this.#file!.writeSync(b.buf.subarray(p, b.len));
        } catch (e) {
          this.pending = [...batches.slice(i), ...this.pending];
          this.fail(e);
          return;
        }
        this.writtenId = b.id;
        if (this.#o.fsync === "none") this.#settle(b);
        else this.#written.push(b);
      }
    }
    this.#maybeSync();
  }

  /** Sync stage: starts an fdatasync when the policy says so (always: now; batch: N records or M us). */
  #maybeSync(): void {
    if (
      this.#o.fsync === "none" || this.#syncing !== undefined || this.#written.length === 0 || this.failed
    ) return;
    if (this.#o.fsync === "batch" && !this.#forceSync) {
      let waiting = 0;
      for (const b of this.#written) waiting += b.count;
      const sinceUs = this.#o.nowUs() - this.#lastSyncStartUs;
      if (waiting < this.#o.batchMessages && sinceUs < this.#o.batchMicros) {
        if (this.#syncTimer === undefined) {
          this.#syncTimer = this.#o.scheduler.after(Math.ceil((this.#o.batchMicros - sinceUs) / 1000), () => {
            this.#syncTimer = undefined;
            this.#maybeSync();
          });
        }
        return;
      }
    }
    this.#forceSync = false;
    this.#cancelTimer();
    const batches = this.#written;
    this.#written = [];
    this.#syncingBatches = batches;
    this.#lastSyncStartUs = this.#o.nowUs();
    const file = this.#file!;
    this.#syncing = (async () => {
      try {
        await file.syncData();
        for (const b of batches) this.#settle(b);
      } catch (e) {
        this.fail(e);
      } finally {
        this.#syncingBatches = [];
        this.#syncing = undefined;
      }
      this.#maybeSync();
    })();
  }

  /** A batch is done: its promise resolves, its buffer goes back to the pool. */
  #settle(b: Batch): void {
    b.resolve?.();
    if (b.buf.length === BATCH_BUFFER_BYTES && this.#pool.length < 4) this.#pool.push(b.buf);
  }

  /** Makes the current file durable, opens the one of batch `b`'s segment, resumes writing, then seals the old segment. */
  async #switchFile(b: Batch): Promise<void> {
    this.#switching = true;
    try {
      if (this.#syncing !== undefined) await this.#syncing;
      if (this.failed) return;
      const old = this.#file!;
      if (this.#o.fsync !== "none") {
        await old.syncData();
        for (const w of this.#written) this.#settle(w);
        this.#written = [];
      }
      old.close();
      this.#file = undefined;
      this.#file = this.#o.openSegmentFile(`${this.#o.dir}/${segmentFileName(b.segment)}`);
      this.#fileSegment = b.segment;
      if (this.#o.fsync !== "none") syncDirectory(this.#o.dir);
    } catch (e) {
      this.fail(e);
      return;
    } finally {
      this.#switching = false;
    }
    // The old segment is sealed (its index written) once the new one holds its first records, not
    // before: a crash between creating the new file and writing it then leaves the old segment unsealed,
    // as a run leaves the segment it writes, and the next start does not take it for a newest segment
    // whose successor is missing (which skips the reservations). Chained, so seals run in segment order
    // (the write below may start the next switch); the chained step runs after this synchronous write.
    const seals = b.seals;
    if (seals !== undefined) {
      this.#sealing = this.#sealing.then(() => this.#host.sealed(seals)).catch((e) => void this.fail(e));
    }
    this.write();
  }

  /** Fails the journal (once): every waiting append is rejected; returns the error. */
  fail(e: unknown): EnvironmentError {
    if (this.failed) return this.failed;
    const file = `${this.#o.dir}/${segmentFileName(this.#fileSegment)}`;
    const err = new EnvironmentError(
      `Journal write failed on "${file}": ${
        errorText(e)
      }. Nothing after this point is journaled; sessions must stop sending`,
      { cause: e, exitCode: 1 },
    );
    this.failed = err;
    this.#cancelTimer();
    for (const b of [...this.#syncingBatches, ...this.#written, ...this.pending]) b.reject?.(err);
    this.#syncingBatches = [];
    this.#written = [];
    this.pending = [this.newBatch(this.#host.segment)];
    this.#o.onWarning(err.message);
    // Every number appended so far may have been sent (batch, none): the next start must not reuse one.
    this.#host.failed();
    return err;
  }

  /**
   * Stops the stages for close: after a failure, waits for an fdatasync or a segment switch still in
   * flight; otherwise (after drain) makes the file durable whatever the policy. Then closes the file.
   */
  async close(): Promise<void> {
    try {
      if (this.failed === undefined) {
        if (this.#o.fsync === "none") await this.#file?.syncData();
      } else {
        if (this.#syncing !== undefined) await this.#syncing;
        while (this.#switching) await this.#switchDone;
      }
      // The index of the segment before the last switch (the writer then indexes the last one).
      await this.#sealing;
    } finally {
      this.#cancelTimer();
      try {
        this.#file?.close();
      } catch { /* already closed after a failure */ }
      this.#file = undefined;
    }
  }

  #cancelTimer(): void {
    this.#syncTimer?.cancel();
    this.#syncTimer = undefined;
  }

  /** A batch for `segment`, continuing the writer's position when it is the current one. */
  newBatch(segment: number): Batch {
    const buf = this.#pool.pop() ?? new Uint8Array(BATCH_BUFFER_BYTES);
    return {
      id: this.#nextId++,
      segment,
      // A batch of the current segment continues it; a new segment's first batch starts at 0.
      start: segment === this.#host.segment ? this.#host.segPos : 0,
      buf,
      dv: dataViewOf(buf),
      len: 0,
      count: 0,
      seals: undefined,
      promise: undefined,
      resolve: undefined,
      reject: undefined,
    };
  }
}

/** The promise of batch `b` (created on first use): resolves when it is durable under the policy. */
export function promiseOf(b: Batch): Promise<void> {
  if (b.promise === undefined) {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    // Callers may ignore an append's promise (the contract allows it): never an unhandled rejection.
    promise.catch(() => {});
    b.promise = promise;
    b.resolve = resolve;
    b.reject = reject;
  }
  return b.promise;
}

/** A rejected promise nobody has to handle. */
export function rejected(e: Error): Promise<void> {
  const p = Promise.reject(e);
  p.catch(() => {});
  return p;
}

/** Grows batch `b`'s buffer to hold at least `need` bytes (a record larger than the batch buffer). */
export function growBatch(b: Batch, need: number): void {
  let n = b.buf.length * 2;
  while (n < need) n *= 2;
  const buf = new Uint8Array(n);
  buf.set(b.buf.subarray(0, b.len));
  b.buf = buf;
  b.dv = dataViewOf(buf);
}

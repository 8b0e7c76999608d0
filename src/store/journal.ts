/**
 * The file journal: the store of record for every session of a gateway.
 *
 * All sessions append to one sequence of segment files (records interleaved), because a group
 * commit then costs one write and one fdatasync for the whole gateway, whatever the number of
 * sessions; per-session files would multiply the fsyncs under `fsync: always|batch`. Each segment
 * starts with a session-open record per known session (key, epoch, both sequence numbers), so any
 * segment can be read alone and old segments can be deleted without losing the session table.
 *
 * Sealed segments are immutable and have a derived index file (`.idx`) holding every record's
 * position and header fields, so start-up reads the small index files instead of the segments;
 * the segment that was being written when the process stopped has no index and is scanned (its torn
 * tail, if any, truncated). Every open starts a new segment. The format is in ./format.ts and
 * docs/journal.md.
 *
 * Write path: records are framed into a large preallocated buffer (the "open batch"), written with
 * one write(2) at the end of the current event-loop task (or at once when `batchMessages` records
 * wait), so a process crash never loses what an earlier task appended. Then, in the background
 * while the next batch fills, fdatasync: `always` as soon as the previous one is done (group commit),
 * `batch` at most once per `batchMicros` unless `batchMessages` records wait, `none` never (only at
 * close). An append's promise resolves when its batch is durable under the policy.
 *
 * The pieces: ./journal_options.ts (options and defaults), ./journal_recovery.ts (start-up and its
 * damage checks), ./journal_writer.ts (framing, segments, retention, close), ./journal_commit.ts (the
 * write and fdatasync stages: group commit and the fsync policy, its timer on an injected Scheduler),
 * ./journal_reservations.ts (high-water reservations), ./journal_resend.ts (resend reads) and
 * ./journal_state.ts (sessions and positions in memory).
 */
import { JournalLock } from "./lock.ts";
import { type FileJournalOptions, prepareDirectory, resolveOptions } from "./journal_options.ts";
import { JournalWriter } from "./journal_writer.ts";
import type { MessageStore, SeqNums, SessionStore } from "./types.ts";

export {
  DEFAULT_SEGMENT_BYTES,
  type FileJournalOptions,
  type FsyncPolicy,
  type JournalClock,
  type JournalFile,
  type OpenSegmentFile,
  SYSTEM_JOURNAL_CLOCK,
} from "./journal_options.ts";

/** A MessageStore on segment files: see the module comment and docs/journal.md. */
export class FileJournal implements MessageStore {
  readonly #w: JournalWriter;

  private constructor(w: JournalWriter) {
    this.#w = w;
  }

  /**
   * Opens (creating if needed) the journal in `options.dir`: takes the lock, recovers every session
   * from the segments (truncating a torn tail with a warning) and starts a new segment.
   * Throws ConfigError for bad options, EnvironmentError (exit code 2) when the directory is not
   * usable or another live process holds it, JournalCorruptError for damage other than a torn tail.
   */
  static async open(options: FileJournalOptions): Promise<FileJournal> {
    const o = resolveOptions(options);
    prepareDirectory(o.dir);
    const lock = JournalLock.acquire(o.dir, "gateway");
    try {
      if (lock.staleHolder !== undefined) {
        const h = lock.staleHolder;
        o.onWarning(
          `journal "${o.dir}": took over the lock left by pid ${h.pid} on ${h.host} (since ${h.sinceIso}); that process is gone`,
        );
      }
      const w = new JournalWriter(o, lock);
      try {
        w.recover();
        w.openHighWater();
        await w.startSegment();
      } catch (e) {
        w.closeHighWater();
        throw e;
      }
      return new FileJournal(w);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** The journal directory. */
  get dir(): string {
    return this.#w.o.dir;
  }

  /** Opens the store of one session, creating it (epoch 1, numbers 1/1) when the journal has never seen it. */
  openSession(sessionKey: string, nowMs: number): Promise<SessionStore> {
    try {
      return Promise.resolve(this.#w.openSession(sessionKey, nowMs));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Session keys the journal knows, with their restored numbers (for tools and start-up logs). */
  sessions(): Array<{ sessionKey: string; epoch: number; creationTimeMs: number } & SeqNums> {
    return this.#w.sessionList();
  }

  /** Waits until every earlier append of every session is durable under the policy. */
  flush(): Promise<void> {
    return this.#w.flush();
  }

  /** Deletes sealed segments beyond the retention limits now (also done at open and at each rotation). */
  applyRetention(nowMs: number = this.#w.o.clock.wallMs()): void {
    this.#w.applyRetention(nowMs);
  }

  /** Flushes, makes everything durable (whatever the policy), writes the last index and releases the lock. */
  close(): Promise<void> {
    return this.#w.close();
  }
}

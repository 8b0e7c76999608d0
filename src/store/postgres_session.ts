/**
 * One session's view of the PostgreSQL store: its writes queue in memory for the store's next group
 * commit; `flush()` waits for the commit (journal before send) and, in a cluster, fails once the lease
 * is no longer certainly valid. A session fenced or failed for good reports the numbered messages it
 * will never commit (`onNotCommitted`): never a silent loss.
 *
 * Two commit chains (docs/ha.md "What an order waits for"): the session's outbound writes (messages,
 * nextSenderSeq) and its inbound writes (messages, nextTargetSeq) commit on position rows of their own,
 * each chain with at most one group statement in flight (`Chain.writing`), so an inbound commit may be
 * in flight beside the session's outbound one. A reset writes both rows in one commit, taken when neither
 * chain has a statement in flight (a joint pending, both chains' queued writes merged into it).
 *
 * Overlapping commits (docs/ha.md): once a chain's statement has landed (committed, not yet durable)
 * its next writes may go in the next group, expecting the position after it, while the landed ones
 * wait for the standby (`#syncing`). Writes are released (their promises resolve) in order per chain:
 * a later commit replicated first waits for the earlier ones of its chain (of both, for a reset).
 */
import { isLogonFrame, redactLogon } from "./secrets.ts";
import { FixgError } from "../errors.ts";
import { type Dir, newPending, outboundOf, type Pending, type RowState } from "./postgres_commit.ts";
import { FencedError, type Sql } from "./postgres_schema.ts";
import type { SeqNums, SessionStore, StoredMessage } from "./types.ts";

/** What a session needs of its store (PostgresMessageStore). */
export interface SessionHost {
  readonly sql: Sql;
  t(table: string): string;
  /** The session queued a write: commit it with the next group. */
  queue(s: PgSessionStore): void;
  /** The session is closed. */
  forget(s: PgSessionStore): void;
  /** Cluster: false once the session's lease may have expired (a flush then fails). */
  readonly leaseValid: ((sessionKey: string) => boolean) | undefined;
  /** A session's commit failed for good (not fenced). */
  readonly onSessionFailed: ((sessionKey: string, e: Error) => void) | undefined;
}

export interface InitialState {
  epoch: number;
  /** The position rows' write positions. */
  pos: Record<Dir, number>;
  nextSenderSeq: number;
  nextTargetSeq: number;
  creationMs: number;
  gen: number;
  lastOut: number;
}

/** One direction's commit chain. */
interface Chain {
  /** Write position of the row after the last commit of the chain that landed (the next one expects it). */
  pos: number;
  /** Queued writes of the chain (a joint pending is both chains'). */
  pending: Pending | undefined;
  /** The commit whose statement is in flight (taken, not yet landed). */
  writing: Pending | undefined;
}

/** Both chains (a reset's joint pending writes both rows). */
const DIRS: readonly Dir[] = ["out", "in"];

/** One session's view of the PostgreSQL store. */
export class PgSessionStore implements SessionStore {
  readonly sessionKey: string;
  readonly durableBeforeSend = true;
  readonly durableBeforeDeliver = true;
  readonly #store: SessionHost;
  /** Owner epoch. */
  epoch: number;
  /** The outbound and inbound chains. */
  readonly #chains: Record<Dir, Chain>;
  // The session's state as queued (what seqNums() gives; committed with the next group).
  #nss: number;
  #nts: number;
  #creationMs: number;
  #gen: number;
  /** Highest outbound MsgSeqNum stored in this generation (queued or committed). */
  #lastOut: number;
  /** Commits that landed and wait for the standby (and for the ones before them), oldest first. */
  #syncing: Pending[] = [];
  #error: Error | undefined;
  #open = true;
  /** Request ids noted before their message was appended (the runner appends in a microtask). */
  readonly #early = new Map<number, string>();
  /** Set by the engine: numbered outbound messages this store will never commit (SessionStore). */
  onNotCommitted: ((messages: { seq: number; bytes: Uint8Array }[], reason: string) => void) | undefined =
    undefined;

  constructor(store: SessionHost, key: string, st: InitialState) {
    this.#store = store;
    this.sessionKey = key;
    this.epoch = st.epoch;
    this.#chains = {
      out: { pos: st.pos.out, pending: undefined, writing: undefined },
      in: { pos: st.pos.in, pending: undefined, writing: undefined },
    };
    this.#nss = st.nextSenderSeq;
    this.#nts = st.nextTargetSeq;
    this.#creationMs = st.creationMs;
    this.#gen = st.gen;
    this.#lastOut = st.lastOut;
  }

  /** Why this session stopped (fenced, database gone), if it did. */
  get error(): Error | undefined {
    return this.#error;
  }

  seqNums(): SeqNums {
    return { nextSenderSeq: this.#nss, nextTargetSeq: this.#nts };
  }

  creationTimeMs(): number {
    return this.#creationMs;
  }

  /** The write positions after the last commits that landed (out, in). */
  get pos(): Record<Dir, number> {
    return { out: this.#chains.out.pos, in: this.#chains.in.pos };
  }

  /** @internal The state the next commit writes into the session's position rows. */
  queuedState(): RowState {
    return {
      nextSenderSeq: this.#nss,
      nextTargetSeq: this.#nts,
      creationMs: this.#creationMs,
      gen: this.#gen,
    };
  }

  /** The queued writes of chain `d` (a new pending when none is). */
  #p(d: Dir): Pending {
    if (!this.#open) throw new FixgError("STORE_CLOSED", `Session "${this.sessionKey}" is closed`);
    const c = this.#chains[d];
    if (c.pending === undefined) {
      c.pending = newPending(this.#gen, [d]);
      this.#store.queue(this);
    }
    return c.pending;
  }

  /**
   * The joint pending of both chains (a reset): the queued writes of both merged into one commit that
   * writes both rows (the promises of the merged one follow it).
   */
  #joint(): Pending {
    const o = this.#p("out"), i = this.#p("in");
    if (o === i) return o;
    o.dirs = DIRS;
    for (const [seq, bytes] of i.inb) o.inb.set(seq, bytes);
    o.older.push(...i.older);
    o.promise.then(i.resolve, i.reject);
    this.#chains.in.pending = o;
    return o;
  }

  #rejected(): Promise<void> {
    const p = Promise.reject(this.#error);
    p.catch(() => {});
    return p;
  }

  appendOutbound(seq: number, bytes: Uint8Array): Promise<void> {
    return this.#out(seq, bytes.slice());
  }

  appendOutboundOwned(seq: number, bytes: Uint8Array): Promise<void> {
    return this.#out(seq, bytes);
  }

  #out(seq: number, bytes: Uint8Array): Promise<void> {
    // A Logon never reaches the database with its Password/NewPassword (never resent: nothing is lost).
    if (isLogonFrame(bytes)) bytes = redactLogon(bytes);
    if (this.#error !== undefined) {
      this.#report([{ seq, bytes }], this.#error.message);
      return this.#rejected();
    }
    const p = this.#p("out");
    if (seq <= this.#lastOut) {
      // Numbers set back: the stored messages from `seq` on are superseded (as in the other stores).
      p.deletes.push({ gen: this.#gen, from: seq });
      for (const k of [...p.out.keys()]) if (k >= seq) p.out.delete(k);
      if (p.reqs !== undefined) { for (const k of [...p.reqs.keys()]) if (k >= seq) p.reqs.delete(k); }
    }
    p.out.set(seq, bytes);
    if (this.#early.size > 0) this.#takeEarly(p, seq);
    this.#lastOut = seq;
    this.#nss = seq + 1;
    return p.promise;
  }

  /**
   * The outbound message `seq` (appended now or next) answers library request `id`: the id is written
   * with the message, in the same commit (outbound.req_id; postgres_requests.ts). False when the
   * message's commit has already started (the id is then not stored).
   */
  noteRequest(seq: number, id: string): boolean {
    const p = this.#chains.out.pending;
    if (p !== undefined && p.out.has(seq)) {
      (p.reqs ??= new Map()).set(seq, id);
      return true;
    }
    if (seq <= this.#lastOut || this.#error !== undefined || !this.#open) return false;
    this.#early.set(seq, id);
    return true;
  }

  #takeEarly(p: Pending, seq: number): void {
    const id = this.#early.get(seq);
    if (id !== undefined) (p.reqs ??= new Map()).set(seq, id);
    // Ids of numbers at or below this one can no longer be appended with their message.
    for (const k of this.#early.keys()) if (k <= seq) this.#early.delete(k);
  }

  appendInbound(seq: number, bytes: Uint8Array): Promise<void> {
    if (this.#error !== undefined) return this.#rejected();
    const p = this.#p("in");
    p.inb.set(seq, isLogonFrame(bytes) ? redactLogon(bytes) : bytes.slice());
    this.#nts = seq + 1;
    return p.promise;
  }

  setNextTargetSeq(seq: number): Promise<void> {
    if (this.#error !== undefined) return this.#rejected();
    const p = this.#p("in");
    this.#nts = seq;
    return p.promise;
  }

  setNextSenderSeq(seq: number): Promise<void> {
    if (this.#error !== undefined) return this.#rejected();
    const p = this.#p("out");
    this.#nss = seq;
    return p.promise;
  }

  async getOutbound(from: number, to: number): Promise<StoredMessage[]> {
    await this.flush();
    const rows = await this.#store.sql.unsafe(
      `select seq, bytes from ${this.#store.t("outbound")}
       where session_key = $1 and gen = $2 and seq >= $3 and ($4::int8 = 0 or seq <= $4::int8) order by seq`,
      [this.sessionKey, this.#gen, from, to],
    );
    return rows.map((r) => {
      const b = r.bytes as Uint8Array;
      return { seq: Number(r.seq), bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice() };
    });
  }

  reset(nowMs: number): Promise<void> {
    if (this.#error !== undefined) return this.#rejected();
    const p = this.#joint();
    // Messages queued for the old generation keep it; the history stays in the tables.
    for (const [seq, bytes] of p.out) p.older.push({ dir: "out", gen: p.gen, seq, bytes });
    for (const [seq, bytes] of p.inb) p.older.push({ dir: "in", gen: p.gen, seq, bytes });
    p.out.clear();
    p.inb.clear();
    this.#gen++;
    p.gen = this.#gen;
    this.#nss = 1;
    this.#nts = 1;
    this.#creationMs = nowMs;
    this.#lastOut = 0;
    return p.promise;
  }

  async flush(): Promise<void> {
    if (this.#error !== undefined) throw this.#error;
    // Writes are released in order per chain: the newest one's release means every earlier one's.
    for (const p of this.#last()) await p.promise;
    if (this.#error !== undefined) throw this.#error;
    const valid = this.#store.leaseValid;
    if (valid !== undefined && !valid(this.sessionKey)) {
      this.#error = new FencedError(
        `Session "${this.sessionKey}": the lease may have expired (not renewed in time); nothing more is sent`,
      );
      throw this.#error;
    }
  }

  /** @internal Writes are queued, not yet taken by a group (after `take()`: their chain's statement is in flight). */
  get busy(): boolean {
    return DIRS.some((d) => this.#chains[d].pending !== undefined);
  }

  /**
   * @internal The store takes the queued writes for a commit: of each chain whose statement is not in
   * flight (a joint pending: when neither chain's is). Each expects the position its chain's last landed
   * commit left, and writes the numbers as of now. Both chains' may go in the same group (other rows).
   */
  take(): Pending[] {
    const out: Pending[] = [];
    const state = this.queuedState();
    for (const d of DIRS) {
      const c = this.#chains[d], p = c.pending;
      if (p === undefined || out.includes(p)) continue;
      if (p.dirs.some((x) => this.#chains[x].writing !== undefined)) continue;
      for (const x of p.dirs) {
        const cx = this.#chains[x];
        cx.pending = undefined;
        cx.writing = p;
        p.expect[x] = cx.pos;
      }
      p.state = state;
      out.push(p);
    }
    return out;
  }

  /** @internal The statement with `p` landed (committed, not durable yet): its chains' next commit may start. */
  landed(p: Pending): void {
    if (p.dirs.some((d) => this.#chains[d].writing !== p)) return; // the session stopped meanwhile
    for (const d of p.dirs) {
      const c = this.#chains[d];
      c.writing = undefined;
      c.pos = p.expect[d] + 1;
    }
    this.#syncing.push(p);
    if (this.busy) this.#store.queue(this);
  }

  /** @internal `p` is on the standby: released with every earlier one of its chains that is. */
  synced(p: Pending): void {
    if (p.unsure) {
      p.unsure = false; // rejected when the session stopped; committed, so not reported
      return;
    }
    p.synced = true;
    const blocked = new Set<Dir>();
    this.#syncing = this.#syncing.filter((q) => {
      if (q.synced && !q.dirs.some((d) => blocked.has(d))) {
        q.settled = true;
        q.resolve();
        return false;
      }
      for (const d of q.dirs) blocked.add(d);
      return true;
    });
  }

  /**
   * @internal The commits sent to the database and not released, of either chain: in flight (taken,
   * not landed), or landed and waiting for the standby.
   */
  unreleased(): Pending[] {
    const out = this.#syncing.filter((q) => !q.settled);
    for (const d of DIRS) {
      const w = this.#chains[d].writing;
      if (w !== undefined && !out.includes(w)) out.push(w);
    }
    return out;
  }

  /**
   * @internal Another owner took the session. `stored` ("gen:seq") are messages of `p` and of the
   * session's other unreleased commits (`unreleased()`) that are in the database after the takeover:
   * the new owner has them; the rest is reported as never sent.
   */
  fence(p: Pending, stored: Set<string> = new Set()): void {
    this.#stop(
      new FencedError(
        `Session "${this.sessionKey}": fenced, another gateway owns it now (our epoch ${this.epoch} is stale); nothing more is committed or sent`,
      ),
      p,
      stored,
      true,
    );
  }

  /** @internal The commit failed for good. */
  fail(p: Pending, e: unknown): void {
    const m = e instanceof Error ? e.message : String(e);
    const first = this.#error === undefined;
    this.#stop(new FixgError("STORE_FAILED", `PostgreSQL store: ${m}`, { cause: e }), p);
    if (first) this.#store.onSessionFailed?.(this.sessionKey, this.#error!);
  }

  /**
   * @internal The outcome of `p` (its statement sent, the connection lost) is still unknown after the
   * store's `retryMs`: the session stops as for a failure (nothing more of it reaches the wire), but `p`
   * — and the session's landed commits still waiting for the standby — are reported by their outcome,
   * which the store keeps finding out (it retries them): committed, they are not reported (the next
   * owner has them and resends them); fenced, those the database does not have are.
   */
  failUnknown(p: Pending, e: unknown): void {
    const m = e instanceof Error ? e.message : String(e);
    const first = this.#error === undefined;
    this.#stop(
      new FixgError("STORE_FAILED", `PostgreSQL store: ${m} (commit outcome unknown)`, { cause: e }),
      p,
      new Set(),
      false,
      true,
    );
    if (first) this.#store.onSessionFailed?.(this.sessionKey, this.#error!);
  }

  /**
   * @internal The store closes without waiting any longer (its bound passed): the commits sent to the
   * database and not released are given up with their outcome unknown — rejected, nothing of them ever
   * sent, and not reported not sent (they may be in the database: the next owner resends them) — and
   * the writes queued behind them, never sent to the database, are reported not sent. Returns how many
   * commits and messages were given up as unknown.
   */
  abandon(e: unknown): { commits: number; messages: number } {
    const sent = this.unreleased().filter((q) => !q.settled);
    let messages = 0;
    for (const q of sent) messages += q.out.size + q.inb.size + q.older.length;
    // A commit in flight first: failUnknown takes the other chain's in flight and the landed ones with it.
    const p = DIRS.map((d) => this.#chains[d].writing).find((q) => q !== undefined && !q.settled) ??
      sent[0];
    if (p !== undefined) this.failUnknown(p, e);
    else {
      const q = DIRS.map((d) => this.#chains[d].pending).find((x) => x !== undefined && !x.settled);
      const m = e instanceof Error ? e.message : String(e);
      if (q !== undefined) {
        this.#stop(new FixgError("STORE_FAILED", `PostgreSQL store: ${m}`, { cause: e }), q);
      }
    }
    return { commits: sent.length, messages };
  }

  /**
   * Stops the session at `p`'s failure: `p` and every write not yet released reject (their bytes never
   * reach the socket). Reported as never committed: `p`'s messages except `stored`, the later ones, and
   * the landed ones still waiting for the standby — fenced, except `stored` ones (the new owner's takeover
   * came after them: it has them, unless a failed primary lost them). Fenced, the other chain's
   * commit in flight is settled by the takeover too (the takeover took its row's lock: that commit landed
   * before it or never will), so its messages in `stored` are not reported either. Failed, the other
   * chain's commit in flight may still land: it is rejected now and reported by its own outcome
   * (`unsure`: landed, it is not reported; fenced or failed, it is).
   */
  #stop(e: Error, p: Pending, stored: Set<string> = new Set(), fenced = false, unknown = false): void {
    this.#error ??= e;
    if (p.unsure) {
      if (unknown) return; // rejected already; still retried, reported by its outcome
      // Rejected when the session stopped; its statement did not land: reported now.
      p.unsure = false;
      this.#report(outboundOf(p).filter((m) => !stored.has(`${m.gen}:${m.seq}`)), e.message);
      return;
    }
    if (p.settled) return; // rejected and reported when the session stopped
    const landed = this.#syncing.filter((q) => q !== p && !q.settled);
    const later: Pending[] = [], flying: Pending[] = [], unsure: Pending[] = [];
    for (const d of DIRS) {
      const c = this.#chains[d];
      for (const q of [c.writing, c.pending]) {
        if (q === undefined || q === p || q.settled) continue;
        if (later.includes(q) || flying.includes(q) || unsure.includes(q)) continue;
        if (q !== c.writing) later.push(q);
        else (fenced ? flying : p.dirs.includes(d) ? later : unsure).push(q);
      }
      c.writing = undefined;
      c.pending = undefined;
    }
    this.#syncing = [];
    const checked = fenced ? [p, ...landed, ...flying] : unknown ? [] : [p];
    const lost = checked.flatMap(outboundOf).filter((m) => !stored.has(`${m.gen}:${m.seq}`));
    for (const q of [...(fenced || unknown ? [] : landed), ...later]) lost.push(...outboundOf(q));
    for (const q of unsure) q.unsure = true;
    if (unknown) { for (const q of [p, ...landed]) q.unsure = true; }
    for (const q of [p, ...landed, ...flying, ...unsure, ...later]) {
      q.settled = true;
      q.reject(this.#error);
    }
    // Numbered but never committed, so never on the wire: said so, never a silent loss.
    this.#report(lost, e.message);
  }

  #report(messages: { seq: number; bytes: Uint8Array }[], reason: string): void {
    if (messages.length === 0) return;
    try {
      this.onNotCommitted?.(messages.map(({ seq, bytes }) => ({ seq, bytes })), reason);
    } catch { /* the engine logs its application's errors */ }
  }

  /** The newest unreleased write of each chain (releasing it means releasing the chain's earlier ones). */
  #last(): Pending[] {
    const out: Pending[] = [];
    for (const d of DIRS) {
      const c = this.#chains[d];
      const p = c.pending ?? c.writing ?? this.#syncing.findLast((q) => q.dirs.includes(d));
      if (p !== undefined && !out.includes(p)) out.push(p);
    }
    return out;
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    try {
      if (this.#error === undefined) await this.flush();
    } finally {
      // Commits still in flight (retried while the database fails over) settle first: a session opened
      // again after this close bumps the epoch, which would fence them, and their messages were numbered.
      for (let ps = this.#last(); ps.length > 0; ps = this.#last()) {
        for (const p of ps) await p.promise.catch(() => {});
      }
      this.#open = false;
      this.#store.forget(this);
    }
  }
}

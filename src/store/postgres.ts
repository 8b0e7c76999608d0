/**
 * The PostgreSQL store (`store: { type: postgres, url: ... }`): the store of record for gateways that
 * fail over to each other (docs/ha.md).
 *
 * - Per session one row in `sessions` (owner, owner epoch, lease), two rows in `positions` (schema 4:
 *   the outbound one with the next MsgSeqNum sent, the inbound one with the next expected, each with the
 *   owner epoch, its own write position, the reset generation and creation time) and its messages in
 *   `outbound` / `inbound`. The two directions are two commit chains: an inbound commit of a session may
 *   be in flight beside its outbound one (other row, other connection), so an order's commit does not
 *   wait for the acknowledgement of the previous one (docs/ha.md "What an order waits for").
 * - Journal before send: `durableBeforeSend` is true, so the session runner waits for `flush()` (the
 *   commit) before it writes a batch to the socket. With `synchronous_commit = on` and
 *   `synchronous_standby_names` set on the server, a commit is on the standby too.
 * - Commit before delivery: `durableBeforeDeliver` is true, so the runner hands an inbound message to
 *   the application only after the commit of its append (the message and the advanced expected number);
 *   a fenced or failed commit means it is never delivered.
 * - Group commit across sessions: writes queue in memory; one transaction commits everything queued
 *   when it starts, and what arrives while it is in flight goes in the next one.
 * - Overlapping group commits (docs/ha.md): up to `pipeline` groups' statements are in flight at once,
 *   on different connections of the pool. A statement commits without waiting for any flush
 *   (`synchronous_commit = off` for its transaction: the position rows' locks are held for the statement
 *   only) and a barrier then flushes the WAL and waits for the
 *   standby (postgres_commit.ts `syncBarrier`); writes are released only after it, in order per chain.
 *   A chain has one statement in flight at a time: its next one expects the position the landed one
 *   left, so a commit whose predecessor did not land fails (retried), never leaves a gap.
 * - Fencing: every commit updates each position row it writes with `WHERE epoch = <ours> AND pos =
 *   <expected>` in the same transaction as the messages. A takeover bumps the epoch of the `sessions`
 *   row, and a trigger writes it into both position rows in the same transaction (taking their locks:
 *   postgres_schema.ts). A session whose row does not match (another gateway took it) is fenced: the transaction is rolled back, the session's
 *   writes and flushes reject with STORE_FENCED from then on (the runner drops the connection and
 *   never writes the bytes), and the other sessions of the batch commit without it.
 * - A commit whose outcome is unknown (connection lost: the primary died) is retried on a new
 *   connection (a multi-host URL with target_session_attrs=read-write finds the promoted standby)
 *   with a backoff of 25 ms doubling to 500 ms until `retryMs`; the write position tells whether the
 *   lost commit had landed. A barrier that failed is run again, after the landed statements are checked
 *   (and the ones lost with a failed primary written again, oldest first). Numbered outbound messages that will never be committed (fenced, failed
 *   for good, written after the session stopped) are reported through `onNotCommitted`, which the
 *   engine turns into `Application.onSendFailed` (docs/ha.md "Orders are never lost silently").
 * - Parts: postgres_schema.ts (tables, errors), postgres_commit.ts (the group statement),
 *   postgres_session.ts (a session's view), postgres_reads.ts (export, cluster status).
 */
import postgres from "postgres";
import { type Scheduler, systemScheduler, type Timer } from "../clock.ts";
import { ConfigError, FixgError } from "../errors.ts";
import type { JournalRecord } from "./reader.ts";
import { type Pending, storedOf, syncBarrier, tryCommit } from "./postgres_commit.ts";
import { readRecords, readSessionRows, type SessionRow } from "./postgres_reads.ts";
import {
  createSchema,
  FencedError,
  IDENT,
  redactUrl,
  retryable,
  type Sql,
  table,
} from "./postgres_schema.ts";
import { PgSessionStore } from "./postgres_session.ts";
import type { PostgresStoreOptions } from "./postgres_options.ts";
import { pgRequestLog } from "./postgres_requests.ts";
import type { CommitMetrics, MessageStore, RequestIdStore, SessionStore } from "./types.ts";

export { FencedError, redactUrl } from "./postgres_schema.ts";
export type { SessionRow } from "./postgres_reads.ts";
export type { PgSessionStore } from "./postgres_session.ts";
export type { PostgresStoreOptions } from "./postgres_options.ts";

function sleep(scheduler: Scheduler, ms: number): Promise<void> {
  return new Promise((r) => scheduler.after(ms, r));
}

/** Opens the PostgreSQL store and creates its schema when missing. */
export async function openPostgresStore(o: PostgresStoreOptions): Promise<PostgresMessageStore> {
  const schema = o.schema ?? "fixg";
  if (!IDENT.test(schema)) {
    throw new ConfigError(`store.schema: "${schema}" is not a plain lower-case SQL identifier`);
  }
  // fixg:<nodeId>:<instance>: the cluster ends the connections of a gateway process whose heartbeat
  // stopped (this process only: a restarted gateway with the same nodeId has another instance).
  const instance = `${(o.scheduler ?? systemScheduler).nowMs().toString(36)}${
    Math.floor(Math.random() * 1e6).toString(36)
  }`;
  const appName = o.nodeId === undefined ? "fixg" : `fixg:${o.nodeId.slice(0, 40)}:${instance}`;
  let sql: Sql;
  let control: Sql;
  // WARNINGs the pool's connections received: a synchronous commit whose wait for the standby was
  // cancelled answers success with one (the store then waits for the standby with a barrier).
  const warnings = { n: 0 };
  try {
    const client = (max: number, onnotice: (n: postgres.Notice) => void = () => {}) =>
      postgres(o.url, {
        // The client's own read-write test reads default_transaction_read_only only, which a hot standby
        // leaves off: it would take a standby for a primary. "primary" (not in recovery) is what is meant.
        ...(/[?&]target_session_attrs=read-write(&|$)/.test(o.url)
          ? { target_session_attrs: "primary" }
          : {}),
        max,
        onnotice,
        connect_timeout: 5,
        idle_timeout: 0,
        connection: {
          // fixg:<nodeId>: the cluster ends the connections of a gateway that stopped heartbeating.
          application_name: appName,
          lock_timeout: Math.max(0, Math.round(o.lockTimeoutMs ?? 0)),
          idle_in_transaction_session_timeout: Math.max(1, Math.round(o.idleInTransactionMs ?? 1000)),
        },
      });
    sql = client(o.maxConnections ?? 4, (n) => {
      if (n.severity === "WARNING" || n.severity === undefined) warnings.n++;
    });
    // The cluster's heartbeats and lease renewals on a connection of their own: they never wait behind
    // a large group commit (a renewal that waits too long is a lease lost).
    control = client(1);
  } catch (e) {
    throw new ConfigError(`store.url: ${e instanceof Error ? e.message : String(e)}`);
  }
  const store = new PostgresMessageStore(sql, schema, o, appName, control, warnings);
  try {
    if (o.create === false) {
      const [row] = await sql`select to_regclass(${`"${schema}".sessions`}) is not null as found`;
      if (row?.found !== true) {
        throw new Error(`no fixg tables in schema "${schema}" (a gateway creates them; check --schema)`);
      }
    }
    await store.createSchema();
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    await control.end({ timeout: 1 }).catch(() => {});
    throw new FixgError(
      "STORE_OPEN",
      `PostgreSQL store: ${e instanceof Error ? e.message : String(e)} (${redactUrl(o.url)})`,
      { exitCode: 2, cause: e },
    );
  }
  return store;
}

/** The PostgreSQL MessageStore of one gateway. */
export class PostgresMessageStore implements MessageStore {
  readonly sql: Sql;
  readonly schema: string;
  readonly nodeId: string;
  readonly #retryMs: number;
  readonly #scheduler: Scheduler;
  readonly #open = new Map<string, PgSessionStore>();
  /** Epochs won by the cluster's leases (src/engine/cluster.ts): openSession opens with them. */
  readonly #claims = new Map<string, number>();
  /** Sessions with queued writes, in the order they queued. */
  readonly #dirty = new Set<PgSessionStore>();
  /** Groups whose statement or barrier is in flight (drain waits for them). */
  readonly #runs = new Set<Promise<void>>();
  /** Group statements in flight, and how many may be. */
  #writing = 0;
  readonly #pipeline: number;
  readonly #barrier: boolean;
  readonly #upgrade: boolean;
  readonly #onWarning: (message: string) => void;
  #pumpQueued = false;
  #closed = false;
  /** close() was called: commits whose outcome stays unknown past retryMs fail (are reported) now. */
  #closing = false;
  /** Commit statistics: commits, sessions and messages committed, last commit latency (ms). */
  readonly stats = { commits: 0, messages: 0, fenced: 0, retries: 0, lastCommitMs: 0, commitMsTotal: 0 };
  /**
   * Cluster: true while this gateway's lease of the session is certainly still valid by its own clock.
   * A flush (the wait before bytes go to the socket) fails with STORE_FENCED when it is not: bytes
   * committed just before a stall longer than the lease are never written after it.
   */
  leaseValid: ((sessionKey: string) => boolean) | undefined;
  /**
   * Called when a session's commit failed for good (not fenced): the cluster gives the lease up so that
   * the session is opened again (here or elsewhere) instead of staying stopped under a live lease.
   */
  onSessionFailed: ((sessionKey: string, e: Error) => void) | undefined;
  /** Cluster: the sessions whose lease this gateway holds, with their epoch (for /metrics). */
  leases: (() => Map<string, number>) | undefined;
  /** Called with each commit's duration (ms) and message count (benchmarks, metrics). */
  onCommit: ((ms: number, messages: number) => void) | undefined;
  /** Capability (types.ts): request ids with the outbound messages, inbound of record (postgres_requests.ts). */
  readonly requestIds: RequestIdStore = pgRequestLog(this);
  /** Capability (types.ts): the commit counters for /metrics. */
  commitMetrics(): CommitMetrics {
    const st = this.stats;
    return {
      commits: st.commits,
      messages: st.messages,
      fenced: st.fenced,
      retries: st.retries,
      leases: this.leases?.(),
    };
  }
  /** Capability (types.ts): `f` after each commit, besides `onCommit`'s earlier observers. */
  observeCommits(f: (ms: number, messages: number) => void): void {
    const prev = this.onCommit;
    this.onCommit = (ms, n) => {
      prev?.(ms, n);
      f(ms, n);
    };
  }

  /** The application_name of this store's connections. */
  readonly appName: string;

  /** A connection of its own for the cluster's heartbeats and leases (the pool's when not given). */
  readonly control: Sql;

  /** WARNINGs received by the pool's connections so far (openPostgresStore counts them). */
  readonly #warnings: { readonly n: number };

  constructor(
    sql: Sql,
    schema: string,
    o: PostgresStoreOptions,
    appName = "fixg",
    control?: Sql,
    warnings: { readonly n: number } = { n: 0 },
  ) {
    this.sql = sql;
    this.#warnings = warnings;
    this.control = control ?? sql;
    this.appName = appName;
    this.schema = schema;
    this.nodeId = o.nodeId ?? `${Deno.hostname()}:${Deno.pid}`;
    this.#retryMs = o.retryMs ?? 15_000;
    this.#scheduler = o.scheduler ?? systemScheduler;
    const conns = Math.max(1, Math.floor(o.maxConnections ?? 4));
    this.#pipeline = Math.max(1, Math.min(Math.floor(o.pipeline ?? 2), Math.max(1, conns - 1)));
    this.#barrier = o.pipelineSessions === true;
    this.#upgrade = o.upgrade ?? true;
    this.#onWarning = o.onWarning ?? ((m) => console.error(`fixg: warning: ${m}`));
  }

  /** `schema.table`, quoted. */
  t(name: string): string {
    return table(this.schema, name);
  }

  /** Creates the schema and tables when missing (idempotent; concurrent gateways serialise on a lock). */
  createSchema(): Promise<void> {
    return createSchema(this.sql, this.schema, this.#upgrade);
  }

  /** The open session store of `sessionKey`, if any (library request ids: postgres_requests.ts). */
  openedSession(sessionKey: string): PgSessionStore | undefined {
    return this.#open.get(sessionKey);
  }

  /**
   * Opens a session and takes it over: its epoch is bumped (any earlier owner is fenced from now on)
   * and both numbers are read from the committed tail. With `epoch`, the caller (the cluster's lease)
   * already holds that epoch: the open fails with STORE_FENCED when the rows have moved on.
   */
  async openSession(sessionKey: string, nowMs: number, epoch?: number): Promise<SessionStore> {
    epoch ??= this.#claims.get(sessionKey);
    if (this.#closed) throw new FixgError("STORE_CLOSED", "The PostgreSQL store is closed");
    if (this.#open.has(sessionKey)) {
      throw new FixgError("STORE_SESSION_OPEN", `Session "${sessionKey}" is already open in this store`);
    }
    const sessions = this.t("sessions");
    // A new session's row (a trigger adds its two position rows).
    await this.sql.unsafe(
      `insert into ${sessions} (session_key, creation_ms) values ($1, $2) on conflict do nothing`,
      [sessionKey, nowMs],
    );
    if (epoch === undefined) {
      // The takeover: the epoch moves on in `sessions` and (the trigger) in both position rows, which
      // waits for a commit of the earlier owner in flight on either; none of its lands after this.
      // Holding one of the two rows, it can be a deadlock's victim (a group statement of the earlier
      // owner holding the other and waiting for the first): rolled back whole, it is run again.
      for (let attempt = 1;; attempt++) {
        try {
          const rows = await this.sql.unsafe(
            `update ${sessions} set epoch = epoch + 1, owner = $2 where session_key = $1 returning epoch`,
            [sessionKey, this.nodeId],
          );
          epoch = Number(rows[0]!.epoch);
          break;
        } catch (e) {
          if ((e as { code?: unknown })?.code !== "40P01" || attempt >= 5) throw e;
        }
      }
    }
    // The committed tail: both position rows, with the epoch (ours, or the cluster's lease's).
    const rows = await this.sql.unsafe(
      `select dir, pos, next_seq, gen, creation_ms from ${this.t("positions")}
       where session_key = $1 and epoch = $2`,
      [sessionKey, epoch],
    );
    const out = rows.find((r) => r.dir === "out"), inb = rows.find((r) => r.dir === "in");
    if (out === undefined || inb === undefined) {
      throw new FencedError(`Session "${sessionKey}": epoch ${epoch} is no longer this gateway's (fenced)`);
    }
    const gen = Number(out.gen);
    const last = await this.sql.unsafe(
      `select coalesce(max(seq), 0) as m from ${this.t("outbound")} where session_key = $1 and gen = $2`,
      [sessionKey, gen],
    );
    const s = new PgSessionStore(this, sessionKey, {
      epoch,
      pos: { out: Number(out.pos), in: Number(inb.pos) },
      nextSenderSeq: Number(out.next_seq),
      nextTargetSeq: Number(inb.next_seq),
      creationMs: Number(out.creation_ms),
      gen,
      lastOut: Number(last[0]!.m),
    });
    this.#open.set(sessionKey, s);
    return s;
  }

  /** Every stored message as journal records (`fixg journal export`), in commit order. */
  records(): Promise<JournalRecord[]> {
    return readRecords(this.sql, this.schema);
  }

  /** The cluster won `sessionKey`'s lease with `epoch`: the next openSession opens with it. */
  claim(sessionKey: string, epoch: number): void {
    this.#claims.set(sessionKey, epoch);
  }

  /** Every session row (for `fixg cluster status`), lease ages in database time. */
  sessionRows(): Promise<SessionRow[]> {
    return readSessionRows(this.sql, this.schema);
  }

  /** @internal A session queued a write: commit it with the next group. */
  queue(s: PgSessionStore): void {
    this.#dirty.add(s);
    // The commit starts after the current synchronous run: the writes it makes go in together.
    if (!this.#pumpQueued) {
      this.#pumpQueued = true;
      queueMicrotask(() => {
        this.#pumpQueued = false;
        this.#pump();
      });
    }
  }

  /** @internal */
  forget(s: PgSessionStore): void {
    if (this.#open.get(s.sessionKey) === s) this.#open.delete(s.sessionKey);
  }

  /** Resolves when every write queued so far is committed (or has failed). */
  async drain(): Promise<void> {
    while (this.#runs.size > 0) await Promise.allSettled([...this.#runs]);
  }

  /**
   * Starts groups while a statement slot is free: each takes the queued writes of every dirty session's
   * chains whose statement is not in flight (a session's outbound and inbound ones may go together).
   */
  #pump(): void {
    while (this.#writing < this.#pipeline && this.#dirty.size > 0) {
      const group: { s: PgSessionStore; p: Pending }[] = [];
      for (const s of this.#dirty) {
        for (const p of s.take()) group.push({ s, p });
        // A chain's writes still queued behind its statement in flight: queued again when it lands.
        if (!s.busy) this.#dirty.delete(s);
      }
      if (group.length === 0) return;
      this.#writing++;
      const started = performance.now();
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.#writing--;
        this.#pump();
      };
      const run: Promise<void> = this.#commitGroup(group, started, release).finally(() => {
        release();
        this.#runs.delete(run);
      });
      this.#runs.add(run);
    }
  }

  /**
   * Commits one group: its statement (fenced sessions drop out and the rest is committed without
   * them), then `release` (the next group may start) and the barrier that waits for the standby.
   */
  async #commitGroup(group: { s: PgSessionStore; p: Pending }[], started: number, release: () => void) {
    const warned = this.#warnings.n;
    const first = await this.#write(group, false, release);
    group = first.group;
    for (const g of group) g.s.landed(g.p);
    // A synchronous commit is on the standby when it answered without a WARNING on its first attempt.
    // Not when its wait for the standby was cancelled (pg_cancel_backend, a client's cancel request:
    // success with a WARNING, "committed locally, but might not have been replicated"; statement_timeout
    // is disarmed before the commit and does not cut it), nor when its connection
    // was lost and the retry found it landed (pg_terminate_backend during the wait, a primary that
    // restarted): on the primary only, a failover would lose it. Those wait for a barrier.
    if (!this.#barrier && !first.retried && this.#warnings.n === warned) {
      // Released before the next group of these sessions starts (their writes are released in order).
      for (const g of group) g.s.synced(g.p);
      release();
      return this.#counted(group, started);
    }
    release();
    if (group.length === 0) return;
    // The standby: a barrier after the statement. When it fails, the landed statements are checked
    // (a failed primary may have lost them: written again) and the barrier runs again. A barrier whose
    // wait was cancelled (a WARNING meanwhile) runs again too, for as long as it takes: its group is
    // on the primary, so it is never reported not sent, and nothing of it is released before the
    // standby has it.
    let deadline = 0, attempt = 0;
    for (;;) {
      try {
        if (attempt > 0) group = (await this.#write(group, true)).group;
        group = group.filter((g) => !g.p.settled || g.p.unsure);
        if (group.length === 0) return;
        const w = this.#warnings.n;
        await syncBarrier(this.sql);
        if (this.#warnings.n === w) break;
        attempt++;
        this.stats.retries++;
        await sleep(this.#scheduler, Math.min(500, 25 * 2 ** Math.min(attempt - 1, 5)));
      } catch (e) {
        attempt++;
        if (!retryable(e)) return this.#failAll(group, e);
        const now = this.#scheduler.nowMs();
        if (deadline === 0) deadline = now + this.#retryMs;
        if (this.#giveUp(group, e, now > deadline)) return;
        this.stats.retries++;
        await sleep(this.#scheduler, Math.min(500, 25 * 2 ** Math.min(attempt - 1, 5)));
      }
    }
    for (const g of group) g.s.synced(g.p);
    this.#counted(group, started);
  }

  /** Commit statistics and `onCommit` for a group released now. */
  #counted(group: { s: PgSessionStore; p: Pending }[], started: number): void {
    if (group.length === 0) return;
    let n = 0;
    for (const g of group) n += g.p.out.size + g.p.inb.size + g.p.older.length;
    const ms = performance.now() - started;
    this.stats.commits++;
    this.stats.messages += n;
    this.stats.lastCommitMs = ms;
    this.stats.commitMsTotal += ms;
    this.onCommit?.(ms, n);
  }

  #failAll(group: { s: PgSessionStore; p: Pending }[], e: unknown): void {
    for (const g of group) g.s.fail(g.p, e);
  }

  /**
   * Runs the group's statement until it lands (`recheck`: it may have landed already). Returns the
   * items that landed; fenced ones are fenced, failed ones failed; sessions stopped meanwhile drop out.
   */
  async #write(
    group: { s: PgSessionStore; p: Pending }[],
    recheck: boolean,
    onUnknown?: () => void,
  ): Promise<{ group: { s: PgSessionStore; p: Pending }[]; retried: boolean }> {
    let deadline = 0;
    let attempt = recheck ? 1 : 0;
    for (;;) {
      // (An `unsure` commit was rejected when its session stopped; its outcome decides its report.)
      group = group.filter((g) => !g.p.settled || g.p.unsure);
      if (group.length === 0) return { group, retried: attempt > 0 };
      attempt++;
      try {
        const fenced = await tryCommit(
          this.sql,
          this.schema,
          group,
          attempt > 1,
          this.#barrier ? "off" : "on",
        );
        if (fenced.length === 0) return { group, retried: attempt > 1 };
        const set = new Set(fenced);
        for (const g of group) {
          // A session twice in the group (both chains): the first fence stops it and settles both.
          if (set.has(g.s.sessionKey) && (!g.p.settled || g.p.unsure)) {
            // What of it is in the database, and of the session's other commits not released: the other
            // chain's in flight (in this group or another; the takeover locked both rows, so its outcome
            // is known) and the landed ones waiting for the standby (a failed primary may have lost them).
            const asked = [...new Set([g.p, ...g.s.unreleased()])].filter((q) => q === g.p || !q.settled);
            g.s.fence(g.p, await storedOf(this.sql, this.schema, g.s.sessionKey, asked));
          }
        }
        this.stats.fenced += fenced.length;
        group = group.filter((g) => !set.has(g.s.sessionKey));
      } catch (e) {
        if (!retryable(e)) {
          this.#failAll(group, e);
          return { group: [], retried: true };
        }
        const now = this.#scheduler.nowMs();
        if (deadline === 0) deadline = now + this.#retryMs;
        if (this.#giveUp(group, e, now > deadline)) return { group: [], retried: true };
        if (now > deadline) onUnknown?.(); // the statement slot: other sessions' groups go on
        this.stats.retries++;
        // Backoff: 25 ms doubling to 500 ms (a promoted standby is found within half a second of it).
        await sleep(this.#scheduler, Math.min(500, 25 * 2 ** Math.min(attempt - 1, 5)));
      }
    }
  }

  /**
   * A commit whose outcome is unknown (its connection lost) is retried. Past `retryMs` its sessions stop
   * (`failUnknown`: nothing more of them is sent) and it is still retried, so that what it wrote is
   * reported by its outcome (committed: not reported; the next owner resends it) rather than as never
   * committed. Once the store is closing (past `retryMs`) or closed, true: no more retries, and the
   * outcome stays unknown — the writes reject with STORE_FAILED "(commit outcome unknown)", never
   * reported not sent (landed, the next owner resends them).
   */
  #giveUp(group: { s: PgSessionStore; p: Pending }[], e: unknown, late: boolean): boolean {
    const done = this.#closed || (late && this.#closing);
    if (late || done) { for (const g of group) if (!g.p.settled) g.s.failUnknown(g.p, e); }
    return done;
  }

  /**
   * Commits what is queued, ends the pool. Waits at most `retryMs` for the commits in flight (with the
   * synchronous standby gone a commit or barrier waits for ever, and a gateway's SIGTERM must end the
   * process): what is then still not confirmed (its statement unanswered, or landed and not known to be
   * on the standby) is given up as outcome unknown — its writes reject with STORE_FAILED "(commit
   * outcome unknown)", so none of it is ever sent, and it is not reported not sent (it may be in the
   * database: the next owner resends it) — and one warning names the count. Writes queued behind them,
   * never sent to the database, are reported not sent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    let timer: Timer | undefined, late = false;
    await Promise.race([
      this.drain(),
      new Promise<void>((r) => (timer = this.#scheduler.after(this.#retryMs, () => (late = true, r())))),
    ]);
    timer?.cancel();
    const cut = late && this.#runs.size > 0;
    if (cut) {
      const e = new Error(
        `the store closed with the commit not confirmed after ${this.#retryMs} ms (the database or its synchronous standby did not answer)`,
      );
      let commits = 0, messages = 0, sessions = 0;
      for (const s of [...this.#open.values()]) {
        const n = s.abandon(e);
        if (n.commits === 0) continue;
        sessions++;
        commits += n.commits;
        messages += n.messages;
      }
      if (commits > 0) {
        this.#onWarning(
          `PostgreSQL store closed after waiting ${this.#retryMs} ms: ${messages} message(s) in ${commits} commit(s) of ${sessions} session(s) not confirmed by the database and its synchronous standby; not sent, their outcome unknown (STORE_FAILED; if they landed, the session's next owner has them)`,
        );
      }
    }
    this.#closed = true;
    for (const s of [...this.#open.values()]) await s.close();
    // Given up: the statements still waiting are cut off now (their outcome is unknown anyway).
    await this.sql.end({ timeout: cut ? 0 : 2 });
    if (this.control !== this.sql) await this.control.end({ timeout: cut ? 0 : 2 });
  }
}

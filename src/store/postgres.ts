/**
 * The PostgreSQL store (`store: { type: postgres, url: ... }`): the store of record for gateways that
 * fail over to each other (docs/ha.md).
 *
 * - Per session one row in `sessions` (both sequence numbers, creation time, reset generation, owner,
 *   owner epoch, lease, write position) and its messages in `outbound` / `inbound`.
 * - Journal before send: `durableBeforeSend` is true, so the session runner waits for `flush()` (the
 *   commit) before it writes a batch to the socket. With `synchronous_commit = on` and
 *   `synchronous_standby_names` set on the server, a commit is on the standby too.
 * - Commit before delivery: `durableBeforeDeliver` is true, so the runner hands an inbound message to
 *   the application only after the commit of its append (the message and the advanced expected number);
 *   a fenced or failed commit means it is never delivered.
 * - Group commit across sessions: writes queue in memory; one transaction commits everything queued
 *   when it starts, and what arrives while it is in flight goes in the next one.
 * - Fencing: every commit updates each of its sessions' rows with `WHERE epoch = <ours> AND pos =
 *   <expected>` in the same transaction as the messages. A session whose row does not match (another
 *   gateway took it and bumped the epoch) is fenced: the transaction is rolled back, the session's
 *   writes and flushes reject with STORE_FENCED from then on (the runner drops the connection and
 *   never writes the bytes), and the other sessions of the batch commit without it.
 * - A commit whose outcome is unknown (connection lost: the primary died) is retried on a new
 *   connection (a multi-host URL with target_session_attrs=read-write finds the promoted standby)
 *   until `retryMs`; the write position tells whether the lost commit had landed.
 */
import postgres from "postgres";
import { Buffer } from "node:buffer";
import { ConfigError, FixgError } from "../errors.ts";
import type { JournalRecord } from "./reader.ts";
import type { MessageStore, SeqNums, SessionStore, StoredMessage } from "./types.ts";

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions {
  /** libpq-style URL, e.g. postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write */
  url: string;
  /** Schema of the tables (created on open when missing). Default "fixg". */
  schema?: string;
  /** This gateway's name, recorded as the owner of the sessions it opens. Default the host name + pid. */
  nodeId?: string;
  /** How long a commit whose connection failed is retried before the sessions stop. Default 15000 ms. */
  retryMs?: number;
  /** Connections in the pool. Default 4. */
  maxConnections?: number;
  /**
   * The server ends a connection of this store that sits inside a transaction longer than this (ms): a
   * gateway stalled mid-commit (GC, SIGSTOP, VM pause) must not hold its sessions' row locks, which
   * would block the gateway taking them over. Default 1000; the cluster uses half its lease.
   */
  idleInTransactionMs?: number;
  /** Statements of this store give up waiting for a row lock after this long (ms; 0 never). Default 0. */
  lockTimeoutMs?: number;
}

/** A session's row as read from the database. */
export interface SessionRow {
  sessionKey: string;
  epoch: number;
  owner: string | null;
  /** Milliseconds since the lease was last renewed (database time); null without a lease. */
  leaseAgeMs: number | null;
  /** Milliseconds until the lease expires (negative: expired); null without a lease. */
  leaseLeftMs: number | null;
  nextSenderSeq: number;
  nextTargetSeq: number;
  creationMs: number;
  gen: number;
  pos: number;
}

// deno-lint-ignore no-explicit-any
type Sql = postgres.Sql<any>;

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** SQLSTATE of the fence function's error (a commit found a session's row moved on). */
const FENCE_SQLSTATE = "FXF01";

/** Raised (as the rejection of writes and flushes) when another owner took the session. */
export class FencedError extends FixgError {
  constructor(message: string) {
    super("STORE_FENCED", message);
  }
}

/** Errors after which a commit's outcome is unknown and a retry on a new connection may succeed. */
function retryable(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string") {
    return e instanceof Error && /connect|closed|ECONN|EPIPE|terminat/i.test(e.message);
  }
  // Connection loss, admin shutdown, read-only transaction (a standby), cannot connect now (recovery),
  // serialization failure, lock not available (a stalled gateway's connection still holds the row).
  return code === "CONNECTION_CLOSED" || code === "CONNECTION_ENDED" || code === "CONNECTION_DESTROYED" ||
    code === "CONNECT_TIMEOUT" || code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE" ||
    code === "57P01" || code === "57P02" || code === "57P03" || code === "25006" || code === "08006" ||
    code === "08001" || code === "08003" || code === "08004" || code === "40001" || code === "55P03";
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What one session queued for the next commit. */
interface Pending {
  /** Outbound messages of generation `gen` by MsgSeqNum (a later one with the same number replaces it). */
  out: Map<number, Uint8Array>;
  inb: Map<number, Uint8Array>;
  /** Generation of `out` and `inb`. */
  gen: number;
  /** Messages of earlier generations (a reset came after them in the same group). */
  older: { dir: "out" | "in"; gen: number; seq: number; bytes: Uint8Array }[];
  /** Stored outbound rows of generation `gen` from `from` on are deleted first (numbers set back). */
  deletes: { gen: number; from: number }[];
  resolve: () => void;
  reject: (e: Error) => void;
  promise: Promise<void>;
}

function newPending(gen: number): Pending {
  let resolve!: () => void, reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // callers that ignore a write's promise must not see an unhandled rejection
  return { out: new Map(), inb: new Map(), gen, older: [], deletes: [], resolve, reject, promise };
}

/** The outbound messages of a pending group, oldest generation first, in MsgSeqNum order. */
function outboundOf(p: Pending): { gen: number; seq: number; bytes: Uint8Array }[] {
  const out = p.older.filter((m) => m.dir === "out");
  for (const [seq, bytes] of p.out) out.push({ dir: "out", gen: p.gen, seq, bytes });
  return out.map(({ gen, seq, bytes }) => ({ gen, seq, bytes }));
}

/** Opens the PostgreSQL store and creates its schema when missing. */
export async function openPostgresStore(o: PostgresStoreOptions): Promise<PostgresMessageStore> {
  const schema = o.schema ?? "fixg";
  if (!IDENT.test(schema)) {
    throw new ConfigError(`store.schema: "${schema}" is not a plain lower-case SQL identifier`);
  }
  // fixg:<nodeId>:<instance>: the cluster ends the connections of a gateway process whose heartbeat
  // stopped (this process only: a restarted gateway with the same nodeId has another instance).
  const instance = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const appName = o.nodeId === undefined ? "fixg" : `fixg:${o.nodeId.slice(0, 40)}:${instance}`;
  let sql: Sql;
  let control: Sql;
  try {
    const client = (max: number) =>
      postgres(o.url, {
        // The client's own read-write test reads default_transaction_read_only only, which a hot standby
        // leaves off: it would take a standby for a primary. "primary" (not in recovery) is what is meant.
        ...(/[?&]target_session_attrs=read-write(&|$)/.test(o.url)
          ? { target_session_attrs: "primary" }
          : {}),
        max,
        onnotice: () => {},
        connect_timeout: 5,
        idle_timeout: 0,
        connection: {
          // fixg:<nodeId>: the cluster ends the connections of a gateway that stopped heartbeating.
          application_name: appName,
          lock_timeout: Math.max(0, Math.round(o.lockTimeoutMs ?? 0)),
          idle_in_transaction_session_timeout: Math.max(1, Math.round(o.idleInTransactionMs ?? 1000)),
        },
      });
    sql = client(o.maxConnections ?? 4);
    // The cluster's heartbeats and lease renewals on a connection of their own: they never wait behind
    // a large group commit (a renewal that waits too long is a lease lost).
    control = client(1);
  } catch (e) {
    throw new ConfigError(`store.url: ${e instanceof Error ? e.message : String(e)}`);
  }
  const store = new PostgresMessageStore(sql, schema, o, appName, control);
  try {
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

/** The URL without its passwords (user part and password=/sslpassword= parameters), for messages. */
export function redactUrl(url: string): string {
  return url
    .replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")
    // libpq also takes the password as a query parameter (password=, sslpassword=).
    .replace(/([?&](?:ssl)?password=)[^&#]*/gi, "$1***");
}

/** The PostgreSQL MessageStore of one gateway. */
export class PostgresMessageStore implements MessageStore {
  readonly sql: Sql;
  readonly schema: string;
  readonly nodeId: string;
  readonly #retryMs: number;
  readonly #open = new Map<string, PgSessionStore>();
  /** Epochs won by the cluster's leases (src/engine/cluster.ts): openSession opens with them. */
  readonly #claims = new Map<string, number>();
  /** Sessions with queued writes, in the order they queued. */
  readonly #dirty = new Set<PgSessionStore>();
  #committing: Promise<void> | undefined;
  #closed = false;
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

  /** The application_name of this store's connections. */
  readonly appName: string;

  /** A connection of its own for the cluster's heartbeats and leases (the pool's when not given). */
  readonly control: Sql;

  constructor(sql: Sql, schema: string, o: PostgresStoreOptions, appName = "fixg", control?: Sql) {
    this.sql = sql;
    this.control = control ?? sql;
    this.appName = appName;
    this.schema = schema;
    this.nodeId = o.nodeId ?? `${Deno.hostname()}:${Deno.pid}`;
    this.#retryMs = o.retryMs ?? 15_000;
  }

  /** `schema.table`, quoted. */
  t(table: string): string {
    return `"${this.schema}"."${table}"`;
  }

  /** Creates the schema and tables when missing (idempotent; concurrent gateways serialise on a lock). */
  async createSchema(): Promise<void> {
    const s = this.schema;
    await this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext(${"fixg-schema:" + s}))`;
      await tx.unsafe(`create schema if not exists "${s}"`);
      await tx.unsafe(`create table if not exists ${this.t("sessions")} (
        session_key text primary key,
        epoch bigint not null default 0,
        owner text,
        lease_until timestamptz,
        lease_renewed timestamptz,
        next_sender_seq bigint not null default 1,
        next_target_seq bigint not null default 1,
        creation_ms bigint not null,
        gen bigint not null default 0,
        pos bigint not null default 0
      )`);
      await tx.unsafe(`create table if not exists ${this.t("outbound")} (
        session_key text not null, gen bigint not null, seq bigint not null, bytes bytea not null,
        at timestamptz not null default now(), primary key (session_key, gen, seq))`);
      await tx.unsafe(`create table if not exists ${this.t("inbound")} (
        session_key text not null, gen bigint not null, seq bigint not null, bytes bytea not null,
        at timestamptz not null default now(), primary key (session_key, gen, seq))`);
      // Raised inside a commit's single statement when a session's row did not match: undoes all of it.
      await tx.unsafe(`create or replace function "${s}".fence(expected int, got int) returns int
        language plpgsql as $f$
        begin
          if got <> expected then
            raise exception using errcode = '${FENCE_SQLSTATE}', message = 'fixg: fenced';
          end if;
          return got;
        end $f$`);
      await tx.unsafe(`create table if not exists ${this.t("members")} (
        node_id text primary key, started timestamptz not null default now(),
        heartbeat timestamptz not null default now(), lease_ms bigint not null default 0,
        app_name text)`);
    });
  }

  /**
   * Opens a session and takes it over: its epoch is bumped (any earlier owner is fenced from now on)
   * and both numbers are read from the committed tail. With `epoch`, the caller (the cluster's lease)
   * already holds that epoch: the open fails with STORE_FENCED when the row has moved on.
   */
  async openSession(sessionKey: string, nowMs: number, epoch?: number): Promise<SessionStore> {
    epoch ??= this.#claims.get(sessionKey);
    if (this.#closed) throw new FixgError("STORE_CLOSED", "The PostgreSQL store is closed");
    if (this.#open.has(sessionKey)) {
      throw new FixgError("STORE_SESSION_OPEN", `Session "${sessionKey}" is already open in this store`);
    }
    const sessions = this.t("sessions");
    await this.sql.unsafe(
      `insert into ${sessions} (session_key, creation_ms) values ($1, $2) on conflict do nothing`,
      [sessionKey, nowMs],
    );
    const rows = epoch === undefined
      ? await this.sql.unsafe(
        `update ${sessions} set epoch = epoch + 1, owner = $2 where session_key = $1 returning *`,
        [sessionKey, this.nodeId],
      )
      : await this.sql.unsafe(`select * from ${sessions} where session_key = $1 and epoch = $2`, [
        sessionKey,
        epoch,
      ]);
    const row = rows[0];
    if (row === undefined) {
      throw new FencedError(`Session "${sessionKey}": epoch ${epoch} is no longer this gateway's (fenced)`);
    }
    const gen = Number(row.gen);
    const last = await this.sql.unsafe(
      `select coalesce(max(seq), 0) as m from ${this.t("outbound")} where session_key = $1 and gen = $2`,
      [sessionKey, gen],
    );
    const s = new PgSessionStore(this, sessionKey, {
      epoch: Number(row.epoch),
      pos: Number(row.pos),
      nextSenderSeq: Number(row.next_sender_seq),
      nextTargetSeq: Number(row.next_target_seq),
      creationMs: Number(row.creation_ms),
      gen,
      lastOut: Number(last[0]!.m),
    });
    this.#open.set(sessionKey, s);
    return s;
  }

  /**
   * Every stored message as journal records (`fixg journal export` of a PostgreSQL store), in commit
   * order: `epoch` is the reset generation, `wallMs` the commit time.
   */
  async records(): Promise<JournalRecord[]> {
    const rows = await this.sql.unsafe(
      `select * from (
         select session_key, 'out' as dir, gen, seq, bytes, at from ${this.t("outbound")}
         union all
         select session_key, 'in' as dir, gen, seq, bytes, at from ${this.t("inbound")}) m
       order by at, session_key, gen, dir desc, seq`,
    );
    return rows.map((r) => {
      const b = r.bytes as Uint8Array;
      const payload = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      return {
        segment: 0,
        file: "",
        offset: 0,
        length: payload.length,
        type: "message" as const,
        direction: r.dir === "in" ? "in" as const : "out" as const,
        sessionId: 0,
        sessionKey: String(r.session_key),
        epoch: Number(r.gen),
        seq: Number(r.seq),
        seq2: 0,
        monoNs: 0,
        wallMs: (r.at as Date).getTime(),
        creationMs: undefined,
        payload,
      };
    });
  }

  /** The cluster won `sessionKey`'s lease with `epoch`: the next openSession opens with it. */
  claim(sessionKey: string, epoch: number): void {
    this.#claims.set(sessionKey, epoch);
  }

  /** Every session row (for `fixg cluster status`), lease ages in database time. */
  async sessionRows(): Promise<SessionRow[]> {
    const rows = await this.sql.unsafe(
      `select *, (extract(epoch from (now() - lease_renewed)) * 1000)::float8 as lease_age,
        (extract(epoch from (lease_until - now())) * 1000)::float8 as lease_left
        from ${this.t("sessions")} order by session_key`,
    );
    return rows.map((r) => ({
      sessionKey: String(r.session_key),
      epoch: Number(r.epoch),
      owner: r.owner === null ? null : String(r.owner),
      leaseAgeMs: r.lease_age === null ? null : Math.round(Number(r.lease_age)),
      leaseLeftMs: r.lease_left === null ? null : Math.round(Number(r.lease_left)),
      nextSenderSeq: Number(r.next_sender_seq),
      nextTargetSeq: Number(r.next_target_seq),
      creationMs: Number(r.creation_ms),
      gen: Number(r.gen),
      pos: Number(r.pos),
    }));
  }

  /** @internal A session queued a write: commit it with the next group. */
  queue(s: PgSessionStore): void {
    this.#dirty.add(s);
    // The commit starts after the current synchronous run: the writes it makes go in together.
    if (this.#committing === undefined) {
      this.#committing = Promise.resolve().then(() => this.#commitLoop());
    }
  }

  /** @internal */
  forget(s: PgSessionStore): void {
    if (this.#open.get(s.sessionKey) === s) this.#open.delete(s.sessionKey);
  }

  /** Resolves when every write queued so far is committed (or has failed). */
  async drain(): Promise<void> {
    while (this.#committing !== undefined) await this.#committing;
  }

  async #commitLoop(): Promise<void> {
    try {
      while (this.#dirty.size > 0) {
        const batch = [...this.#dirty];
        this.#dirty.clear();
        const taken = batch.map((s) => ({ s, p: s.take() })).filter((x) => x.p !== undefined) as {
          s: PgSessionStore;
          p: Pending;
        }[];
        await this.#commitGroup(taken);
      }
    } finally {
      this.#committing = undefined;
    }
  }

  /** Commits one group; fenced sessions drop out and the rest is committed without them. */
  async #commitGroup(group: { s: PgSessionStore; p: Pending }[]): Promise<void> {
    const started = performance.now();
    let deadline = 0;
    let attempt = 0;
    while (group.length > 0) {
      attempt++;
      try {
        const fenced = await this.#tryCommit(group, attempt > 1);
        if (fenced.length === 0) break;
        const set = new Set(fenced);
        for (const g of group) {
          if (set.has(g.s.sessionKey)) g.s.fence(g.p, await this.#stored(g.s.sessionKey, g.p));
        }
        this.stats.fenced += fenced.length;
        group = group.filter((g) => !set.has(g.s.sessionKey));
        continue;
      } catch (e) {
        if (!retryable(e)) {
          for (const g of group) g.s.fail(g.p, e);
          return;
        }
        if (deadline === 0) deadline = performance.now() + this.#retryMs;
        if (performance.now() > deadline || this.#closed) {
          for (const g of group) g.s.fail(g.p, e);
          return;
        }
        this.stats.retries++;
        // Backoff: 25 ms doubling to 500 ms (a promoted standby is found within half a second of it).
        await sleep(Math.min(500, 25 * 2 ** Math.min(attempt - 1, 5)));
      }
    }
    let n = 0;
    for (const g of group) {
      n += g.p.out.size + g.p.inb.size + g.p.older.length;
      g.s.committed(g.p);
    }
    const ms = performance.now() - started;
    this.stats.commits++;
    this.stats.messages += n;
    this.stats.lastCommitMs = ms;
    this.stats.commitMsTotal += ms;
    this.onCommit?.(ms, n);
  }

  /**
   * The outbound messages of `p` that are in the database with the same bytes: a lost commit landed
   * before the session was taken over, so the new owner has them (and resends or gap-fills them).
   * Empty when that cannot be read.
   */
  async #stored(key: string, p: Pending): Promise<Set<string>> {
    const gens: number[] = [], seqs: number[] = [], want = new Map<string, Uint8Array>();
    for (const m of outboundOf(p)) {
      gens.push(m.gen);
      seqs.push(m.seq);
      want.set(`${m.gen}:${m.seq}`, m.bytes);
    }
    const out = new Set<string>();
    if (gens.length === 0) return out;
    try {
      const rows = await this.sql.unsafe(
        `select o.gen, o.seq, o.bytes from ${this.t("outbound")} o
         join unnest($2::int8[], $3::int8[]) as w(g, s) on o.gen = w.g and o.seq = w.s
         where o.session_key = $1`,
        [key, gens, seqs],
      );
      for (const r of rows) {
        const k = `${Number(r.gen)}:${Number(r.seq)}`;
        const b = r.bytes as Uint8Array, w = want.get(k);
        if (w !== undefined && w.length === b.length && w.every((x, i) => x === b[i])) out.add(k);
      }
    } catch { /* unreadable: every message counts as not committed */ }
    return out;
  }

  /**
   * One transaction for the group. Returns the keys of fenced sessions (then nothing was committed).
   * After a failed attempt (`retry`), sessions whose position already moved one past ours with our
   * epoch had that lost commit land: they count as committed, not fenced.
   */
  async #tryCommit(group: { s: PgSessionStore; p: Pending }[], retry: boolean): Promise<string[]> {
    const sessions = this.t("sessions");
    if (retry) {
      const keys = group.map((g) => g.s.sessionKey);
      const rows = await this.sql.unsafe(
        `select session_key, epoch, pos from ${sessions} where session_key = any($1::text[])`,
        [keys],
      );
      const byKey = new Map(rows.map((r) => [String(r.session_key), r]));
      const landed = group.filter((g) => {
        const r = byKey.get(g.s.sessionKey);
        return r !== undefined && Number(r.epoch) === g.s.epoch && Number(r.pos) === g.s.pos + 1;
      });
      if (landed.length === group.length) return [];
      if (landed.length > 0) return group.filter((g) => !landed.includes(g)).map((g) => g.s.sessionKey);
    }
    const keys: string[] = [],
      epochs: number[] = [],
      poss: number[] = [],
      nss: number[] = [],
      nts: number[] = [],
      cms: number[] = [],
      gens: number[] = [];
    const dk: string[] = [], dg: number[] = [], ds: number[] = [];
    const ok: string[] = [], og: number[] = [], os: number[] = [], ob: Buffer[] = [];
    const ik: string[] = [], ig: number[] = [], is: number[] = [], ib: Buffer[] = [];
    for (const { s, p } of group) {
      const st = s.queuedState();
      keys.push(s.sessionKey);
      epochs.push(s.epoch);
      poss.push(s.pos);
      nss.push(st.nextSenderSeq);
      nts.push(st.nextTargetSeq);
      cms.push(st.creationMs);
      gens.push(st.gen);
      for (const d of p.deletes) {
        dk.push(s.sessionKey);
        dg.push(d.gen);
        ds.push(d.from);
      }
      for (const m of p.older) {
        const [k, g, q, b] = m.dir === "out" ? [ok, og, os, ob] : [ik, ig, is, ib];
        k.push(s.sessionKey);
        g.push(m.gen);
        q.push(m.seq);
        b.push(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
      }
      for (const [seq, b] of p.out) {
        ok.push(s.sessionKey);
        og.push(p.gen);
        os.push(seq);
        ob.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      }
      for (const [seq, b] of p.inb) {
        ik.push(s.sessionKey);
        ig.push(p.gen);
        is.push(seq);
        ib.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      }
    }
    if (dk.length === 0) {
      // The usual group: one statement (one round trip, one autocommit). The fence function raises
      // when a session's row did not match, which undoes the whole statement.
      try {
        await this.sql.unsafe(
          `with v as (
             select * from unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])
               as v(k, e, p, nss, nts, cms, gen)),
           u as (
             update ${sessions} s set next_sender_seq = v.nss, next_target_seq = v.nts, creation_ms = v.cms,
               gen = v.gen, pos = s.pos + 1
             from v where s.session_key = v.k and s.epoch = v.e and s.pos = v.p
             returning s.session_key),
           o as (
             insert into ${this.t("outbound")} (session_key, gen, seq, bytes)
             select * from unnest($8::text[], $9::int8[], $10::int8[], $11::bytea[])
             on conflict (session_key, gen, seq) do update set bytes = excluded.bytes),
           i as (
             insert into ${this.t("inbound")} (session_key, gen, seq, bytes)
             select * from unnest($12::text[], $13::int8[], $14::int8[], $15::bytea[])
             on conflict (session_key, gen, seq) do update set bytes = excluded.bytes)
           select "${this.schema}".fence($16::int, (select count(*)::int from u))`,
          [keys, epochs, poss, nss, nts, cms, gens, ok, og, os, ob, ik, ig, is, ib, keys.length],
        );
        return [];
      } catch (e) {
        if ((e as { code?: string }).code !== FENCE_SQLSTATE) throw e;
        const rows = await this.sql.unsafe(
          `select session_key, epoch, pos from ${sessions} where session_key = any($1::text[])`,
          [keys],
        );
        const byKey = new Map(rows.map((r) => [String(r.session_key), r]));
        const moved = group.filter((g) => {
          const r = byKey.get(g.s.sessionKey);
          return r === undefined || Number(r.epoch) !== g.s.epoch || Number(r.pos) !== g.s.pos;
        }).map((g) => g.s.sessionKey);
        // Nothing was committed; with no row moved on by now, the group is simply written again.
        if (moved.length === 0) {
          throw Object.assign(new Error("commit raced a takeover; retrying"), { code: "40001" });
        }
        return moved;
      }
    }
    const fenced: string[] = [];
    try {
      await this.sql.begin(async (tx) => {
        const updated = await tx.unsafe(
          `update ${sessions} s set next_sender_seq = v.nss, next_target_seq = v.nts, creation_ms = v.cms,
             gen = v.gen, pos = s.pos + 1
           from unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])
             as v(k, e, p, nss, nts, cms, gen)
           where s.session_key = v.k and s.epoch = v.e and s.pos = v.p
           returning s.session_key`,
          [keys, epochs, poss, nss, nts, cms, gens],
        );
        if (updated.length !== keys.length) {
          const got = new Set(updated.map((r) => String(r.session_key)));
          for (const k of keys) if (!got.has(k)) fenced.push(k);
          throw new FencedError("fenced"); // rolls the whole transaction back
        }
        const qs: Promise<unknown>[] = [];
        if (dk.length > 0) {
          qs.push(tx.unsafe(
            `delete from ${
              this.t("outbound")
            } o using unnest($1::text[], $2::int8[], $3::int8[]) as d(k, g, s)
             where o.session_key = d.k and o.gen = d.g and o.seq >= d.s`,
            [dk, dg, ds],
          ));
        }
        if (ok.length > 0) {
          qs.push(tx.unsafe(
            `insert into ${this.t("outbound")} (session_key, gen, seq, bytes)
             select * from unnest($1::text[], $2::int8[], $3::int8[], $4::bytea[])
             on conflict (session_key, gen, seq) do update set bytes = excluded.bytes`,
            [ok, og, os, ob],
          ));
        }
        if (ik.length > 0) {
          qs.push(tx.unsafe(
            `insert into ${this.t("inbound")} (session_key, gen, seq, bytes)
             select * from unnest($1::text[], $2::int8[], $3::int8[], $4::bytea[])
             on conflict (session_key, gen, seq) do update set bytes = excluded.bytes`,
            [ik, ig, is, ib],
          ));
        }
        await Promise.all(qs);
      });
    } catch (e) {
      if (e instanceof FencedError && fenced.length > 0) return fenced;
      throw e;
    }
    return [];
  }

  /** Commits what is queued, ends the pool. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.drain();
    this.#closed = true;
    for (const s of [...this.#open.values()]) await s.close();
    await this.sql.end({ timeout: 2 });
    if (this.control !== this.sql) await this.control.end({ timeout: 2 });
  }
}

interface InitialState {
  epoch: number;
  pos: number;
  nextSenderSeq: number;
  nextTargetSeq: number;
  creationMs: number;
  gen: number;
  lastOut: number;
}

/** One session's view of the PostgreSQL store. */
class PgSessionStore implements SessionStore {
  readonly sessionKey: string;
  readonly durableBeforeSend = true;
  readonly durableBeforeDeliver = true;
  readonly #store: PostgresMessageStore;
  /** Owner epoch and write position of the last commit (the conditional write's expectations). */
  epoch: number;
  pos: number;
  // The session's state as queued (what seqNums() gives; committed with the next group).
  #nss: number;
  #nts: number;
  #creationMs: number;
  #gen: number;
  /** Highest outbound MsgSeqNum stored in this generation (queued or committed). */
  #lastOut: number;
  #pending: Pending | undefined;
  /** Commits in flight for this session (taken, not yet answered). */
  #inFlight: Pending | undefined;
  #error: Error | undefined;
  #open = true;
  /** Set by the engine: numbered outbound messages this store will never commit (SessionStore). */
  onNotCommitted: ((messages: { seq: number; bytes: Uint8Array }[], reason: string) => void) | undefined =
    undefined;

  constructor(store: PostgresMessageStore, key: string, st: InitialState) {
    this.#store = store;
    this.sessionKey = key;
    this.epoch = st.epoch;
    this.pos = st.pos;
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

  /** @internal The state the next commit writes into the session's row. */
  queuedState(): { nextSenderSeq: number; nextTargetSeq: number; creationMs: number; gen: number } {
    return {
      nextSenderSeq: this.#nss,
      nextTargetSeq: this.#nts,
      creationMs: this.#creationMs,
      gen: this.#gen,
    };
  }

  #p(): Pending {
    if (!this.#open) throw new FixgError("STORE_CLOSED", `Session "${this.sessionKey}" is closed`);
    if (this.#pending === undefined) {
      this.#pending = newPending(this.#gen);
      this.#store.queue(this);
    }
    return this.#pending;
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
    if (this.#error !== undefined) {
      this.#report([{ seq, bytes }], this.#error.message);
      return this.#rejected();
    }
    const p = this.#p();
    if (seq <= this.#lastOut) {
      // Numbers set back: the stored messages from `seq` on are superseded (as in the other stores).
      p.deletes.push({ gen: this.#gen, from: seq });
      for (const k of [...p.out.keys()]) if (k >= seq) p.out.delete(k);
    }
    p.out.set(seq, bytes);
    this.#lastOut = seq;
    this.#nss = seq + 1;
    return p.promise;
  }

  appendInbound(seq: number, bytes: Uint8Array): Promise<void> {
    if (this.#error !== undefined) return this.#rejected();
    const p = this.#p();
    p.inb.set(seq, bytes.slice());
    this.#nts = seq + 1;
    return p.promise;
  }

  setNextTargetSeq(seq: number): Promise<void> {
    if (this.#error !== undefined) return this.#rejected();
    const p = this.#p();
    this.#nts = seq;
    return p.promise;
  }

  setNextSenderSeq(seq: number): Promise<void> {
    if (this.#error !== undefined) return this.#rejected();
    const p = this.#p();
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
    const p = this.#p();
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
    const p = this.#pending ?? this.#inFlight;
    if (p !== undefined) await p.promise;
    // A pending group taken after this call started has the writes made before it: wait for it too.
    if (this.#inFlight !== undefined && this.#inFlight !== p) await this.#inFlight.promise;
    if (this.#error !== undefined) throw this.#error;
    const valid = this.#store.leaseValid;
    if (valid !== undefined && !valid(this.sessionKey)) {
      this.#error = new FencedError(
        `Session "${this.sessionKey}": the lease may have expired (not renewed in time); nothing more is sent`,
      );
      throw this.#error;
    }
  }

  /** @internal The store takes the queued writes for a commit. */
  take(): Pending | undefined {
    const p = this.#pending;
    this.#pending = undefined;
    this.#inFlight = p;
    return p;
  }

  /** @internal The commit with `p` landed. */
  committed(p: Pending): void {
    this.pos++;
    if (this.#inFlight === p) this.#inFlight = undefined;
    p.resolve();
  }

  /**
   * @internal Another owner took the session. `stored` ("gen:seq") are messages of `p` whose lost
   * commit had landed before: the new owner has them; the rest is reported as never sent.
   */
  fence(p: Pending, stored: Set<string> = new Set()): void {
    this.#stop(
      new FencedError(
        `Session "${this.sessionKey}": fenced, another gateway owns it now (our epoch ${this.epoch} is stale); nothing more is committed or sent`,
      ),
      p,
      stored,
    );
  }

  /** @internal The commit failed for good. */
  fail(p: Pending, e: unknown): void {
    const m = e instanceof Error ? e.message : String(e);
    const first = this.#error === undefined;
    this.#stop(new FixgError("STORE_FAILED", `PostgreSQL store: ${m}`, { cause: e }), p);
    if (first) this.#store.onSessionFailed?.(this.sessionKey, this.#error!);
  }

  #stop(e: Error, p: Pending, stored: Set<string> = new Set()): void {
    this.#error ??= e;
    if (this.#inFlight === p) this.#inFlight = undefined;
    p.reject(this.#error);
    const q = this.#pending;
    this.#pending = undefined;
    q?.reject(this.#error);
    // Numbered but never committed, so never on the wire: said so, never a silent loss.
    const lost = outboundOf(p).filter((m) => !stored.has(`${m.gen}:${m.seq}`));
    if (q !== undefined) lost.push(...outboundOf(q));
    this.#report(lost, e.message);
  }

  #report(messages: { seq: number; bytes: Uint8Array }[], reason: string): void {
    if (messages.length === 0) return;
    try {
      this.onNotCommitted?.(messages.map(({ seq, bytes }) => ({ seq, bytes })), reason);
    } catch { /* the engine logs its application's errors */ }
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    try {
      if (this.#error === undefined) await this.flush();
    } finally {
      // Commits still in flight (retried while the database fails over) settle first: a session opened
      // again after this close bumps the epoch, which would fence them, and their messages were numbered.
      for (let p = this.#inFlight ?? this.#pending; p !== undefined; p = this.#inFlight ?? this.#pending) {
        await p.promise.catch(() => {});
      }
      this.#open = false;
      this.#store.forget(this);
    }
  }
}

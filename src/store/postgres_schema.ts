/**
 * The PostgreSQL store's schema and errors (docs/ha.md "Tables"): the tables, the fence function a
 * group commit calls, the triggers that keep a session's two position rows beside its `sessions` row,
 * the error a fenced session's writes reject with, and which errors leave a commit's outcome unknown
 * (retried on a new connection).
 */
import type postgres from "postgres";
import { FixgError } from "../errors.ts";

// deno-lint-ignore no-explicit-any
export type Sql = postgres.Sql<any>;

/** A plain lower-case SQL identifier (store.schema). */
export const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** SQLSTATE of the fence function's error (a commit found a session's row moved on). */
export const FENCE_SQLSTATE = "FXF01";

/** `schema.table`, quoted. */
export function table(schema: string, name: string): string {
  return `"${schema}"."${name}"`;
}

/** Raised (as the rejection of writes and flushes) when another owner took the session. */
export class FencedError extends FixgError {
  constructor(message: string) {
    super("STORE_FENCED", message);
  }
}

/** Errors after which a commit's outcome is unknown and a retry on a new connection may succeed. */
export function retryable(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string") {
    return e instanceof Error && /connect|closed|ECONN|EPIPE|terminat/i.test(e.message);
  }
  // Connection loss, admin shutdown, read-only transaction (a standby), cannot connect now (recovery),
  // serialization failure, lock not available (a stalled gateway's connection still holds the row),
  // deadlock (the victim's transaction is rolled back whole: two takeovers, each locking a session's two
  // position rows, against group statements holding one chain of each), query canceled (57014:
  // pg_cancel_backend, statement_timeout; as an error it ended a statement before its commit, which
  // rolled the transaction back; a cancel of a commit's wait for the standby answers success with a
  // WARNING instead. The retry reads the position rows first, so a commit that landed all the same
  // counts as landed and waits for a barrier).
  return code === "CONNECTION_CLOSED" || code === "CONNECTION_ENDED" || code === "CONNECTION_DESTROYED" ||
    code === "CONNECT_TIMEOUT" || code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE" ||
    code === "57P01" || code === "57P02" || code === "57P03" || code === "25006" || code === "08006" ||
    code === "08001" || code === "08003" || code === "08004" || code === "40001" || code === "55P03" ||
    code === "40P01" || code === "57014";
}

/** The URL without its passwords (user part and password=/sslpassword= parameters), for messages. */
export function redactUrl(url: string): string {
  return url
    // Up to the last @ of the authority: a password may hold @ or / written unencoded (the client takes it).
    .replace(/\/\/([^:@/?#]*):[^?#]*@/, "//$1:***@")
    // libpq also takes the password as a query parameter (password=, sslpassword=).
    .replace(/([?&](?:ssl)?password=)[^&#]*/gi, "$1***");
}

/**
 * The version of the tables below, kept as the schema's comment. Raise it with every change to
 * createSchema's statements so that existing databases run them once.
 */
export const SCHEMA_VERSION = "fixg schema 5";

/**
 * Schema 4 differs from 5 only by two columns of `members` that schema-4 gateways never read or write:
 * an operator command (no `upgrade`) uses such tables as they are, without DDL (docs/ha.md).
 */
const SCHEMA_4 = "fixg schema 4";

/** The version marker of schema `s` (its comment), or undefined when the schema or marker is missing. */
async function schemaVersion(sql: Sql, s: string): Promise<string | undefined> {
  const rows = await sql.unsafe(
    `select obj_description(oid, 'pg_namespace') as v from pg_namespace where nspname = $1`,
    [s],
  );
  return (rows[0]?.v as string | null | undefined) ?? undefined;
}

/**
 * Creates the schema and tables when missing (idempotent; concurrent gateways serialise on a lock).
 * A schema already at SCHEMA_VERSION is left alone without taking any lock: the DDL below (`alter table
 * ... add column if not exists`, `create index if not exists`) takes ACCESS EXCLUSIVE / SHARE locks even
 * when there is nothing to do, which queued a starting gateway behind an active one's commits and those
 * commits behind it.
 */
export async function createSchema(sql: Sql, s: string, upgrade = true): Promise<void> {
  const found = await schemaVersion(sql, s);
  if (found === SCHEMA_VERSION || (!upgrade && found === SCHEMA_4)) return;
  const t = (name: string) => table(s, name);
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${"fixg-schema:" + s}))`;
    if (await schemaVersion(tx as unknown as Sql, s) === SCHEMA_VERSION) return;
    await tx.unsafe(`create schema if not exists "${s}"`);
    // The session's owner and lease (the cluster's, src/engine/cluster.ts) and owner epoch. Its numbers
    // and write positions are in `positions` (schema 4; before, in this row: see below).
    await tx.unsafe(`create table if not exists ${t("sessions")} (
      session_key text primary key,
      epoch bigint not null default 0,
      owner text,
      lease_until timestamptz,
      lease_renewed timestamptz,
      creation_ms bigint not null
    )`);
    await tx.unsafe(`create table if not exists ${t("outbound")} (
      session_key text not null, gen bigint not null, seq bigint not null, bytes bytea not null,
      at timestamptz not null default now(), primary key (session_key, gen, seq))`);
    await tx.unsafe(`create table if not exists ${t("inbound")} (
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
    await tx.unsafe(`create table if not exists ${t("members")} (
      node_id text primary key, started timestamptz not null default now(),
      heartbeat timestamptz not null default now(), lease_ms bigint not null default 0,
      app_name text)`);
    // What the gateway can take (schema 5): the keys of its configured sessions and of its dynamic-session
    // templates (`FIX.4.4:GW->*`), written at its first heartbeat; null from a gateway of an earlier
    // version. `fixg cluster move` refuses a target that can take the session neither way.
    await tx.unsafe(`alter table ${t("members")} add column if not exists sessions text[],
      add column if not exists templates text[]`);
    // The library request id a sent message answers (engine endpoint, postgres_requests.ts): written in
    // the commit of the message, read back by the owner after a takeover so that a retried id is not sent twice.
    await tx.unsafe(`alter table ${t("outbound")} add column if not exists req_id text`);
    await tx.unsafe(
      `create index if not exists outbound_req_id on ${
        t("outbound")
      } (session_key, gen, seq) where req_id is not null`,
    );
    // The session's `owner:` pin as configured on the gateways (for `fixg cluster rebalance`).
    await tx.unsafe(`alter table ${t("sessions")} add column if not exists pin text`);
    // Operator moves (`fixg cluster move`, src/engine/cluster_ops.ts): one row per session, read by the
    // cluster rounds. state: requested -> released (the owner logged it out and gave the lease back) ->
    // done (the target took it); or failed / timed-out.
    await tx.unsafe(`create table if not exists ${t("moves")} (
      session_key text primary key, target text not null, from_owner text, from_epoch bigint not null,
      state text not null, error text, epoch bigint,
      requested timestamptz not null default now(), updated timestamptz not null default now())`);
    await positions(tx as unknown as Sql, s, upgrade);
    await tx.unsafe(`comment on schema "${s}" is '${SCHEMA_VERSION}'`);
  });
}

/**
 * Schema 4 (issue 18): a session's inbound and outbound directions commit on rows of their own, so
 * that an inbound commit does not queue behind the session's outbound one on a shared row lock.
 * `positions` has two rows per session, `dir` 'out' (next_seq: the next MsgSeqNum we send) and 'in'
 * (next_seq: the next one we expect), each with the owner epoch and its own write position `pos`; both
 * carry the reset generation and creation time, changed together (in one transaction) by a reset.
 * Every commit updates the rows it writes `WHERE epoch = <ours> AND pos = <expected>`.
 *
 * The rows follow the session's `sessions` row by triggers, so that every writer of `sessions` (the
 * store's openSession, the cluster's lease acquisition) keeps them without knowing of them: a new
 * `sessions` row gets its two position rows, and a changed epoch is written into both in the same
 * transaction (which takes their row locks: it waits for a commit in flight on either, and one that
 * waited re-checks its epoch after it and finds it moved on).
 *
 * A schema-3 database (numbers, `gen` and `pos` in the `sessions` row) is migrated here: each row's
 * values go into its two position rows and the columns are dropped (a gateway of an earlier version
 * still writing them then fails loudly instead of committing numbers nobody reads). Without `upgrade`
 * (an operator command: `fixg cluster status` must not stop the gateways it looks at) a schema-3
 * database is left as it is and the open fails (the whole transaction rolled back).
 */
async function positions(tx: Sql, s: string, upgrade: boolean): Promise<void> {
  const t = (name: string) => table(s, name);
  await tx.unsafe(`create table if not exists ${t("positions")} (
    session_key text not null,
    dir text not null,
    epoch bigint not null,
    pos bigint not null default 0,
    next_seq bigint not null default 1,
    gen bigint not null default 0,
    creation_ms bigint not null,
    primary key (session_key, dir))`);
  const v3 = await tx.unsafe(
    `select 1 from information_schema.columns
     where table_schema = $1 and table_name = 'sessions' and column_name = 'pos'`,
    [s],
  );
  if (v3.length > 0 && !upgrade) {
    throw new Error(
      `schema "${s}" holds fixg schema 3 tables, which gateways of an earlier fixg may be using: this ` +
        `command does not upgrade them (that would stop those gateways); use the fixg version of the ` +
        `gateways, or upgrade the gateways (the first of this version migrates the tables: docs/ha.md)`,
    );
  }
  if (v3.length > 0) {
    // Commits of an earlier gateway still running finish first; none starts until the columns are gone.
    await tx.unsafe(`lock table ${t("sessions")} in exclusive mode`);
    await tx.unsafe(
      `insert into ${t("positions")} (session_key, dir, epoch, pos, next_seq, gen, creation_ms)
       select x.session_key, d.dir, x.epoch, x.pos,
         case d.dir when 'out' then x.next_sender_seq else x.next_target_seq end, x.gen, x.creation_ms
       from ${t("sessions")} x cross join (values ('out'), ('in')) as d(dir)
       on conflict do nothing`,
    );
    await tx.unsafe(`alter table ${t("sessions")} drop column if exists next_sender_seq,
      drop column if exists next_target_seq, drop column if exists gen, drop column if exists pos`);
  }
  await tx.unsafe(`create or replace function "${s}".positions_new() returns trigger
    language plpgsql as $f$
    begin
      insert into ${t("positions")} (session_key, dir, epoch, creation_ms)
        values (new.session_key, 'in', new.epoch, new.creation_ms),
               (new.session_key, 'out', new.epoch, new.creation_ms)
        on conflict do nothing;
      return null;
    end $f$`);
  // The rows in the order its scan finds them (table order: a sequential or bitmap heap scan), not
  // necessarily key order; a deadlock with a group statement is possible (40P01: both sides retry).
  await tx.unsafe(`create or replace function "${s}".positions_epoch() returns trigger
    language plpgsql as $f$
    begin
      update ${t("positions")} set epoch = new.epoch where session_key = new.session_key;
      return null;
    end $f$`);
  await tx.unsafe(`drop trigger if exists positions_new on ${t("sessions")}`);
  await tx.unsafe(`create trigger positions_new after insert on ${t("sessions")}
    for each row execute function "${s}".positions_new()`);
  await tx.unsafe(`drop trigger if exists positions_epoch on ${t("sessions")}`);
  await tx.unsafe(`create trigger positions_epoch after update of epoch on ${t("sessions")}
    for each row when (new.epoch is distinct from old.epoch) execute function "${s}".positions_epoch()`);
  // Sessions without position rows (none after the above; cheap to make sure).
  await tx.unsafe(
    `insert into ${t("positions")} (session_key, dir, epoch, creation_ms)
     select x.session_key, d.dir, x.epoch, x.creation_ms
     from ${t("sessions")} x cross join (values ('out'), ('in')) as d(dir)
     on conflict do nothing`,
  );
}

/**
 * The PostgreSQL store's group commit (docs/ha.md "Journal before send, group commit"): what a session
 * queued for the next commit of one of its directions (or of both: a reset), and the commit of a group
 * — usually one statement (one round trip), the conditional updates of the position rows it writes
 * (`positions`, one row per session and direction) and both message inserts as CTEs of it; a `fence()`
 * call undoes it all when a row moved on (another owner). The statement commits without waiting
 * for a flush (`synchronous_commit = off` for its transaction, so the sessions' row locks are held for
 * the statement only; nothing is durable yet); the
 * store then waits for the standby with a barrier (`syncBarrier`) before anything is released
 * (docs/ha.md "Overlapping group commits").
 */
import { Buffer } from "node:buffer";
import { FENCE_SQLSTATE, FencedError, type Sql, table } from "./postgres_schema.ts";

/** Messages as one buffer with each one's offset and length (cut apart by `substring` on the server). */
function pack(list: Buffer[]): { blob: Buffer; offs: number[]; lens: number[] } {
  const offs: number[] = [], lens: number[] = [];
  let at = 0;
  for (const b of list) {
    offs.push(at);
    lens.push(b.length);
    at += b.length;
  }
  return { blob: Buffer.concat(list, at), offs, lens };
}

/** A session's direction: its outbound or inbound commit chain and position row. */
export type Dir = "out" | "in";

/** The numbers a commit writes into a session's position rows (taken when the group is taken). */
export interface RowState {
  nextSenderSeq: number;
  nextTargetSeq: number;
  creationMs: number;
  gen: number;
}

/** What the group commit reads of a session: its key and owner epoch. */
export interface CommitSession {
  readonly sessionKey: string;
  readonly epoch: number;
}

/** One session's part of a group: the session and the writes taken from it. */
export interface CommitItem {
  s: CommitSession;
  p: Pending;
}

/** What one session queued for the next commit of a direction (or of both). */
export interface Pending {
  /**
   * The position rows this commit writes: ["out"] (outbound messages, deletes, nextSenderSeq), ["in"]
   * (inbound messages, nextTargetSeq), or both (a reset: the generation and creation time of both rows
   * change together, after every earlier commit of either direction).
   */
  dirs: readonly Dir[];
  /** Outbound messages of generation `gen` by MsgSeqNum (a later one with the same number replaces it). */
  out: Map<number, Uint8Array>;
  inb: Map<number, Uint8Array>;
  /** Generation of `out` and `inb`. */
  gen: number;
  /** Messages of earlier generations (a reset came after them in the same group). */
  older: { dir: "out" | "in"; gen: number; seq: number; bytes: Uint8Array }[];
  /** Stored outbound rows of generation `gen` from `from` on are deleted first (numbers set back). */
  deletes: { gen: number; from: number }[];
  /** Library request ids of messages in `out`, by MsgSeqNum (outbound.req_id; postgres_requests.ts). */
  reqs?: Map<number, string>;
  /** Each row's write position this commit expects (its predecessor's in that chain's resulting one). */
  expect: Record<Dir, number>;
  /** The session's numbers as of the take (what this commit writes into the row). */
  state: RowState | undefined;
  /** Replicated (the barrier after its statement returned); released once every earlier one is too. */
  synced: boolean;
  /** Resolved or rejected (released, or reported). */
  settled: boolean;
  /**
   * Rejected when its session stopped on another chain's failure while its statement was in flight: its
   * messages are reported by that statement's outcome (landed: not reported, the next owner has them).
   */
  unsure: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
  promise: Promise<void>;
}

export function newPending(gen: number, dirs: readonly Dir[]): Pending {
  let resolve!: () => void, reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // callers that ignore a write's promise must not see an unhandled rejection
  return {
    dirs,
    out: new Map(),
    inb: new Map(),
    gen,
    older: [],
    deletes: [],
    expect: { out: 0, in: 0 },
    state: undefined,
    synced: false,
    settled: false,
    unsure: false,
    resolve,
    reject,
    promise,
  };
}

/** The outbound messages of a pending group, oldest generation first, in MsgSeqNum order. */
export function outboundOf(p: Pending): { gen: number; seq: number; bytes: Uint8Array }[] {
  const out = p.older.filter((m) => m.dir === "out");
  for (const [seq, bytes] of p.out) out.push({ dir: "out", gen: p.gen, seq, bytes });
  return out.map(({ gen, seq, bytes }) => ({ gen, seq, bytes }));
}

/**
 * The outbound messages of `ps` (one session's commits) that are in the database with the same bytes: a
 * lost commit landed before the session was taken over, so the new owner has them (and resends or
 * gap-fills them). One query for all of them. Empty when that cannot be read.
 */
export async function storedOf(
  sql: Sql,
  schema: string,
  key: string,
  ps: Iterable<Pending>,
): Promise<Set<string>> {
  const gens: number[] = [], seqs: number[] = [], want = new Map<string, Uint8Array[]>();
  for (const p of ps) {
    for (const m of outboundOf(p)) {
      const k = `${m.gen}:${m.seq}`, w = want.get(k);
      if (w !== undefined) {
        w.push(m.bytes); // the same number in two commits (numbers set back): either may be the stored one
        continue;
      }
      gens.push(m.gen);
      seqs.push(m.seq);
      want.set(k, [m.bytes]);
    }
  }
  const out = new Set<string>();
  if (gens.length === 0) return out;
  try {
    const rows = await sql.unsafe(
      `select o.gen, o.seq, o.bytes from ${table(schema, "outbound")} o
       join unnest($2::int8[], $3::int8[]) as w(g, s) on o.gen = w.g and o.seq = w.s
       where o.session_key = $1`,
      [key, gens, seqs],
    );
    for (const r of rows) {
      const k = `${Number(r.gen)}:${Number(r.seq)}`;
      const b = r.bytes as Uint8Array;
      if (want.get(k)?.some((w) => w.length === b.length && w.every((x, i) => x === b[i]))) out.add(k);
    }
  } catch { /* unreadable: every message counts as not committed */ }
  return out;
}

/**
 * Waits until everything committed before the call is flushed on the primary and on the synchronous
 * standby: a transaction that writes WAL (a transactional logical-decoding message of no content, no
 * table touched: nothing to lock, nothing to clean up) commits with the server's `synchronous_commit`
 * (on), so its commit flushes the WAL up to its commit record and waits for the standby's flush of it,
 * and that record follows every commit that returned before the call (the WAL is one sequence, flushed
 * in order; a standby holds a prefix of it). A transaction that only takes a transaction id
 * (`txid_current()`) is no barrier: PostgreSQL commits a transaction that wrote no WAL of its own
 * asynchronously, without waiting for the standby (test/store/pg_pipeline_test.ts).
 */
export async function syncBarrier(sql: Sql): Promise<void> {
  await sql.unsafe(`select pg_logical_emit_message(true, 'fixg', '')`);
}

/** A commit must wait for an earlier commit of one of its sessions (its row is behind); retried. */
function behind(): Error {
  return Object.assign(new Error("an earlier commit of the session has not landed yet; retrying"), {
    code: "40001",
  });
}

/** The position rows of `keys` by "key dir" (epoch and position). */
async function positionsOf(
  sql: Sql,
  schema: string,
  keys: string[],
): Promise<Map<string, { epoch: number; pos: number }>> {
  const rows = await sql.unsafe(
    `select session_key, dir, epoch, pos from ${
      table(schema, "positions")
    } where session_key = any($1::text[])`,
    [keys],
  );
  return new Map(
    rows.map((r) => [`${r.session_key} ${r.dir}`, { epoch: Number(r.epoch), pos: Number(r.pos) }]),
  );
}

/**
 * Where an item's rows are: "moved" (a row's epoch is not ours: fenced), "landed" (every row past the
 * position the item expects with our epoch: its lost commit landed), "behind" (a row before it: an
 * earlier commit of that chain has not landed), or "ready" (every row where the item expects it).
 */
function where(
  rows: Map<string, { epoch: number; pos: number }>,
  g: CommitItem,
): "moved" | "landed" | "behind" | "ready" {
  let past = 0, before = 0;
  for (const d of g.p.dirs) {
    const r = rows.get(`${g.s.sessionKey} ${d}`);
    if (r === undefined || r.epoch !== g.s.epoch) return "moved";
    if (r.pos > g.p.expect[d]) past++;
    else if (r.pos < g.p.expect[d]) before++;
  }
  return past === g.p.dirs.length ? "landed" : before > 0 ? "behind" : "ready";
}

/**
 * One transaction for the group, committed without a flush (the caller's barrier flushes the WAL and
 * waits for the standby before anything of it is released).
 * Returns the keys of fenced sessions (then nothing was committed; the caller runs the others again).
 * Each position row an item writes must be at the position the item expects (`Pending.expect`, its
 * predecessor's in that chain's resulting position) with our epoch: a row that is behind (an earlier
 * commit of that chain did not land, e.g. lost with a failed primary) fails the statement with a
 * retryable error, never leaves a gap. After a failed attempt (`retry`), items whose rows already moved
 * past the expected positions with our epoch had that lost commit land: they count as committed, not
 * fenced. A group may hold a session twice (its outbound and its inbound commit: different rows).
 */
export async function tryCommit(
  sql: Sql,
  schema: string,
  group: CommitItem[],
  retry: boolean,
  /** "off": the statement commits without a flush (a barrier follows); "on": the server's setting. */
  syncCommit: "off" | "on" = "on",
): Promise<string[]> {
  const positions = table(schema, "positions");
  if (retry) {
    const rows = await positionsOf(sql, schema, [...new Set(group.map((g) => g.s.sessionKey))]);
    const fenced = new Set<string>(), todo: CommitItem[] = [];
    const stopped = new Map<string, number>();
    for (const g of group) {
      const w = where(rows, g);
      if (w === "moved") fenced.add(g.s.sessionKey);
      else if (w === "landed") continue;
      // A commit of a session that stopped (`unsure`: its outcome decides its report) is never written
      // again: its session sends and delivers nothing more, so inbound messages written now would be
      // counted as received and never delivered, outbound ones resent by the next owner after the
      // application was told... nothing yet. Its session is fenced instead (epoch + 1: the trigger waits
      // for the first attempt's transaction if the server still runs it), which makes the outcome final.
      else if (g.p.unsure) stopped.set(g.s.sessionKey, g.s.epoch);
      else todo.push(g);
    }
    if (fenced.size > 0) return [...fenced];
    if (stopped.size > 0) {
      await sql.unsafe(
        `update ${table(schema, "sessions")} x set epoch = x.epoch + 1
         from unnest($1::text[], $2::int8[]) as v(k, e) where x.session_key = v.k and x.epoch = v.e`,
        [[...stopped.keys()], [...stopped.values()]],
      );
      // The next attempt finds those sessions moved (fenced): reported by what the database has.
      throw Object.assign(new Error("a stopped session's commit did not land: fenced; checking again"), {
        code: "40001",
      });
    }
    if (todo.length === 0) return [];
    group = todo;
  }
  // The position rows, in (key, dir) order. The order the statement locks them in is its plan's (a
  // nested loop over these arrays on a large table, table order on a small one), as is the takeover
  // trigger's (table order): a cycle is possible, PostgreSQL ends one of them (40P01, retried).
  const upd: { k: string; d: Dir; e: number; p: number; n: number; c: number; g: number }[] = [];
  for (const { s, p } of group) {
    const st = p.state!;
    for (const d of p.dirs) {
      upd.push({
        k: s.sessionKey,
        d,
        e: s.epoch,
        p: p.expect[d],
        n: d === "out" ? st.nextSenderSeq : st.nextTargetSeq,
        c: st.creationMs,
        g: st.gen,
      });
    }
  }
  upd.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.d < b.d ? -1 : a.d > b.d ? 1 : 0));
  const keys = upd.map((u) => u.k),
    dirs = upd.map((u) => u.d),
    epochs = upd.map((u) => u.e),
    poss = upd.map((u) => u.p),
    nexts = upd.map((u) => u.n),
    cms = upd.map((u) => u.c),
    gens = upd.map((u) => u.g);
  const dk: string[] = [], dg: number[] = [], ds: number[] = [];
  const ok: string[] = [], og: number[] = [], os: number[] = [], ob: Buffer[] = [];
  /** Request ids aligned with `ok` (null when none); stays null for a group without any. */
  let orq: (string | null)[] | null = null;
  const ik: string[] = [], ig: number[] = [], is: number[] = [], ib: Buffer[] = [];
  for (const { s, p } of group) {
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
      const rq = p.reqs?.get(seq);
      if (rq !== undefined) (orq ??= [])[ok.length] = rq;
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
  if (orq !== null) {
    const r = orq;
    orq = ok.map((_, i) => r[i] ?? null); // aligned with `ok`, older generations' messages included
  }
  if (dk.length === 0) {
    const outB = pack(ob), inB = pack(ib);
    // Plain inserts: a message's row is new (numbers set back go through the deletes below), except an
    // inbound number received again after the expected number was set back. Such a statement fails
    // as a whole (unique violation) and is run again replacing the stored rows ("upsert"). A plain insert
    // costs the server about half of an "on conflict" one (no speculative insertion: 2 WAL records a row
    // instead of 3).
    let upsert = false;
    for (;;) {
      const conflict = upsert
        ? "on conflict (session_key, gen, seq) do update set bytes = excluded.bytes"
        : "";
      // The usual group: one statement (one round trip, one autocommit). The fence function raises
      // when a position row did not match, which undoes the whole statement. It commits without waiting
      // for the WAL flush: the rows' locks are released at once; the barrier (syncBarrier) makes it
      // durable on both servers before anything of it is released.
      try {
        await sql.unsafe(
          `with v as (
           select * from unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])
             as v(k, d, e, p, n, cms, gen)),
         u as (
           update ${positions} s set next_seq = v.n, creation_ms = v.cms, gen = v.gen, pos = s.pos + 1
           from v where s.session_key = v.k and s.dir = v.d and s.epoch = v.e and s.pos = v.p
           returning s.session_key),
         o as (
           insert into ${table(schema, "outbound")} (session_key, gen, seq, bytes, req_id)
           select k, g, q, substring($11::bytea from x.o + 1 for x.n), r
           from unnest($8::text[], $9::int8[], $10::int8[], $17::int4[], $18::int4[], $21::text[])
             as x(k, g, q, o, n, r)
           ${conflict}),
         i as (
           insert into ${table(schema, "inbound")} (session_key, gen, seq, bytes)
           select k, g, q, substring($15::bytea from x.o + 1 for x.n)
           from unnest($12::text[], $13::int8[], $14::int8[], $19::int4[], $20::int4[]) as x(k, g, q, o, n)
           ${conflict})
         select "${schema}".fence($16::int, (select count(*)::int from u)),
           ${syncCommit === "off" ? "set_config('synchronous_commit', 'off', true)" : "1"}`,
          // The messages' bytes travel as one bytea each way, cut by offset and length on the server:
          // about half the transfer and parse time of a bytea[] of the same messages.
          [
            keys,
            dirs,
            epochs,
            poss,
            nexts,
            cms,
            gens,
            ok,
            og,
            os,
            outB.blob,
            ik,
            ig,
            is,
            inB.blob,
            keys.length,
            outB.offs,
            outB.lens,
            inB.offs,
            inB.lens,
            orq, // null: no request ids (unnest pads the missing column with nulls)
          ],
          // A named prepared statement (its text is fixed per schema, conflict clause and commit mode):
          // parsed and planned once per connection instead of per group. Measured: commit per group p50
          // 1.8-2.0 -> 1.1-1.2 ms, the store's part of order->ack p50 3.8-4.6 -> 2.5-2.6 ms at 2,000/s
          // (docs/performance.md).
          { prepare: true },
        );
        return [];
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "23505" && !upsert) {
          upsert = true; // a row already there (see above): nothing was written, run it again
          continue;
        }
        if (code !== FENCE_SQLSTATE) throw e;
        const rows = await positionsOf(sql, schema, [...new Set(keys)]);
        const moved = new Set<string>();
        let late = false;
        for (const g of group) {
          const w = where(rows, g);
          if (w === "moved") moved.add(g.s.sessionKey);
          else if (w === "behind") late = true;
        }
        if (moved.size > 0) return [...moved];
        if (late) throw behind();
        // Nothing was committed; with no row moved on by now, the group is simply written again.
        throw Object.assign(new Error("commit raced a takeover; retrying"), { code: "40001" });
      }
    }
  }
  const fenced: string[] = [];
  try {
    await sql.begin(async (tx) => {
      const updated = await tx.unsafe(
        `update ${positions} s set next_seq = v.n, creation_ms = v.cms, gen = v.gen, pos = s.pos + 1
         from unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])
           as v(k, d, e, p, n, cms, gen)
         where s.session_key = v.k and s.dir = v.d and s.epoch = v.e and s.pos = v.p
         returning s.session_key, s.dir`,
        [keys, dirs, epochs, poss, nexts, cms, gens],
      );
      if (updated.length !== keys.length) {
        const rows = await positionsOf(tx as unknown as Sql, schema, [...new Set(keys)]);
        for (const g of group) if (where(rows, g) === "moved") fenced.push(g.s.sessionKey);
        // Our epoch but another position: an earlier commit of ours has not landed (retried).
        throw fenced.length > 0 ? new FencedError("fenced") : behind(); // rolls the whole transaction back
      }
      const qs: Promise<unknown>[] = [];
      if (dk.length > 0) {
        qs.push(tx.unsafe(
          `delete from ${
            table(schema, "outbound")
          } o using unnest($1::text[], $2::int8[], $3::int8[]) as d(k, g, s)
           where o.session_key = d.k and o.gen = d.g and o.seq >= d.s`,
          [dk, dg, ds],
        ));
      }
      if (ok.length > 0) {
        qs.push(tx.unsafe(
          `insert into ${table(schema, "outbound")} (session_key, gen, seq, bytes, req_id)
           select * from unnest($1::text[], $2::int8[], $3::int8[], $4::bytea[], $5::text[])
           on conflict (session_key, gen, seq) do update set bytes = excluded.bytes, req_id = excluded.req_id`,
          [ok, og, os, ob, orq],
        ));
      }
      if (ik.length > 0) {
        qs.push(tx.unsafe(
          `insert into ${table(schema, "inbound")} (session_key, gen, seq, bytes)
           select * from unnest($1::text[], $2::int8[], $3::int8[], $4::bytea[])
           on conflict (session_key, gen, seq) do update set bytes = excluded.bytes`,
          [ik, ig, is, ib],
        ));
      }
      await Promise.all(qs);
    });
  } catch (e) {
    if (e instanceof FencedError && fenced.length > 0) return [...new Set(fenced)];
    throw e;
  }
  return [];
}

/**
 * Reads of the PostgreSQL store for operators: every stored message as journal records (`fixg journal
 * export`) and every session's row with its lease in database time (`fixg cluster status`).
 */
import type { JournalRecord } from "./reader.ts";
import { type Sql, table } from "./postgres_schema.ts";

/** A session's row and its two position rows as read from the database. */
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
  /** Write positions of the outbound and the inbound position row. */
  posOut: number;
  posIn: number;
}

/**
 * Every stored message as journal records (`fixg journal export` of a PostgreSQL store), in commit
 * order: `epoch` is the reset generation, `wallMs` the commit time.
 */
export async function readRecords(sql: Sql, schema: string): Promise<JournalRecord[]> {
  const rows = await sql.unsafe(
    `select * from (
       select session_key, 'out' as dir, gen, seq, bytes, at from ${table(schema, "outbound")}
       union all
       select session_key, 'in' as dir, gen, seq, bytes, at from ${table(schema, "inbound")}) m
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

/** Every session row (for `fixg cluster status`), lease ages in database time. */
export async function readSessionRows(sql: Sql, schema: string): Promise<SessionRow[]> {
  const rows = await sql.unsafe(
    `select x.session_key, x.epoch, x.owner,
      (extract(epoch from (now() - x.lease_renewed)) * 1000)::float8 as lease_age,
      (extract(epoch from (x.lease_until - now())) * 1000)::float8 as lease_left,
      o.next_seq as next_sender_seq, i.next_seq as next_target_seq, o.creation_ms, o.gen,
      o.pos as pos_out, i.pos as pos_in
      from ${table(schema, "sessions")} x
      join ${table(schema, "positions")} o on o.session_key = x.session_key and o.dir = 'out'
      join ${table(schema, "positions")} i on i.session_key = x.session_key and i.dir = 'in'
      order by x.session_key`,
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
    posOut: Number(r.pos_out),
    posIn: Number(r.pos_in),
  }));
}

/**
 * The committed inbound messages of `sessionKey`'s current sequence generation with MsgSeqNum above
 * `after`, ascending (a library's replay on claim, from the store of record: the messages every gateway
 * that owned the session received). At most `limit`, the lowest numbers: page with the last one read.
 */
export async function readInboundAfter(
  sql: Sql,
  schema: string,
  sessionKey: string,
  after: number,
  limit: number,
): Promise<Array<{ seq: number; raw: Uint8Array }>> {
  const rows = await sql.unsafe(
    `select i.seq, i.bytes from ${table(schema, "inbound")} i join ${table(schema, "positions")} s
       on s.session_key = i.session_key and s.dir = 'in' and s.gen = i.gen
     where i.session_key = $1 and i.seq > $2 order by i.seq limit $3`,
    [sessionKey, after, limit],
  );
  return rows.map((r) => {
    const b = r.bytes as Uint8Array;
    return { seq: Number(r.seq), raw: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
  });
}

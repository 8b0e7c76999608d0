/**
 * Library request ids in the PostgreSQL store (issue 18: "per session ... the library request ids of
 * accepted sends"). The engine endpoint notes which request id an outbound message answers as soon as
 * the session numbered it; the id is written in `outbound.req_id`, in the same commit as the message.
 * After a takeover (or a restart) the new owner's endpoint reads them back on the first claim, so a
 * library that retries a request id gets the original answer (accepted, same MsgSeqNum) and the message
 * is not sent twice. The file journal gets the same effect from the ClOrdIDs it holds (scanJournal).
 */
import type { PostgresMessageStore } from "./postgres.ts";
import { readInboundAfter } from "./postgres_reads.ts";
import type { RequestIdStore } from "./types.ts";

/** What the engine endpoint needs of a store that keeps request ids (the store's `requestIds` capability). */
export type RequestLog = RequestIdStore;

/** The request log of a PostgreSQL store (its `requestIds`). */
export function pgRequestLog(store: PostgresMessageStore): RequestLog {
  return {
    note: (key, seq, id) => store.openedSession(key)?.noteRequest(seq, id) ?? false,
    read: (key, max) => readRequestIds(store, key, max),
    flushSession: async (key) => {
      await store.openedSession(key)?.flush();
    },
    inboundAfter: (key, after, limit) => readInboundAfter(store.sql, store.schema, key, after, limit),
  };
}

/** Request id -> MsgSeqNum of `key`'s current generation (the newest `max`, oldest first in the map). */
export async function readRequestIds(
  store: PostgresMessageStore,
  key: string,
  max: number,
): Promise<Map<string, number>> {
  const rows = await store.sql.unsafe(
    `select o.req_id, o.seq from ${store.t("outbound")} o join ${store.t("positions")} s
       on s.session_key = o.session_key and s.dir = 'out' and s.gen = o.gen
     where o.session_key = $1 and o.req_id is not null
     order by o.seq desc limit $2`,
    [key, max],
  );
  const out = new Map<string, number>();
  for (let i = rows.length - 1; i >= 0; i--) {
    const id = String(rows[i]!.req_id);
    // The first send of an id wins (as the endpoint answers a retried id with its first answer).
    if (!out.has(id)) out.set(id, Number(rows[i]!.seq));
  }
  return out;
}

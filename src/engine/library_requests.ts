/**
 * The engine endpoint on a PostgreSQL store (docs/engine_library.md, docs/ha.md): the request id of each
 * accepted send is written with its message (outbound.req_id, same commit), and every claim reads the
 * session's ids back into the answers of retried request ids. So a library that retries a request id
 * against the gateway that owns the session now — after a takeover or an operator move — gets the
 * original answer (accepted, same MsgSeqNum) and the message is not sent twice.
 */
import type { MessageStore, RequestIdStore } from "../store/types.ts";
import { msgTypeOf } from "../store/reader.ts";
import { ADMIN, type JournalScan } from "./library_journal.ts";
import type { Slot } from "./library_conn.ts";
import type { Logger } from "./log.ts";
import { SendStatus } from "./protocol.ts";

/** What the endpoint uses of a store that keeps request ids. */
export interface EndpointRequests {
  log: Pick<RequestIdStore, "note" | "read">;
  /** Resolves once every write the open sessions queued so far is committed (or failed). */
  flush: () => Promise<void>;
  /**
   * A claim's replay from the store of record: the committed inbound application messages (and 35=3)
   * of the session's current generation above `after`, ascending, whichever gateway received them; read
   * a page of 10 000 rows at a time, each when the one before is sent.
   */
  inbound: (key: string, after: number) => AsyncIterable<ReadonlyArray<{ seq: number; raw: Uint8Array }>>;
}

/**
 * What the endpoint uses of the gateway's store when it declares the `requestIds` capability (the
 * PostgreSQL store), else undefined.
 */
export function storeRequestsOf(store: MessageStore): EndpointRequests | undefined {
  const ids = store.requestIds;
  if (ids === undefined) return undefined;
  /** Sessions sent on since the last flush. */
  let sent = new Set<string>();
  return {
    log: {
      note: (key, seq, id) => {
        sent.add(key);
        return ids.note(key, seq, id);
      },
      read: (key, max) => ids.read(key, max),
    },
    // The flush of each session sent on: bounded (what was queued when it was called), unlike waiting
    // for the commit loop to go idle. A failed commit is reported by onNotCommitted -> onSendFailed.
    flush: async () => {
      const keys = sent;
      sent = new Set();
      await Promise.allSettled([...keys].map((k) => ids.flushSession(k)));
    },
    inbound: async function* (key, after) {
      // What this gateway delivered is committed already (commit before delivery); its queued writes too.
      await ids.flushSession(key).catch(() => {});
      // Pages of 10 000 rows, in MsgSeqNum order, to the end.
      for (let from = after;;) {
        const rows = await ids.inboundAfter(key, from, 10_000);
        yield rows.filter((m) => !ADMIN.has(msgTypeOf(m.raw)));
        if (rows.length < 10_000) return;
        from = rows[rows.length - 1]!.seq;
      }
    },
  };
}

/**
 * Reads the session's request ids (the newest `max`) into `slot.recent` as accepted answers; SENDs wait
 * for it (`slot.seeding`). Run at every claim: the session may have been sent on by another gateway
 * since this one last held it.
 */
export function seedRequests(
  slot: Slot,
  log: Pick<RequestIdStore, "read">,
  key: string,
  max: number,
  logger: Logger,
): void {
  if (slot.seeding !== undefined) return;
  slot.seeded = true;
  slot.seeding = log.read(key, max).then((ids) => {
    for (const [id, seq] of ids) {
      if (!slot.recent.has(id)) slot.recent.set(id, { status: SendStatus.ACCEPTED, seq, code: 0, text: "" });
    }
  }, (e) => {
    logger.warn("engine", `request ids not read from the store: ${e instanceof Error ? e.message : e}`, key);
  }).finally(() => slot.seeding = undefined);
}

/**
 * File journal: the first claim's scan gives the ClOrdIDs sent in the current epoch, as accepted answers of
 * those request ids (a request id = ClOrdID retried across engine restarts is not sent twice). SENDs wait
 * for the returned promise (`slot.seeding`). The scan keeps the newest ones (its `max`); so does `recent`.
 */
export function seedFromScan(slot: Slot, scan: Promise<JournalScan>): Promise<void> {
  return scan.then((r) => {
    for (const [clOrdId, seq] of r.sent) {
      if (!slot.recent.has(clOrdId)) {
        slot.recent.set(clOrdId, { status: SendStatus.ACCEPTED, seq, code: 0, text: "" });
      }
    }
  }, () => {}).finally(() => slot.seeding = undefined);
}

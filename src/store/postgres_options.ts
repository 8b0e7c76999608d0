/** The PostgreSQL store's options (`store: { type: postgres, ... }` in fixg.yaml maps onto them; docs/ha.md). */
import type { Scheduler } from "../clock.ts";

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions {
  /** libpq-style URL, e.g. postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write */
  url: string;
  /** Schema of the tables (created on open when missing). Default "fixg". */
  schema?: string;
  /** This gateway's name, recorded as the owner of the sessions it opens. Default the host name + pid. */
  nodeId?: string;
  /**
   * How long a commit whose connection failed is retried before the sessions stop. Default 15000 ms.
   * Also how long `close()` waits for the commits in flight (a synchronous standby gone: they wait for
   * ever) before it reports them outcome unknown and returns.
   */
  retryMs?: number;
  /** Warnings (a close that gave up on unconfirmed commits). Default: a line on stderr. */
  onWarning?: (message: string) => void;
  /** Timers and time of the commit retries (default the system's). */
  scheduler?: Scheduler;
  /** Connections in the pool. Default 4. */
  maxConnections?: number;
  /**
   * Group statements in flight at once (overlapping group commits of different sessions). Default 2, at
   * most `maxConnections` - 1 (a connection stays free for the barriers and reads).
   */
  pipeline?: number;
  /**
   * A session's next group may start before its previous one is on the standby: group statements
   * commit without a flush (`synchronous_commit = off`) and a barrier (syncBarrier) then waits for the
   * standby before anything is released. Default false: each statement is a synchronous commit, and a
   * session's next group waits for it (docs/ha.md "Overlapping group commits").
   */
  pipelineSessions?: boolean;
  /**
   * The server ends a connection of this store that sits inside a transaction longer than this (ms): a
   * gateway stalled mid-commit (GC, SIGSTOP, VM pause) must not hold its sessions' row locks, which
   * would block the gateway taking them over. Default 1000; the cluster uses half its lease.
   */
  idleInTransactionMs?: number;
  /** Statements of this store give up waiting for a row lock after this long (ms; 0 never). Default 0. */
  lockTimeoutMs?: number;
  /**
   * Whether opening may migrate older tables whose migration stops gateways of that version still running
   * on them (schema 3 -> 4 drops columns they write). Default true (a gateway); operator commands that
   * only read or steer (`fixg cluster ...`, `fixg journal export`) pass false and fail instead.
   */
  upgrade?: boolean;
  /**
   * Whether opening may create the schema and its tables when missing. Default true (a gateway); operator
   * commands that only read or steer pass false: a mistyped --schema is an error, not a new empty schema.
   */
  create?: boolean;
}

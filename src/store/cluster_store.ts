/**
 * What a cluster of gateways (src/engine/cluster.ts, docs/ha.md) needs of the store they share: the
 * engine names this interface, never a store's class. The PostgreSQL store implements it; a store that
 * does not (the file journal, the memory store) runs no cluster.
 *
 * - Membership and leases are rows of the store's own tables (`members`, `sessions`, `moves`), read and
 *   written in database time over `control`, a connection of their own (a heartbeat or renewal never
 *   waits behind a large group commit).
 * - Epochs fence: the cluster `claim`s a session with the epoch its lease won, and the store opens the
 *   session with it; every write of an older epoch is refused from then on.
 * - The hooks are set by the cluster: `leaseValid` (a flush fails when the lease may have run out),
 *   `leases` (for /metrics) and `onSessionFailed` (a failed commit gives the lease up).
 */
import type { MessageStore } from "./types.ts";

/** One result row of a control statement, by column name. */
export type ControlRow = Record<string, unknown>;

/** SQL statements with positional parameters ($1, $2, ...) over the store's control connection. */
export interface ControlSql {
  unsafe(query: string, parameters?: unknown[]): Promise<ControlRow[]>;
}

/** The cluster's tables: statements on them (the operator commands use only this part). */
export interface ClusterControl {
  /** The control connection: heartbeats, lease renewals and takes, moves. */
  readonly control: ControlSql;
  /** `schema.table` of one of the store's tables, quoted (`members`, `sessions`, `moves`). */
  t(name: string): string;
}

/** A store gateways can share as a cluster. */
export interface ClusterStore extends MessageStore, ClusterControl {
  /** The application_name of this store's connections: the cluster ends a stalled gateway's by it. */
  readonly appName: string;
  /** The cluster won `sessionKey`'s lease with `epoch`: the next openSession opens with it. */
  claim(sessionKey: string, epoch: number): void;
  /** Set by the cluster: true while this gateway's lease of the session is certainly still valid. */
  leaseValid: ((sessionKey: string) => boolean) | undefined;
  /** Set by the cluster: the sessions whose lease this gateway holds, with their epoch. */
  leases: (() => Map<string, number>) | undefined;
  /** Set by the cluster: a session's commit failed for good (not fenced). */
  onSessionFailed: ((sessionKey: string, e: Error) => void) | undefined;
}

/** The store as a ClusterStore when it is one (it has the control connection and claims epochs). */
export function clusterStoreOf(store: MessageStore): ClusterStore | undefined {
  const s = store as Partial<ClusterStore>;
  return typeof s.claim === "function" && typeof s.t === "function" &&
      typeof s.control?.unsafe === "function" && typeof s.appName === "string"
    ? store as ClusterStore
    : undefined;
}

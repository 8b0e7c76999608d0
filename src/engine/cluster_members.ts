/**
 * A gateway's membership of the cluster (docs/ha.md), for cluster.ts: its own row in `members` — the
 * heartbeat, taking over the row of a stalled predecessor with its nodeId, refusing to run while another
 * live process holds that nodeId, recording what it can take (its sessions and templates, for `fixg cluster
 * move`'s check), removing the row when it leaves — and the other members as the rounds see them: the live
 * gateways, and ending the connections of those whose heartbeat stopped.
 */
import type { Logger } from "./log.ts";
import type { ClusterStore } from "../store/cluster_store.ts";

/** One gateway's row in `members` and its view of the other members. */
export class Membership {
  readonly #store: ClusterStore;
  readonly #nodeId: string;
  readonly #leaseMs: number;
  readonly #logger: Logger | undefined;
  /** Counted into: the rounds skipped because another live process holds this nodeId. */
  readonly #stats: { duplicateRounds: number };
  /** This process wrote its sessions and templates into its `members` row. */
  #recorded = false;
  /** Connections (application_name) of another live gateway with this nodeId, while there is one. */
  #duplicateOf: string | undefined;

  constructor(
    store: ClusterStore,
    nodeId: string,
    leaseMs: number,
    logger: Logger | undefined,
    stats: { duplicateRounds: number },
  ) {
    this.#store = store;
    this.#nodeId = nodeId;
    this.#leaseMs = leaseMs;
    this.#logger = logger;
    this.#stats = stats;
  }

  /**
   * Heartbeats this gateway's `members` row; false when another live process holds it (the same nodeId
   * twice): this gateway then takes and renews nothing, and says so. The row of a predecessor with this
   * nodeId that stopped heartbeating (a gateway restarted while the old process is stalled, SIGSTOP or a
   * VM pause) is taken over only after that process's connections were ended: otherwise its name
   * (`app_name`, which the rounds end stalled gateways' connections by) would be gone from the table,
   * and a statement it stalled in the middle of would hold its sessions' rows for good. `templateKeys`
   * and `sessionKeys`: what this gateway can take, asked until it was recorded once.
   */
  async heartbeat(templateKeys: () => string[] | undefined, sessionKeys: () => string[]): Promise<boolean> {
    const s = this.#store, lease = this.#leaseMs;
    const [row] = await s.control.unsafe(
      `select app_name, heartbeat <= now() - greatest(lease_ms, $2)::float8 * interval '1 millisecond' as stale
       from ${s.t("members")} where node_id = $1`,
      [this.#nodeId, lease],
    );
    const prev = row?.app_name === null || row?.app_name === undefined ? undefined : String(row.app_name);
    if (row !== undefined && prev !== s.appName) {
      if (row.stale !== true) return this.#duplicate(prev);
      await s.control.unsafe(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and application_name = $1`,
        [prev],
      );
    }
    // What this gateway can take, written by its first heartbeat (then kept: null leaves the columns).
    const templates = this.#recorded ? undefined : templateKeys();
    const record = templates === undefined ? [null, null] : [sessionKeys(), templates];
    const mine = await s.control.unsafe(
      `insert into ${s.t("members")} as m (node_id, heartbeat, lease_ms, app_name, sessions, templates)
       values ($1, now(), $2, $3, $4::text[], $5::text[])
       on conflict (node_id) do update set heartbeat = now(), lease_ms = $2, app_name = $3,
         sessions = coalesce($4::text[], m.sessions), templates = coalesce($5::text[], m.templates)
         where m.app_name is not distinct from $3 or m.app_name is null
           or m.heartbeat <= now() - greatest(m.lease_ms, $2)::float8 * interval '1 millisecond'
       returning node_id`,
      [this.#nodeId, lease, s.appName, ...record],
    );
    if (mine.length === 0) return this.#duplicate(prev);
    if (templates !== undefined) this.#recorded = true;
    if (this.#duplicateOf !== undefined) {
      this.#logger?.info("cluster", `nodeId ${this.#nodeId} is this gateway's now`);
      this.#duplicateOf = undefined;
    }
    return true;
  }

  #duplicate(other: string | undefined): false {
    if (this.#duplicateOf !== other) {
      this.#duplicateOf = other;
      this.#logger?.error(
        "cluster",
        `nodeId ${this.#nodeId} is held by another gateway that heartbeated within the lease (connections ` +
          `${other}: a second gateway with this nodeId, or this gateway's previous process): this one takes ` +
          `no session until that one stops heartbeating; every gateway needs a nodeId of its own`,
      );
    }
    this.#stats.duplicateRounds++;
    return false;
  }

  /**
   * The live gateways, by node_id: each member by the longer of its own lease (it heartbeats every quarter
   * of it) and ours.
   */
  async live(): Promise<string[]> {
    const s = this.#store;
    const members = await s.control.unsafe(
      `select node_id from ${s.t("members")}
       where heartbeat > now() - greatest(lease_ms, $1)::float8 * interval '1 millisecond' order by node_id`,
      [this.#leaseMs],
    );
    return members.map((r) => String(r.node_id));
  }

  /**
   * Ends the connections of the other gateways whose heartbeat stopped: one may be stalled with a
   * transaction open (SIGSTOP in the middle of sending a commit: the server waits for the rest of the
   * message, holding the sessions' row locks forever), so that the rows can be taken over.
   */
  async endStalled(): Promise<void> {
    const s = this.#store;
    await s.control.unsafe(
      `select pg_terminate_backend(a.pid) from pg_stat_activity a join ${s.t("members")} m
         on a.application_name = m.app_name
       where a.datname = current_database() and m.node_id <> $1
         and m.heartbeat <= now() - greatest(m.lease_ms, $2)::float8 * interval '1 millisecond'`,
      [this.#nodeId, this.#leaseMs],
    );
  }

  /** Removes this process's row (another process with this nodeId keeps its own); throws on a db error. */
  async leave(): Promise<void> {
    const s = this.#store;
    await s.control.unsafe(`delete from ${s.t("members")} where node_id = $1 and app_name = $2`, [
      this.#nodeId,
      s.appName,
    ]);
  }
}

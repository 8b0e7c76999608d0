/**
 * Cluster ownership of sessions over a shared store: the PostgreSQL store, through its ClusterStore
 * interface (src/store/cluster_store.ts; docs/ha.md).
 *
 * - Membership: each gateway (`cluster.nodeId`) heartbeats its row in `members` (cluster_members.ts); a
 *   gateway is live while its heartbeat is younger than the lease (database time).
 * - Leases: a session's row carries its owner, epoch and `lease_until` (database `now()`, never a
 *   gateway's clock). The owner renews every lease/4; a renewal that finds the row moved on (another
 *   epoch or owner) means the lease is lost: the session's socket is closed at once. A gateway that has
 *   not renewed for a whole lease (a stall, the database out of reach) gives its sessions up itself.
 * - Acquisition: a session whose lease is free or expired is taken by its preferred owner — the `owner:`
 *   pin when that gateway is live, else the rendezvous hash over the live gateways — bumping the epoch
 *   (every write of the previous owner is fenced from then on) and rebuilding both sequence numbers from
 *   the committed tail. A session orphaned for a whole further lease is taken by any live gateway.
 * - No rebalancing of a session that has a live owner on its own: a FIX session cannot move without a
 *   reconnect. An operator moves one (`fixg cluster move`, `rebalance`: a row of `moves`, see
 *   cluster_ops.ts): the owner logs it out and gives the lease back, the target takes it — a dynamic
 *   session too, when one of the target's templates makes it; a target that can take the session neither
 *   way fails the move at its next round.
 */
import { type Scheduler, systemScheduler, type Timer } from "../clock.ts";
import type { Logger } from "./log.ts";
import type { ClusterStore, ControlRow } from "../store/cluster_store.ts";
import { type MoveRow, moveUnderWay, readMove, readMoves, setMoveState } from "./cluster_ops.ts";
import { Membership } from "./cluster_members.ts";

/** `cluster:` in fixg.yaml. */
export interface ClusterOptions {
  /** This gateway's name in the cluster (unique per gateway). */
  nodeId: string;
  /** Lease duration, ms (default 2000). Failover takes about one lease plus a renewal period. */
  leaseMs?: number;
}

/** A session the cluster places: its key and optional pinned owner. */
export interface ClusterSession {
  key: string;
  owner?: string;
}

/** What the cluster drives (the gateway). */
export interface ClusterHost {
  /**
   * This gateway won the session's lease: open it. `fromTemplate`: a dynamic session moved here by an
   * operator, opened from the template that makes it (`hasTemplateFor`) to wait for its counterparty.
   */
  acquireSession(key: string, fromTemplate?: boolean): Promise<void>;
  /** A dynamic-session template of this gateway makes the session `key` (docs/ha.md "Moving a session"). */
  hasTemplateFor?(key: string): boolean;
  /**
   * The keys of this gateway's dynamic-session templates (`FIX.4.4:GW->*`), recorded with the configured
   * sessions' in its `members` row for `fixg cluster move`'s check. Without it nothing is recorded.
   */
  templateKeys?(): string[];
  releaseSession(key: string, reason: string): Promise<void>;
  /** Another gateway holds the session's lease (called each round while it does). */
  ownedElsewhere?(key: string): void;
  /**
   * Operator move: log the session out cleanly (Logout, its commits settled, socket closed) and forget it;
   * the cluster then gives the lease back. Without it, `releaseSession` is used.
   */
  handOverSession?(key: string, reason: string): Promise<void>;
}

/** Default lease, ms. */
export const DEFAULT_LEASE_MS = 2000;

/** 32-bit hash of a string (FNV-1a with a murmur finaliser): the rendezvous score of (node, session). */
export function score(node: string, key: string): number {
  let h = 0x811c9dc5;
  const s = `${node}\u0000${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The preferred owner of `s` among the live gateways: the pin when live, else the highest score. */
export function preferredOwner(s: ClusterSession, live: readonly string[]): string | undefined {
  if (s.owner !== undefined && live.includes(s.owner)) return s.owner;
  let best: string | undefined, bestScore = -1;
  for (const n of live) {
    const v = score(n, s.key);
    if (v > bestScore || (v === bestScore && best !== undefined && n < best)) [best, bestScore] = [n, v];
  }
  return best;
}

/** One gateway's part of the cluster. */
export class Cluster {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly #store: ClusterStore;
  readonly #sessions: ClusterSession[];
  readonly #logger: Logger | undefined;
  #host: ClusterHost | undefined;
  /** This gateway's `members` row and the live gateways. */
  readonly #members: Membership;
  /** Sessions this gateway holds, with their epoch. */
  readonly #owned = new Map<string, number>();
  /**
   * Sessions being closed after their lease was lost: not taken again until the close is done, as the
   * old store session may still be retrying a commit (the database failing over) that taking the lease
   * again (a new epoch) would fence, and its messages were already numbered.
   */
  readonly #releasing = new Map<string, Promise<void>>();
  /** Sessions being logged out for an operator move (still held: their lease is renewed meanwhile). */
  readonly #handingOver = new Set<string>();
  /** Time (#now) until which each held lease is certainly valid (sent time of its renewal + lease). */
  readonly #validUntil = new Map<string, number>();
  #timer: Timer | undefined;
  /** Runs the rounds (default the system's). */
  readonly #scheduler: Scheduler;
  /** Monotonic time of the lease arithmetic, ms: the scheduler's when given, else performance.now(). */
  readonly #now: () => number;
  #ticking: Promise<void> | undefined;
  #stopped = false;
  /** Time (#now) at start: for a lease from then on only pinned sessions are taken (joining). */
  #joinedAt = 0;
  /** Live gateways seen at the last tick. */
  live: string[] = [];
  /** Counters for /metrics and tests. */
  readonly stats = {
    acquired: 0,
    lost: 0,
    renewals: 0,
    tickErrors: 0,
    movedOut: 0,
    movedIn: 0,
    /** Rounds skipped because another live process holds this nodeId. */
    duplicateRounds: 0,
  };

  /**
   * `scheduler` (tests: a ManualScheduler) runs the rounds and is the clock of the leases' local
   * validity; without it the rounds run on the system scheduler and validity uses the monotonic
   * performance.now() (a wall-clock step must not stretch a lease).
   */
  constructor(
    store: ClusterStore,
    o: ClusterOptions,
    sessions: ClusterSession[],
    logger?: Logger,
    scheduler?: Scheduler,
  ) {
    this.#store = store;
    this.#scheduler = scheduler ?? systemScheduler;
    this.#now = scheduler !== undefined ? () => scheduler.nowMs() : () => performance.now();
    this.nodeId = o.nodeId;
    this.leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
    this.#sessions = sessions;
    this.#logger = logger;
    this.#members = new Membership(store, this.nodeId, this.leaseMs, logger, this.stats);
    store.leaseValid = (key) => this.#now() < (this.#validUntil.get(key) ?? 0);
    store.leases = () => new Map(this.#owned);
    store.onSessionFailed = (key, e) => {
      const epoch = this.#owned.get(key);
      if (epoch === undefined) return;
      void this.#lose(key, `store failure (${e.message}); lease given up`).then(() =>
        this.#handBack(key, epoch)
      );
    };
  }

  /** True while this gateway holds the session's lease. */
  owns(key: string): boolean {
    return this.#owned.has(key);
  }

  /** The epoch this gateway holds the session with. */
  epochOf(key: string): number | undefined {
    return this.#owned.get(key);
  }

  /**
   * A dynamic session (an acceptor template's, not in the configured list): its lease is taken when its
   * counterparty logs on here (epoch + 1; free or expired only), then renewed with the others. True when
   * this gateway holds it.
   */
  async claim(key: string): Promise<boolean> {
    // Being handed over (an operator move): closed here, its lease given back next; not taken again.
    if (this.#handingOver.has(key)) return false;
    if (this.#owned.has(key)) return true;
    if (this.#stopped || this.#releasing.has(key)) return false;
    try {
      // An operator move of the session to another gateway is under way: that gateway takes it (the
      // counterparty moves on to its address), not this one, nor the gateway handing it over once the
      // lease is back.
      const move = await readMove(this.#store, key);
      if (moveUnderWay(move, this.live) && move.target !== this.nodeId) return false;
      const epoch = await this.#acquire(key);
      if (epoch === undefined) return false;
      if (this.#stopped) {
        // stop() began while the lease was taken: it gave back what it held then, this one too (now,
        // not after a lease: the counterparty's next gateway takes it at once).
        await this.#lose(key, "the gateway stops");
        await this.#handBack(key, epoch);
        return false;
      }
      return true;
    } catch (e) {
      this.#logger?.warn("cluster", `lease not taken: ${e instanceof Error ? e.message : String(e)}`, key);
      return false;
    }
  }

  /** Sets what the cluster drives, without starting the rounds (`tick()` runs one; start() runs them all). */
  attach(host: ClusterHost): void {
    this.#host = host;
    this.#joinedAt = this.#now();
  }

  /** Joins: heartbeats, takes the sessions it is preferred for, then keeps at it every lease/4. */
  async start(host: ClusterHost): Promise<void> {
    this.attach(host);
    await this.tick();
    this.#schedule();
  }

  /** The next round in lease/4 (a round still running when it is due is not started twice). */
  #schedule(): void {
    if (this.#stopped) return;
    const period = Math.max(50, Math.floor(this.leaseMs / 4));
    const run = () => {
      // The leases run out by this gateway's clock even while a round waits on the database (a partition
      // can hold a statement for minutes): the sessions are given up without waiting for it.
      this.#expire();
      if (this.#ticking === undefined) this.#ticking = this.tick().finally(() => (this.#ticking = undefined));
      this.#schedule();
    };
    this.#timer = this.#scheduler.after(period, run);
  }

  /**
   * Leaves: stops renewing, hands the leases back (expired now, so another gateway takes over at its next
   * tick) and removes the membership row. Call after the sessions were logged out.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    // Bounded by a lease: a round or the hand-back waiting on a database out of reach (a partition holds
    // a statement until TCP gives up, minutes) must not hold the gateway's stop; the leases run out.
    let t: Timer | undefined;
    await Promise.race([
      this.#leave(),
      new Promise<void>((r) => (t = this.#scheduler.after(this.leaseMs, r))),
    ]);
    t?.cancel();
    this.#owned.clear();
  }

  /** Hands the leases back and removes the membership row, after the round in progress. */
  async #leave(): Promise<void> {
    await this.#ticking;
    const s = this.#store;
    try {
      const keys = [...this.#owned.keys()], epochs = [...this.#owned.values()];
      await s.control.unsafe(
        `update ${s.t("sessions")} x set lease_until = now() - interval '1 millisecond'
         from unnest($2::text[], $3::int8[]) as v(k, e)
         where x.session_key = v.k and x.epoch = v.e and x.owner = $1`,
        [this.nodeId, keys, epochs],
      );
      await this.#members.leave();
    } catch {
      // The database is gone: the leases expire by themselves.
    }
  }

  /** Expires a lease this gateway gave up, so that a gateway takes the session at its next round. */
  async #handBack(key: string, epoch: number): Promise<void> {
    const s = this.#store;
    // With its epoch: a lease taken since (by any gateway, one with the same nodeId included) stays.
    await s.control.unsafe(
      `update ${s.t("sessions")} set lease_until = now() - interval '1 millisecond'
       where session_key = $1 and owner = $2 and epoch = $3`,
      [key, this.nodeId, epoch],
    ).catch(() => {}); // unreachable: the lease runs out by itself
  }

  async #lose(key: string, reason: string): Promise<void> {
    this.#validUntil.delete(key);
    if (!this.#owned.delete(key)) return;
    this.stats.lost++;
    const done = (this.#host?.releaseSession(key, reason) ?? Promise.resolve()).catch((e) =>
      this.#logger?.error("cluster", `closing the session failed: ${e instanceof Error ? e.message : e}`, key)
    ).finally(() => {
      if (this.#releasing.get(key) === done) this.#releasing.delete(key);
    });
    this.#releasing.set(key, done);
    await done;
  }

  /**
   * Gives up the sessions whose lease is no longer certainly valid (not renewed for a whole lease). The
   * round does not wait for the sockets to close (one may wait for its writes).
   */
  #expire(): void {
    const now = this.#now();
    for (const k of [...this.#owned.keys()]) {
      if (now < (this.#validUntil.get(k) ?? 0)) continue;
      void this.#lose(
        k,
        `lease of ${this.leaseMs} ms not renewed in time (stalled or the database out of reach)`,
      );
    }
  }

  /** One round: heartbeat, renew, give up or take sessions. Exposed for tests. */
  async tick(): Promise<void> {
    if (this.#stopped) return;
    const s = this.#store;
    const lease = this.leaseMs;
    // A stall (GC, SIGSTOP, VM pause) or an unreachable database longer than the lease: the leases may
    // belong to someone else by now. Give the sessions up before anything else runs.
    // The round does not wait for the sockets to close (one may wait for its writes): other leases
    // must still be renewed in time.
    this.#expire();
    const sentAt = this.#now();
    try {
      const heartbeat = this.#members.heartbeat(
        () => this.#host?.templateKeys?.(),
        () => this.#sessions.map((x) => x.key),
      );
      if (!await heartbeat) return;
      this.live = await this.#members.live();
      await this.#members.endStalled();
      // Renew every lease held, in one statement; the rows that do not match were taken.
      if (this.#owned.size > 0) {
        const keys = [...this.#owned.keys()], epochs = [...this.#owned.values()];
        const kept = await s.control.unsafe(
          `update ${s.t("sessions")} x set lease_until = now() + $4::float8 * interval '1 millisecond',
             lease_renewed = now()
           from unnest($2::text[], $3::int8[]) as v(k, e)
           where x.session_key = v.k and x.epoch = v.e and x.owner = $1
           returning x.session_key`,
          [this.nodeId, keys, epochs, lease],
        );
        this.stats.renewals++;
        const got = new Set(kept.map((r) => String(r.session_key)));
        for (const k of got) if (this.#owned.has(k)) this.#validUntil.set(k, sentAt + lease);
        for (const k of keys) {
          if (!got.has(k)) void this.#lose(k, "lease lost: another gateway owns the session now (fenced)");
        }
      }
      if (this.#stopped) return;
      // Operator moves: hand over what is asked of this gateway; a move under way decides who takes.
      const moves = await readMoves(s);
      for (const m of moves.values()) {
        if (m.state !== "requested" || m.fromOwner !== this.nodeId || !moveUnderWay(m, this.live)) continue;
        if (this.#owned.get(m.sessionKey) !== m.fromEpoch || this.#handingOver.has(m.sessionKey)) continue;
        void this.#handOver(m);
      }
      // Take what is free and ours to take.
      const rows = await s.control.unsafe(
        `select session_key, owner, lease_until is null or lease_until < now() as free,
           coalesce(lease_until < now() - $1::float8 * interval '1 millisecond', true) as orphaned
         from ${s.t("sessions")}`,
        [lease],
      );
      const byKey = new Map(rows.map((r) => [String(r.session_key), r]));
      await this.#movesIn(moves, byKey);
      // Gateways started together see each other within a lease: until then only pinned sessions are
      // taken, so the first one up does not take everything.
      const joining = this.#now() - this.#joinedAt < lease;
      for (const cs of this.#sessions) {
        if (this.#owned.has(cs.key) || this.#releasing.has(cs.key)) continue;
        const r = byKey.get(cs.key);
        const move = moves.get(cs.key);
        if (moveUnderWay(move, this.live)) {
          // Only the move's target takes the session, once its owner gave it up (released), or once the
          // owner's lease ran out before it did (it died or lost the database mid-move).
          if (move.target === this.nodeId && (r === undefined || r.free === true)) {
            const epoch = await this.#acquire(cs.key, cs.owner);
            if (epoch !== undefined) {
              this.stats.movedIn++;
              await setMoveState(s, cs.key, move.fromEpoch, "done", { epoch });
            }
          }
          continue;
        }
        if (joining && cs.owner !== this.nodeId) continue;
        const preferred = preferredOwner(cs, this.live);
        const free = r === undefined || r.free === true;
        if (!free) {
          if (r.owner !== null && r.owner !== this.nodeId) this.#host?.ownedElsewhere?.(cs.key);
          continue;
        }
        if (preferred !== this.nodeId && !(r !== undefined && r.orphaned === true && r.owner !== null)) {
          continue;
        }
        await this.#acquire(cs.key, cs.owner);
      }
    } catch (e) {
      this.stats.tickErrors++;
      this.#logger?.warn("cluster", `cluster round failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Operator moves to this gateway of sessions it has no configured entry for (dynamic sessions): taken
   * from the template that makes them once their owner gave them up (epoch + 1, numbers from the
   * committed tail; an acceptor then waits for the counterparty's Logon), `done` also when the
   * counterparty's Logon took the lease here first (`claim`). A move of a session this gateway can take
   * neither way is failed at once with that reason (the command's exit 1), instead of waiting for the
   * move's expiry; when the owner had already logged it out, it is free (taken as before the move).
   */
  async #movesIn(moves: Map<string, MoveRow>, byKey: Map<string, ControlRow>): Promise<void> {
    const s = this.#store;
    const configured = new Set(this.#sessions.map((x) => x.key));
    for (const m of moves.values()) {
      const key = m.sessionKey;
      if (m.target !== this.nodeId || configured.has(key) || !moveUnderWay(m, this.live)) continue;
      if (this.#host?.hasTemplateFor?.(key) !== true) {
        this.#logger?.warn(
          "cluster-move",
          `move to this gateway (${this.nodeId}) refused: neither the session nor a template that makes it ` +
            `is in its configuration`,
          key,
        );
        await setMoveState(s, key, m.fromEpoch, "failed", {
          error: `${this.nodeId} has no template for session ${key} (nor the session) in its configuration`,
        });
        continue;
      }
      const held = this.#owned.get(key);
      if (held !== undefined) {
        if (held > m.fromEpoch) await setMoveState(s, key, m.fromEpoch, "done", { epoch: held });
        continue;
      }
      if (this.#releasing.has(key) || this.#stopped) continue;
      // Free: its owner gave it up (released), or the owner's lease ran out before it did.
      const r = byKey.get(key);
      if (r !== undefined && r.free !== true) continue;
      const epoch = await this.#acquire(key, undefined, true);
      if (epoch !== undefined) {
        this.stats.movedIn++;
        await setMoveState(s, key, m.fromEpoch, "done", { epoch });
      }
    }
  }

  /**
   * Operator move out: the session is logged out (its lease still renewed meanwhile), then the lease is
   * given back (expired at once) and the move marked `released` for its target to take.
   */
  async #handOver(m: MoveRow): Promise<void> {
    const s = this.#store, key = m.sessionKey, epoch = m.fromEpoch;
    this.#handingOver.add(key);
    const reason = `moved to ${m.target} by an operator`;
    this.#logger?.info("cluster-move", `handing the session over to ${m.target}: logging out`, key);
    try {
      const h = this.#host;
      await (h?.handOverSession?.(key, reason) ?? h?.releaseSession(key, reason));
      this.#validUntil.delete(key);
      if (this.#owned.get(key) === epoch) this.#owned.delete(key);
      await s.control.unsafe(
        `update ${s.t("sessions")} set lease_until = now() - interval '1 millisecond'
         where session_key = $1 and owner = $2 and epoch = $3`,
        [key, this.nodeId, epoch],
      );
      await setMoveState(s, key, epoch, "released");
      this.stats.movedOut++;
      this.#logger?.info("cluster-move", `session logged out and lease given back for ${m.target}`, key);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.#logger?.error("cluster-move", `handing the session over failed: ${msg}`, key);
      await setMoveState(s, key, epoch, "failed", { error: `${this.nodeId}: ${msg}` }).catch(() => {});
      // The session may be half closed: give it up so that placement opens it again (here or elsewhere).
      if (this.#owned.get(key) === epoch) {
        await this.#lose(key, `hand-over failed (${msg}); lease given up`);
        await this.#handBack(key, epoch);
      }
    } finally {
      this.#handingOver.delete(key);
    }
  }

  /**
   * Takes a free session's lease (epoch + 1) and opens it (`fromTemplate`: a dynamic session, from the
   * template that makes it); returns the epoch, undefined when not won.
   */
  async #acquire(key: string, pin?: string, fromTemplate = false): Promise<number | undefined> {
    const s = this.#store;
    await s.control.unsafe(
      `insert into ${s.t("sessions")} (session_key, creation_ms) values ($1, $2) on conflict do nothing`,
      [key, Math.round(this.#scheduler.nowMs())],
    );
    const sentAt = this.#now();
    const got = await s.control.unsafe(
      `update ${s.t("sessions")} set owner = $2, epoch = epoch + 1,
         lease_until = now() + $3::float8 * interval '1 millisecond', lease_renewed = now(), pin = $4
       where session_key = $1 and (lease_until is null or lease_until < now())
       returning epoch`,
      [key, this.nodeId, this.leaseMs, pin ?? null],
    );
    const row = got[0];
    if (row === undefined) return undefined; // another gateway was quicker
    const epoch = Number(row.epoch);
    this.#owned.set(key, epoch);
    this.#validUntil.set(key, sentAt + this.leaseMs);
    s.claim(key, epoch);
    this.stats.acquired++;
    this.#logger?.info(
      "lease-acquired",
      `this gateway (${this.nodeId}) owns the session, epoch ${epoch}`,
      key,
    );
    try {
      await this.#host?.acquireSession(key, fromTemplate);
    } catch (e) {
      this.#logger?.error(
        "cluster",
        `cannot open the session: ${e instanceof Error ? e.message : String(e)}`,
        key,
      );
      await this.#lose(key, "open failed");
      return undefined;
    }
    return epoch;
  }
}

/**
 * Operator moves of live sessions between the gateways of a cluster (`fixg cluster move`, `fixg cluster
 * rebalance`; docs/ha.md "Moving a session").
 *
 * A move is a row of the `moves` table, the only channel: the cluster rounds read it (no new network
 * path). The owner's round sees `requested`, logs the session out (Logout, its commits settled, socket
 * closed), gives the lease back and sets `released`; the target's round takes the free session (epoch + 1,
 * numbers from the committed tail; a dynamic session from its template that makes it; free also when the
 * owner's lease ran out before it handed the session over), logs on and sets
 * `done`, or fails the move when it can take the session neither way. While a move is `requested` or
 * `released` and its target is live, no other gateway takes the session (nor a dynamic one on its Logon).
 */
import type { ClusterControl, ControlRow } from "../store/cluster_store.ts";
import { preferredOwner } from "./cluster.ts";
import { type SessionId, sessionIdOfKey, templateMaking } from "../session/session_id.ts";

/** A row of `moves`. */
export interface MoveRow {
  sessionKey: string;
  target: string;
  fromOwner: string | null;
  fromEpoch: number;
  state: "requested" | "released" | "done" | "failed" | "timed-out";
  error: string | null;
  epoch: number | null;
  /** Milliseconds since the move's last step (database time). */
  ageMs: number;
}

/** States of a move still under way. */
export const MOVE_OPEN = new Set(["requested", "released"]);

/**
 * A move whose last step is older than this is ignored by the cluster rounds (placement as usual): a
 * `released` session whose target never takes it (the command was killed, the target lacks the session)
 * must not stay down.
 */
export const MOVE_EXPIRY_MS = 120_000;

/** The move is under way: open, not expired, and its target live. */
export function moveUnderWay(m: MoveRow | undefined, live: readonly string[]): m is MoveRow {
  return m !== undefined && MOVE_OPEN.has(m.state) && m.ageMs < MOVE_EXPIRY_MS && live.includes(m.target);
}

/** Every move row by session key. */
export async function readMoves(store: ClusterControl): Promise<Map<string, MoveRow>> {
  const rows = await store.control.unsafe(
    `select *, (extract(epoch from (now() - updated)) * 1000)::float8 as age from ${store.t("moves")}`,
  );
  return new Map(rows.map((r) => [String(r.session_key), moveRowOf(r)]));
}

/** The move row of one session, if any. */
export async function readMove(store: ClusterControl, key: string): Promise<MoveRow | undefined> {
  const [r] = await store.control.unsafe(
    `select *, (extract(epoch from (now() - updated)) * 1000)::float8 as age from ${store.t("moves")}
     where session_key = $1`,
    [key],
  );
  return r === undefined ? undefined : moveRowOf(r);
}

function moveRowOf(r: ControlRow): MoveRow {
  return {
    sessionKey: String(r.session_key),
    target: String(r.target),
    fromOwner: r.from_owner === null ? null : String(r.from_owner),
    fromEpoch: Number(r.from_epoch),
    state: String(r.state) as MoveRow["state"],
    error: r.error === null ? null : String(r.error),
    epoch: r.epoch === null ? null : Number(r.epoch),
    ageMs: Number(r.age),
  };
}

/** Sets a move's state (only while it is still the move from `fromEpoch` and open). */
export async function setMoveState(
  store: ClusterControl,
  key: string,
  fromEpoch: number,
  state: MoveRow["state"],
  extra: { error?: string; epoch?: number } = {},
): Promise<void> {
  await store.control.unsafe(
    `update ${store.t("moves")} set state = $3, error = $4, epoch = coalesce($5, epoch), updated = now()
     where session_key = $1 and from_epoch = $2 and state in ('requested', 'released')`,
    [key, fromEpoch, state, extra.error ?? null, extra.epoch ?? null],
  );
}

/** One session's place in the cluster as the operator commands see it. */
export interface Placement {
  sessionKey: string;
  owner: string | null;
  epoch: number;
  /** The owner holds a live lease. */
  live: boolean;
  pin: string | null;
  /** When the lease runs out, ms since the epoch (database time); moves forward at each renewal. */
  leaseUntilMs?: number;
}

/** What a gateway recorded it can take (schema 5): its configured sessions' keys and its templates'. */
export interface Takes {
  sessions: string[];
  templates: string[];
}

/**
 * True when a gateway that recorded `takes` can take the session `key`: configured there, or made by
 * one of its templates; undefined when that cannot be told (a template key that does not read back).
 */
export function canTake(takes: Takes, key: string): boolean | undefined {
  if (takes.sessions.includes(key)) return true;
  const ids = takes.templates.map(sessionIdOfKey);
  if (ids.some((x) => x === undefined)) return undefined;
  return templateMaking(ids as SessionId[], (x) => x, key) !== undefined;
}

/** The gateways among `nodes` that can take `key` (a gateway that recorded nothing may). */
function takers(nodes: readonly string[], takes: ReadonlyMap<string, Takes>, key: string): string[] {
  return nodes.filter((n) => {
    const t = takes.get(n);
    return t === undefined || canTake(t, key) !== false;
  });
}

/**
 * The live gateways (heartbeat younger than their lease), every session's owner, in database time, and
 * what each gateway recorded it can take (none from a gateway of an earlier version or on schema-4 tables).
 */
export async function readPlacement(
  store: ClusterControl,
): Promise<{ live: string[]; members: string[]; sessions: Placement[]; takes: Map<string, Takes> }> {
  // The columns through to_jsonb: schema-4 tables (read as they are by the operator commands) lack them.
  const m = await store.control.unsafe(
    `select node_id, heartbeat > now() - lease_ms::float8 * interval '1 millisecond' as live,
       (to_jsonb(m) -> 'sessions')::text as sessions, (to_jsonb(m) -> 'templates')::text as templates
     from ${store.t("members")} m order by node_id`,
  );
  const takes = new Map<string, Takes>();
  for (const r of m) {
    const sessions = JSON.parse(String(r.sessions ?? "null")),
      templates = JSON.parse(String(r.templates ?? "null"));
    if (Array.isArray(sessions) && Array.isArray(templates)) {
      takes.set(String(r.node_id), { sessions: sessions.map(String), templates: templates.map(String) });
    }
  }
  const s = await store.control.unsafe(
    `select session_key, owner, epoch, pin, coalesce(lease_until > now(), false) as live,
       (extract(epoch from lease_until) * 1000)::float8 as lease_until_ms
     from ${store.t("sessions")} order by session_key`,
  );
  return {
    members: m.map((r) => String(r.node_id)),
    live: m.filter((r) => r.live === true).map((r) => String(r.node_id)),
    sessions: s.map((r) => ({
      sessionKey: String(r.session_key),
      owner: r.owner === null ? null : String(r.owner),
      epoch: Number(r.epoch),
      live: r.live === true && r.owner !== null,
      pin: r.pin === null ? null : String(r.pin),
      ...(r.lease_until_ms === null ? {} : { leaseUntilMs: Number(r.lease_until_ms) }),
    })),
    takes,
  };
}

/** A planned move. */
export interface PlannedMove {
  sessionKey: string;
  from: string;
  to: string;
  epoch: number;
}

/**
 * The moves of a rebalance: every session with a live owner that is not its preferred owner over the
 * live gateways that can take it (the `owner:` pin when that gateway is live, else the rendezvous hash),
 * one per session. A dynamic session is placed the same way, over the live gateways with a template that
 * makes it (`takes`; a gateway that recorded nothing counts as able).
 */
export function rebalancePlan(
  p: { live: string[]; sessions: Placement[]; takes?: ReadonlyMap<string, Takes> },
): PlannedMove[] {
  const out: PlannedMove[] = [];
  for (const s of p.sessions) {
    if (!s.live || s.owner === null || !p.live.includes(s.owner)) continue;
    const able = takers(p.live, p.takes ?? new Map(), s.sessionKey);
    const to = preferredOwner({ key: s.sessionKey, ...(s.pin !== null ? { owner: s.pin } : {}) }, able);
    if (to !== undefined && to !== s.owner) {
      out.push({ sessionKey: s.sessionKey, from: s.owner, to, epoch: s.epoch });
    }
  }
  return out;
}

/** Why a move cannot be asked for (exit 2): unknown session or target. */
export class MoveUsageError extends Error {}

/** The outcome of one move. */
export interface MoveResult {
  session: string;
  from: string | null;
  to: string;
  fromEpoch: number;
  /** The epoch the target holds the session with (done). */
  epoch: number | null;
  ok: boolean;
  /** "done", "already" (the target owned it), "failed", "timed-out". */
  state: string;
  error?: string;
  ms: number;
}

/**
 * Asks for a move: checks the session exists, the target is a live gateway and, when the target recorded
 * what it can take, that it can take this session (MoveUsageError otherwise), then writes the request
 * (`released` at once when the session has no live owner).
 * Returns the epoch the move starts from, or undefined when the target already owns the session.
 */
export async function requestMove(
  store: ClusterControl,
  key: string,
  to: string,
): Promise<{ from: string | null; fromEpoch: number } | undefined> {
  const p = await readPlacement(store);
  const s = p.sessions.find((x) => x.sessionKey === key);
  if (s === undefined) {
    const known = p.sessions.map((x) => x.sessionKey);
    throw new MoveUsageError(
      `unknown session "${key}" (the store has ${known.length === 0 ? "none" : known.join(", ")})`,
    );
  }
  if (!p.live.includes(to)) {
    throw new MoveUsageError(
      `"${to}" is not a live gateway of the cluster (live: ${
        p.live.length === 0 ? "none" : p.live.join(", ")
      })`,
    );
  }
  if (s.live && s.owner === to) return undefined;
  const takes = p.takes.get(to);
  if (takes !== undefined && canTake(takes, key) === false) {
    throw new MoveUsageError(
      `"${to}" has no template for session "${key}" (nor the session) in its configuration (its templates: ${
        takes.templates.length === 0 ? "none" : takes.templates.join(", ")
      })`,
    );
  }
  const state = s.live ? "requested" : "released";
  await store.control.unsafe(
    `insert into ${store.t("moves")} (session_key, target, from_owner, from_epoch, state)
     values ($1, $2, $3, $4, $5)
     on conflict (session_key) do update set target = $2, from_owner = $3, from_epoch = $4, state = $5,
       error = null, epoch = null, requested = now(), updated = now()`,
    [key, to, s.live ? s.owner : null, s.epoch, state],
  );
  return { from: s.live ? s.owner : null, fromEpoch: s.epoch };
}

/**
 * True once the lease of `key` held with `epoch` was seen before with the same epoch and an earlier end:
 * renewed since first seen. Records the first sighting.
 */
function renewedSince(
  held: Map<string, { epoch: number; leaseUntilMs: number }>,
  key: string,
  epoch: number,
  leaseUntilMs: number,
): boolean {
  const first = held.get(key);
  if (first === undefined || first.epoch !== epoch) {
    held.set(key, { epoch, leaseUntilMs });
    return false;
  }
  return leaseUntilMs > first.leaseUntilMs;
}

/**
 * Waits for the moves asked for by `requestMove` to end: done (the target holds a live lease with a
 * newer epoch), failed (the owner could not log the session out), the target gone, or `timeoutMs`; a move
 * that did not finish in time is withdrawn (state timed-out: placement takes the session as usual).
 * `progress` gets one line per change of state.
 */
export async function awaitMoves(
  store: ClusterControl,
  moves: { session: string; from: string | null; to: string; fromEpoch: number }[],
  timeoutMs: number,
  progress: (line: string) => void = () => {},
  pollMs = 50,
): Promise<MoveResult[]> {
  const t0 = performance.now();
  const results = new Map<string, MoveResult>();
  const seen = new Map<string, string>();
  /** The target found holding a move's session before the move was marked: its epoch and lease then. */
  const held = new Map<string, { epoch: number; leaseUntilMs: number }>();
  while (results.size < moves.length) {
    const rows = await readMoves(store);
    const p = await readPlacement(store);
    const elapsed = Math.round(performance.now() - t0);
    for (const m of moves) {
      if (results.has(m.session)) continue;
      const r = rows.get(m.session);
      const s = p.sessions.find((x) => x.sessionKey === m.session);
      const end = (state: string, ok: boolean, error?: string) =>
        results.set(m.session, {
          session: m.session,
          from: m.from,
          to: m.to,
          fromEpoch: m.fromEpoch,
          epoch: ok ? s!.epoch : null,
          ok,
          state,
          ...(error !== undefined ? { error } : {}),
          ms: elapsed,
        });
      if (r !== undefined && r.fromEpoch === m.fromEpoch && seen.get(m.session) !== r.state) {
        seen.set(m.session, r.state);
        const what: Record<string, string> = {
          requested: `asked ${m.from ?? "-"} to log it out`,
          released: `${m.from ?? "no owner"} gave it up; waiting for ${m.to}`,
          done: `${m.to} took it (epoch ${r.epoch ?? "?"})`,
          failed: `failed: ${r.error ?? "?"}`,
          "timed-out": "timed out",
        };
        progress(`move ${m.session}: ${what[r.state] ?? r.state} (${elapsed} ms)`);
      }
      if (r === undefined || r.fromEpoch !== m.fromEpoch) {
        end("failed", false, "the move request was replaced by another one");
      } else if (r.state === "done" && s !== undefined && s.owner === m.to && s.epoch > m.fromEpoch) {
        end("done", true);
      } else if (
        MOVE_OPEN.has(r.state) && s !== undefined && s.live && s.owner === m.to && s.epoch > m.fromEpoch &&
        renewedSince(held, m.session, s.epoch, s.leaseUntilMs ?? 0)
      ) {
        // The target holds the session with a newer epoch and renewed that lease since it was first seen
        // (so it opened the session: a lease whose open failed is not renewed), the move row not marked:
        // a gateway of an earlier version that took it on its counterparty's Logon, or a round whose
        // `done` write failed.
        await setMoveState(store, m.session, m.fromEpoch, "done", { epoch: s.epoch });
        seen.set(m.session, "done");
        progress(`move ${m.session}: ${m.to} took it (epoch ${s.epoch}) (${elapsed} ms)`);
        end("done", true);
      } else if (r.state === "failed") {
        end("failed", false, r.error ?? "failed");
      } else if (!p.live.includes(m.to)) {
        await setMoveState(store, m.session, m.fromEpoch, "failed", { error: `${m.to} is no longer live` });
        end("failed", false, `${m.to} is no longer live`);
      } else if (elapsed > timeoutMs) {
        await setMoveState(store, m.session, m.fromEpoch, "timed-out", {
          error: `not done within ${timeoutMs} ms`,
        });
        end("timed-out", false, `not done within ${timeoutMs} ms (state ${r.state})`);
      }
    }
    if (results.size < moves.length) await new Promise((r) => setTimeout(r, pollMs));
  }
  return moves.map((m) => results.get(m.session)!);
}

/**
 * `fixg cluster status --store URL [--schema S] [--json]`: every session of a PostgreSQL store with its
 * owner, epoch, lease age and sequence numbers, and the live gateways (docs/ha.md).
 * Exit 0: every session has an owner with a live lease; 1: some session has none (orphaned, expired,
 * or never placed) or there are no sessions; 2: usage, or the database cannot be reached.
 *
 * `fixg cluster move --store URL --session KEY --to NODE` and `fixg cluster rebalance --store URL
 * [--dry-run]`: operator moves of live sessions, dynamic ones included (src/engine/cluster_ops.ts). Exit 0
 * done, 1 a move failed or timed out, 2 usage (unknown session or gateway, a target without the session or
 * a template for it) or the database cannot be reached.
 */
import type { Command } from "@commander-js/extra-typings";
import { FixgError } from "../src/errors.ts";
import {
  openPostgresStore,
  type PostgresMessageStore,
  redactUrl,
  type SessionRow,
} from "../src/store/postgres.ts";
import {
  awaitMoves,
  MOVE_EXPIRY_MS,
  MOVE_OPEN,
  type MoveResult,
  MoveUsageError,
  type PlannedMove,
  readMoves,
  readPlacement,
  rebalancePlan,
  requestMove,
} from "../src/engine/cluster_ops.ts";

/** What `cluster status` reports. */
export interface ClusterStatus {
  members: { nodeId: string; live: boolean; heartbeatAgeMs: number; sessions: number }[];
  sessions: (SessionRow & { live: boolean })[];
  /** Sessions without a live lease. */
  unowned: number;
  /** Operator moves under way (`fixg cluster move`, `rebalance`). */
  moves: { sessionKey: string; from: string | null; to: string; state: string }[];
}

/**
 * How the operator commands open the store: one connection, no retries, never migrating (gateways of
 * the running version keep their tables) nor creating (a mistyped --schema is an error).
 */
function operatorStore(url: string, schema: string) {
  return { url, schema, maxConnections: 1, retryMs: 0, upgrade: false, create: false };
}

/** Reads the status from the store at `url`. */
export async function clusterStatus(url: string, schema: string): Promise<ClusterStatus> {
  const store = await openPostgresStore(operatorStore(url, schema));
  try {
    const rows = await store.sessionRows();
    const m = await store.sql.unsafe(
      `select node_id, (extract(epoch from (now() - heartbeat)) * 1000)::float8 as age, lease_ms
       from ${store.t("members")} order by node_id`,
    );
    const sessions = rows.map((r) => ({
      ...r,
      live: r.owner !== null && r.leaseLeftMs !== null && r.leaseLeftMs > 0,
    }));
    const members = m.map((r) => {
      const nodeId = String(r.node_id);
      const age = Math.round(Number(r.age));
      return {
        nodeId,
        live: age < Number(r.lease_ms),
        heartbeatAgeMs: age,
        sessions: sessions.filter((s) => s.live && s.owner === nodeId).length,
      };
    });
    const moves = [...(await readMoves(store)).values()].filter((m) =>
      MOVE_OPEN.has(m.state) && m.ageMs < MOVE_EXPIRY_MS
    ).map((m) => ({
      sessionKey: m.sessionKey,
      from: m.fromOwner,
      to: m.target,
      state: m.state,
    }));
    return { members, sessions, unowned: sessions.filter((s) => !s.live).length, moves };
  } finally {
    await store.close();
  }
}

function pad(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join("  ").trimEnd()).join("\n");
}

/** The human rendering. */
export function renderClusterStatus(s: ClusterStatus): string {
  const out: string[] = [];
  out.push(
    s.members.length === 0 ? "gateways: none registered" : pad([
      ["GATEWAY", "LIVE", "HEARTBEAT AGE", "SESSIONS"],
      ...s.members.map((
        m,
      ) => [m.nodeId, m.live ? "yes" : "no", `${m.heartbeatAgeMs} ms`, String(m.sessions)]),
    ]),
  );
  out.push("");
  out.push(
    s.sessions.length === 0 ? "sessions: none" : pad([
      ["SESSION", "OWNER", "EPOCH", "LEASE", "LEASE AGE", "NEXT OUT", "NEXT IN"],
      ...s.sessions.map((r) => [
        r.sessionKey,
        r.owner ?? "-",
        String(r.epoch),
        r.leaseLeftMs === null
          ? "none"
          : r.live
          ? `live ${r.leaseLeftMs} ms left`
          : `expired ${-r.leaseLeftMs} ms ago`,
        r.leaseAgeMs === null ? "-" : `${r.leaseAgeMs} ms`,
        String(r.nextSenderSeq),
        String(r.nextTargetSeq),
      ]),
    ]),
  );
  out.push("");
  for (const m of s.moves) {
    out.push(`moving: ${m.sessionKey} ${m.from ?? "(no owner)"} -> ${m.to} (${m.state})`);
  }
  if (s.moves.length > 0) out.push("");
  out.push(
    s.unowned === 0 && s.sessions.length > 0
      ? `all ${s.sessions.length} sessions have a live owner`
      : `${s.unowned} of ${s.sessions.length} sessions without a live owner`,
  );
  return out.join("\n");
}

/**
 * `--store` names a PostgreSQL URL (the scheme in any case); anything else is refused without being echoed:
 * its password is masked after `//` only, so a URL whose scheme was forgotten would be printed whole.
 */
function storeUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new FixgError("USAGE", "--store: must be a postgres:// (or postgresql://) URL", { exitCode: 2 });
  }
  return url;
}

/** Opens the store for an operator command; an unreachable database is exit 2 (password never shown). */
async function withStore<T>(
  url: string,
  schema: string,
  fn: (s: PostgresMessageStore) => Promise<T>,
): Promise<T> {
  let store: PostgresMessageStore;
  try {
    store = await openPostgresStore(operatorStore(storeUrl(url), schema));
  } catch (e) {
    if (e instanceof FixgError) throw new FixgError(e.code, e.message, { exitCode: 2 });
    throw new FixgError(
      "STORE_OPEN",
      `cannot read ${redactUrl(url)}: ${e instanceof Error ? e.message : String(e)}`,
      { exitCode: 2 },
    );
  }
  try {
    return await fn(store);
  } catch (e) {
    if (e instanceof MoveUsageError) throw new FixgError("USAGE", e.message, { exitCode: 2 });
    throw e;
  } finally {
    await store.close();
  }
}

function timeoutOf(v: string): number {
  const n = Number(v);
  // A timer holds at most 2^31 - 1 ms: a longer one would fire at once.
  if (!Number.isInteger(n) || n <= 0 || n > 2 ** 31 - 1) {
    throw new FixgError("USAGE", `--timeout-ms must be a positive integer up to 2147483647 (got "${v}")`, {
      exitCode: 2,
    });
  }
  return n;
}

/** One line per move result. */
export function renderMoveResult(r: MoveResult): string {
  return r.state === "already"
    ? `${r.session}: already owned by ${r.to} (epoch ${r.fromEpoch})`
    : r.ok
    ? `${r.session}: moved ${
      r.from ?? "(no owner)"
    } -> ${r.to}, epoch ${r.fromEpoch} -> ${r.epoch} in ${r.ms} ms`
    : `${r.session}: move ${r.from ?? "(no owner)"} -> ${r.to} ${r.state}: ${r.error ?? ""}`;
}

/** Requests and awaits a set of moves (all asked at once; each session moved at most once). */
async function runMoves(
  store: PostgresMessageStore,
  wanted: { session: string; to: string }[],
  timeoutMs: number,
): Promise<MoveResult[]> {
  const asked: { session: string; from: string | null; to: string; fromEpoch: number }[] = [];
  const already: MoveResult[] = [];
  for (const w of wanted) {
    const r = await requestMove(store, w.session, w.to);
    if (r === undefined) {
      const p = (await readPlacement(store)).sessions.find((s) => s.sessionKey === w.session);
      already.push({
        session: w.session,
        from: w.to,
        to: w.to,
        fromEpoch: p?.epoch ?? 0,
        epoch: p?.epoch ?? 0,
        ok: true,
        state: "already",
        ms: 0,
      });
    } else asked.push({ session: w.session, to: w.to, ...r });
  }
  const done = await awaitMoves(store, asked, timeoutMs, (line) => console.error(line));
  return [...already, ...done];
}

/** Registers `fixg cluster`. */
export function registerCluster(program: Command): void {
  const cluster = program.command("cluster").description(
    "sessions shared by several gateways over a PostgreSQL store (docs/ha.md)",
  );
  cluster.command("status")
    .description(
      "every session of the store: owner, epoch, lease (database time), sequence numbers; and the gateways. " +
        "Exit 0 every session has a live owner, 1 some has none, 2 usage or database unreachable",
    )
    .requiredOption(
      "--store <url>",
      "PostgreSQL URL (several hosts allowed: postgres://u@h1,h2/db?target_session_attrs=read-write)",
    )
    .option("--schema <name>", "schema of the store's tables", "fixg")
    .option("--json", "print one JSON object", false)
    .action(async (opts) => {
      let s: ClusterStatus;
      const url = storeUrl(opts.store);
      try {
        s = await clusterStatus(url, opts.schema);
      } catch (e) {
        if (e instanceof FixgError) throw new FixgError(e.code, e.message, { exitCode: 2 });
        throw new FixgError(
          "STORE_OPEN",
          `cannot read ${redactUrl(opts.store)}: ${e instanceof Error ? e.message : String(e)}`,
          { exitCode: 2 },
        );
      }
      console.log(opts.json ? JSON.stringify(s, null, 2) : renderClusterStatus(s));
      if (s.unowned > 0 || s.sessions.length === 0) Deno.exitCode = 1;
    });
  const storeHelp =
    "PostgreSQL URL (several hosts allowed: postgres://u@h1,h2/db?target_session_attrs=read-write)";
  cluster.command("move")
    .description(
      "move a live session to another gateway: its owner logs it out (Logout, commits settled) and gives " +
        "the lease back; the target takes it (epoch + 1) and logs on with the next sequence numbers. " +
        "A dynamic session is taken from the target's template. Exit 0 done (or already there), 1 failed or " +
        "timed out, 2 usage (unknown session or gateway, or a target without the session or a template for it)",
    )
    .requiredOption("--store <url>", storeHelp)
    .requiredOption("--session <key>", "the session's key as `fixg cluster status` shows it")
    .requiredOption("--to <node>", "the nodeId of a live gateway")
    .option("--schema <name>", "schema of the store's tables", "fixg")
    .option("--timeout-ms <ms>", "give up (and withdraw the request) after this long", "30000")
    .option("--json", "print one JSON object", false)
    .action(async (opts) => {
      const timeoutMs = timeoutOf(opts.timeoutMs);
      const [r] = await withStore(
        opts.store,
        opts.schema,
        (store) => runMoves(store, [{ session: opts.session, to: opts.to }], timeoutMs),
      );
      console.log(opts.json ? JSON.stringify(r, null, 2) : renderMoveResult(r!));
      if (!r!.ok) Deno.exitCode = 1;
    });
  cluster.command("rebalance")
    .description(
      "move every session whose owner is not its preferred live gateway (owner: pin, else rendezvous " +
        "hash over the gateways that can take it; dynamic sessions too) there, one move per session. " +
        "Exit 0 done, 1 some move failed or timed out, 2 usage",
    )
    .requiredOption("--store <url>", storeHelp)
    .option("--schema <name>", "schema of the store's tables", "fixg")
    .option("--dry-run", "print the moves without making them", false)
    .option("--timeout-ms <ms>", "give up on the moves not done after this long", "60000")
    .option("--json", "print one JSON object", false)
    .action(async (opts) => {
      const timeoutMs = timeoutOf(opts.timeoutMs);
      const out = await withStore(opts.store, opts.schema, async (store) => {
        const placement = await readPlacement(store);
        const plan: PlannedMove[] = rebalancePlan(placement);
        if (opts.dryRun) return { live: placement.live, plan, results: undefined };
        if (plan.length > 0) {
          console.error(`rebalance: ${plan.length} move(s) over ${placement.live.join(", ")}`);
        }
        const results = await runMoves(
          store,
          plan.map((m) => ({ session: m.sessionKey, to: m.to })),
          timeoutMs,
        );
        return { live: placement.live, plan, results };
      });
      if (opts.json) console.log(JSON.stringify(out, null, 2));
      else if (out.results === undefined) {
        console.log(
          out.plan.length === 0
            ? `balanced: no move needed (live: ${out.live.join(", ") || "none"})`
            : out.plan.map((m) => `${m.sessionKey}: ${m.from} -> ${m.to} (epoch ${m.epoch})`).join("\n"),
        );
      } else {
        console.log(
          out.results.length === 0
            ? "balanced: no move needed"
            : out.results.map(renderMoveResult).join("\n"),
        );
      }
      const failed = out.results?.filter((r) => !r.ok) ?? [];
      if (failed.length > 0) {
        console.error(
          `rebalance: ${failed.length} move(s) not done: ${failed.map((r) => r.session).join(", ")}`,
        );
        Deno.exitCode = 1;
      }
    });
}

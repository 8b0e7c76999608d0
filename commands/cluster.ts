/**
 * `fixg cluster status --store URL [--schema S] [--json]`: every session of a PostgreSQL store with its
 * owner, epoch, lease age and sequence numbers, and the live gateways (docs/ha.md).
 * Exit 0: every session has an owner with a live lease; 1: some session has none (orphaned, expired,
 * or never placed) or there are no sessions; 2: usage, or the database cannot be reached.
 */
import type { Command } from "@commander-js/extra-typings";
import { FixgError } from "../src/errors.ts";
import { openPostgresStore, redactUrl, type SessionRow } from "../src/store/postgres.ts";

/** What `cluster status` reports. */
export interface ClusterStatus {
  members: { nodeId: string; live: boolean; heartbeatAgeMs: number; sessions: number }[];
  sessions: (SessionRow & { live: boolean })[];
  /** Sessions without a live lease. */
  unowned: number;
}

/** Reads the status from the store at `url`. */
export async function clusterStatus(url: string, schema: string): Promise<ClusterStatus> {
  const store = await openPostgresStore({ url, schema, maxConnections: 1, retryMs: 0 });
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
    return { members, sessions, unowned: sessions.filter((s) => !s.live).length };
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
  out.push(
    s.unowned === 0 && s.sessions.length > 0
      ? `all ${s.sessions.length} sessions have a live owner`
      : `${s.unowned} of ${s.sessions.length} sessions without a live owner`,
  );
  return out.join("\n");
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
      try {
        s = await clusterStatus(opts.store, opts.schema);
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
}

/**
 * PostgreSQL for the tests: FIXG_PG_URL, or the `env` file `bash scripts/pg_cluster.sh start` writes
 * (FIXG_PG_DIR, default /tmp/fixg-pg). Tests that need it skip with the reason when neither is there.
 * Every test gets a schema of its own, dropped afterwards.
 */
import postgres from "postgres";
import { freePort } from "../_helpers/net.ts";

/** The KEY=value lines of an `env` file scripts/pg_cluster.sh wrote. */
function readEnv(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of Deno.readTextFileSync(path).split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

function readEnvFile(): Record<string, string> {
  const dir = Deno.env.get("FIXG_PG_DIR") ?? "/tmp/fixg-pg";
  try {
    return readEnv(`${dir}/env`);
  } catch {
    return {};
  }
}

/** The cluster's facts (URL, data directories, ports) as scripts/pg_cluster.sh wrote them. */
export const PG_ENV: Record<string, string> = readEnvFile();

/** The URL of the test database, or undefined. */
export const PG_URL: string | undefined = Deno.env.get("FIXG_PG_URL") ?? PG_ENV["FIXG_PG_URL"];

async function probe(): Promise<string | undefined> {
  if (PG_URL === undefined) {
    return "no PostgreSQL: set FIXG_PG_URL or run `bash scripts/pg_cluster.sh start`";
  }
  const sql = postgres(PG_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return undefined;
  } catch (e) {
    return `PostgreSQL at FIXG_PG_URL unreachable: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** Why the PostgreSQL tests are skipped, or undefined when they run. */
export const PG_MISSING: string | undefined = await probe();
if (PG_MISSING !== undefined) console.warn(`postgres: PostgreSQL tests skipped: ${PG_MISSING}`);

/**
 * Why a test on a primary/standby pair of its own cannot run (no PostgreSQL, or no server binaries
 * recorded by scripts/pg_cluster.sh), or undefined.
 */
export const PAIR_MISSING: string | undefined = PG_MISSING ??
  (PG_ENV["FIXG_PG_BIN"] === undefined
    ? "no PostgreSQL server binaries recorded by scripts/pg_cluster.sh"
    : undefined);

/** Runs `bash ...args` with `env` added; its stdout and stderr, or throws with them when it fails. */
export async function sh(args: string[], env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command("bash", { args, env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${args.join(" ")}: ${text}`);
  return text;
}

/**
 * A primary/standby pair of a test's own: scripts/pg_cluster.sh with its directory `dir`/pg (the env
 * file, the servers' data and pid files), the primary on a free port. start() returns what the env
 * file names (FIXG_PG_URL with both hosts, the ports, the data directories); stop() never throws.
 */
export function ownPair(dir: string): {
  pgDir: string;
  start(): Promise<Record<string, string>>;
  stop(): Promise<void>;
} {
  const pgDir = `${dir}/pg`;
  const pgEnv = { FIXG_PG_DIR: pgDir, FIXG_PG_PORT: String(freePort()) };
  const script = `${new URL("../../", import.meta.url).pathname}scripts/pg_cluster.sh`;
  return {
    pgDir,
    start: async () => {
      await sh([script, "start"], pgEnv);
      return readEnv(`${pgDir}/env`);
    },
    stop: async () => {
      await sh([script, "stop"], pgEnv).catch(() => "");
    },
  };
}

let n = 0;
/** A fresh schema name for one test. */
export function freshSchema(): string {
  return `t_${Deno.pid}_${Date.now().toString(36)}_${n++}`;
}

/** Drops a test's schema. */
export async function dropSchema(schema: string): Promise<void> {
  if (PG_URL === undefined) return;
  const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

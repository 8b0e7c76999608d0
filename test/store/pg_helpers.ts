/**
 * PostgreSQL for the tests: FIXG_PG_URL, or the `env` file `bash scripts/pg_cluster.sh start` writes
 * (FIXG_PG_DIR, default /tmp/fixg-pg). Tests that need it skip with the reason when neither is there.
 * Every test gets a schema of its own, dropped afterwards.
 */
import postgres from "postgres";

function readEnvFile(): Record<string, string> {
  const dir = Deno.env.get("FIXG_PG_DIR") ?? "/tmp/fixg-pg";
  try {
    const out: Record<string, string> = {};
    for (const line of Deno.readTextFileSync(`${dir}/env`).split("\n")) {
      const i = line.indexOf("=");
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
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

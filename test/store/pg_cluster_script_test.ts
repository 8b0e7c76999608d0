/**
 * scripts/pg_cluster.sh, the PostgreSQL pair the HA tests run on: a port found taken when a server starts
 * is replaced by a free one, and the `env` file names the ports used. (CI failed once on this: the
 * database-failover test's standby port, the primary's + 1, was another test's listener at that moment.)
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { PG_ENV } from "./pg_helpers.ts";

const root = new URL("../../", import.meta.url).pathname;
const missing = PG_ENV["FIXG_PG_BIN"] === undefined
  ? "no PostgreSQL server binaries recorded by scripts/pg_cluster.sh"
  : undefined;

async function script(cmd: string, env: Record<string, string>): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command("bash", {
    args: [`${root}scripts/pg_cluster.sh`, cmd],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
  };
}

/** Two listeners on consecutive ports: both of the ports the script would take by default. */
function holdTwo(): [Deno.Listener, Deno.Listener] {
  for (let i = 0; i < 50; i++) {
    const a = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (a.addr as Deno.NetAddr).port;
    try {
      return [a, Deno.listen({ hostname: "127.0.0.1", port: port + 1 })];
    } catch {
      a.close();
    }
  }
  throw new Error("no two consecutive free ports");
}

Deno.test({
  name:
    "pg_cluster.sh: primary and standby ports taken by other listeners: both start on other ports, named in env",
  ignore: missing !== undefined,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-pgport-" });
  await Deno.chmod(dir, 0o755);
  const [a, b] = holdTwo();
  const taken = (a.addr as Deno.NetAddr).port;
  const env = { FIXG_PG_DIR: `${dir}/pg`, FIXG_PG_PORT: String(taken) };
  try {
    const started = await script("start", env);
    assert.equal(started.code, 0, started.text);
    assert.match(started.text, new RegExp(`primary: port ${taken} is taken; trying \\d+`));
    assert.match(started.text, new RegExp(`standby: port ${taken + 1} is taken; trying \\d+`));
    const facts = Object.fromEntries(
      Deno.readTextFileSync(`${dir}/pg/env`).trim().split("\n").map((
        l,
      ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const p = Number(facts["FIXG_PG_PRIMARY_PORT"]), s = Number(facts["FIXG_PG_STANDBY_PORT"]);
    assert.ok(p !== taken && s !== taken + 1 && p !== s, `ports ${p}, ${s}`);
    assert.equal(
      facts["FIXG_PG_URL"],
      `postgres://postgres@127.0.0.1:${p},127.0.0.1:${s}/fixg?target_session_attrs=read-write`,
    );
    // The primary is where the URL says, the standby streams synchronously from it.
    const sql = postgres(`postgres://postgres@127.0.0.1:${p}/fixg`, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`select sync_state from pg_stat_replication where application_name = 'standby1'`;
      assert.deepEqual(rows.map((r) => r.sync_state), ["sync"]);
    } finally {
      await sql.end();
    }
    const pids = ["primary", "standby"].map((n) =>
      Number(Deno.readTextFileSync(`${dir}/pg/${n}.pid`).trim())
    );
    const stopped = await script("stop", env);
    assert.equal(stopped.code, 0, stopped.text);
    for (const pid of pids) {
      assert.throws(() => Deno.kill(pid, "SIGCONT"), `postmaster ${pid} stopped`);
    }
  } finally {
    a.close();
    b.close();
    await script("stop", env);
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Issue 18, proof 3: the PostgreSQL primary is killed (SIGKILL) mid-run and the synchronous standby is
 * promoted, as Patroni would (pg_ctl promote, then no synchronous standby until one streams again). The
 * gateway finds the new primary through its two-host URL and continues; nothing the LP received is
 * missing from the promoted database (else the gateway would reuse its numbers: "too low" at the LP).
 * The promotion comes 3 s after the kill, longer than the gateway's lease (2 s): the gateway closes the
 * session's connection. Every order the application handed to the session is either acknowledged by
 * the LP exactly once or reported not sent (Application.onSendFailed): zero silent losses. Orders
 * numbered before the outage are committed to the promoted standby by the store's retries (no other
 * gateway took the session, so the epoch is still this gateway's) and reach the LP through the resend
 * the LP asks for when the session logs on again; orders not numbered yet when the session closed are
 * carried over to its next opening.
 * Runs on a primary/standby pair of its own (scripts/pg_cluster.sh in a temporary directory).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { startPeer } from "../interop/peers.ts";
import { ownPair, PAIR_MISSING, sh } from "../store/pg_helpers.ts";
import { type Child, killChildren, spawnGateway, startLp, storedOrders, until } from "./ha_helpers.ts";
import { memberConfig } from "../../bench/_lib/ha.ts";

const KEY = "FIX.4.4:CLIENT->LP";
const ORDERS = 3000;
Deno.test({
  name:
    "HA: the PostgreSQL primary is killed and the standby promoted: the gateway continues, every numbered order is acknowledged once or reported not sent",
  ignore: PAIR_MISSING !== undefined,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-dbfo-" });
  await Deno.chmod(dir, 0o755);
  const pair = ownPair(dir);
  const children: Child[] = [];
  let lp: Awaited<ReturnType<typeof startPeer>> | undefined;
  try {
    const env = await pair.start();
    const url = env["FIXG_PG_URL"]!;
    lp = await startLp();
    Deno.writeTextFileSync(
      `${dir}/A.yaml`,
      memberConfig({ url, nodeId: "A", leaseMs: 2000, sessions: [{ port: lp.port, owner: "A" }] }),
    );
    const a = spawnGateway(`${dir}/A.yaml`, ORDERS, 500);
    children.push(a);
    const sql = postgres(url, {
      max: 1,
      onnotice: () => {},
      target_session_attrs: "primary",
      connect_timeout: 2,
    });
    const seq = async () =>
      Number(
        (await sql.unsafe(
          `select next_seq as next_sender_seq from fixg.positions where session_key = $1 and dir = 'out'`,
          [KEY],
        ).catch(
          () => [],
        ))[0]
          ?.next_sender_seq ?? 0,
      );
    await until(async () => (await seq()) > ORDERS / 3, "a third of the orders committed", 30_000);
    await sql.end();
    // Kill the primary (no shutdown checkpoint, connections cut) and promote the standby.
    const primaryPid = Number(Deno.readTextFileSync(`${pair.pgDir}/primary.pid`).trim());
    Deno.kill(primaryPid, "SIGKILL");
    const killed = performance.now();
    const killedAt = Date.now();
    // The standby is promoted only after the gateway's lease (2 s) ran out by its own clock: the session
    // is closed, and the orders numbered before and during the outage wait in the store's retries.
    await new Promise((r) => setTimeout(r, 3000));
    const runAsPg = (cmd: string) => sh(["-c", Deno.uid() === 0 ? `runuser -u postgres -- ${cmd}` : cmd]);
    await runAsPg(`${env["FIXG_PG_BIN"]}/pg_ctl promote -w -D ${env["FIXG_PG_STANDBY_DATA"]}`);
    await runAsPg(
      `psql -h 127.0.0.1 -p ${
        env["FIXG_PG_STANDBY_PORT"]
      } -U postgres -qc "alter system set synchronous_standby_names = ''" -c "select pg_reload_conf()"`,
    );
    console.log(`db failover: standby promoted ${(performance.now() - killed).toFixed(0)} ms after the kill`);
    const sql2 = postgres(url, { max: 1, onnotice: () => {}, target_session_attrs: "primary" });
    try {
      await until(() => a.events.some((e) => e.ev === "sent-all"), "all orders sent", 60_000).catch((e) => {
        throw new Error(`${e.message}\nA: ${a.stderr().slice(-3000)}`);
      });
      // Every order numbered is acknowledged or reported not sent ("settled"); without that, stop anyway
      // after 20 s and show which orders went missing.
      const settled = await until(() => a.events.some((e) => e.ev === "settled"), "settled", 20_000)
        .then(() => true, () => false);
      const orders = await storedOrders(sql2, "fixg", KEY);
      // Nothing acknowledged before the kill is missing (acks are counted in hundreds by the driver).
      const ackedBeforeKill = Math.max(
        0,
        ...a.events.filter((e) => e.ev === "acked" && Number(e.t) < killedAt).map((e) => Number(e.acked)),
      );
      assert.ok(
        orders.length >= ackedBeforeKill,
        `${orders.length} stored, ${ackedBeforeKill} acked before the kill`,
      );
      console.log(
        `db failover: ${orders.length} of ${ORDERS} orders committed (${
          ORDERS - orders.length
        } refused during the outage)`,
      );
      assert.equal(new Set(orders).size, orders.length, "no order stored twice");
      a.child.kill("SIGTERM");
      await a.child.status;
      await a.done;
      const end = a.events.find((e) => e.ev === "stopped") as
        | { given: string[]; ackedIds: string[]; notSent: string[] }
        | undefined;
      assert.ok(end !== undefined, `no final report from the gateway\nA: ${a.stderr().slice(-3000)}`);
      const acks = new Map<string, number>();
      for (const id of end.ackedIds) acks.set(id, (acks.get(id) ?? 0) + 1);
      const notSent = new Set(end.notSent);
      const silent = end.given.filter((id) => !acks.has(id) && !notSent.has(id));
      console.log(
        `db failover: ${end.given.length} orders handed to the session, ${acks.size} acknowledged, ${notSent.size} reported not sent, ${silent.length} silently lost`,
      );
      assert.deepEqual(
        silent.slice(0, 20),
        [],
        `${silent.length} orders neither acknowledged nor reported not sent\nA: ${a.stderr().slice(-4000)}`,
      );
      assert.ok(settled);
      assert.deepEqual([...acks].filter(([, n]) => n !== 1), [], "every order acknowledged once");
      assert.deepEqual(
        end.ackedIds.filter((id) => notSent.has(id)),
        [],
        "no order both reported not sent and acknowledged",
      );
      const exit = await lp.stop();
      lp = undefined;
      const stats = exit.summary as { ordersReceived: number; rejects: number };
      assert.equal(stats.ordersReceived, orders.length, "the LP received every committed order exactly once");
      assert.equal(stats.rejects, 0);
      assert.doesNotMatch(exit.stderr + exit.stdout + a.stderr(), /too low/i);
    } finally {
      await sql2.end();
    }
  } finally {
    await killChildren(children);
    await lp?.stop().catch(() => {});
    await pair.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

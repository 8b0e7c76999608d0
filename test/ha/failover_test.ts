/**
 * Issue 18, proof 1: two gateways (active A, standby B) share an initiator session over the PostgreSQL
 * store; A sends 5,000 orders to `fixg simulate-lp` (its own file journal, duplicate detection by
 * ClOrdID) and is killed with SIGKILL at a random point between 10% and 90%. B takes the lease over,
 * logs on with the numbers of the committed tail and sends its own orders. The LP receives every order
 * the store committed exactly once (no duplicate, nothing lost), never a number too low, and the time
 * from the kill to B's first message is reported.
 */
import assert from "node:assert/strict";
import { freshSchema, PG_MISSING } from "../store/pg_helpers.ts";
import { db, endRun, spawnGateway, startLp, storedOrders, until, writeMemberConfig } from "./ha_helpers.ts";

const TOTAL = 5000;
const KEY = "FIX.4.4:CLIENT->LP";

Deno.test({
  name: "HA: kill -9 of the active gateway mid-flow: the standby takes over, every order reaches the LP once",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const dir = await Deno.makeTempDir({ prefix: "fixg-ha-" });
  const sql = db();
  const lp = await startLp({ journalDir: `${dir}/lp` });
  const children = [];
  try {
    const cfg = (node: string) => writeMemberConfig(dir, node, schema, lp.port);
    const a = spawnGateway(cfg("A"), TOTAL, 2500);
    children.push(a);
    await until(() => a.events.some((e) => e.ev === "logon"), "A logged on", 30_000, [a]);
    const b = spawnGateway(cfg("B"), 200, 1000);
    children.push(b);
    await until(() => b.events.some((e) => e.ev === "started"), "B started", 30_000, [a, b]);
    const killAt = Math.floor(TOTAL * (0.1 + 0.8 * Math.random()));
    const seq = async () =>
      Number(
        (await sql.unsafe(
          `select next_seq as next_sender_seq from "${schema}".positions where session_key = $1 and dir = 'out'`,
          [KEY],
        ))[
          0
        ]?.next_sender_seq ?? 0,
      );
    await until(async () => (await seq()) > killAt, `${killAt} orders committed`, 30_000);
    a.child.kill("SIGKILL");
    const killedAt = performance.now();
    await a.child.status;
    const atKill = await seq();
    // The first message of the new owner: its Logon, committed under B's lease before it is written.
    let firstMs = 0;
    await until(
      async () => {
        const r = (await sql.unsafe(
          `select owner, next_seq as next_sender_seq from "${schema}".sessions x join "${schema}".positions p
             on p.session_key = x.session_key and p.dir = 'out' where x.session_key = $1`,
          [KEY],
        ))[0];
        if (r?.owner === "B" && Number(r.next_sender_seq) > atKill) {
          firstMs = performance.now() - killedAt;
          return true;
        }
        return false;
      },
      "B's first message",
      15_000,
    );
    console.log(
      `failover: killed A after ${atKill - 1} messages; B's first message ${
        firstMs.toFixed(0)
      } ms after the kill`,
    );
    await until(() => b.events.some((e) => e.ev === "sent-all"), "B sent its orders", 30_000);
    let orders: string[] = [];
    await until(
      async () => {
        orders = await storedOrders(sql, schema, KEY);
        return orders.filter((o) => o.startsWith("B-")).length === 200;
      },
      "B's 200 orders committed",
      15_000,
    );
    assert.equal(new Set(orders).size, orders.length, "no ClOrdID stored twice");
    // B's graceful stop logs out after everything queued (resends included) is written.
    b.child.kill("SIGTERM");
    await b.child.status;
    const exit = await lp.stop();
    const stats = exit.summary as { ordersReceived: number; acks: number; rejects: number };
    assert.equal(stats.ordersReceived, orders.length, "the LP received every committed order exactly once");
    assert.equal(stats.rejects, 0, "no duplicate ClOrdID at the LP");
    assert.equal(stats.acks, orders.length);
    assert.doesNotMatch(exit.stderr + exit.stdout, /too low/i);
    assert.ok(firstMs < 5000, `failover took ${firstMs} ms`);
  } finally {
    await endRun({ children, lp, sql, schema, dir });
  }
});

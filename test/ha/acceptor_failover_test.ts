/**
 * Issue 18, proof 5: an acceptor session shared by two gateways (A active, B standby), each listening on
 * its own port. The counterparty is an initiator with both addresses (`hosts:`) sending orders. A is
 * killed (SIGKILL); the counterparty moves on to B, which refuses the Logon until it holds the lease
 * (refusal `not-owner`), then accepts it with continuous sequence numbers: every inbound number is in
 * the store once, in order, and neither side ever sees a number too low.
 */
import assert from "node:assert/strict";
import { freePort } from "../interop/peers.ts";
import { freshSchema, PG_MISSING } from "../store/pg_helpers.ts";
import {
  acceptorClientConfig,
  acceptorConfig,
  type Child,
  db,
  endRun,
  spawnGateway,
  until,
} from "./ha_helpers.ts";

const KEY = "FIX.4.4:GW->CLIENT";

Deno.test({
  name:
    "HA: acceptor failover: the initiator with two addresses logs on to the standby with continuous numbers",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const dir = await Deno.makeTempDir({ prefix: "fixg-acc-" });
  const sql = db();
  const children: Child[] = [];
  try {
    const [pa, pb] = [freePort(), freePort()];
    Deno.writeTextFileSync(`${dir}/A.yaml`, acceptorConfig("A", schema, pa));
    Deno.writeTextFileSync(`${dir}/B.yaml`, acceptorConfig("B", schema, pb));
    Deno.writeTextFileSync(`${dir}/client.yaml`, acceptorClientConfig(dir, [pa, pb]));
    const a = spawnGateway(`${dir}/A.yaml`, 0, 1);
    children.push(a);
    await until(() => a.events.some((e) => e.ev === "started"), "A started", 30_000);
    const b = spawnGateway(`${dir}/B.yaml`, 0, 1);
    children.push(b);
    await until(() => b.events.some((e) => e.ev === "started"), "B started", 30_000);
    const client = spawnGateway(`${dir}/client.yaml`, 600, 200);
    children.push(client);
    const inbound = async () =>
      Number(
        (await sql.unsafe(`select count(*) as n from "${schema}".inbound where session_key = $1`, [KEY]))[0]!
          .n,
      );
    await until(async () => (await inbound().catch(() => 0)) >= 200, "200 messages in", 30_000);
    a.child.kill("SIGKILL");
    const killed = performance.now();
    await a.child.status;
    await until(() => client.events.filter((e) => e.ev === "logon").length >= 2, "logged on to B", 20_000)
      .catch((e) => {
        throw new Error(
          `${e.message}\nclient: ${client.stderr().slice(-2000)}\nB: ${b.stderr().slice(-2000)}`,
        );
      });
    console.log(
      `acceptor failover: the client logged on to B ${
        (performance.now() - killed).toFixed(0)
      } ms after the kill`,
    );
    await until(() => client.events.some((e) => e.ev === "sent-all"), "client sent its orders", 20_000);
    // Every order the client sent is in the store once (with A or B), in increasing numbers; the numbers
    // not there are the admin messages the client gap-filled on B's ResendRequest (its refused Logons).
    let orders: string[] = [];
    await until(
      async () => {
        const rows = await sql.unsafe(
          `select bytes from "${schema}".inbound where session_key = $1 order by seq`,
          [KEY],
        );
        orders = rows.map((r) => new TextDecoder().decode(r.bytes as Uint8Array))
          .filter((t) => t.includes("\x0135=D\x01"))
          .map((t) => t.slice(t.indexOf("\x0111=") + 4, t.indexOf("\x01", t.indexOf("\x0111=") + 4)));
        return orders.length >= 600;
      },
      "600 orders in the store",
      15_000,
    ).catch((e) => {
      throw new Error(`${e.message} (${orders.length})\nB: ${b.stderr().slice(-3000)}`);
    });
    assert.deepEqual(orders, Array.from({ length: 600 }, (_, i) => `solo-${i + 1}`));
    assert.match(b.stderr(), /not-owner|owned by another gateway|lease-acquired/);
    for (const c of [client, b]) assert.doesNotMatch(c.stderr(), /too low/i);
  } finally {
    await endRun({ children, sql, schema, dir });
  }
});

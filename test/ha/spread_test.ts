/**
 * Issue 18, proof 4: three gateways, thirty initiator sessions. The sessions spread over the gateways by
 * rendezvous hashing; one gateway is killed (SIGKILL) and its sessions move to the two others, each to
 * its preferred owner among the survivors, while the survivors keep theirs; `fixg cluster status`
 * shows it.
 */
import assert from "node:assert/strict";
import { preferredOwner } from "../../src/engine/cluster.ts";
import { freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";
import { type Child, db, endRun, gatewayConfig, root, spawnGateway, startLp, until } from "./ha_helpers.ts";

const N = 30;
const LEASE_MS = 4000; // the join window: three processes started together must see each other within it
const NODES = ["A", "B", "C"];

Deno.test({
  name:
    "HA: 3 gateways x 30 sessions spread by rendezvous hashing; one killed, its sessions move to the others",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const dir = await Deno.makeTempDir({ prefix: "fixg-spread-" });
  const sql = db();
  const lp = await startLp({ targetCompId: "*" });
  const children: Child[] = [];
  const senders = Array.from({ length: N }, (_, i) => `C${String(i + 1).padStart(2, "0")}`);
  const keys = senders.map((s) => `FIX.4.4:${s}->LP`);
  const owners = async () => {
    const rows = await sql.unsafe(
      `select session_key, owner from "${schema}".sessions where lease_until > now() order by session_key`,
    ).catch(() => []); // not created yet
    return new Map(rows.map((r) => [String(r.session_key), String(r.owner)]));
  };
  try {
    for (const node of NODES) {
      const f = `${dir}/${node}.yaml`;
      Deno.writeTextFileSync(
        f,
        gatewayConfig({
          nodeId: node,
          schema,
          leaseMs: LEASE_MS,
          sessions: senders.map((sender) => ({ port: lp.port, sender })),
        }),
      );
      children.push(spawnGateway(f, 0, 1));
    }
    await until(async () => (await owners()).size === N, "all 30 sessions owned", 30_000);
    const before = await owners();
    const count = (m: Map<string, string>, n: string) => [...m.values()].filter((o) => o === n).length;
    console.log(`spread: ${NODES.map((n) => `${n}=${count(before, n)}`).join(" ")}`);
    // Each where rendezvous hashing over the three puts it.
    for (const k of keys) assert.equal(before.get(k), preferredOwner({ key: k }, NODES), k);
    for (const n of NODES) assert.ok(count(before, n) >= 3, `${n} holds ${count(before, n)}`);
    children[2]!.child.kill("SIGKILL");
    const killed = performance.now();
    await children[2]!.child.status;
    await until(
      async () => {
        const m = await owners();
        return m.size === N && count(m, "C") === 0;
      },
      "C's sessions taken over",
      20_000,
    );
    const after = await owners();
    console.log(
      `spread after killing C (${(performance.now() - killed).toFixed(0)} ms): A=${count(after, "A")} B=${
        count(after, "B")
      }`,
    );
    for (const k of keys) {
      const was = before.get(k)!;
      assert.equal(after.get(k), was === "C" ? preferredOwner({ key: k }, ["A", "B"]) : was, k);
    }
    // fixg cluster status shows the same.
    const out = await new Deno.Command(`${root}fixg`, {
      args: ["cluster", "status", "--store", PG_URL!, "--schema", schema, "--json"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const st = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      sessions: { sessionKey: string; owner: string; live: boolean }[];
      members: { nodeId: string; live: boolean; sessions: number }[];
      unowned: number;
    };
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(st.unowned, 0);
    assert.deepEqual(st.sessions.map((s) => [s.sessionKey, s.owner]), [...after.entries()]);
    assert.deepEqual(
      st.members.filter((m) => m.live).map((m) => [m.nodeId, m.sessions]),
      [["A", count(after, "A")], ["B", count(after, "B")]],
    );
  } finally {
    await endRun({ children, lp, sql, schema, dir });
  }
});

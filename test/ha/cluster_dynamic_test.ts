/**
 * Dynamic acceptor sessions (a template, `targetCompId: "*"`) in a cluster. Before, a template was placed
 * as a session of its own (a lease and a `sessions` row for "FIX.4.4:TW->*") and a dynamic session had
 * no lease: the store refused every flush of it ("the lease may have expired"), so a counterparty's
 * Logon was committed, never answered, and the connection dropped; nor was any other gateway kept from
 * serving the same session. Now the gateway its counterparty reaches first takes the session's lease on
 * the Logon (epoch + 1, numbers from the committed tail), the others refuse it (`not-owner`), and once
 * the owner stops another gateway takes it with continuous numbers. Against PostgreSQL, in-process
 * gateways, a raw counterparty on loopback.
 */
import assert from "node:assert/strict";
import { buildGateway } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import type { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import postgres from "postgres";
import { freePort } from "../_helpers/net.ts";
import { frame } from "../engine/helpers.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";

async function gateway(schema: string, node: string, port: number): Promise<Gateway> {
  const yaml = [
    `store: { type: postgres, url: "${PG_URL}", schema: ${schema} }`,
    `cluster: { nodeId: ${node}, leaseMs: 1000 }`,
    `sessions:`,
    `  - { role: acceptor, senderCompId: TW, targetCompId: "*", beginString: FIX.4.4, port: ${port} }`,
  ].join("\n") + "\n";
  const gw = await buildGateway(parseConfig(yaml, `${node}.yaml`), {
    logger: new Logger({ level: "error" }),
  });
  await gw.start();
  return gw;
}

/** Logs on as CLIENT1 with MsgSeqNum `seq`; the frames read until the gateway answers or closes (2 s). */
async function logon(port: number, seq: number): Promise<{ frames: string[]; conn: Deno.TcpConn }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(frame("FIX.4.4", "A", `49=CLIENT1|56=TW|34=${seq}|52=<TIME>|98=0|108=30|`));
  const buf = new Uint8Array(8192);
  let text = "";
  const end = performance.now() + 2000;
  while (!text.includes("\x0135=A\x01") && performance.now() < end) {
    const n = await Promise.race([
      conn.read(buf),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(1, end - performance.now()))),
    ]);
    if (n === null || n === "timeout") break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return {
    frames: text.split(/(?=8=FIX)/).filter((f) => f !== "").map((f) => f.replaceAll("\x01", "|")),
    conn,
  };
}

const field = (f: string, tag: number) => f.match(new RegExp(`\\|${tag}=([^|]*)\\|`))?.[1];

Deno.test({
  name:
    "cluster: a dynamic session's lease is taken by the gateway its counterparty logs on to; the others refuse it; after a stop another takes it with continuous numbers",
  ignore: PG_MISSING !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const schema = freshSchema();
  const pa = freePort(), pb = freePort();
  const a = await gateway(schema, "A", pa);
  let b: Gateway | undefined;
  try {
    b = await gateway(schema, "B", pb);
    const first = await logon(pa, 1);
    const answer = first.frames.find((f) => field(f, 35) === "A");
    assert.ok(answer !== undefined, `no Logon answer from A: ${JSON.stringify(first.frames)}`);
    assert.equal(field(answer, 34), "1");
    // B refuses the same session while A holds its lease (closed without a word).
    const refused = await logon(pb, 2);
    assert.deepEqual(refused.frames, []);
    refused.conn.close();
    first.conn.close();
    await a.stop();
    // A handed its leases back: B takes the session on the next Logon, numbers from the committed tail.
    const again = await logon(pb, 2);
    const answer2 = again.frames.find((f) => field(f, 35) === "A");
    assert.ok(answer2 !== undefined, `no Logon answer from B: ${JSON.stringify(again.frames)}`);
    // B's Logon is the next number A committed (A's own Logout at its stop may have taken one): never
    // one the counterparty saw.
    const sql = postgres(PG_URL!, { max: 1, onnotice: () => {} });
    const sent = await sql.unsafe(
      `select seq, encode(bytes, 'escape') as b from "${schema}".outbound where session_key = 'FIX.4.4:TW->CLIENT1' order by seq`,
    );
    // The template itself is no session of the cluster (no row, no lease).
    const keys = await sql.unsafe(`select session_key from "${schema}".sessions order by session_key`);
    await sql.end();
    assert.deepEqual(keys.map((r) => r.session_key), ["FIX.4.4:TW->CLIENT1"]);
    const seqs = sent.map((r) => Number(r.seq));
    assert.equal(Number(field(answer2, 34)), seqs[seqs.length - 1], JSON.stringify(sent.map((r) => r.b)));
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), "no gap in what was committed");
    assert.ok(seqs.length >= 2);
    again.conn.close();
  } finally {
    await a.stop().catch(() => {});
    await b?.stop().catch(() => {});
    await dropSchema(schema);
  }
});

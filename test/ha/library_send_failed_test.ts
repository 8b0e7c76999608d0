/**
 * No silent loss for attached libraries (issue 18 "never a silent loss", issue 17 "the same Application
 * callbacks as in-process"): a numbered message the PostgreSQL store will never commit (here: fenced, the
 * session's epoch bumped in the database as a new owner would) reaches the library that holds the session
 * as SEND_FAILED, and its `Application.onSendFailed` gets the exact MsgSeqNum and ClOrdID; the SEND's
 * answer is a refusal (STORE_FAILED), never "accepted".
 */
import assert from "node:assert/strict";
import { buildGateway } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { startAcceptor } from "../../src/engine/quick.ts";
import { connectEngine } from "../../src/engine/library_client.ts";
import { EngineServer } from "../../src/engine/library_server.ts";
import { Logger } from "../../src/engine/log.ts";
import type { Application, SendFailure } from "../../src/engine/application.ts";
import { ErrorCode } from "../../src/engine/protocol.ts";
import { openPostgresStore } from "../../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "../store/pg_helpers.ts";
import { freePort } from "../interop/peers.ts";
import { waitFor } from "../engine/helpers.ts";
import { order } from "../_helpers/orders.ts";

const KEY = "FIX.4.4:CLIENT->LP";
const logger = () => new Logger({ level: "error" });

Deno.test({
  name: "PostgreSQL store fenced: the attached library's onSendFailed gets the exact MsgSeqNum and ClOrdID",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const dir = await Deno.makeTempDir({ prefix: "fixg-sendfailed-" });
  const port = freePort();
  const seen: string[] = [];
  const lp = await startAcceptor(
    { port, senderCompId: "LP", targetCompId: "CLIENT", logger: logger() },
    { onMessage: (v) => void (v.msgType === "D" && seen.push(v.getString(11)!)) },
  );
  const ops = await openPostgresStore({ url: PG_URL!, schema, maxConnections: 1, retryMs: 0 });
  const yaml = [
    `store: { type: postgres, url: "${PG_URL}", schema: ${schema} }`,
    `log: { level: error }`,
    `sessions:`,
    `  - { role: initiator, senderCompId: CLIENT, targetCompId: LP, beginString: FIX.4.4, host: 127.0.0.1, port: ${port}, reconnect: { initialMs: 5000, maxMs: 5000 } }`,
  ].join("\n") + "\n";
  const server = new EngineServer({ socket: `${dir}/e.sock`, logger: logger() });
  const gw = await buildGateway(parseConfig(yaml, "gw.yaml"), { app: server.app, logger: logger() });
  server.attach(gw);
  await gw.start();
  await server.start();
  const lib = await connectEngine({ socket: `${dir}/e.sock`, name: "t", reconnect: false });
  try {
    await waitFor(() => gw.runner(KEY)?.loggedOn === true, "logged on", 10_000);
    const failed: SendFailure[] = [];
    const app: Application = { onSendFailed: (info) => void failed.push(info) };
    const s = await lib.claim(KEY, app);
    const ok = await s.submit(order("C1"));
    assert.equal(ok.status, "accepted");
    await waitFor(() => seen.includes("C1"), "C1 at the LP");

    // Another owner takes the session (as a takeover does): every later commit of this gateway is fenced.
    await ops.sql.unsafe(`update "${schema}".sessions set epoch = epoch + 1 where session_key = $1`, [KEY]);
    // One awaited (submit) and one fire-and-forget (send): both are reported, each once.
    const lost = await s.submit(order("C2"));
    assert.equal(lost.status, "refused", `C2 answered ${lost.status}`);
    assert.equal(lost.code, ErrorCode.STORE_FAILED);
    assert.equal(lost.seq, ok.seq + 1);
    await waitFor(() => failed.length >= 1, "onSendFailed for C2", 5_000);
    assert.deepEqual(
      failed.map((f) => [f.seq, f.msgType, f.clOrdId]),
      [[ok.seq + 1, "D", "C2"]],
    );
    assert.match(failed[0]!.reason, /fenced/);
    assert.equal(s.send(order("C3")).kind, "queued");
    await waitFor(() => failed.length >= 2, "onSendFailed for C3", 5_000);
    assert.equal(failed[1]!.clOrdId, "C3");
    assert.equal(failed[1]!.msgType, "D");
    // Not committed, so never on the wire.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(failed.length, 2, "each reported once");
    assert.deepEqual(seen, ["C1"]);
  } finally {
    await lib.close();
    server.stop();
    await gw.stop().catch(() => {});
    await lp.stop();
    await ops.close();
    await dropSchema(schema);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

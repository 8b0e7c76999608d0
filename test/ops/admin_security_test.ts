/** What the admin endpoint reveals without a token, and its Host header check (DNS rebinding). */
import assert from "node:assert/strict";
import { Operations } from "../../src/ops/operations.ts";
import { waitFor } from "../engine/helpers.ts";
import { http, LogCapture, lpApp, startGateway } from "./helpers.ts";

const TOKEN = "test-token-0123456789";

/** One raw HTTP/1.1 request with the given Host header; returns the status line's code. */
async function withHost(port: number, path: string, host: string): Promise<number> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  await c.write(
    new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
  );
  let text = "";
  const buf = new Uint8Array(65536);
  while (true) {
    const n = await c.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
    if (text.includes("\r\n\r\n")) break;
  }
  c.close();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
}

Deno.test("/health answers 503 'degraded' with the problem while an acceptor cannot accept", async () => {
  const { AdminServer } = await import("../../src/ops/admin.ts");
  const { MetricsRegistry } = await import("../../src/metrics/registry.ts");
  const problems = [{
    what: "acceptor 0.0.0.0:9876",
    text:
      "acceptor 0.0.0.0:9876 cannot accept connections: Too many open files (os error 24); retrying in 40 ms",
    sinceMs: Date.UTC(2026, 0, 5),
  }];
  const gw = {
    startedAtMs: 0,
    runners: () => [],
    problems: () => problems,
  } as unknown as import("../../src/engine/gateway.ts").Gateway;
  const admin = new AdminServer(gw, {
    host: "127.0.0.1",
    port: 0,
    token: () => undefined,
    registry: new MetricsRegistry(),
    logger: new LogCapture().logger("error"),
    nowMs: () => 1000,
  });
  const r = await admin.handle(new Request("http://127.0.0.1/health"));
  assert.equal(r.status, 503);
  const body = await r.json();
  assert.equal(body.status, "degraded");
  assert.deepEqual(body.problems, [{
    problem:
      "acceptor 0.0.0.0:9876 cannot accept connections: Too many open files (os error 24); retrying in 40 ms",
    since: "2026-01-05T00:00:00.000Z",
  }]);
  problems.length = 0;
  assert.equal((await admin.handle(new Request("http://127.0.0.1/health"))).status, 200);
});

Deno.test("tokenless /ready and /metrics reveal no CompID, address, sequence number or error; the token shows them; Host is checked", async () => {
  const logs = new LogCapture();
  const lp = await startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: SECRETVENUE, targetCompId: SECRETCLIENT }
`,
    { app: lpApp(), logger: logs.logger("error") },
  );
  const { gw, config } = await startGateway(
    `store: { type: memory }
admin: { port: 0, token: ${TOKEN}, allowedHosts: [fixg.internal] }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${
      lp.gw.ports[0]
    }, senderCompId: SECRETCLIENT, targetCompId: SECRETVENUE }
  - { role: initiator, host: 127.0.0.1, port: 1, senderCompId: SECRETCLIENT, targetCompId: OTHERVENUE, reconnect: { initialMs: 20, maxMs: 50 } }
`,
    { logger: logs.logger("error") },
  );
  const ops = await Operations.start(gw, { config, logger: gw.logger, signals: false });
  try {
    const port = ops.admin!.port;
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => gw.runners()[0]!.loggedOn, "logged on");
    await waitFor(() => gw.runners()[1]!.counters.reconnects > 0, "a failed connect with a last error");
    const secrets = [/SECRET/, /OTHERVENUE/, /127\.0\.0\.1/, /Seq/i, /seq_num/, /lastError/, /openOrders/];

    const ready = await http(base, "/ready");
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.json, { ready: false, sessions: 2, down: 1 });
    const readyFull = await http(base, "/ready", { token: TOKEN });
    assert.equal(readyFull.status, 503);
    assert.match(readyFull.text, /"id": "FIX\.4\.4:SECRETCLIENT->SECRETVENUE"/);
    assert.match(readyFull.text, /"nextSenderSeq": 2/);
    assert.equal((await http(base, "/ready", { token: "wrong-token-0123456789" })).status, 401);

    const metrics = await http(base, "/metrics");
    assert.equal(metrics.status, 200);
    for (const s of secrets) assert.doesNotMatch(metrics.text, s);
    assert.doesNotMatch(metrics.text, /session="/);
    assert.match(metrics.text, /^fixg_sessions 2$/m);
    assert.match(metrics.text, /^fixg_sessions_logged_on 1$/m);
    assert.match(metrics.text, /^fixg_sessions_down 1$/m);
    assert.match(metrics.text, /^fixg_kill_switch_engaged 0$/m);
    assert.match(metrics.text, /^process_resident_memory_bytes [1-9]/m);
    const full = await http(base, "/metrics", { token: TOKEN });
    assert.match(full.text, /^fixg_next_sender_seq_num\{session="FIX\.4\.4:SECRETCLIENT->SECRETVENUE"\} 2$/m);
    assert.match(full.text, /^fixg_sessions 2$/m);
    assert.equal((await http(base, "/metrics", { token: "wrong-token-0123456789" })).status, 401);

    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends Host: evil.example.
    assert.equal(await withHost(port, "/metrics", "evil.example"), 400);
    assert.equal(await withHost(port, "/ready", `evil.example:${port}`), 400);
    assert.equal(await withHost(port, "/health", `localhost:${port}`), 200);
    assert.equal(await withHost(port, "/health", `127.0.0.1:${port}`), 200);
    assert.equal(await withHost(port, "/health", `[::1]:${port}`), 200);
    assert.equal(await withHost(port, "/health", `FIXG.internal:${port}`), 200);
  } finally {
    await ops.stop();
    await gw.stop();
    await lp.gw.stop();
  }
});

/** TLS acceptor under hostile or broken clients: handshake timeout, pre-logon caps, real refusal reasons. */
import assert from "node:assert/strict";
import { gatewayRegistry } from "../../src/ops/metrics.ts";
import { waitFor } from "../engine/helpers.ts";
import { makeCa } from "../tls_ca.ts";
import { LogCapture, startGateway } from "./helpers.ts";

async function tlsDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fixg-tls-hard-" });
  const issue = await makeCa(dir, "ca");
  await issue("server", "fixg-acceptor", "DNS:localhost,IP:127.0.0.1");
  return dir;
}

/** Reads until the server closes; resolves true when it did within `ms`. */
async function closedWithin(c: Deno.TcpConn, ms: number): Promise<boolean> {
  const buf = new Uint8Array(4096);
  const deadline = setTimeout(() => c.close(), ms);
  try {
    while (true) {
      const n = await c.read(buf);
      if (n === null) return true;
    }
  } catch {
    return false;
  } finally {
    clearTimeout(deadline);
  }
}

Deno.test("TLS: a client that never starts its handshake is dropped after limits.handshakeTimeoutSec; refusals name the peer and the real reason; caps apply before the handshake", async () => {
  const dir = await tlsDir();
  const logs = new LogCapture();
  const { gw } = await startGateway(
    `store: { type: memory }
limits: { handshakeTimeoutSec: 0.2, maxPendingPerAddress: 4 }
sessions:
  - role: acceptor
    port: 0
    bindHost: 127.0.0.1
    senderCompId: ISLD
    targetCompId: TW
    tls: { cert: ${dir}/server.crt, key: ${dir}/server.key }
`,
    { logger: logs.logger("info") },
  );
  const conns: Deno.TcpConn[] = [];
  try {
    const port = gw.ports[0]!;
    const t0 = Date.now();
    for (let i = 0; i < 6; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    const closed = await Promise.all(conns.map((c) => closedWithin(c, 3000)));
    assert.deepEqual(closed, [true, true, true, true, true, true]);
    assert.ok(Date.now() - t0 < 2500, `closed after ${Date.now() - t0} ms`);
    await waitFor(
      () => gw.refusals().get("handshake") === 4,
      `four handshake timeouts: ${JSON.stringify([...gw.refusals()])} ${logs.lines.join("\n")}`,
    );
    assert.equal(gw.refusals().get("limit"), 2, "two over the per-address cap, closed before any handshake");
    await waitFor(() => gw.preLogonConnections === 0, "slots given back");
    const refused = logs.grep(/tls-refused/).map((l) => JSON.parse(l).msg as string);
    assert.equal(refused.length, 4);
    for (const m of refused) {
      assert.match(m, /^TLS handshake from 127\.0\.0\.1:\d{2,5} failed: TLS handshake timed out$/);
    }

    // Plain FIX sent to the TLS port: named as such, with the peer's address.
    const plain = await Deno.connect({ hostname: "127.0.0.1", port });
    await plain.write(new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=A\x0110=000\x01"));
    assert.equal(await closedWithin(plain, 3000), true);
    await waitFor(() => logs.grep(/not a TLS client/).length === 1, "the plain client's refusal");
    assert.match(
      JSON.parse(logs.grep(/not a TLS client/)[0]!).msg,
      /^TLS handshake from 127\.0\.0\.1:\d{2,5} failed: not a TLS client \(/,
    );
    assert.match(gatewayRegistry(gw).render(), /^fixg_prelogon_refused_total\{reason="handshake"\} 5$/m);
  } finally {
    await gw.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mutual TLS: allowedClientNames per session on a shared port: a certificate for TW cannot log on as OTHER", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-tls-names-" });
  const issue = await makeCa(dir, "ca");
  await issue("server", "fixg-acceptor", "DNS:localhost,IP:127.0.0.1");
  await issue("tw", "TW", "DNS:tw.client");
  const logs = new LogCapture();
  const tls = `cert: ${dir}/server.crt, key: ${dir}/server.key, ca: ${dir}/ca.crt, requireClientCert: true`;
  const { gw } = await startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW, tls: { ${tls}, allowedClientNames: [TW] } }
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: OTHER, tls: { ${tls}, allowedClientNames: [other.client] } }
`,
    { logger: logs.logger("info") },
  );
  const clients: Array<Awaited<ReturnType<typeof startGateway>>> = [];
  try {
    const port = gw.ports.length;
    assert.equal(port, 1, "one shared port");
    for (const target of ["OTHER", "TW"]) {
      clients.push(
        await startGateway(
          `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${
            gw.ports[0]
          }, senderCompId: ${target}, targetCompId: ISLD, reconnect: { attempts: 1 }, tls: { cert: ${dir}/tw.crt, key: ${dir}/tw.key, ca: ${dir}/ca.crt, serverName: localhost } }
`,
          { logger: new LogCapture().logger("error") },
        ),
      );
    }
    await waitFor(() => clients[1]!.gw.runners()[0]!.loggedOn, "TW logged on with its certificate");
    await waitFor(() => logs.grep(/is not allowed for/).length === 1, "OTHER refused");
    assert.match(
      JSON.parse(logs.grep(/is not allowed for/)[0]!).msg,
      /^client certificate TW is not allowed for FIX\.4\.4:ISLD->OTHER \(from 127\.0\.0\.1:\d+\); disconnected without sending$/,
    );
    assert.equal(clients[0]!.gw.runners()[0]!.loggedOn, false);
    assert.equal(gw.runner("FIX.4.4:ISLD->OTHER")!.counters.logonsRefused, 1);
  } finally {
    for (const c of clients) await c.gw.stop();
    await gw.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

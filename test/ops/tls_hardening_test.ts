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
    for (let i = 0; i < 6; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    // Closed by the 0.2 s handshake timeout (the refusal counts below say which), within a bound for a
    // loaded machine: no wall-clock assertion.
    const closed = await Promise.all(conns.map((c) => closedWithin(c, 10_000)));
    assert.deepEqual(closed, [true, true, true, true, true, true]);
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
    conns.push(plain);
    await plain.write(new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=A\x0110=000\x01"));
    assert.equal(await closedWithin(plain, 3000), true);
    await waitFor(() => logs.grep(/not a TLS client/).length === 1, "the plain client's refusal");
    assert.match(
      JSON.parse(logs.grep(/not a TLS client/)[0]!).msg,
      /^TLS handshake from 127\.0\.0\.1:\d{2,5} failed: not a TLS client \(/,
    );
    assert.match(gatewayRegistry(gw).render(), /^fixg_prelogon_refused_total\{reason="handshake"\} 5$/m);
  } finally {
    for (const c of conns) {
      try {
        c.close(); // our end of the connections the gateway dropped
      } catch {
        // Already closed.
      }
    }
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

/** A server certificate valid only in January 2020, signed by the CA `ca` in `dir` (openssl ca). */
async function expiredServerCert(dir: string): Promise<void> {
  const run = async (...args: string[]) => {
    const r = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" }).output();
    if (!r.success) throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  };
  await Deno.mkdir(`${dir}/db`);
  await Deno.writeTextFile(`${dir}/db/index.txt`, "");
  await Deno.writeTextFile(`${dir}/db/serial`, "1000\n");
  await Deno.writeTextFile(
    `${dir}/ca.cnf`,
    `[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = ./db/index.txt\nserial = ./db/serial\nnew_certs_dir = .\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n[ p ]\ncommonName = supplied\n`,
  );
  await run(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "old.key",
    "-out",
    "old.csr",
    "-subj",
    "/CN=old-server",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  );
  await run(
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-cert",
    "ca.crt",
    "-keyfile",
    "ca.key",
    "-in",
    "old.csr",
    "-out",
    "old.crt",
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200201000000Z",
  );
}

Deno.test("initiator: a refused server certificate is explained (expired on DATE; issued by another CA), not only 'unable to verify'", async () => {
  const { connectTlsNode } = await import("../../src/transport/tls.ts");
  const { listenTlsNode } = await import("../../src/transport/tls_listen.ts");
  const dir = await Deno.makeTempDir({ prefix: "fixg-tls-expired-" });
  try {
    await makeCa(dir, "ca");
    await expiredServerCert(dir);
    const rogue = await makeCa(dir, "rogue");
    await rogue("imposter", "imposter", "DNS:localhost");
    const ca = [await Deno.readTextFile(`${dir}/ca.crt`)];
    for (
      const [leaf, expected] of [
        ["old", /failed: .+ \(the server certificate CN=old-server expired on 2020-02-01T00:00:00\.000Z\)$/],
        [
          "imposter",
          /failed: .+ \(the server certificate CN=imposter is issued by CN=rogue, not by a CA in tls\.ca\)$/,
        ],
      ] as const
    ) {
      const l = await listenTlsNode(
        "127.0.0.1",
        0,
        {
          cert: await Deno.readTextFile(`${dir}/${leaf}.crt`),
          key: await Deno.readTextFile(`${dir}/${leaf}.key`),
          requireClientCert: false,
        },
        () => {},
        { watchdogMs: 0 },
      );
      try {
        await assert.rejects(
          () =>
            connectTlsNode(
              "127.0.0.1",
              l.port,
              { ca, requireClientCert: false, serverName: "localhost" },
              5000,
            ),
          expected,
        );
      } finally {
        l.close();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TLS accept watchdog: an idle listener that accepts is left alone (its probes are neither refusals nor restarts)", async () => {
  const { listenTlsNode } = await import("../../src/transport/tls_listen.ts");
  const dir = await tlsDir();
  const events: string[] = [];
  let oks = 0;
  const l = await listenTlsNode(
    "127.0.0.1",
    0,
    {
      cert: await Deno.readTextFile(`${dir}/server.crt`),
      key: await Deno.readTextFile(`${dir}/server.key`),
      requireClientCert: false,
    },
    (from, why) => events.push(`refused ${from} ${why}`),
    {
      watchdogMs: 50,
      onAcceptError: (why) => events.push(`error ${why}`),
      onAcceptOk: () => oks++,
    },
  );
  try {
    await waitFor(() => oks >= 3, "three probes");
    assert.deepEqual(events, []);
  } finally {
    l.close();
    await Deno.remove(dir, { recursive: true });
  }
});

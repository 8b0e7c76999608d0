/**
 * connectTcp with TlsOptions.hostname: the certificate is verified for that name while the connection
 * goes to another address (here 127.0.0.1, which the certificate does not name).
 */
import assert from "node:assert/strict";
import { connectTcp, listenTcp } from "../../src/transport/tcp.ts";
import { ConfigError } from "../../src/errors.ts";
import { serverPems } from "../tls_ca.ts";

Deno.test("connectTcp: TlsOptions.hostname names the certificate to verify; without it an IP the certificate does not name fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { ca, cert, key } = await serverPems(dir, "DNS:venue.fixg.test");
    const listener = listenTcp("127.0.0.1", 0, { cert, key });
    const served = (async () => {
      for await (const conn of listener) {
        try {
          const buf = new Uint8Array(16);
          const n = await conn.read(buf);
          if (n !== null) await conn.write(buf.subarray(0, n));
        } catch {
          // A refused handshake (the rejected connects below).
        } finally {
          conn.close();
        }
      }
    })();
    try {
      const c = await connectTcp("127.0.0.1", listener.port, { caCerts: [ca], hostname: "venue.fixg.test" });
      await c.write(new TextEncoder().encode("8=FIX"));
      const buf = new Uint8Array(16);
      const n = await c.read(buf);
      assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "8=FIX");
      c.close();

      await assert.rejects(() => connectTcp("127.0.0.1", listener.port, { caCerts: [ca] }));
      await assert.rejects(
        () =>
          connectTcp("127.0.0.1", listener.port, { caCerts: [ca], hostname: "venue.fixg.test", cert, key }),
        (e: unknown) => e instanceof ConfigError && /client certificate with a server name/.test(e.message),
      );
    } finally {
      listener.close();
      await served.catch(() => {});
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "connectTcp: a TLS handshake that fails closes its connection (no descriptor left per refused attempt)",
  sanitizeOps: true,
  sanitizeResources: true,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const { ca, cert, key } = await serverPems(dir, "DNS:venue.fixg.test");
      const listener = listenTcp("127.0.0.1", 0, { cert, key });
      const served = (async () => {
        for await (const conn of listener) {
          try {
            await conn.read(new Uint8Array(16));
          } catch {
            // The client refused the certificate.
          } finally {
            conn.close();
          }
        }
      })();
      try {
        // Connecting to the IP (the certificate names only venue.fixg.test), and through the TCP-then-TLS
        // path with a name the certificate does not carry: both refused, both closed.
        await assert.rejects(() => connectTcp("127.0.0.1", listener.port, { caCerts: [ca] }));
        await assert.rejects(() =>
          connectTcp("127.0.0.1", listener.port, { caCerts: [ca], hostname: "other.fixg.test" })
        );
      } finally {
        listener.close();
        await served.catch(() => {});
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * The encoder's owned frames lie on SharedArrayBuffers (src/codec/encoder.ts, OWNED_BUFFER): everything
 * that consumes those bytes must accept views of one. Each consumer gets a SAB-backed view at a non-zero
 * offset and must see exactly its bytes.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Encoder } from "../../src/codec/encoder.ts";
import { latin1String } from "../../src/codec/ascii.ts";
import { crc32c } from "../../src/store/crc32c.ts";
import { openLibc } from "../../src/sys/libc.ts";
import { findSocketFd } from "../../src/sys/socket.ts";
import { connectTcp, listenTcp } from "../../src/transport/tcp.ts";
import { connectTlsNode } from "../../src/transport/tls.ts";
import { listenTlsNode } from "../../src/transport/tls_listen.ts";
import { serverPems } from "../tls_ca.ts";

const TEXT = "8=FIX.4.4\x019=5\x0135=0\x0110=161\x01";

/** TEXT at offset 7 of a SharedArrayBuffer, and the same bytes on an ordinary ArrayBuffer. */
function sharedView(): { shared: Uint8Array; plain: Uint8Array } {
  const plain = new Uint8Array([...TEXT].map((c) => c.charCodeAt(0)));
  const sab = new SharedArrayBuffer(plain.length + 16);
  const shared = new Uint8Array(sab, 7, plain.length);
  shared.set(plain);
  return { shared, plain };
}

Deno.test("finishOwned frames lie on a SharedArrayBuffer", () => {
  const enc = new Encoder(256);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 400; i++) {
    frames.push(enc.begin("FIX.4.4", "D").int(34, i + 1).str(11, `ORD${i}`).finishOwned());
  }
  // The first frames may come from the encoder's first buffer; those after the first replacement
  // (256 KiB of owned frames or a nearly full buffer) from OWNED_BUFFER slabs.
  assert.deepEqual(frames[399]!.buffer instanceof SharedArrayBuffer, true);
  assert.deepEqual(latin1String(frames[399]!, 0, 8), "8=FIX.4.");
});

Deno.test("subarray, slice, set, TextDecoder and latin1String on a SAB-backed view", () => {
  const { shared, plain } = sharedView();
  assert.deepEqual(shared.subarray(2, 9), plain.subarray(2, 9));
  // slice() copies onto an ordinary ArrayBuffer (what the memory store's getOutbound returns).
  const sliced = shared.slice(2, 9);
  assert.deepEqual(sliced.buffer instanceof SharedArrayBuffer, false);
  assert.deepEqual(sliced, plain.slice(2, 9));
  const copy = new Uint8Array(plain.length);
  copy.set(shared);
  assert.deepEqual(copy, plain);
  assert.deepEqual(new TextDecoder().decode(shared), TEXT);
  assert.deepEqual(new TextDecoder("latin1").decode(shared), TEXT);
  assert.deepEqual(latin1String(shared, 0, shared.length), TEXT);
});

Deno.test("crc32c of a SAB-backed view equals that of the same bytes", () => {
  const { shared, plain } = sharedView();
  assert.deepEqual(crc32c(shared), crc32c(plain));
  assert.deepEqual(crc32c(shared, 3, 20), crc32c(plain, 3, 20));
});

Deno.test("Buffer.from(view.buffer, offset, length) on a SharedArrayBuffer (the PostgreSQL store)", () => {
  const { shared } = sharedView();
  const b = Buffer.from(shared.buffer, shared.byteOffset, shared.byteLength);
  assert.deepEqual(b.toString("latin1"), TEXT);
  assert.deepEqual(b.length, TEXT.length);
});

Deno.test("Deno file writes (write, writeSync) of SAB-backed views", async () => {
  const { shared } = sharedView();
  const path = await Deno.makeTempFile();
  try {
    const f = await Deno.open(path, { write: true });
    let n = f.writeSync(shared.subarray(0, 10));
    assert.deepEqual(n, 10);
    n = await f.write(shared.subarray(10));
    assert.deepEqual(n, shared.length - 10);
    f.close();
    assert.deepEqual(new TextDecoder().decode(await Deno.readFile(path)), TEXT);
  } finally {
    await Deno.remove(path);
  }
});

/** A loopback listener that reads `n` bytes from one connection. */
async function readAll(conn: Deno.Conn, n: number): Promise<string> {
  const got = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const r = await conn.read(got.subarray(at));
    if (r === null) break;
    at += r;
  }
  return new TextDecoder().decode(got.subarray(0, at));
}

Deno.test("Deno TCP conn.write of a SAB-backed view", async () => {
  const { shared } = sharedView();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
  const server = await accepted;
  let off = 0;
  while (off < shared.length) off += await client.write(shared.subarray(off));
  assert.deepEqual(await readAll(server, shared.length), TEXT);
  client.close();
  server.close();
  listener.close();
});

Deno.test("libc send (FFI buffer parameter) of a SAB-backed view", async () => {
  const r = openLibc();
  if (!r.ok) return;
  const { shared } = sharedView();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
  const server = await accepted;
  const fd = findSocketFd(client);
  assert.deepEqual(fd !== undefined, true);
  const MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
  assert.deepEqual(r.libc.send(fd!, shared, shared.length, MSG_DONTWAIT | MSG_NOSIGNAL), shared.length);
  assert.deepEqual(await readAll(server, shared.length), TEXT);
  client.close();
  server.close();
  listener.close();
});

Deno.test("TLS write (Deno.connectTls and Deno.listenTls: connectTcp, listenTcp with TLS) of a SAB-backed view", async () => {
  const { shared } = sharedView();
  const dir = await Deno.makeTempDir();
  try {
    const { ca, cert, key } = await serverPems(dir, "DNS:venue.fixg.test");
    const listener = listenTcp("127.0.0.1", 0, { cert, key });
    const served = (async () => {
      for await (const conn of listener) {
        const got = new Uint8Array(TEXT.length);
        let at = 0;
        while (at < got.length) {
          const n = await conn.read(got.subarray(at));
          if (n === null) break;
          at += n;
        }
        conn.close();
        return new TextDecoder().decode(got.subarray(0, at));
      }
      return "";
    })();
    try {
      const c = await connectTcp("127.0.0.1", listener.port, { caCerts: [ca], hostname: "venue.fixg.test" });
      await c.write(shared.subarray(0, 5));
      await c.write(shared.subarray(5));
      assert.deepEqual(await served, TEXT);
      c.close();
    } finally {
      listener.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("node:tls TlsConnection write (listenTlsNode and connectTlsNode, both ways) of a SAB-backed view", async () => {
  const { shared } = sharedView();
  const dir = await Deno.makeTempDir();
  try {
    const { ca, cert, key } = await serverPems(dir, "DNS:venue.fixg.test");
    const l = await listenTlsNode("127.0.0.1", 0, { cert, key, requireClientCert: false }, undefined, {
      watchdogMs: 0,
    });
    try {
      const accepted = l[Symbol.asyncIterator]().next();
      const client = await connectTlsNode("127.0.0.1", l.port, {
        ca: [ca],
        requireClientCert: false,
        serverName: "venue.fixg.test",
      });
      const server = (await accepted).value!;
      const readN = async (c: typeof server) => {
        const got = new Uint8Array(TEXT.length);
        let at = 0;
        while (at < got.length) {
          const n = await c.read(got.subarray(at));
          if (n === null) break;
          at += n;
        }
        return new TextDecoder().decode(got.subarray(0, at));
      };
      await client.write(shared.subarray(0, 5));
      await client.write(shared.subarray(5));
      assert.deepEqual(await readN(server), TEXT);
      await server.write(shared);
      assert.deepEqual(await readN(client), TEXT);
      client.close();
      server.close();
    } finally {
      l.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

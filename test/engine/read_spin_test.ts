/**
 * Spinning reads over real loopback TCP: bytes arrive whole through the polling path, a read that finds
 * nothing within its budget parks in Deno's read and still gets the next bytes, end of stream is null, and
 * what cannot spin (an in-memory connection) is left as it was with a warning. Counts and bytes only.
 */
import { waitFor } from "../_helpers/mod.ts";
import assert from "node:assert/strict";
import { SpinConnection, withReadSpin } from "../../src/engine/read_spin.ts";
import { DenoConnection } from "../../src/transport/tcp.ts";
import { memoryPair } from "../../src/transport/memory.ts";
import { openLibc } from "../../src/sys/libc.ts";

// libc is opened once per process and kept (src/sys/libc.ts): open it before the tests, so that the
// resource sanitizer (--sanitize-resources) does not count it against the first test that spins.
openLibc();

async function tcpPair(): Promise<{ client: Deno.TcpConn; server: Deno.TcpConn; close: () => void }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
  const server = (await accepted) as Deno.TcpConn;
  listener.close();
  return {
    client,
    server,
    close: () => {
      for (const c of [client, server]) {
        try {
          c.close();
        } catch {
          // closed by the test
        }
      }
    },
  };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

Deno.test("spinning read: bytes the peer wrote arrive through the polling path", async () => {
  const { client, server, close } = await tcpPair();
  try {
    const r = withReadSpin(new DenoConnection(server), 50_000);
    assert.equal(r.report.ok, true, r.report.warning);
    assert.equal(r.report.knob, "read-spin");
    assert.ok(r.conn instanceof SpinConnection);
    const spin = r.conn as SpinConnection;
    const buf = new Uint8Array(64);
    const pending = spin.read(buf);
    await writeAll(client, new TextEncoder().encode("8=FIX.4.4\x01"));
    const n = await pending;
    assert.equal(new TextDecoder().decode(buf.subarray(0, n!)), "8=FIX.4.4\x01");
    assert.deepEqual(spin.stats, { spinReads: 1, parkedReads: 0 });
    // Writes go out at once through send() (a Deno write's completion would wait for the reactor).
    await spin.write(new TextEncoder().encode("pong"));
    assert.equal(spin.sentWrites, 1);
    const back = new Uint8Array(8);
    const m = await client.read(back);
    assert.equal(new TextDecoder().decode(back.subarray(0, m!)), "pong");
    spin.close();
  } finally {
    close();
  }
});

Deno.test("spinning read: after its budget the read parks and still returns the next bytes; EOF is null", async () => {
  const { client, server, close } = await tcpPair();
  try {
    const spin = withReadSpin(new DenoConnection(server), 1).conn as SpinConnection;
    const buf = new Uint8Array(64);
    const pending = spin.read(buf);
    // The 1 µs budget runs out before anything is sent: wait until the read has parked (was a 20 ms sleep).
    await waitFor(() => spin.stats.parkedReads === 1, "the read to park", 2000, 1);
    await writeAll(client, new Uint8Array([1, 2, 3]));
    assert.equal(await pending, 3);
    assert.deepEqual([...buf.subarray(0, 3)], [1, 2, 3]);
    assert.deepEqual(spin.stats, { spinReads: 0, parkedReads: 1 });
    client.close();
    assert.equal(await spin.read(buf), null);
    spin.close();
    assert.equal(await spin.read(buf), null);
  } finally {
    close();
  }
});

Deno.test("spinning read: closing the connection while a read spins ends that read with null", async () => {
  const { server, close } = await tcpPair();
  try {
    const spin = withReadSpin(new DenoConnection(server), 10_000_000).conn as SpinConnection;
    const pending = spin.read(new Uint8Array(16)); // nothing to read: it polls and awaits a loop turn
    await Promise.resolve();
    spin.close(); // e.g. the session disconnects on a timer meanwhile
    assert.equal(await pending, null);
    assert.deepEqual(spin.stats, { spinReads: 0, parkedReads: 0 });
  } finally {
    close();
  }
});

Deno.test("read spinning off (0) or impossible (in-memory connection): the connection is unchanged", () => {
  const [a, b] = memoryPair();
  const off = withReadSpin(a, 0);
  assert.equal(off.conn, a);
  assert.deepEqual(off.report, { knob: "read-spin", requested: "off", effective: "off", ok: true });
  const mem = withReadSpin(a, 100);
  assert.equal(mem.conn, a);
  assert.equal(mem.report.ok, false);
  assert.equal(mem.report.effective, "off");
  assert.match(mem.report.warning!, /only plain TCP connections can spin/);
  a.close();
  b.close();
});

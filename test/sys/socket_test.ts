import assert from "node:assert/strict";
import {
  applySocketTuning,
  findSocketFd,
  getIntSockOpt,
  openLibc,
  setNoDelay,
  setSocketBuffer,
} from "../../src/sys/mod.ts";
import { ConfigError } from "../../src/errors.ts";

const libc = openLibc();
const skip = libc.ok ? undefined : `skipped: ${libc.reason}`;
const needsFfi = (name: string) => (skip === undefined ? name : `${name} (${skip})`);
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;

/** A listener and a connected client/server pair on loopback; closes everything after `fn`. */
async function withPair(
  fn: (p: { listener: Deno.TcpListener; client: Deno.TcpConn; server: Deno.TcpConn }) => void | Promise<void>,
  beforeConnect?: (listener: Deno.TcpListener) => void,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  beforeConnect?.(listener);
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  try {
    await fn({ listener, client, server });
  } finally {
    client.close();
    server.close();
    listener.close();
  }
}

Deno.test({
  name: needsFfi("findSocketFd tells the listener, the client and the accepted socket apart"),
  ignore: skip !== undefined,
  async fn() {
    await withPair(({ listener, client, server }) => {
      const fds = [findSocketFd(listener), findSocketFd(client), findSocketFd(server)];
      for (const fd of fds) assert.ok(fd !== undefined && fd > 2);
      assert.equal(new Set(fds).size, 3);
    });
  },
});

Deno.test({
  name: needsFfi("setSocketBuffer sets SO_RCVBUF and SO_SNDBUF; Linux reads back double"),
  ignore: skip !== undefined,
  async fn() {
    await withPair(({ client }) => {
      assert.deepEqual(setSocketBuffer(client, "SO_RCVBUF", 65536), {
        knob: "SO_RCVBUF",
        requested: 65536,
        effective: 131072,
        ok: true,
      });
      assert.deepEqual(setSocketBuffer(client, "SO_SNDBUF", 65536), {
        knob: "SO_SNDBUF",
        requested: 65536,
        effective: 131072,
        ok: true,
      });
      assert.equal(getIntSockOpt(findSocketFd(client)!, SOL_SOCKET, SO_RCVBUF), 131072);
    });
  },
});

Deno.test({
  name: needsFfi("setSocketBuffer above net.core.rmem_max is forced (root) or reported as capped"),
  ignore: skip !== undefined,
  async fn() {
    const rmemMax = Number(Deno.readTextFileSync("/proc/sys/net/core/rmem_max").trim());
    const want = rmemMax * 2;
    await withPair(({ client }) => {
      const report = setSocketBuffer(client, "SO_RCVBUF", want);
      if (report.ok) {
        assert.equal(report.effective, want * 2);
        assert.match(report.warning ?? "", /SO_RCVBUFFORCE/);
      } else {
        assert.equal(report.effective, rmemMax * 2);
        assert.match(report.warning ?? "", /net\.core\.rmem_max/);
      }
    });
  },
});

Deno.test({
  name: needsFfi("a receive buffer set on the listener is inherited by accepted sockets"),
  ignore: skip !== undefined,
  async fn() {
    await withPair(
      ({ server, client }) => {
        assert.equal(getIntSockOpt(findSocketFd(server)!, SOL_SOCKET, SO_RCVBUF), 2 * 49152);
        assert.notEqual(getIntSockOpt(findSocketFd(client)!, SOL_SOCKET, SO_RCVBUF), 2 * 49152);
      },
      (listener) => assert.equal(setSocketBuffer(listener, "SO_RCVBUF", 49152).ok, true),
    );
  },
});

Deno.test({
  name: needsFfi("setNoDelay turns TCP_NODELAY on and off, read back with getsockopt"),
  ignore: skip !== undefined,
  async fn() {
    await withPair(({ client }) => {
      assert.deepEqual(setNoDelay(client, true), {
        knob: "TCP_NODELAY",
        requested: true,
        effective: true,
        ok: true,
      });
      assert.deepEqual(setNoDelay(client, false), {
        knob: "TCP_NODELAY",
        requested: false,
        effective: false,
        ok: true,
      });
    });
  },
});

Deno.test({
  name: needsFfi("applySocketTuning applies each given knob and reports it"),
  ignore: skip !== undefined,
  async fn() {
    await withPair(({ server }) => {
      const reports = applySocketTuning(server, { noDelay: true, rcvBufBytes: 32768, sndBufBytes: 32768 });
      assert.deepEqual(reports.map((r) => [r.knob, r.effective, r.ok]), [
        ["TCP_NODELAY", true, true],
        ["SO_RCVBUF", 65536, true],
        ["SO_SNDBUF", 65536, true],
      ]);
    });
  },
});

Deno.test("setSocketBuffer rejects a nonsensical size as a usage error", async () => {
  await withPair(({ client }) => {
    assert.throws(() => setSocketBuffer(client, "SO_RCVBUF", 0), ConfigError);
    assert.throws(() => setSocketBuffer(client, "SO_SNDBUF", 1.5), ConfigError);
  });
});

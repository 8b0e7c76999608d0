/**
 * The transport's timers on a ManualScheduler (no sleeps): the accept back-off when the process is out
 * of descriptors, the TLS handshake timeout, the TLS accept watchdog. Sockets are real (loopback);
 * time moves only when the test advances it.
 */
import assert from "node:assert/strict";
import tls from "node:tls";
import { ManualScheduler } from "../../src/clock.ts";
import { ACCEPT_QUIET_MS, acceptLoop } from "../../src/transport/tcp.ts";
import { connectTlsNode } from "../../src/transport/tls.ts";
import { listenTlsNode, type TlsListener } from "../../src/transport/tls_listen.ts";
import { makeCa } from "../tls_ca.ts";

/** Lets every pending promise reaction and I/O callback run (one macrotask turn). */
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

/** Turns until `cond` holds (bounded: the test fails instead of hanging). */
async function until(cond: () => boolean, what: string, turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await settle();
  }
  throw new Error(`never happened: ${what}`);
}

const fakeConn = {
  remoteAddr: { transport: "tcp", hostname: "10.0.0.9", port: 4000 },
  close() {},
} as unknown as Deno.Conn;

Deno.test("accept back-off: out of descriptors waits 5 ms, doubling up to 1 s, retrying exactly when due; recovery reported once", async () => {
  const clock = new ManualScheduler();
  const reported: number[] = [];
  let oks = 0;
  let calls = 0;
  const failures = 10;
  const accept = () => {
    calls++;
    if (calls === 1) return Promise.reject(new Error("connection reset by peer")); // one client's problem
    if (calls <= failures + 1) return Promise.reject(new Error("Too many open files (os error 24)"));
    return Promise.resolve(fakeConn);
  };
  const it = acceptLoop(
    accept,
    (why, ms) => {
      assert.equal(why, "Too many open files (os error 24)");
      reported.push(ms);
    },
    () => oks++,
    clock,
  );
  const first = it.next();
  await settle();
  // The reset is retried at once, without a wait or a report; then the first out-of-descriptors error.
  assert.equal(calls, 2);
  const expected = [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000];
  for (let k = 0; k < expected.length; k++) {
    const d = expected[k]!;
    assert.deepEqual(reported, expected.slice(0, k + 1));
    clock.advance(d - 1);
    await settle();
    assert.equal(calls, k + 2, `no retry before ${d} ms`);
    clock.advance(1);
    await settle();
    assert.equal(calls, k + 3, `retried at ${d} ms`);
  }
  const r = await first;
  assert.equal(r.done, false);
  assert.equal(r.value?.remoteAddr, "10.0.0.9:4000");
  assert.equal(oks, 1);
  assert.equal(clock.pendingCount, 0);
  await it.return(undefined);
});

Deno.test("accept back-off: when nothing is waiting after the failure (the queue drained while out of descriptors), recovery is reported after ACCEPT_QUIET_MS of quiet", async () => {
  // CI flake of test/ops/accept_fd_test.ts: accept(2) reserves the descriptor before it looks at the
  // queue, so it fails with EMFILE even when no connection is waiting; the retry then waits for the next
  // client and, before this, /health stayed 503 until someone connected.
  const clock = new ManualScheduler();
  let oks = 0;
  let calls = 0;
  const reported: number[] = [];
  const accept = () => {
    calls++;
    if (calls === 1) return Promise.reject(new Error("Too many open files (os error 24)"));
    return new Promise<Deno.Conn>(() => {}); // no connection waiting
  };
  const it = acceptLoop(accept, (_why, ms) => reported.push(ms), () => oks++, clock);
  void it.next();
  await settle();
  assert.deepEqual(reported, [5]);
  clock.advance(5);
  await settle();
  assert.equal(calls, 2);
  clock.advance(ACCEPT_QUIET_MS - 1);
  await settle();
  assert.equal(oks, 0, "not before the quiet period");
  clock.advance(1);
  await settle();
  assert.equal(oks, 1, "recovered: accept waits without failing");
  assert.equal(calls, 2, "the pending accept is kept, not abandoned");
  clock.advance(10 * ACCEPT_QUIET_MS);
  await settle();
  assert.equal(oks, 1, "reported once");
  assert.equal(clock.pendingCount, 0);
});

async function tlsDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fixg-tls-timers-" });
  const issue = await makeCa(dir, "ca");
  await issue("server", "fixg-acceptor", "DNS:localhost,IP:127.0.0.1");
  return dir;
}

Deno.test("TLS handshake timeout on the scheduler: a silent client is closed and reported at exactly the limit, a client that completes is not", async () => {
  const dir = await tlsDir();
  const clock = new ManualScheduler();
  const refused: string[] = [];
  let admitted = 0;
  let released = 0;
  const l = await listenTlsNode(
    "127.0.0.1",
    0,
    {
      cert: await Deno.readTextFile(`${dir}/server.crt`),
      key: await Deno.readTextFile(`${dir}/server.key`),
      requireClientCert: false,
    },
    (from, why) => refused.push(`${from} ${why}`),
    {
      handshakeTimeoutMs: 5000,
      watchdogMs: 0,
      scheduler: clock,
      admit: () => {
        admitted++;
        return () => released++;
      },
    },
  );
  const silent = await Deno.connect({ hostname: "127.0.0.1", port: l.port });
  try {
    await until(() => admitted === 1, "the silent client's connection");
    const local = silent.localAddr as Deno.NetAddr;
    clock.advance(4999);
    await settle();
    assert.deepEqual([refused, released], [[], 0]);
    clock.advance(1);
    assert.deepEqual(refused, [`127.0.0.1:${local.port} TLS handshake timed out`]);
    assert.equal(released, 1);
    // The server closed it: the client reads the end of the stream (or a reset).
    const eof = await silent.read(new Uint8Array(16)).catch(() => null);
    assert.equal(eof, null);

    // A client that completes its handshake keeps its connection past the limit.
    const accepted = l[Symbol.asyncIterator]().next();
    const client = await connectTlsNode("127.0.0.1", l.port, {
      ca: [await Deno.readTextFile(`${dir}/ca.crt`)],
      requireClientCert: false,
      serverName: "localhost",
    });
    const server = (await accepted).value!;
    clock.advance(60_000);
    await settle();
    assert.equal(refused.length, 1);
    assert.equal(clock.pendingCount, 0);
    await client.write(new TextEncoder().encode("8=FIX"));
    const buf = new Uint8Array(16);
    assert.equal(await server.read(buf), 5);
    client.close();
    server.close();
  } finally {
    try {
      silent.close();
    } catch {
      // closed by the server
    }
    l.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TLS accept watchdog on the scheduler: a listener that stopped accepting is found by the probe and replaced on the same port", async () => {
  const dir = await tlsDir();
  const clock = new ManualScheduler();
  const events: string[] = [];
  const servers: tls.Server[] = [];
  let dead = false;
  let dropped = 0;
  const l: TlsListener = await listenTlsNode(
    "127.0.0.1",
    0,
    {
      cert: await Deno.readTextFile(`${dir}/server.crt`),
      key: await Deno.readTextFile(`${dir}/server.key`),
      requireClientCert: false,
    },
    (from, why) => events.push(`refused ${from} ${why}`),
    {
      watchdogMs: 5000,
      scheduler: clock,
      onAcceptError: (why, restarted) => events.push(`error ${why}${restarted ? " (restarted)" : ""}`),
      onAcceptOk: () => events.push("ok"),
      // The first server goes dead as node:tls under Deno does after EMFILE: listening, accepting nothing.
      createServer: (options, onSecure) => {
        const s = tls.createServer(options, onSecure);
        if (servers.length === 0) {
          const emit = s.emit.bind(s);
          s.emit = ((event: string, ...args: unknown[]) => {
            if (event === "connection" && dead) {
              dropped++;
              (args[0] as { destroy(): void }).destroy();
              return true;
            }
            return emit(event, ...args);
          }) as typeof s.emit;
        }
        servers.push(s);
        return s;
      },
    },
  );
  const start = clock.nowMs();
  try {
    // Alive: the probe's own connection comes through; nothing is reported but the probe's success.
    clock.advance(5000);
    await until(() => events.length === 1, "the first probe");
    assert.deepEqual(events, ["ok"]);
    assert.equal(servers.length, 1);

    dead = true;
    clock.advanceTo(start + 10_000);
    // The probe connected, the server let it through to nobody; the probe waits 1 s for it.
    await until(() => dropped === 1 && clock.nextAtMs === start + 11_000, "the probe waiting");
    clock.advance(999);
    await settle();
    assert.deepEqual(events, ["ok"]);
    clock.advance(1);
    await until(() => servers.length === 2 && servers[1]!.listening, "a new server listening");
    assert.deepEqual(events, [
      "ok",
      "error the listener stopped accepting connections; listening again (restarted)",
    ]);
    assert.equal(servers[0]!.listening, false);

    // A client now gets through, on the same port, to the same listener.
    const accepted = l[Symbol.asyncIterator]().next();
    const client = await connectTlsNode("127.0.0.1", l.port, {
      ca: [await Deno.readTextFile(`${dir}/ca.crt`)],
      requireClientCert: false,
      serverName: "localhost",
    });
    const server = (await accepted).value!;
    assert.deepEqual(events.slice(2), ["ok"]);
    client.close();
    server.close();
  } finally {
    l.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TLS connect timeout on the scheduler: a server that never answers the handshake fails the attempt at exactly the limit", async () => {
  const clock = new ManualScheduler();
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = server.accept();
  let outcome = "pending";
  const attempt = connectTlsNode(
    "127.0.0.1",
    (server.addr as Deno.NetAddr).port,
    {
      requireClientCert: false,
    },
    10_000,
    clock,
  ).then(
    () => outcome = "connected",
    (e: Error) => outcome = e.message,
  );
  const silent = await accepted; // takes the connection, answers nothing
  try {
    clock.advance(9_999);
    await settle();
    assert.equal(outcome, "pending");
    clock.advance(1);
    await attempt;
    assert.equal(
      outcome,
      `TLS handshake with 127.0.0.1:${(server.addr as Deno.NetAddr).port} timed out after 10000 ms`,
    );
    assert.equal(clock.pendingCount, 0);
  } finally {
    silent.close();
    server.close();
  }
});

Deno.test("TLS accept watchdog: a listener closed while its replacement is being bound leaves nothing listening", async () => {
  const dir = await tlsDir();
  const clock = new ManualScheduler();
  const servers: tls.Server[] = [];
  // deno-lint-ignore prefer-const -- read by the fake server's listen, assigned once listenTlsNode returns
  let l: TlsListener | undefined;
  l = await listenTlsNode(
    "127.0.0.1",
    0,
    {
      cert: await Deno.readTextFile(`${dir}/server.crt`),
      key: await Deno.readTextFile(`${dir}/server.key`),
      requireClientCert: false,
    },
    () => {},
    {
      watchdogMs: 5000,
      scheduler: clock,
      createServer: (options, onSecure) => {
        const s = tls.createServer(options, onSecure);
        if (servers.length === 0) {
          // Dead from the start: listening, accepting nothing (node:tls under Deno after EMFILE).
          const emit = s.emit.bind(s);
          s.emit = ((event: string, ...args: unknown[]) => {
            if (event !== "connection") return emit(event, ...args);
            (args[0] as { destroy(): void }).destroy();
            return true;
          }) as typeof s.emit;
        } else {
          // The replacement: the listener is closed (gateway stop) while it is being bound.
          const listen = s.listen.bind(s) as (...a: unknown[]) => tls.Server;
          s.listen = ((...a: unknown[]) => {
            l!.close();
            return listen(...a);
          }) as typeof s.listen;
        }
        servers.push(s);
        return s;
      },
    },
  );
  const start = clock.nowMs();
  try {
    clock.advance(5000);
    // The probe's connection is dropped; after its 1 s wait the server is replaced.
    await until(() => clock.nextAtMs === start + 6000, "the probe waiting");
    clock.advance(1000);
    // The replacement was made while the listener closed: it must not be left holding the port.
    const portFree = () => {
      try {
        Deno.listen({ hostname: "127.0.0.1", port: l!.port }).close();
        return true;
      } catch {
        return false;
      }
    };
    await until(() => servers.length === 2 && portFree(), "the port free after close");
    assert.equal(servers[1]!.listening, false);
  } finally {
    l.close();
    for (const s of servers) s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

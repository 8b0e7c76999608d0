/**
 * The floor under every FIX engine on this machine: two Deno processes exchanging 200-byte messages
 * over loopback TCP with no FIX at all (`conn.read` into a preallocated buffer, TCP_NODELAY on).
 * The server echoes bytes back; the client measures each message's round trip.
 *
 *   pingpong: one message in flight.
 *   burst:    --count messages written one awaited write each, as fast as possible, while the
 *             replies are read; latency per message is write to echo, throughput is messages
 *             echoed per second from the first write to the last echo.
 *
 * usage: ./deno run -A bench/peers/raw_tcp_pingpong.ts [--mode pingpong|burst] [--count 10000]
 *          [--warmup 2000] [--size 200]                     (spawns its own server process)
 *        ./deno run -A bench/peers/raw_tcp_pingpong.ts --role server [--port 0]
 *        ./deno run -A bench/peers/raw_tcp_pingpong.ts --role client --port N [--host 127.0.0.1] ...
 * stdout: the server prints {"event":"listening","port":N,"pid":P}; the client prints
 *         {"peer":"raw-tcp","runtime":"deno 2.9.6","mode":..,"count":..,"p50Us":..,"p90Us":..,
 *          "p99Us":..,"p999Us":..,"maxUs":..,"meanUs":..,"msgsPerSec":..}
 */
import { echoUntilClosed } from "../../src/bench/echo_conn.ts";
import { summarize } from "./latency_stats.mjs";

/** Options of one run. */
interface Options {
  role: "self" | "server" | "client";
  mode: "pingpong" | "burst";
  host: string;
  port: number;
  count: number;
  warmup: number;
  size: number;
}

const USAGE =
  "usage: raw_tcp_pingpong.ts [--role self|server|client] [--mode pingpong|burst] [--host H] [--port N]\n" +
  "         [--count 10000] [--warmup 2000] [--size 200]\n";

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    role: "self",
    mode: "pingpong",
    host: "127.0.0.1",
    port: 0,
    count: 10000,
    warmup: 2000,
    size: 200,
  };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`option ${name} needs a value`);
    i++;
    const int = (min: number, max: number): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
      }
      return n;
    };
    switch (name) {
      case "--role":
        if (value !== "self" && value !== "server" && value !== "client") {
          throw new UsageError("--role must be self, server or client");
        }
        o.role = value;
        break;
      case "--mode":
        if (value !== "pingpong" && value !== "burst") {
          throw new UsageError("--mode must be pingpong or burst");
        }
        o.mode = value;
        break;
      case "--host":
        o.host = value;
        break;
      case "--port":
        o.port = int(0, 65535);
        break;
      case "--count":
        o.count = int(1, 100_000_000);
        break;
      case "--warmup":
        o.warmup = int(0, 100_000_000);
        break;
      case "--size":
        o.size = int(1, 1 << 20);
        break;
      default:
        throw new UsageError(`unknown option ${name}`);
    }
  }
  if (o.role === "client" && o.port === 0) throw new UsageError("--role client needs --port");
  return o;
}

/** Echoes every byte back on each connection until the process is stopped. */
async function serve(o: Options): Promise<void> {
  const listener = Deno.listen({ hostname: o.host, port: o.port });
  const addr = listener.addr as Deno.NetAddr;
  console.log(JSON.stringify({ event: "listening", port: addr.port, pid: Deno.pid }));
  const stop = () => {
    listener.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  for await (const conn of listener) {
    conn.setNoDelay(true);
    (async () => {
      // The client closing mid-write ends this connection; the server keeps listening.
      try {
        await echoUntilClosed(conn);
      } finally {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
    })();
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Runs warm-up then measured messages; returns the result line. */
async function client(o: Options): Promise<ReturnType<typeof summarize>> {
  const conn = await Deno.connect({ hostname: o.host, port: o.port });
  conn.setNoDelay(true);
  const msg = new Uint8Array(o.size).fill(0x41);
  msg[o.size - 1] = 1;
  const buf = new Uint8Array(64 * 1024);
  const total = o.warmup + o.count;
  const sentAt = new Float64Array(total);
  const latencyNs = new Float64Array(total);
  const now = () => performance.now() * 1e6;
  let received = 0; // bytes echoed back so far
  let measureStart = 0;

  /** Reads until `upTo` messages have come back, stamping each one's latency. */
  const readUntil = async (upTo: number): Promise<void> => {
    while (received < upTo * o.size) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("server closed the connection");
      const before = Math.floor(received / o.size);
      received += n;
      const after = Math.floor(received / o.size);
      const t = now();
      for (let i = before; i < after; i++) latencyNs[i] = t - (sentAt[i] ?? t);
    }
  };

  if (o.mode === "pingpong") {
    for (let i = 0; i < total; i++) {
      if (i === o.warmup) measureStart = now();
      sentAt[i] = now();
      await writeAll(conn, msg);
      await readUntil(i + 1);
    }
  } else {
    const burst = async (from: number, to: number) => {
      const reading = readUntil(to);
      for (let i = from; i < to; i++) {
        sentAt[i] = now();
        await writeAll(conn, msg);
      }
      await reading;
    };
    if (o.warmup > 0) await burst(0, o.warmup);
    measureStart = now();
    await burst(o.warmup, total);
  }
  const elapsedNs = now() - measureStart;
  conn.close();
  return summarize({
    peer: "raw-tcp",
    runtime: `deno ${Deno.version.deno}`,
    mode: o.mode,
    samplesNs: latencyNs.subarray(o.warmup),
    elapsedNs,
  });
}

/** Starts the server as a second process and runs the client against it. */
async function selfContained(o: Options): Promise<void> {
  const script = new URL(import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", script, "--role", "server", "--host", o.host, "--port", "0"],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("raw TCP server exited before listening");
      text += value;
    }
    reader.releaseLock();
    const ready = JSON.parse(text.slice(0, text.indexOf("\n"))) as { port: number };
    console.log(JSON.stringify(await client({ ...o, port: ready.port })));
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
}

if (import.meta.main) {
  let o: Options;
  try {
    o = parseOptions(Deno.args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`raw_tcp_pingpong: ${e.message}\n${USAGE}`);
    Deno.exit(2);
  }
  if (o.role === "server") await serve(o);
  else if (o.role === "client") console.log(JSON.stringify(await client(o)));
  else await selfContained(o);
}

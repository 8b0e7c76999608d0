/**
 * The machine's floor, measured in the same run as the FIX load: a raw TCP echo of the same size, at the same
 * pacing (the same rate and pacer, or ping-pong) and placement (the echo server on the simulator child's CPUs),
 * from the bench process over the same Deno TCP path. fixg's figures divided by the floor's tell the engine
 * from the machine: on a VM at light load even a raw echo pays for idle wake-ups.
 *
 * The echo server is a small C program (tcp_echo.c below) built once with g++ (or cc) into
 * ~/.cache/fixg (or $XDG_CACHE_HOME/fixg); where no compiler is found, a raw Deno TCP echo
 * (src/bench/tcp_echo_server.ts) is the floor instead, and the report says which.
 */
import { LatencyHistogram, type LatencySummary } from "../metrics/histogram.ts";
import { toolAvailable } from "./child.ts";
import { nowUs, type PreciseSleeper, yieldToLoop } from "./clock.ts";
import { formatCpuList } from "../sys/types.ts";

/**
 * The C echo server: one connection, TCP_NODELAY, blocking read and write back; it exits when that connection
 * closes (or when none comes within 30 s), so it never outlives the bench.
 */
export const TCP_ECHO_C = `// fixg bench floor: a raw TCP echo (built by src/bench/floor.ts)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
  signal(SIGPIPE, SIG_IGN);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(ls, (struct sockaddr*)&a, sizeof a) != 0 || listen(ls, 4) != 0) { perror("listen"); return 1; }
  socklen_t len = sizeof a;
  getsockname(ls, (struct sockaddr*)&a, &len);
  printf("{\\"event\\":\\"listening\\",\\"port\\":%d}\\n", ntohs(a.sin_port));
  fflush(stdout);
  static char buf[65536];
  /* One client, then exit: if the bench dies, the kernel closes its socket and this process ends too. */
  alarm(30);
  int c = accept(ls, NULL, NULL);
  alarm(0);
  if (c < 0) return 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (;;) {
    ssize_t n = read(c, buf, sizeof buf);
    if (n <= 0) break;
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = write(c, buf + off, (size_t)(n - off));
      if (w <= 0) return 0;
      off += w;
    }
  }
  return 0;
}
`;

/** What to measure. */
export interface FloorOptions {
  mode: "rate" | "ping-pong";
  /** Rate of the paced mode. */
  ratePerSec?: number;
  seconds: number;
  /** Unmeasured seconds first. */
  warmupSec?: number;
  /** Bytes per request (and per echo). */
  bytes: number;
  /** CPUs of the echo server (none: not pinned). */
  cpus?: readonly number[];
  /** The pacer of the FIX run, so the floor is paced alike. */
  sleeper: PreciseSleeper;
  /** Force the Deno echo (tests). */
  server?: "c" | "deno";
  /** Record into this histogram (ns) too, e.g. to merge the floor measured before and after the FIX load. */
  into?: LatencyHistogram;
}

/** What was measured. */
export interface FloorResult {
  server: "c" | "deno";
  latency: LatencySummary;
  cpus: number[];
}

function cacheDir(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME");
  return `${xdg ?? (home !== undefined ? `${home}/.cache` : Deno.makeTempDirSync())}/fixg`;
}

/** The C echo binary, built once per source version; undefined when no compiler builds it. */
export async function buildCEcho(): Promise<string | undefined> {
  const data = new TextEncoder().encode(TCP_ECHO_C);
  const hash = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", data)).slice(0, 6))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const dir = cacheDir();
  const bin = `${dir}/tcp_echo_${hash}`;
  try {
    if (Deno.statSync(bin).isFile) return bin;
  } catch {
    // not built yet
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
    const src = `${bin}.c`;
    await Deno.writeTextFile(src, TCP_ECHO_C);
    for (const cc of ["g++", "cc", "gcc"]) {
      try {
        const tmp = `${bin}.${Deno.pid}.tmp`;
        const args = cc === "g++" ? ["-O2", "-x", "c++", src, "-o", tmp] : ["-O2", src, "-o", tmp];
        const out = await new Deno.Command(cc, { args, stdout: "null", stderr: "null" }).output();
        if (out.success) {
          await Deno.rename(tmp, bin);
          return bin;
        }
      } catch {
        // this compiler is missing: try the next
      }
    }
  } catch {
    // no cache directory
  }
  return undefined;
}

const DENO_BIN = new URL("../../deno", import.meta.url).pathname;
const DENO_ECHO = new URL("./tcp_echo_server.ts", import.meta.url).pathname;

/** A started echo server. */
interface EchoServer {
  port: number;
  child: Deno.ChildProcess;
  server: "c" | "deno";
}

async function startServer(o: FloorOptions): Promise<EchoServer> {
  let server: "c" | "deno" = o.server ?? "c";
  let cmd: string[];
  const bin = server === "c" ? await buildCEcho() : undefined;
  if (bin !== undefined) cmd = [bin];
  else {
    server = "deno";
    cmd = [DENO_BIN, "run", "--quiet", "--no-config", "--allow-net=127.0.0.1", DENO_ECHO];
  }
  const pin = o.cpus !== undefined && o.cpus.length > 0 && toolAvailable("taskset");
  const argv = [...(pin ? ["taskset", "-c", formatCpuList(o.cpus!)] : []), ...cmd];
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 15_000;
  while (!text.includes("\n")) {
    const timer = new Promise<"timeout">((r) =>
      setTimeout(() => r("timeout"), Math.max(1, deadline - Date.now()))
    );
    const r = await Promise.race([reader.read(), timer]);
    if (r === "timeout" || r.done) {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
      throw new Error(`the ${server} echo server did not start`);
    }
    text += r.value;
  }
  reader.releaseLock();
  void child.stdout.cancel().catch(() => {});
  const port = Number(JSON.parse(text.split("\n")[0]!).port);
  return { port, child, server };
}

/** Runs the echo at the asked pacing and returns its round trips. */
export async function measureFloor(o: FloorOptions): Promise<FloorResult> {
  const srv = await startServer(o);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
  try {
    conn.setNoDelay(true);
    const bytes = Math.max(1, Math.round(o.bytes));
    const msg = new Uint8Array(bytes).fill(0x41);
    const hist = new LatencyHistogram({ unit: "ns" });
    // The reader: every `bytes` bytes read complete the oldest outstanding send.
    const stamps: number[] = [];
    let head = 0;
    let received = 0;
    let measuring = false;
    let waiter: (() => void) | undefined;
    const reading = (async () => {
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) return;
        const at = nowUs();
        received += n;
        while (received >= bytes && head < stamps.length) {
          received -= bytes;
          const from = stamps[head++]!;
          if (measuring && from > 0) {
            hist.record((at - from) * 1000);
            o.into?.record((at - from) * 1000);
          }
        }
        if (head === stamps.length && waiter !== undefined) {
          const w = waiter;
          waiter = undefined;
          w();
        }
      }
    })();
    const idle = () => head === stamps.length ? Promise.resolve() : new Promise<void>((r) => (waiter = r));
    const run = async (seconds: number) => {
      const t0 = nowUs();
      const end = t0 + seconds * 1e6;
      if (o.mode === "ping-pong") {
        while (nowUs() < end) {
          stamps.push(nowUs());
          await conn.write(msg);
          await idle();
        }
        return;
      }
      const interval = 1e6 / (o.ratePerSec ?? 1000);
      for (let k = 0;; k++) {
        const due = t0 + k * interval;
        if (due >= end) break;
        if (due > nowUs()) await o.sleeper.until(due);
        // Open loop, from the intended time, exactly as the FIX run is measured.
        stamps.push(due);
        await conn.write(msg);
        if (k % 512 === 511) await yieldToLoop();
      }
      await idle();
    };
    if ((o.warmupSec ?? 0) > 0) await run(o.warmupSec!);
    measuring = true;
    await run(o.seconds);
    conn.close();
    await reading;
    return { server: srv.server, latency: hist.summary(), cpus: o.cpus === undefined ? [] : [...o.cpus] };
  } finally {
    try {
      conn.close();
    } catch {
      // closed
    }
    try {
      srv.child.kill("SIGKILL");
    } catch {
      // gone
    }
    await srv.child.status;
  }
}

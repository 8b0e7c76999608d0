/**
 * Issue 3's loopback benchmark: two fixg processes over loopback TCP, an acceptor
 * (`fixg run --acceptor --app echo --store memory`) and an initiator driven by `fixg bench --echo` (the echoed
 * NewOrderSingle with our ClOrdID is the answer), measured
 *   - one at a time (ping-pong): round trip p50 / p99 / p99.9,
 *   - pipelined (a burst): round trips per second,
 * pinned (`taskset -c 0` both) and split (acceptor on CPU 1, initiator on CPU 0), beside the raw Deno TCP
 * ping-pong (bench/peers/raw_tcp_pingpong.ts) measured in the same run. Prints a markdown table.
 *
 * usage: ./deno run -A bench/loopback.ts [--seconds 3] [--burst 20000] [--out FILE]
 */
import { runFixgBenchProcess } from "../src/bench/child.ts";
import { FIXG_LAUNCHER } from "../src/bench/child.ts";
import {
  type LatencyRow,
  markdownLatencyTable,
  type PeerLatencyResult,
  ratio,
  rowFromBenchReport,
  rowFromPeerResult,
} from "../src/bench/table.ts";
import { freePort, type PeerCommand, runPeerClient, startPeer } from "./peers/peer_process.ts";

const RAW = new URL("./peers/raw_tcp_pingpong.ts", import.meta.url).pathname;

interface Plan {
  seconds: number;
  burst: number;
  out: string | undefined;
}

function parseArgs(argv: string[]): Plan {
  const plan: Plan = { seconds: 3, burst: 20_000, out: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [a, v] = [argv[i], argv[i + 1]];
    if (a === "--seconds" && v !== undefined) plan.seconds = Number(v);
    else if (a === "--burst" && v !== undefined) plan.burst = Number(v);
    else if (a === "--out" && v !== undefined) plan.out = v;
    else {
      console.error(
        `loopback: bad argument ${a}\nusage: bench/loopback.ts [--seconds 3] [--burst 20000] [--out FILE]`,
      );
      Deno.exit(2);
    }
  }
  return plan;
}

/** A running `fixg run` echo acceptor (it prints no ready line: ready when its port accepts). */
interface EchoAcceptor {
  port: number;
  stop(): Promise<void>;
}

async function startEchoAcceptor(cpu: string): Promise<EchoAcceptor> {
  const port = freePort();
  const child = new Deno.Command("taskset", {
    args: [
      "-c",
      cpu,
      FIXG_LAUNCHER,
      "run",
      "--acceptor",
      "--app",
      "echo",
      "--store",
      "memory",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--sender-comp-id",
      "ECHO",
      "--target-comp-id",
      "*",
      "--log-level",
      "warn",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  child.status.then(() => (exited = true));
  const errText = new Response(child.stderr).text();
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      break;
    } catch {
      if (exited || Date.now() > deadline) {
        try {
          child.kill("SIGKILL");
        } catch {
          // exited
        }
        throw new Error(`fixg run --app echo did not start: ${(await errText).trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // exited
      }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // exited
        }
      }, 5000);
      await child.status;
      clearTimeout(t);
      await errText;
    },
  };
}

async function raw(cmd: PeerCommand): Promise<PeerLatencyResult> {
  const r = await runPeerClient(cmd, 120_000);
  if (r.code !== 0 || r.summary === undefined) throw new Error(`raw TCP failed: ${r.stderr.trim()}`);
  return r.summary as unknown as PeerLatencyResult;
}

const pin = (cpu: string, args: string[]): PeerCommand => ({
  cmd: "taskset",
  args: ["-c", cpu, Deno.execPath(), "run", "-A", RAW, ...args],
});

if (import.meta.main) {
  const plan = parseArgs(Deno.args);
  const rows: LatencyRow[] = [];
  const pingCount = Math.max(1000, Math.round(plan.seconds * 3000));
  const warm = String(Math.max(0.5, plan.seconds / 3));
  for (const placement of ["pinned", "split"] as const) {
    const serverCpu = placement === "pinned" ? "0" : "1";
    const label = placement === "pinned" ? "pinned, CPU 0" : "split, CPUs 0/1";
    Deno.stderr.writeSync(new TextEncoder().encode(`loopback: ${label}\n`));
    // The raw socket baseline, same placement.
    const server = await startPeer(pin(serverCpu, ["--role", "server"]));
    try {
      for (const mode of ["pingpong", "burst"] as const) {
        const count = mode === "pingpong" ? pingCount : plan.burst;
        const r = await raw(
          pin("0", [
            "--role",
            "client",
            "--port",
            String(server.port),
            "--mode",
            mode,
            "--count",
            String(count),
            "--warmup",
            String(Math.round(count / 5)),
          ]),
        );
        rows.push(
          rowFromPeerResult(
            "raw TCP (Deno)",
            label,
            mode === "pingpong" ? "one at a time" : `pipelined ${count}`,
            r,
          ),
        );
      }
    } finally {
      await server.stop();
    }
    const echo = await startEchoAcceptor(serverCpu);
    try {
      const target = [
        "--target",
        `127.0.0.1:${echo.port}`,
        "--sender-comp-id",
        "LOOP",
        "--target-comp-id",
        "ECHO",
        "--echo",
      ];
      rows.push(
        rowFromBenchReport(
          "fixg → fixg echo",
          label,
          "one at a time",
          await runFixgBenchProcess([
            ...target,
            "--ping-pong",
            "--duration",
            String(plan.seconds),
            "--warmup",
            warm,
          ], "0"),
        ),
      );
      rows.push(
        rowFromBenchReport(
          "fixg → fixg echo",
          label,
          `pipelined ${plan.burst}`,
          await runFixgBenchProcess([...target, "--burst", `${plan.burst}x3`, "--warmup", warm], "0"),
        ),
      );
    } finally {
      await echo.stop();
    }
  }
  const find = (pair: string, placement: string, mode: string) =>
    rows.find((r) => r.pair.startsWith(pair) && r.placement.startsWith(placement) && r.mode.startsWith(mode));
  const notes = (["pinned", "split"] as const).map((p) => {
    const f = find("fixg", p, "one"), r = find("raw", p, "one"), fp = find("fixg", p, "pipelined");
    return `- ${p}: fixg round-trip p99 / raw TCP p99 = ${
      ratio(f?.p99Us, r?.p99Us)
    } (target ≤ 1.5); pipelined ${
      fp?.msgsPerSec.toLocaleString("en-US") ?? "n/a"
    } round trips/s (target > 100,000)`;
  });
  const text = [
    `Loopback, fixg initiator → fixg echo acceptor, NewOrderSingle out and back, measured ${
      new Date().toISOString().slice(0, 10)
    } (Deno ${Deno.version.deno}):`,
    "",
    markdownLatencyTable(rows),
    "",
    ...notes,
    "",
  ].join("\n");
  console.log(text);
  if (plan.out !== undefined) await Deno.writeTextFile(plan.out, text);
}

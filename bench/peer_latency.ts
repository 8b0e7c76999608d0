/**
 * Issue 6's peer comparison, in one go on this machine: the same ping-pong and burst of NewOrderSingles
 * (order to acknowledgement) for
 *   - fixg → fixg simulate-lp          (`fixg bench` against `fixg simulate-lp`, memory stores: it matches
 *                                        every order against its book, so a marketable order is also filled)
 *   - fixg → fixg simulate-lp --ack-only (acknowledges only, like the QuickFIX acceptor: like for like)
 *   - jspurefix → jspurefix            (bench/peers/jspurefix under Node, jspurefix's memory store)
 *   - fixg → QuickFIX C++ acceptor     (bench/peers/quickfix qf_acceptor, MemoryStoreFactory)
 *   - QuickFIX → QuickFIX (C++)        (qf_latency against qf_acceptor: QuickFIX on both sides, memory stores)
 *   - split only: fixg with read spinning (--read-spin-us: the acknowledger, then both sides)
 *   - raw TCP (Deno)                   (the floor: 200-byte echo, no FIX)
 * each pinned (both processes on one CPU) and split (acceptor on CPU 1, client on CPU 0), and writes the
 * markdown table with ratios to stdout and, with --out FILE, to a file. With --repeat N every pair and mode
 * runs N times, the pairs alternating, and the table shows the run with the median p99 (ping-pong) or the
 * median throughput (burst): on a shared 2-vCPU machine one run of each says little.
 *
 * usage: ./deno run -A bench/peer_latency.ts [--seconds 3] [--burst 10000] [--repeat 1] [--out FILE]
 *        [--only pinned|split]
 */
import {
  freePort,
  jspurefixAcceptorCommand,
  jspurefixInitiatorCommand,
  jspurefixUnavailable,
  type LatencyClientOptions,
  type PeerCommand,
  pinned,
  quickfixAcceptorCommand,
  quickfixLatencyCommand,
  quickfixUnavailable,
  rawTcpCommand,
  runPeerClient,
  startPeer,
} from "./peers/peer_process.ts";
import { runFixgBenchProcess, SimulatorChild } from "../src/bench/child.ts";
import {
  type LatencyRow,
  markdownLatencyTable,
  type PeerLatencyResult,
  ratio,
  rowFromBenchReport,
  rowFromPeerResult,
} from "../src/bench/table.ts";

interface Plan {
  seconds: number;
  burst: number;
  repeat: number;
  out: string | undefined;
  placements: Array<"pinned" | "split">;
}

function parseArgs(argv: string[]): Plan {
  const plan: Plan = {
    seconds: 3,
    burst: 10_000,
    repeat: 1,
    out: undefined,
    placements: ["pinned", "split"],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === "--seconds" && v !== undefined) plan.seconds = Number(v);
    else if (a === "--burst" && v !== undefined) plan.burst = Number(v);
    else if (a === "--repeat" && v !== undefined) plan.repeat = Number(v);
    else if (a === "--out" && v !== undefined) plan.out = v;
    else if (a === "--only" && (v === "pinned" || v === "split")) plan.placements = [v];
    else {
      console.error(
        `peer_latency: bad argument ${a}\nusage: bench/peer_latency.ts [--seconds 3] [--burst 10000] [--repeat 1] [--out FILE] [--only pinned|split]`,
      );
      Deno.exit(2);
    }
    i++;
  }
  if (!(plan.seconds > 0) || !(plan.burst > 0) || !(Number.isInteger(plan.repeat) && plan.repeat >= 1)) {
    console.error("peer_latency: --seconds and --burst must be > 0, --repeat a whole number >= 1");
    Deno.exit(2);
  }
  return plan;
}

/** Read spinning (src/engine/read_spin.ts) in the split placement: the acknowledger only, then both sides. */
const SPIN_US = 2000;
const FIXG_ACK_SPIN = `fixg → fixg simulate-lp --ack-only --read-spin-us ${SPIN_US}`;
const FIXG_BOTH_SPIN =
  `fixg --read-spin-us ${SPIN_US} → fixg simulate-lp --ack-only --read-spin-us ${SPIN_US}`;

/** QuickFIX on both sides (bench/peers/quickfix: qf_latency against qf_acceptor), like jspurefix → jspurefix. */
const QF_QF = "QuickFIX → QuickFIX (C++)";

function progress(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${text}\n`));
}

async function peerClient(command: PeerCommand): Promise<PeerLatencyResult> {
  const r = await runPeerClient(command, 180_000);
  if (r.code !== 0 || r.summary === undefined) {
    throw new Error(
      `${command.cmd} ${command.args.join(" ")} failed (${r.code}): ${
        r.stderr.trim().split("\n").slice(-3).join(" | ")
      }`,
    );
  }
  return r.summary as unknown as PeerLatencyResult;
}

/** One pair of the table: runs one mode ("ping-pong" or "burst") once and gives its row. */
interface Pair {
  name: string;
  run(mode: "ping-pong" | "burst"): Promise<LatencyRow>;
}

/** The run with the median p99 (ping-pong) or the median throughput (burst), noting how many ran. */
function medianRow(runs: LatencyRow[], mode: "ping-pong" | "burst"): LatencyRow {
  const key = (r: LatencyRow) => (mode === "ping-pong" ? r.p99Us : r.msgsPerSec);
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  const m = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return runs.length === 1 ? m : { ...m, mode: `${m.mode} (median of ${runs.length})` };
}

if (import.meta.main) {
  const plan = parseArgs(Deno.args);
  const rows: LatencyRow[] = [];
  const skipped: string[] = [];
  const pingCount = Math.max(1000, Math.round(plan.seconds * 2000));
  const warmSec = Math.max(0.5, plan.seconds / 3);
  const fixgPing = [
    "--ping-pong",
    "--mix",
    "new=1",
    "--duration",
    String(plan.seconds),
    "--warmup",
    String(warmSec),
  ];
  const fixgBurst = ["--burst", `${plan.burst}x1`, "--mix", "new=1", "--warmup", String(warmSec)];
  const burstLabel = `burst ${plan.burst}`;
  const modeLabel = (mode: "ping-pong" | "burst") => (mode === "ping-pong" ? "ping-pong" : burstLabel);
  const qfMissing = quickfixUnavailable();
  const jsMissing = jspurefixUnavailable();
  if (qfMissing !== undefined) skipped.push(`fixg → QuickFIX: ${qfMissing}`);
  if (jsMissing !== undefined) skipped.push(`jspurefix → jspurefix: ${jsMissing}`);
  const target = (
    port: number,
  ) => ["--target", `127.0.0.1:${port}`, "--sender-comp-id", "BENCH", "--target-comp-id", "LP"];

  for (const placement of plan.placements) {
    const serverCpu = placement === "pinned" ? "0" : "1";
    const clientCpu = "0";
    const label = placement === "pinned" ? "pinned, CPU 0" : "split, CPUs 0/1";
    const fixgSim = (name: string, extraArgs: string[], clientArgs: string[] = []): Pair => ({
      name,
      async run(mode) {
        const sim = await SimulatorChild.start({
          port: 0,
          senderCompId: "LP",
          cpus: [Number(serverCpu)],
          extraArgs,
        });
        try {
          const args = [...target(sim.port), ...(mode === "ping-pong" ? fixgPing : fixgBurst), ...clientArgs];
          return rowFromBenchReport(name, label, modeLabel(mode), await runFixgBenchProcess(args, clientCpu));
        } finally {
          await sim.stop();
        }
      },
    });
    /** A peer engine on both sides: its acceptor on the server CPU, its latency client on the client CPU. */
    const peerToPeer = (
      name: string,
      acceptor: (port: number) => PeerCommand,
      client: (o: LatencyClientOptions) => PeerCommand,
    ): Pair => ({
      name,
      async run(mode) {
        const port = freePort();
        const server = await startPeer(pinned(acceptor(port), serverCpu));
        try {
          const count = mode === "ping-pong" ? pingCount : plan.burst;
          const peerMode = mode === "ping-pong" ? "pingpong" : "burst";
          const r = await peerClient(
            pinned(client({ port, mode: peerMode, count, warmup: Math.round(count / 5) }), clientCpu),
          );
          return rowFromPeerResult(name, label, modeLabel(mode), r);
        } finally {
          await server.stop();
        }
      },
    });
    const pairs: Pair[] = [
      {
        name: "raw TCP (Deno)",
        async run(mode) {
          const peerMode = mode === "ping-pong" ? "pingpong" : "burst";
          const count = mode === "ping-pong" ? pingCount : plan.burst;
          const warmup = Math.round(count / 5);
          if (placement === "pinned") {
            const r = await peerClient(pinned(rawTcpCommand({ mode: peerMode, count, warmup }), "0"));
            return rowFromPeerResult("raw TCP (Deno)", label, modeLabel(mode), r);
          }
          const script = new URL("./peers/raw_tcp_pingpong.ts", import.meta.url).pathname;
          const server = await startPeer(
            pinned({ cmd: Deno.execPath(), args: ["run", "-A", script, "--role", "server"] }, serverCpu),
          );
          try {
            const cmd: PeerCommand = {
              cmd: Deno.execPath(),
              args: [
                "run",
                "-A",
                script,
                "--role",
                "client",
                "--port",
                String(server.port),
                "--mode",
                peerMode,
              ],
            };
            cmd.args.push("--count", String(count), "--warmup", String(warmup));
            return rowFromPeerResult(
              "raw TCP (Deno)",
              label,
              modeLabel(mode),
              await peerClient(pinned(cmd, clientCpu)),
            );
          } finally {
            await server.stop();
          }
        },
      },
      fixgSim("fixg → fixg simulate-lp", []),
      fixgSim("fixg → fixg simulate-lp --ack-only", ["--ack-only"]),
    ];
    if (placement === "split") {
      // Read spinning needs a CPU per process: only in the split placement (docs/tuning.md).
      const spin = ["--read-spin-us", String(SPIN_US)];
      pairs.push(
        fixgSim(FIXG_ACK_SPIN, ["--ack-only", ...spin]),
        fixgSim(FIXG_BOTH_SPIN, ["--ack-only", ...spin], spin),
      );
    }
    if (jsMissing === undefined) {
      pairs.push(peerToPeer(
        "jspurefix → jspurefix (Node)",
        (port) => jspurefixAcceptorCommand({ port }),
        jspurefixInitiatorCommand,
      ));
    }
    if (qfMissing === undefined) {
      pairs.push({
        name: "fixg → QuickFIX C++ acceptor",
        async run(mode) {
          const port = freePort();
          const acceptor = await startPeer(
            pinned(
              quickfixAcceptorCommand({ port, senderCompId: "LP", targetCompIds: ["BENCH"] }),
              serverCpu,
            ),
          );
          try {
            const args = [...target(port), ...(mode === "ping-pong" ? fixgPing : fixgBurst)];
            return rowFromBenchReport(
              "fixg → QuickFIX C++ acceptor",
              label,
              modeLabel(mode),
              await runFixgBenchProcess(args, clientCpu),
            );
          } finally {
            await acceptor.stop();
          }
        },
      });
      pairs.push(peerToPeer(
        QF_QF,
        (port) => quickfixAcceptorCommand({ port, senderCompId: "LP", targetCompIds: ["BENCH"] }),
        quickfixLatencyCommand,
      ));
    }
    for (const mode of ["ping-pong", "burst"] as const) {
      const runs = new Map<string, LatencyRow[]>(pairs.map((p) => [p.name, []]));
      for (let r = 1; r <= plan.repeat; r++) {
        for (const p of pairs) {
          progress(
            `${p.name}, ${label}, ${modeLabel(mode)}${plan.repeat > 1 ? ` (run ${r}/${plan.repeat})` : ""}`,
          );
          runs.get(p.name)!.push(await p.run(mode));
        }
      }
      for (const p of pairs) rows.push(medianRow(runs.get(p.name)!, mode));
    }
  }

  const find = (pair: string, placement: string, mode: string) =>
    rows.find((r) => r.pair === pair && r.placement.startsWith(placement) && r.mode.startsWith(mode));
  const ratioLines: string[] = [];
  const FIXG = "fixg → fixg simulate-lp";
  const FIXG_ACK = "fixg → fixg simulate-lp --ack-only";
  const JS = "jspurefix → jspurefix (Node)";
  const QF = "fixg → QuickFIX C++ acceptor";
  const RAW = "raw TCP (Deno)";
  const rate = (r: LatencyRow | undefined) => r?.msgsPerSec.toLocaleString("en-US") ?? "n/a";
  for (const placement of plan.placements) {
    const fixg = find(FIXG, placement, "ping-pong");
    const ack = find(FIXG_ACK, placement, "ping-pong");
    const js = find(JS, placement, "ping-pong");
    const qf = find(QF, placement, "ping-pong");
    const qfqf = find(QF_QF, placement, "ping-pong");
    const raw = find(RAW, placement, "ping-pong");
    ratioLines.push(
      `- ${placement}, ping-pong p99: jspurefix / fixg = ${ratio(js?.p99Us, fixg?.p99Us)} (target ≥ 3; ` +
        `jspurefix / fixg --ack-only = ${
          ratio(js?.p99Us, ack?.p99Us)
        }, both acceptors only acknowledging); ` +
        `like for like (both acceptors only acknowledge): fixg→QuickFIX / fixg→fixg --ack-only = ${
          ratio(qf?.p99Us, ack?.p99Us)
        } (target > 1); engine against itself (both acceptors only acknowledge): QuickFIX→QuickFIX / fixg→fixg --ack-only = ${
          ratio(qfqf?.p99Us, ack?.p99Us)
        }; fixg→QuickFIX / fixg→fixg = ${ratio(qf?.p99Us, fixg?.p99Us)}; fixg→fixg / raw TCP = ${
          ratio(fixg?.p99Us, raw?.p99Us)
        }`,
    );
    const ackSpin = find(FIXG_ACK_SPIN, placement, "ping-pong");
    const bothSpin = find(FIXG_BOTH_SPIN, placement, "ping-pong");
    if (ackSpin !== undefined || bothSpin !== undefined) {
      ratioLines.push(
        `- ${placement}, ping-pong p99 with read spinning (a CPU per process): like for like fixg→QuickFIX / fixg→fixg --ack-only --read-spin-us = ${
          ratio(qf?.p99Us, ackSpin?.p99Us)
        }; engine against itself QuickFIX→QuickFIX / fixg→fixg both spinning = ${
          ratio(qfqf?.p99Us, bothSpin?.p99Us)
        }; jspurefix / fixg both spinning = ${ratio(js?.p99Us, bothSpin?.p99Us)}`,
      );
    }
    ratioLines.push(
      `- ${placement}, burst throughput (orders acknowledged/s, one session): fixg→fixg --ack-only ${
        rate(find(FIXG_ACK, placement, "burst"))
      }, fixg→fixg ${rate(find(FIXG, placement, "burst"))}, fixg→QuickFIX ${
        rate(find(QF, placement, "burst"))
      }, QuickFIX→QuickFIX ${rate(find(QF_QF, placement, "burst"))}, jspurefix→jspurefix ${
        rate(find(JS, placement, "burst"))
      } (target ≥ 150,000)`,
    );
  }
  const text = [
    `Peer latency, order → acknowledgement, measured ${
      new Date().toISOString().slice(0, 10)
    } (Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} vCPUs):`,
    "",
    markdownLatencyTable(rows),
    "",
    ...ratioLines,
    ...(skipped.length > 0 ? ["", ...skipped.map((s) => `- skipped: ${s}`)] : []),
    "",
  ].join("\n");
  console.log(text);
  if (plan.out !== undefined) await Deno.writeTextFile(plan.out, text);
}

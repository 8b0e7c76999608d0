/**
 * Issue 6's peer comparison, in one go on this machine: the same ping-pong and burst of NewOrderSingles
 * (order to acknowledgement) for
 *   - fixg → fixg simulate-lp          (`fixg bench` against `fixg simulate-lp`, memory stores)
 *   - jspurefix → jspurefix            (bench/peers/jspurefix under Node, jspurefix's memory store)
 *   - fixg → QuickFIX C++ acceptor     (bench/peers/quickfix qf_acceptor, MemoryStoreFactory)
 *   - raw TCP (Deno)                   (the floor: 200-byte echo, no FIX)
 * each pinned (both processes on one CPU) and split (acceptor on CPU 1, client on CPU 0), and writes the
 * markdown table with ratios to stdout and, with --out FILE, to a file.
 *
 * usage: ./deno run -A bench/peer_latency.ts [--seconds 3] [--burst 10000] [--out FILE] [--only pinned|split]
 */
import {
  freePort,
  jspurefixAcceptorCommand,
  jspurefixInitiatorCommand,
  jspurefixUnavailable,
  type PeerCommand,
  quickfixAcceptorCommand,
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
  out: string | undefined;
  placements: Array<"pinned" | "split">;
}

function parseArgs(argv: string[]): Plan {
  const plan: Plan = { seconds: 3, burst: 10_000, out: undefined, placements: ["pinned", "split"] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === "--seconds" && v !== undefined) plan.seconds = Number(v);
    else if (a === "--burst" && v !== undefined) plan.burst = Number(v);
    else if (a === "--out" && v !== undefined) plan.out = v;
    else if (a === "--only" && (v === "pinned" || v === "split")) plan.placements = [v];
    else {
      console.error(
        `peer_latency: bad argument ${a}\nusage: bench/peer_latency.ts [--seconds 3] [--burst 10000] [--out FILE] [--only pinned|split]`,
      );
      Deno.exit(2);
    }
    i++;
  }
  if (!(plan.seconds > 0) || !(plan.burst > 0)) {
    console.error("peer_latency: --seconds and --burst must be > 0");
    Deno.exit(2);
  }
  return plan;
}

const pin = (c: PeerCommand, cpu: string): PeerCommand => ({
  cmd: "taskset",
  args: ["-c", cpu, c.cmd, ...c.args],
});

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
  const qfMissing = quickfixUnavailable();
  const jsMissing = jspurefixUnavailable();
  if (qfMissing !== undefined) skipped.push(`fixg → QuickFIX: ${qfMissing}`);
  if (jsMissing !== undefined) skipped.push(`jspurefix → jspurefix: ${jsMissing}`);

  for (const placement of plan.placements) {
    const serverCpu = placement === "pinned" ? "0" : "1";
    const clientCpu = "0";
    const label = placement === "pinned" ? "pinned, CPU 0" : "split, CPUs 0/1";

    progress(`raw TCP, ${label}`);
    if (placement === "pinned") {
      for (const mode of ["pingpong", "burst"] as const) {
        const count = mode === "pingpong" ? pingCount : plan.burst;
        const r = await peerClient(pin(rawTcpCommand({ mode, count, warmup: Math.round(count / 5) }), "0"));
        rows.push(
          rowFromPeerResult("raw TCP (Deno)", label, mode === "pingpong" ? "ping-pong" : `burst ${count}`, r),
        );
      }
    } else {
      const server = await startPeer(
        pin({
          cmd: Deno.execPath(),
          args: [
            "run",
            "-A",
            new URL("./peers/raw_tcp_pingpong.ts", import.meta.url).pathname,
            "--role",
            "server",
          ],
        }, serverCpu),
      );
      try {
        for (const mode of ["pingpong", "burst"] as const) {
          const count = mode === "pingpong" ? pingCount : plan.burst;
          const cmd: PeerCommand = {
            cmd: Deno.execPath(),
            args: [
              "run",
              "-A",
              new URL("./peers/raw_tcp_pingpong.ts", import.meta.url).pathname,
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
            ],
          };
          rows.push(
            rowFromPeerResult(
              "raw TCP (Deno)",
              label,
              mode === "pingpong" ? "ping-pong" : `burst ${count}`,
              await peerClient(pin(cmd, clientCpu)),
            ),
          );
        }
      } finally {
        await server.stop();
      }
    }

    progress(`fixg → fixg simulate-lp, ${label}`);
    {
      const sim = await SimulatorChild.start({ port: 0, senderCompId: "LP", cpus: [Number(serverCpu)] });
      try {
        const target = [
          "--target",
          `127.0.0.1:${sim.port}`,
          "--sender-comp-id",
          "BENCH",
          "--target-comp-id",
          "LP",
        ];
        rows.push(
          rowFromBenchReport(
            "fixg → fixg simulate-lp",
            label,
            "ping-pong",
            await runFixgBenchProcess([...target, ...fixgPing], clientCpu),
          ),
        );
        rows.push(
          rowFromBenchReport(
            "fixg → fixg simulate-lp",
            label,
            `burst ${plan.burst}`,
            await runFixgBenchProcess([...target, ...fixgBurst], clientCpu),
          ),
        );
      } finally {
        await sim.stop();
      }
    }

    if (jsMissing === undefined) {
      progress(`jspurefix → jspurefix, ${label}`);
      for (const mode of ["pingpong", "burst"] as const) {
        const port = freePort();
        const acceptor = await startPeer(pin(jspurefixAcceptorCommand({ port }), serverCpu));
        try {
          const count = mode === "pingpong" ? pingCount : plan.burst;
          const r = await peerClient(
            pin(jspurefixInitiatorCommand({ port, mode, count, warmup: Math.round(count / 5) }), clientCpu),
          );
          rows.push(
            rowFromPeerResult(
              "jspurefix → jspurefix (Node)",
              label,
              mode === "pingpong" ? "ping-pong" : `burst ${count}`,
              r,
            ),
          );
        } finally {
          await acceptor.stop();
        }
      }
    }

    if (qfMissing === undefined) {
      progress(`fixg → QuickFIX C++ acceptor, ${label}`);
      for (const [mode, args] of [["ping-pong", fixgPing], [`burst ${plan.burst}`, fixgBurst]] as const) {
        const port = freePort();
        const acceptor = await startPeer(
          pin(quickfixAcceptorCommand({ port, senderCompId: "LP", targetCompIds: ["BENCH"] }), serverCpu),
        );
        try {
          const target = [
            "--target",
            `127.0.0.1:${port}`,
            "--sender-comp-id",
            "BENCH",
            "--target-comp-id",
            "LP",
          ];
          rows.push(
            rowFromBenchReport(
              "fixg → QuickFIX C++ acceptor",
              label,
              mode,
              await runFixgBenchProcess([...target, ...args], clientCpu),
            ),
          );
        } finally {
          await acceptor.stop();
        }
      }
    }
  }

  const find = (pair: string, placement: string, mode: string) =>
    rows.find((r) => r.pair.startsWith(pair) && r.placement.startsWith(placement) && r.mode.startsWith(mode));
  const ratioLines: string[] = [];
  for (const placement of plan.placements) {
    const fixg = find("fixg → fixg", placement, "ping-pong");
    const js = find("jspurefix", placement, "ping-pong");
    const qf = find("fixg → QuickFIX", placement, "ping-pong");
    const raw = find("raw TCP", placement, "ping-pong");
    ratioLines.push(
      `- ${placement}, ping-pong p99: jspurefix / fixg = ${ratio(js?.p99Us, fixg?.p99Us)} (target ≥ 3); ` +
        `fixg→QuickFIX / fixg→fixg = ${ratio(qf?.p99Us, fixg?.p99Us)}; fixg→fixg / raw TCP = ${
          ratio(fixg?.p99Us, raw?.p99Us)
        }`,
    );
    const fb = find("fixg → fixg", placement, "burst");
    const qb = find("fixg → QuickFIX", placement, "burst");
    const jb = find("jspurefix", placement, "burst");
    ratioLines.push(
      `- ${placement}, burst throughput (orders acknowledged/s, one session): fixg→fixg ${
        fb?.msgsPerSec.toLocaleString("en-US") ?? "n/a"
      }, ` +
        `fixg→QuickFIX ${qb?.msgsPerSec.toLocaleString("en-US") ?? "n/a"}, jspurefix→jspurefix ${
          jb?.msgsPerSec.toLocaleString("en-US") ?? "n/a"
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

/**
 * Starting and stopping fixg's external peers (QuickFIX C++ and jspurefix acceptors and clients, the
 * raw TCP baseline) from Deno, for the peer benchmark and the interop tests.
 *
 * Every acceptor prints one JSON line `{"event":"listening","port":N,...}` once it accepts
 * connections and one `{"event":"stopped",...}` summary when stopped by SIGTERM; every client prints
 * one JSON result line and exits. Acceptors are started with `--exit-on-eof` and a piped stdin, so
 * they also stop if the Deno process that started them dies.
 */
import { waitForListening } from "../../src/bench/child.ts";
import type { PeerLatencyResult } from "../../src/bench/table.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Absolute paths of the peer programs. */
export const PEER_PATHS = {
  quickfixAcceptor: `${ROOT}bench/peers/quickfix/build/qf_acceptor`,
  quickfixInitiator: `${ROOT}bench/peers/quickfix/build/qf_initiator`,
  quickfixLatency: `${ROOT}bench/peers/quickfix/build/qf_latency`,
  quickfixSession: `${ROOT}bench/peers/quickfix/build/qf_session`,
  quickfixValidate: `${ROOT}bench/peers/quickfix/build/qf_validate`,
  jspurefixAcceptor: `${ROOT}bench/peers/jspurefix/acceptor.mjs`,
  jspurefixInitiator: `${ROOT}bench/peers/jspurefix/initiator.mjs`,
  rawTcp: `${ROOT}bench/peers/raw_tcp_pingpong.ts`,
  fix44Dictionary: `${ROOT}fixtures/dictionaries/FIX44.xml`,
} as const;

/** A program and its arguments. */
export interface PeerCommand {
  cmd: string;
  args: string[];
}

/** Why the QuickFIX peers cannot run here, or undefined when they are built. */
export function quickfixUnavailable(): string | undefined {
  return quickfixNotBuilt(
    PEER_PATHS.quickfixAcceptor,
    PEER_PATHS.quickfixInitiator,
    PEER_PATHS.quickfixLatency,
  );
}

/** Which of the QuickFIX peer programs `paths` is not built (the first), or undefined when all are. */
export function quickfixNotBuilt(...paths: string[]): string | undefined {
  for (const path of paths) {
    try {
      Deno.statSync(path);
    } catch {
      return `${path} is not built (run scripts/install_quickfix.sh)`;
    }
  }
  return undefined;
}

/** Why the jspurefix peers cannot run here (no node, or jspurefix not installed), or undefined. */
export function jspurefixUnavailable(): string | undefined {
  try {
    Deno.statSync(`${ROOT}node_modules/jspurefix/package.json`);
  } catch {
    return "node_modules/jspurefix is missing (run npm ci)";
  }
  try {
    const out = new Deno.Command("node", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    if (!out.success) return "node --version failed";
  } catch {
    return "node is not on PATH (the jspurefix peers run under Node)";
  }
  return undefined;
}

/** A loopback port that was free a moment ago (another process could take it before it is used). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Options of the QuickFIX acceptor (bench/peers/quickfix/acceptor.cpp). */
export interface QuickfixAcceptorOptions {
  port: number;
  senderCompId?: string;
  /** One session per TargetCompID. */
  targetCompIds?: string[];
  /** Fill every order right after its ack. */
  fill?: boolean;
  resetOnLogon?: boolean;
  /** QuickFIX file logs (messages and events) into this directory. */
  logDir?: string;
}

/** The command line of the QuickFIX acceptor. */
export function quickfixAcceptorCommand(o: QuickfixAcceptorOptions): PeerCommand {
  const args = ["--port", String(o.port), "--exit-on-eof"];
  if (o.senderCompId !== undefined) args.push("--sender-comp-id", o.senderCompId);
  if (o.targetCompIds !== undefined) args.push("--target-comp-id", o.targetCompIds.join(","));
  if (o.fill) args.push("--fill");
  if (o.resetOnLogon) args.push("--reset-on-logon");
  if (o.logDir !== undefined) args.push("--log-dir", o.logDir);
  return { cmd: PEER_PATHS.quickfixAcceptor, args };
}

/** Options of the QuickFIX interop client (bench/peers/quickfix/initiator.cpp). */
export interface QuickfixInitiatorOptions {
  host?: string;
  port: number;
  senderCompId?: string;
  targetCompId?: string;
  orders?: number;
  symbol?: string;
  price?: number;
  qty?: number;
  cancel?: boolean;
  replace?: boolean;
  marketData?: boolean;
  timeoutSec?: number;
  lingerMs?: number;
  resetSeqNum?: boolean;
  logDir?: string;
}

/** The command line of the QuickFIX interop client. */
export function quickfixInitiatorCommand(o: QuickfixInitiatorOptions): PeerCommand {
  const args = [`${o.host ?? "127.0.0.1"}:${o.port}`];
  if (o.senderCompId !== undefined) args.push("--sender-comp-id", o.senderCompId);
  if (o.targetCompId !== undefined) args.push("--target-comp-id", o.targetCompId);
  if (o.orders !== undefined) args.push("--orders", String(o.orders));
  if (o.symbol !== undefined) args.push("--symbol", o.symbol);
  if (o.price !== undefined) args.push("--price", String(o.price));
  if (o.qty !== undefined) args.push("--qty", String(o.qty));
  if (o.cancel === false) args.push("--no-cancel");
  if (o.replace === false) args.push("--no-replace");
  if (o.marketData === false) args.push("--no-md");
  if (o.timeoutSec !== undefined) args.push("--timeout-sec", String(o.timeoutSec));
  if (o.lingerMs !== undefined) args.push("--linger-ms", String(o.lingerMs));
  if (o.resetSeqNum === false) args.push("--no-reset-seq-num");
  if (o.logDir !== undefined) args.push("--log-dir", o.logDir);
  return { cmd: PEER_PATHS.quickfixInitiator, args };
}

/** What the QuickFIX interop client prints (one JSON line). */
export interface QuickfixInitiatorSummary {
  ok: boolean;
  target: string;
  logon: boolean;
  ordersSent: number;
  ordersAnswered: number;
  execTypes: Record<string, number>;
  cancel: "acked" | "rejected" | "none" | "skipped";
  replace: "acked" | "rejected" | "none" | "skipped";
  marketData: "acked" | "rejected" | "none" | "skipped";
  mdSnapshots: number;
  mdIncrementals: number;
  mdEntries: number;
  received: Record<string, number>;
  sent: Record<string, number>;
  rejectsReceived: number;
  businessRejectsReceived: number;
  rejectsSent: number;
  businessRejectsSent: number;
  ignoredMessages: number;
  crackErrors: number;
  validationErrors: number;
  logouts: number;
  logoutTexts: string[];
  problems: string[];
  events: string[];
  elapsedMs: number;
}

/** Options of the jspurefix acceptor (bench/peers/jspurefix/acceptor.mjs). */
export interface JspurefixAcceptorOptions {
  port: number;
  senderCompId?: string;
  targetCompId?: string;
  fill?: boolean;
}

/** The command line of the jspurefix acceptor (under Node). */
export function jspurefixAcceptorCommand(o: JspurefixAcceptorOptions): PeerCommand {
  const args = [PEER_PATHS.jspurefixAcceptor, "--port", String(o.port), "--exit-on-eof"];
  if (o.senderCompId !== undefined) args.push("--sender-comp-id", o.senderCompId);
  if (o.targetCompId !== undefined) args.push("--target-comp-id", o.targetCompId);
  if (o.fill) args.push("--fill");
  return { cmd: "node", args };
}

/** Options of a peer latency client (jspurefix's under Node, QuickFIX's qf_latency). */
export interface LatencyClientOptions {
  host?: string;
  port: number;
  mode: "pingpong" | "burst";
  count?: number;
  warmup?: number;
  senderCompId?: string;
  targetCompId?: string;
  timeoutSec?: number;
}

/** Options of the jspurefix benchmark client (bench/peers/jspurefix/initiator.mjs). */
export type JspurefixInitiatorOptions = LatencyClientOptions;

/** The flags both latency clients take after where to connect. */
function latencyClientFlags(o: LatencyClientOptions): string[] {
  const args = ["--mode", o.mode];
  if (o.count !== undefined) args.push("--count", String(o.count));
  if (o.warmup !== undefined) args.push("--warmup", String(o.warmup));
  if (o.senderCompId !== undefined) args.push("--sender-comp-id", o.senderCompId);
  if (o.targetCompId !== undefined) args.push("--target-comp-id", o.targetCompId);
  if (o.timeoutSec !== undefined) args.push("--timeout-sec", String(o.timeoutSec));
  return args;
}

/** The command line of the jspurefix benchmark client (under Node). */
export function jspurefixInitiatorCommand(o: JspurefixInitiatorOptions): PeerCommand {
  const args = [PEER_PATHS.jspurefixInitiator, "--port", String(o.port)];
  if (o.host !== undefined) args.push("--host", o.host);
  return { cmd: "node", args: [...args, ...latencyClientFlags(o)] };
}

/** Options of the QuickFIX latency client (bench/peers/quickfix/latency.cpp). */
export type QuickfixLatencyOptions = LatencyClientOptions;

/** The command line of the QuickFIX latency client (the QuickFIX → QuickFIX row of the peer table). */
export function quickfixLatencyCommand(o: QuickfixLatencyOptions): PeerCommand {
  return {
    cmd: PEER_PATHS.quickfixLatency,
    args: [`${o.host ?? "127.0.0.1"}:${o.port}`, ...latencyClientFlags(o)],
  };
}

/** `c` run under `taskset -c cpu`. */
export function pinned(c: PeerCommand, cpu: string): PeerCommand {
  return { cmd: "taskset", args: ["-c", cpu, c.cmd, ...c.args] };
}

/** The command line of the raw TCP baseline (it starts its own echo server process). */
export function rawTcpCommand(
  o: { mode: "pingpong" | "burst"; count?: number; warmup?: number },
): PeerCommand {
  const args = ["run", "--allow-net", "--allow-run", "--allow-read", PEER_PATHS.rawTcp, "--mode", o.mode];
  if (o.count !== undefined) args.push("--count", String(o.count));
  if (o.warmup !== undefined) args.push("--warmup", String(o.warmup));
  return { cmd: Deno.execPath(), args };
}

/** The result line of a latency client (jspurefix, QuickFIX, raw TCP). */
export interface LatencyResult extends PeerLatencyResult {
  peer: string;
  runtime: string;
  mode: string;
  meanUs: number;
}

/** How a peer process ended. */
export interface PeerExit {
  code: number;
  /** The last JSON object line on stdout (a client's result, an acceptor's "stopped" summary). */
  summary: Record<string, unknown> | undefined;
  stdout: string;
  stderr: string;
}

/** A running acceptor. */
export interface RunningPeer {
  pid: number;
  port: number;
  /** Its "listening" line. */
  ready: Record<string, unknown>;
  /** SIGTERM, then wait for it to exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<PeerExit>;
}

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{"));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i] ?? "") as Record<string, unknown>;
    } catch {
      // not JSON after all: try the line before
    }
  }
  return undefined;
}

async function collect(stream: ReadableStream<Uint8Array>, into: { text: string }): Promise<void> {
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) into.text += chunk;
}

/** Starts an acceptor and waits for its "listening" line (or fails with its stderr). */
export async function startPeer(command: PeerCommand, timeoutMs = 15_000): Promise<RunningPeer> {
  const child = new Deno.Command(command.cmd, {
    args: command.args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = { text: "" };
  const err = { text: "" };
  const stderrDone = collect(child.stderr, err);
  const decoder = new TextDecoderStream();
  const stdoutReader = child.stdout.pipeThrough(decoder).getReader();
  const stdoutDone = (async () => {
    for (;;) {
      const { value, done } = await stdoutReader.read();
      if (done) return;
      out.text += value;
    }
  })();
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
  };
  let exited = false;
  child.status.then(() => exited = true);
  const ready = await waitForListening(out, () => exited, Date.now() + timeoutMs);
  if (ready === undefined) {
    kill("SIGKILL");
    await child.status;
    await Promise.all([stdoutDone, stderrDone]);
    await child.stdin.close().catch(() => {});
    throw new Error(
      `${command.cmd} ${command.args.join(" ")} did not start listening${exited ? " (it exited)" : ""}: ${
        err.text.trim() || out.text.trim()
      }`,
    );
  }
  const port = Number(ready.port);
  return {
    pid: child.pid,
    port,
    ready,
    async stop(graceMs = 5000): Promise<PeerExit> {
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), graceMs);
      const status = await child.status;
      clearTimeout(timer);
      await Promise.all([stdoutDone, stderrDone]);
      await child.stdin.close().catch(() => {});
      const stoppedLine = out.text.split("\n").find((l) => l.includes('"event":"stopped"'));
      return {
        code: status.code,
        summary: stoppedLine ? JSON.parse(stoppedLine) as Record<string, unknown> : undefined,
        stdout: out.text,
        stderr: err.text,
      };
    },
  };
}

/** Runs a client to completion (SIGKILL after `timeoutMs`) and returns its last JSON line. */
export async function runPeerClient(command: PeerCommand, timeoutMs = 120_000): Promise<PeerExit> {
  const child = new Deno.Command(command.cmd, {
    args: command.args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = { text: "" };
  const err = { text: "" };
  const done = Promise.all([collect(child.stdout, out), collect(child.stderr, err)]);
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
  }, timeoutMs);
  const status = await child.status;
  clearTimeout(timer);
  await done;
  return { code: status.code, summary: lastJsonLine(out.text), stdout: out.text, stderr: err.text };
}

/** `fixg simulate-lp`: an acceptor that behaves like a liquidity provider (src/app/lp on the engine). */
import { type Command, Option } from "@commander-js/extra-typings";
import { defaultLpConfig, loadLpConfig, type LpBehaviour, type LpSimulator } from "../src/app/lp/mod.ts";
import { Logger } from "../src/engine/log.ts";
import { startSimulator } from "../src/engine/lp_host.ts";
import { checkConfig } from "../src/engine/config.ts";
import { Operations } from "../src/ops/operations.ts";
import { ConfigError } from "../src/errors.ts";

function num(v: string, flag: string, min: number, max = Infinity): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(
      `${flag}: "${v}" must be a number from ${min}${max === Infinity ? "" : ` to ${max}`}`,
    );
  }
  return n;
}

function int(v: string, flag: string, min: number, max = Infinity): number {
  const n = num(v, flag, min, max);
  if (!Number.isInteger(n)) throw new ConfigError(`${flag}: "${v}" must be a whole number`);
  return n;
}

/** Behaviour flags of the command line, as one behaviour entry (with an optional window). */
export function behaviourFromFlags(f: Record<string, unknown>): LpBehaviour | undefined {
  const b: LpBehaviour = {};
  if (f.rejectFraction !== undefined) {
    b.rejectFraction = num(String(f.rejectFraction), "--reject-fraction", 0, 1);
  }
  if (f.rejectReason !== undefined) b.rejectReason = String(f.rejectReason);
  if (f.fillLatencyMs !== undefined) {
    const s = String(f.fillLatencyMs);
    const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(s);
    if (!m) throw new ConfigError(`--fill-latency-ms: "${s}" must be N or MIN-MAX`);
    if (m[2] !== undefined && Number(m[2]) < Number(m[1])) {
      throw new ConfigError(`--fill-latency-ms: "${s}": MAX must not be below MIN`);
    }
    b.fillLatencyMs = m[2] === undefined ? Number(m[1]) : { min: Number(m[1]), max: Number(m[2]) };
  }
  if (f.partialFillProbability !== undefined) {
    b.partialFillProbability = num(String(f.partialFillProbability), "--partial-fill-probability", 0, 1);
  }
  if (f.dropHeartbeats) b.dropHeartbeats = true;
  if (f.skipSeqEvery !== undefined) {
    b.skipSeqNums = { everyMessages: int(String(f.skipSeqEvery), "--skip-seq-every", 1), count: 1 };
  }
  if (f.disconnectAfter !== undefined) {
    b.disconnectAfterMessages = int(String(f.disconnectAfter), "--disconnect-after", 1);
  }
  if (f.disconnectProbability !== undefined) {
    b.disconnectProbability = num(String(f.disconnectProbability), "--disconnect-probability", 0, 1);
  }
  if (f.sequenceResetJump !== undefined) {
    b.sendSequenceReset = { jump: int(String(f.sequenceResetJump), "--sequence-reset-jump", 1) };
  }
  if (f.goSilent) b.goSilent = true;
  if (f.slowReaderMs !== undefined) b.slowReaderMs = num(String(f.slowReaderMs), "--slow-reader-ms", 0);
  if (f.ackOnly) b.ackOnly = true;
  const window = f.behaviourFromMs !== undefined ? "--behaviour-from-ms" : "--behaviour-to-ms";
  if (Object.keys(b).length === 0) {
    if (f.behaviourFromMs !== undefined || f.behaviourToMs !== undefined) {
      throw new ConfigError(`${window}: needs a behaviour flag (e.g. --reject-fraction) to time`);
    }
    return undefined;
  }
  if (f.behaviourFromMs !== undefined) b.fromMs = num(String(f.behaviourFromMs), "--behaviour-from-ms", 0);
  if (f.behaviourToMs !== undefined) b.toMs = num(String(f.behaviourToMs), "--behaviour-to-ms", 0);
  if (b.fromMs !== undefined && b.toMs !== undefined && b.toMs <= b.fromMs) {
    throw new ConfigError(`--behaviour-to-ms: ${b.toMs} must be after --behaviour-from-ms ${b.fromMs}`);
  }
  return b;
}

/** BeginStrings the simulator serves. */
const SIM_BEGIN_STRINGS = ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1"];

/** The admin endpoint's config from the flags; a bad port or token is a ConfigError naming the flag. */
function adminConfigOf(f: { adminPort?: string; adminHost: string; adminToken?: string }) {
  int(f.adminPort!, "--admin-port", 0, 65535);
  try {
    return checkConfig(
      { admin: { port: f.adminPort, host: f.adminHost, ...(f.adminToken ? { token: f.adminToken } : {}) } },
      "(command line)",
    );
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // "(command line): admin.token: ..." -> "--admin-token: ..."
    throw new ConfigError(
      e.message.replace(/^\(command line\): admin\.(\w+)/, (_m, k: string) => `--admin-${k}`),
    );
  }
}

/** Registers `fixg simulate-lp`. */
export function registerSimulateLp(program: Command): void {
  program.command("simulate-lp")
    .description(
      "run a liquidity-provider simulator: orders acked/filled/rejected, market data, quotes, fault injection",
    )
    .option("--port <port>", "port to listen on (0 = any free port)", "9876")
    .option("--host <host>", "address to bind", "0.0.0.0")
    .option("--sender-comp-id <id>", "the simulator's CompID", "LP")
    .option("--target-comp-id <id>", "the client's CompID; '*' accepts any client", "CLIENT")
    .option(
      "--begin-string <v>",
      "FIX.4.0 to FIX.4.4, or FIXT.1.1 (FIX 5.0 SP2): answers in FIX 4.2's messages to 4.0-4.2, FIX 4.4's to the others",
      "FIX.4.4",
    )
    .option("--store <memory|DIR>", "message store: memory or a journal directory", "memory")
    .option("--config <file>", "lp.yaml: symbols, sessions, behaviours (docs/simulator.md)")
    .option("--seed <n>", "seed of every random choice")
    .option(
      "--heartbeat <sec>",
      "HeartBtInt (108) the simulator's sessions are configured with; as an acceptor each session uses the HeartBtInt of the client's Logon",
    )
    .option("--reject-fraction <f>", "reject this fraction (0..1) of new orders")
    .option("--reject-reason <text>", "Text (58) of those rejects")
    .option("--fill-latency-ms <n|min-max>", "delay between ack and fill")
    .option("--partial-fill-probability <p>", "probability an order fills only partly at first")
    .option("--drop-heartbeats", "send no heartbeats")
    .option("--skip-seq-every <n>", "skip an outbound sequence number every n application messages (gaps)")
    .option("--disconnect-after <n>", "disconnect after n inbound application messages")
    .option("--disconnect-probability <p>", "disconnect after an inbound message with probability p")
    .option("--sequence-reset-jump <n>", "send a SequenceReset-Reset jumping n numbers ahead after logon")
    .option("--go-silent", "send nothing at all")
    .option("--slow-reader-ms <ms>", "wait this long before each read from the client")
    .option(
      "--ack-only",
      "acknowledge new orders and leave them working, never matched or filled (a plain acknowledger, for engine comparisons)",
    )
    .option("--behaviour-from-ms <ms>", "the flag behaviours start this long after start")
    .option("--behaviour-to-ms <ms>", "... and stop this long after start")
    .option(
      "--read-spin-us <us>",
      "spin each read up to this many µs before sleeping (needs a CPU of its own; docs/tuning.md)",
    )
    .option(
      "--strict-symbols",
      "reject orders, market data and quote requests for symbols not in lp.yaml (default: make a market in any symbol)",
    )
    .option("--stats-interval <sec>", "print counters every N seconds (0 = only at exit)", "10")
    .option("--log-format <fmt>", "text | json", "text")
    .option("-v, --verbose", "log every message decoded")
    .option("--json", "print the final report as JSON on stdout")
    .option(
      "--admin-port <port>",
      "serve /metrics, /health, /ready and /sessions on this port (docs/operations.md)",
    )
    .option("--admin-host <host>", "address of the admin endpoint", "127.0.0.1")
    .addOption(
      // From the environment too: a token on the command line is visible to every local user (ps).
      new Option(
        "--admin-token <token>",
        "bearer token for operator actions (POST /sessions/..., kill switch); better from the environment",
      ).env("FIXG_ADMIN_TOKEN"),
    )
    .action(async (f) => {
      // Every flag is checked before anything starts: a bad one exits 2 naming it, before "listening".
      const port = int(f.port, "--port", 0, 65535);
      // A URL is not a directory: it would become one, a password in it written into the path.
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(f.store)) {
        throw new ConfigError(
          "--store takes memory or a journal directory (the simulator has no database store)",
        );
      }
      const intervalSec = num(f.statsInterval, "--stats-interval", 0, 2_147_483); // a timer holds 2^31 - 1 ms
      if (f.logFormat !== "text" && f.logFormat !== "json") {
        throw new ConfigError(`--log-format: "${f.logFormat}" must be text or json`);
      }
      if (!SIM_BEGIN_STRINGS.includes(f.beginString)) {
        throw new ConfigError(
          `--begin-string: "${f.beginString}" must be one of ${SIM_BEGIN_STRINGS.join(", ")}`,
        );
      }
      if (f.senderCompId === "" || f.targetCompId === "") {
        throw new ConfigError(
          `${f.senderCompId === "" ? "--sender-comp-id" : "--target-comp-id"}: must not be empty`,
        );
      }
      const seed = f.seed === undefined ? undefined : int(f.seed, "--seed", 0);
      const heartbeat = f.heartbeat === undefined ? undefined : int(f.heartbeat, "--heartbeat", 1, 3600);
      const readSpinUs = f.readSpinUs === undefined
        ? undefined
        : int(f.readSpinUs, "--read-spin-us", 0, 10_000_000);
      const adminConfig = f.adminPort === undefined ? undefined : adminConfigOf(f);
      const b = behaviourFromFlags(f);
      const logger = new Logger({ level: f.verbose ? "debug" : "info", format: f.logFormat });
      const config = f.config ? await loadLpConfig(f.config) : defaultLpConfig();
      if (seed !== undefined) config.seed = seed;
      if (f.strictSymbols) config.strictSymbols = true;
      if (b) config.behaviours.push(b);
      const sim = await startSimulator({
        port,
        host: f.host,
        senderCompId: f.senderCompId,
        targetCompId: f.targetCompId,
        beginString: f.beginString,
        store: f.store,
        config,
        logger,
        ...(heartbeat !== undefined ? { heartbeatIntervalSec: heartbeat } : {}),
        ...(readSpinUs !== undefined ? { readSpinUs } : {}),
      });
      const ops = adminConfig === undefined
        ? undefined
        : await Operations.start(sim.gateway, { config: adminConfig, logger });
      // A machine-readable ready line: tools that start the simulator wait for it.
      console.log(
        JSON.stringify({
          event: "listening",
          port: sim.port,
          pid: Deno.pid,
          symbols: sim.simulator.symbols(),
        }),
      );
      const timer = intervalSec > 0
        ? setInterval(
          () => logger.info("lp-stats", statsLine(sim.simulator.stats(Date.now()))),
          intervalSec * 1000,
        )
        : undefined;
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        if (timer !== undefined) clearInterval(timer);
        await ops?.stop();
        await sim.stop();
        const stats = sim.simulator.stats(Date.now());
        if (f.json) console.log(JSON.stringify({ event: "stopped", ...stats }));
        else logger.info("lp-stats", `final: ${statsLine(stats)}`);
        Deno.exit(0);
      };
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
      await new Promise<never>(() => {});
    });
}

function statsLine(s: ReturnType<LpSimulator["stats"]>): string {
  return `orders=${s.ordersReceived} acks=${s.acks} fills=${s.fills} rejects=${s.rejects} cancels=${s.cancels} replaces=${s.replaces} ` +
    `md=${s.mdSnapshots}+${s.mdUpdates} quotes=${s.quotes} in/s=${s.messagesPerSecondIn} out/s=${s.messagesPerSecondOut} open=${s.openOrders} sessions=${s.sessions}`;
}

/**
 * What a `fixg bench` run does: target, load shape, mix, sessions, tuning and outputs, checked once here from
 * the command-line flags and an optional bench.yaml (flags win). Every mistake is a ConfigError (exit 2) with
 * one line naming the flag or the file and key. docs/bench.md documents every option.
 */
import * as jsyaml from "js-yaml";
import { DEFAULT_LOAD_MIX, DEFAULT_LOAD_SYMBOLS, type LoadMix, type LoadSymbol } from "../app/load/mod.ts";
import { checkValue, numbersWithDefaults, type Schema } from "../config/schema.ts";
import { ConfigError } from "../errors.ts";
import { parseCpuList } from "../sys/affinity.ts";
import { readProcText } from "../sys/procfs.ts";

/** How requests are paced. */
export type LoadShape =
  /** One request in flight per session: the next leaves when the previous one is answered. */
  | { kind: "ping-pong" }
  /** Open loop: `ratePerSec` requests per second over all sessions, latency from the intended send time. */
  | { kind: "rate"; ratePerSec: number }
  /** Steps of fixed rate from `fromPerSec` to `toPerSec`; the highest step held within `p99BoundUs` wins. */
  | {
    kind: "ramp";
    fromPerSec: number;
    toPerSec: number;
    stepPerSec: number;
    stepSec: number;
    p99BoundUs: number;
  }
  /** `size` requests per session as fast as the socket takes them, `repeat` times, `pauseMs` apart. */
  | { kind: "burst"; size: number; repeat: number; pauseMs: number };

/** A checked bench run. */
export interface BenchOptions {
  /** The acceptor to load; undefined = start `fixg simulate-lp` as a child process. */
  target: { host: string; port: number } | undefined;
  senderCompId: string;
  targetCompId: string;
  beginString: string;
  shape: LoadShape;
  /** Measured seconds of rate and ping-pong runs. */
  durationSec: number;
  /** Seconds of warm-up before measuring (not reported). */
  warmupSec: number;
  sessions: number;
  mix: LoadMix;
  symbols: LoadSymbol[];
  /** A request unanswered this long after its intended send time is lost. */
  graceMs: number;
  /** Target is an echo acceptor (`fixg run --app echo`): the echoed NewOrderSingle is the acknowledgement. */
  echo: boolean;
  seed: number;
  heartbeatSec: number;
  /** Validate inbound messages against the FIX 4.4 dictionary (as a production session does). */
  validate: boolean;
  cpus: number[] | undefined;
  noDelay: boolean;
  rcvBufBytes: number | undefined;
  sndBufBytes: number | undefined;
  /** Spin each socket read up to this many µs before sleeping (0: off; src/engine/read_spin.ts). */
  readSpinUs: number;
  lockBuffers: boolean;
  /** Outputs. */
  jsonFile: string | undefined;
  htmlFile: string | undefined;
  histogramFile: string | undefined;
  /**
   * Measure the machine's floor in the same run: a raw TCP echo of the same size at the same pacing and
   * placement (rate and ping-pong runs against the simulator child; src/bench/floor.ts).
   */
  floor: boolean;
  /** Show the live progress line on stderr. */
  progress: boolean;
  /** Where the settings came from, for the report ("flags" or the bench.yaml path). */
  source: string;
}

/** The flags of `fixg bench` as commander hands them over (all strings or booleans). */
export interface BenchFlags {
  config?: string;
  target?: string;
  senderCompId?: string;
  targetCompId?: string;
  beginString?: string;
  pingPong?: boolean;
  rate?: string;
  ramp?: string;
  rampP99Us?: string;
  burst?: string;
  burstPauseMs?: string;
  duration?: string;
  warmup?: string;
  sessions?: string;
  mix?: string;
  symbols?: string;
  graceMs?: string;
  echo?: boolean;
  seed?: string;
  heartbeat?: string;
  validate?: boolean;
  cpu?: string;
  delay?: boolean;
  rcvbuf?: string;
  sndbuf?: string;
  readSpinUs?: string;
  lockBuffers?: boolean;
  json?: string;
  html?: string;
  histogram?: string;
  floor?: boolean;
  progress?: boolean;
}

/** Defaults of the README's one-command run: 1 s warm-up, then 5 s at 1000 requests/s, one session. */
export const BENCH_DEFAULTS = {
  senderCompId: "BENCH",
  targetCompId: "LP",
  beginString: "FIX.4.4",
  ratePerSec: 1000,
  durationSec: 5,
  warmupSec: 1,
  sessions: 1,
  graceMs: 5000,
  seed: 1,
  heartbeatSec: 30,
  rampP99Us: 1000,
  burstPauseMs: 200,
} as const;

/** Keys of bench.yaml (fixtures/bench/*.yaml); values are read as strings and converted like the flags. */
export const BENCH_FILE_SCHEMA: Schema = {
  type: "object",
  fields: {
    target: { type: "string" },
    senderCompId: { type: "string" },
    targetCompId: { type: "string" },
    beginString: { type: "string", enum: ["FIX.4.2", "FIX.4.4"] },
    pingPong: { type: "bool" },
    rate: { type: "string" },
    ramp: { type: "string" },
    rampP99Us: { type: "string" },
    burst: { type: "string" },
    burstPauseMs: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    sessions: { type: "string" },
    mix: {
      type: "object",
      fields: {
        new: { type: "number", min: 0 },
        cancel: { type: "number", min: 0 },
        replace: { type: "number", min: 0 },
        md: { type: "number", min: 0 },
      },
    },
    symbols: {
      type: "array",
      of: {
        type: "object",
        fields: {
          symbol: { type: "string" },
          price: { type: "number", min: 0 },
          tickSize: { type: "number", min: 0 },
          minQty: { type: "number", min: 0 },
          maxQty: { type: "number", min: 0 },
          lotSize: { type: "number", min: 0 },
        },
        required: ["symbol"],
      },
    },
    graceMs: { type: "string" },
    echo: { type: "bool" },
    seed: { type: "string" },
    heartbeat: { type: "string" },
    validate: { type: "bool" },
    cpu: { type: "string" },
    noDelay: { type: "bool" },
    rcvbuf: { type: "string" },
    sndbuf: { type: "string" },
    lockBuffers: { type: "bool" },
    floor: { type: "bool" },
  },
};

/** A number from a flag, within [min, max]; `integer` also requires a whole number. */
export function parseNumber(
  text: string,
  flag: string,
  rule: { min?: number; max?: number; integer?: boolean; above?: number } = {},
): number {
  const t = text.trim();
  const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
  const what = rule.integer === true ? "a whole number" : "a number";
  if (!Number.isFinite(n) || (rule.integer === true && !Number.isInteger(n))) {
    throw new ConfigError(`${flag}: "${text}" is not ${what}`);
  }
  if (rule.min !== undefined && n < rule.min) {
    throw new ConfigError(`${flag}: ${n} is below the minimum ${rule.min}`);
  }
  if (rule.above !== undefined && n <= rule.above) {
    throw new ConfigError(`${flag}: ${n} must be above ${rule.above}`);
  }
  if (rule.max !== undefined && n > rule.max) {
    throw new ConfigError(`${flag}: ${n} is above the maximum ${rule.max}`);
  }
  return n;
}

/** "HOST:PORT" (IPv6 as "[::1]:PORT"). */
export function parseTarget(text: string, flag = "--target"): { host: string; port: number } {
  const m = /^\[?([^\s\]]+?)\]?:(\d{1,5})$/.exec(text.trim());
  if (m === null) throw new ConfigError(`${flag}: "${text}" is not HOST:PORT`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new ConfigError(`${flag}: port ${port} is not 1..65535`);
  return { host: m[1]!, port };
}

/** "FROM:TO:STEP:SECONDS", e.g. 1000:20000:1000:2. */
export function parseRamp(text: string, p99BoundUs: number, flag = "--ramp"): LoadShape & { kind: "ramp" } {
  const parts = text.split(":");
  if (parts.length !== 4) {
    throw new ConfigError(`${flag}: "${text}" is not FROM:TO:STEP:SECONDS (e.g. 1000:20000:1000:2)`);
  }
  const fromPerSec = parseNumber(parts[0]!, `${flag} FROM`, { above: 0 });
  const toPerSec = parseNumber(parts[1]!, `${flag} TO`, { above: 0 });
  const stepPerSec = parseNumber(parts[2]!, `${flag} STEP`, { above: 0 });
  const stepSec = parseNumber(parts[3]!, `${flag} SECONDS`, { above: 0, max: 3600 });
  if (toPerSec < fromPerSec) throw new ConfigError(`${flag}: TO (${toPerSec}) is below FROM (${fromPerSec})`);
  return { kind: "ramp", fromPerSec, toPerSec, stepPerSec, stepSec, p99BoundUs };
}

/** "N" or "NxM": N requests per burst, M bursts. */
export function parseBurst(text: string, pauseMs: number, flag = "--burst"): LoadShape & { kind: "burst" } {
  const m = /^\s*(\d+)\s*(?:[xX]\s*(\d+))?\s*$/.exec(text);
  if (m === null) throw new ConfigError(`${flag}: "${text}" is not N or NxM (e.g. 10000x5)`);
  const size = Number(m[1]);
  const repeat = m[2] === undefined ? 1 : Number(m[2]);
  if (size < 1 || size > 10_000_000) throw new ConfigError(`${flag}: N must be 1..10000000, got ${size}`);
  if (repeat < 1 || repeat > 10_000) throw new ConfigError(`${flag}: M must be 1..10000, got ${repeat}`);
  return { kind: "burst", size, repeat, pauseMs };
}

const MIX_KEYS: Readonly<Record<string, keyof LoadMix>> = {
  new: "newOrder",
  cancel: "cancel",
  replace: "replace",
  md: "marketData",
};

/** "new=0.6,cancel=0.2,replace=0.15,md=0.05": kinds left out weigh 0; new orders must weigh more than 0. */
export function parseMix(text: string, flag = "--mix"): LoadMix {
  const mix: LoadMix = { newOrder: 0, cancel: 0, replace: 0, marketData: 0 };
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq).trim();
    const field = MIX_KEYS[key];
    if (field === undefined || eq < 0) {
      throw new ConfigError(
        `${flag}: "${part}" is not KIND=WEIGHT with KIND one of new, cancel, replace, md`,
      );
    }
    mix[field] = parseNumber(part.slice(eq + 1), `${flag} ${key}`, { min: 0 });
  }
  if (!(mix.newOrder > 0)) throw new ConfigError(`${flag}: new orders need a weight above 0 (e.g. new=1)`);
  return mix;
}

/** The mix as the flag spells it, for reports. */
export function formatMix(mix: LoadMix): string {
  return `new=${mix.newOrder},cancel=${mix.cancel},replace=${mix.replace},md=${mix.marketData}`;
}

/** "EUR/USD,AAPL": a subset of the built-in symbols (bench.yaml can define others). */
export function parseSymbols(text: string, flag = "--symbols"): LoadSymbol[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new ConfigError(`${flag}: give at least one symbol`);
  return names.map((name) => {
    const s = DEFAULT_LOAD_SYMBOLS.find((x) => x.symbol === name);
    if (s === undefined) {
      throw new ConfigError(
        `${flag}: unknown symbol "${name}" (built in: ${
          DEFAULT_LOAD_SYMBOLS.map((x) => x.symbol).join(", ")
        }; define others in bench.yaml)`,
      );
    }
    return { ...s };
  });
}

/** Symbols of bench.yaml: a built-in name fills in what is left out; others need price and tickSize. */
function fileSymbols(list: Record<string, unknown>[], file: string): LoadSymbol[] {
  return list.map((o, i) => {
    const name = String(o.symbol);
    const base = DEFAULT_LOAD_SYMBOLS.find((x) => x.symbol === name);
    const s: LoadSymbol = {
      symbol: name,
      ...numbersWithDefaults(o, base, {
        price: undefined,
        tickSize: undefined,
        minQty: 1,
        maxQty: 100,
        lotSize: 1,
      }, (k) => {
        throw new ConfigError(`${file}: symbols[${i}].${k}: required for "${name}" (not built in)`);
      }),
    };
    if (!(s.price > 0) || !(s.tickSize > 0) || !(s.lotSize > 0) || s.maxQty < s.minQty) {
      throw new ConfigError(
        `${file}: symbols[${i}]: price, tickSize and lotSize must be > 0 and maxQty >= minQty`,
      );
    }
    return s;
  });
}

/** Reads bench.yaml into flag-shaped values (flags given on the command line override them). */
export async function loadBenchFile(
  path: string,
): Promise<{ flags: BenchFlags; mix?: LoadMix; symbols?: LoadSymbol[] }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(`Cannot read bench config "${path}": ${e instanceof Error ? e.message : e}`);
  }
  let doc: unknown;
  try {
    doc = jsyaml.load(text, { schema: jsyaml.FAILSAFE_SCHEMA, filename: path });
  } catch (e) {
    throw new ConfigError(`${path}: not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
  }
  const o = (checkValue(BENCH_FILE_SCHEMA, doc ?? {}, "", path) ?? {}) as Record<string, unknown>;
  const flags: BenchFlags = {};
  const copy = [
    "target",
    "senderCompId",
    "targetCompId",
    "beginString",
    "rate",
    "ramp",
    "rampP99Us",
    "burst",
    "burstPauseMs",
    "duration",
    "warmup",
    "sessions",
    "graceMs",
    "seed",
    "heartbeat",
    "cpu",
    "rcvbuf",
    "sndbuf",
  ] as const;
  for (const k of copy) if (o[k] !== undefined) flags[k] = String(o[k]);
  if (o.pingPong !== undefined) flags.pingPong = o.pingPong as boolean;
  if (o.echo !== undefined) flags.echo = o.echo as boolean;
  if (o.validate !== undefined) flags.validate = o.validate as boolean;
  if (o.lockBuffers !== undefined) flags.lockBuffers = o.lockBuffers as boolean;
  if (o.floor !== undefined) flags.floor = o.floor as boolean;
  if (o.noDelay !== undefined) flags.delay = !(o.noDelay as boolean);
  const out: { flags: BenchFlags; mix?: LoadMix; symbols?: LoadSymbol[] } = { flags };
  if (o.mix !== undefined) {
    const m = o.mix as Record<string, number | undefined>;
    const mix: LoadMix = {
      newOrder: m.new ?? 0,
      cancel: m.cancel ?? 0,
      replace: m.replace ?? 0,
      marketData: m.md ?? 0,
    };
    if (!(mix.newOrder > 0)) throw new ConfigError(`${path}: mix.new: new orders need a weight above 0`);
    out.mix = mix;
  }
  if (o.symbols !== undefined) out.symbols = fileSymbols(o.symbols as Record<string, unknown>[], path);
  return out;
}

/**
 * The output flags: FILE, or `-` for stdout (one of them at most). A value starting with `--` is a flag the
 * option swallowed (`--json --no-progress`), never a file name.
 */
export function checkOutputFlags(
  f: Pick<BenchFlags, "json" | "html" | "histogram">,
): { json?: string; html?: string; histogram?: string } {
  const out: { json?: string; html?: string; histogram?: string } = {};
  const stdout: string[] = [];
  for (const k of ["json", "html", "histogram"] as const) {
    const v = f[k];
    if (v === undefined) continue;
    const flag = `--${k}`;
    if (v.startsWith("--")) {
      throw new ConfigError(
        `${flag}: "${v}" looks like a flag, not a file name (use ${flag} FILE, or ${flag} - for stdout)`,
      );
    }
    if (v === "") throw new ConfigError(`${flag}: give a file name (or - for stdout)`);
    if (v === "-") stdout.push(flag);
    out[k] = v;
  }
  if (stdout.length > 1) {
    throw new ConfigError(
      `only one of --json, --html, --histogram can be - (stdout); got ${stdout.join(", ")}`,
    );
  }
  return out;
}

/**
 * Checks that every output file can be written, before the load starts (a run is not thrown away for a typo
 * in a path): the path is not a directory and the file can be created (a file made by the check is removed).
 */
export async function checkOutputPaths(o: Pick<BenchOptions, "jsonFile" | "htmlFile" | "histogramFile">) {
  const files: Array<[string, string | undefined]> = [
    ["--json", o.jsonFile],
    ["--html", o.htmlFile],
    ["--histogram", o.histogramFile],
  ];
  for (const [flag, path] of files) {
    if (path === undefined || path === "-") continue;
    let existed = false;
    try {
      const st = await Deno.stat(path);
      if (st.isDirectory) throw new ConfigError(`${flag}: cannot write "${path}": it is a directory`);
      existed = true;
    } catch (e) {
      if (e instanceof ConfigError) throw e;
    }
    try {
      const f = await Deno.open(path, { write: true, create: true });
      f.close();
      if (!existed) await Deno.remove(path);
    } catch (e) {
      throw new ConfigError(`${flag}: cannot write "${path}": ${e instanceof Error ? e.message : e}`);
    }
  }
}

/** A CPU list flag; the parser's message gets the flag name in front. */
function cpuList(text: string): number[] {
  let cpus: number[];
  try {
    cpus = parseCpuList(text);
  } catch (e) {
    throw new ConfigError(`--cpu: ${e instanceof Error ? e.message : e}`);
  }
  // A CPU the machine does not have is a usage error, found before the simulator child is started.
  // Not Linux (or no FFI): pinning reports its own failure later.
  const online = readProcText("/sys/devices/system/cpu/online")?.trim();
  if (online !== undefined && online !== "") {
    const have = parseCpuList(online);
    const missing = cpus.find((c) => !have.includes(c));
    if (missing !== undefined) {
      throw new ConfigError(`--cpu: CPU ${missing} is not online (online: ${online})`);
    }
  }
  return cpus;
}

/** Checks flags (over bench.yaml when `--config` names one) into the options of a run. */
export async function resolveBenchOptions(cli: BenchFlags): Promise<BenchOptions> {
  const file = cli.config === undefined ? undefined : await loadBenchFile(cli.config);
  // Flags given on the command line win over the file; commander leaves absent flags undefined.
  const f: BenchFlags = { ...file?.flags };
  for (const [k, v] of Object.entries(cli)) if (v !== undefined) (f as Record<string, unknown>)[k] = v;
  const shapes = [f.pingPong === true, f.rate !== undefined, f.ramp !== undefined, f.burst !== undefined]
    .filter((x) => x).length;
  if (shapes > 1) throw new ConfigError("choose one load shape: --ping-pong, --rate, --ramp or --burst");
  const burstPauseMs = f.burstPauseMs === undefined
    ? BENCH_DEFAULTS.burstPauseMs
    : parseNumber(f.burstPauseMs, "--burst-pause-ms", { min: 0, max: 3_600_000 });
  const rampP99Us = f.rampP99Us === undefined
    ? BENCH_DEFAULTS.rampP99Us
    : parseNumber(f.rampP99Us, "--ramp-p99-us", { above: 0 });
  let shape: LoadShape;
  if (f.pingPong === true) shape = { kind: "ping-pong" };
  else if (f.ramp !== undefined) shape = parseRamp(f.ramp, rampP99Us);
  else if (f.burst !== undefined) shape = parseBurst(f.burst, burstPauseMs);
  else {
    shape = {
      kind: "rate",
      ratePerSec: f.rate === undefined
        ? BENCH_DEFAULTS.ratePerSec
        : parseNumber(f.rate, "--rate", { above: 0, max: 10_000_000 }),
    };
  }
  const echo = f.echo === true;
  if (echo && f.target === undefined) {
    throw new ConfigError(
      "--echo needs --target HOST:PORT of an echo acceptor (e.g. `fixg run --acceptor --app echo`): the simulator the bench starts without --target does not echo",
    );
  }
  const outputs = checkOutputFlags(f);
  let mix = f.mix === undefined ? (file?.mix ?? { ...DEFAULT_LOAD_MIX }) : parseMix(f.mix);
  if (echo) {
    // An echo acceptor answers nothing but the echoed order: only new orders make sense.
    if (mix.cancel + mix.replace + mix.marketData > 0 && (f.mix !== undefined || file?.mix !== undefined)) {
      throw new ConfigError(
        "--echo: an echo acceptor only echoes NewOrderSingles; use --mix new=1 (the default with --echo)",
      );
    }
    mix = { newOrder: 1, cancel: 0, replace: 0, marketData: 0 };
  }
  const symbols = f.symbols !== undefined
    ? parseSymbols(f.symbols)
    : (file?.symbols ?? DEFAULT_LOAD_SYMBOLS.map((s) => ({ ...s })));
  const target = f.target === undefined ? undefined : parseTarget(f.target);
  const senderCompId = f.senderCompId ?? BENCH_DEFAULTS.senderCompId;
  const targetCompId = f.targetCompId ?? BENCH_DEFAULTS.targetCompId;
  for (const [flag, v] of [["--sender-comp-id", senderCompId], ["--target-comp-id", targetCompId]] as const) {
    if (!/^[\x21-\x7e]+$/.test(v) || v.includes("=") || v === "*") {
      throw new ConfigError(`${flag}: "${v}" is not a CompID (printable characters, no '=', not '*')`);
    }
  }
  const bytes = (v: string | undefined, flag: string) =>
    v === undefined ? undefined : parseNumber(v, flag, { integer: true, min: 1024, max: 1 << 30 });
  return {
    target,
    senderCompId,
    targetCompId,
    beginString: f.beginString ?? BENCH_DEFAULTS.beginString,
    shape,
    durationSec: f.duration === undefined
      ? BENCH_DEFAULTS.durationSec
      : parseNumber(f.duration, "--duration", { above: 0, max: 86_400 }),
    warmupSec: f.warmup === undefined
      ? BENCH_DEFAULTS.warmupSec
      : parseNumber(f.warmup, "--warmup", { min: 0, max: 3600 }),
    sessions: f.sessions === undefined
      ? BENCH_DEFAULTS.sessions
      : parseNumber(f.sessions, "--sessions", { integer: true, min: 1, max: 1000 }),
    mix,
    symbols,
    graceMs: f.graceMs === undefined
      ? BENCH_DEFAULTS.graceMs
      : parseNumber(f.graceMs, "--grace-ms", { min: 1, max: 3_600_000 }),
    echo,
    seed: f.seed === undefined
      ? BENCH_DEFAULTS.seed
      : parseNumber(f.seed, "--seed", { integer: true, min: 0 }),
    heartbeatSec: f.heartbeat === undefined
      ? BENCH_DEFAULTS.heartbeatSec
      : parseNumber(f.heartbeat, "--heartbeat", { integer: true, min: 1, max: 3600 }),
    validate: f.validate !== false,
    cpus: f.cpu === undefined ? undefined : cpuList(f.cpu),
    noDelay: f.delay !== true,
    rcvBufBytes: bytes(f.rcvbuf, "--rcvbuf"),
    sndBufBytes: bytes(f.sndbuf, "--sndbuf"),
    readSpinUs: f.readSpinUs === undefined
      ? 0
      : parseNumber(f.readSpinUs, "--read-spin-us", { integer: true, min: 0, max: 10_000_000 }),
    lockBuffers: f.lockBuffers === true,
    jsonFile: outputs.json,
    htmlFile: outputs.html,
    histogramFile: outputs.histogram,
    floor: f.floor !== false,
    progress: f.progress !== false,
    source: cli.config ?? "flags",
  };
}

// Shared setup of fixg's jspurefix peers (acceptor.mjs, initiator.mjs), run under Node:
// argv parsing, the session description jspurefix reads, a quiet or console logger, the launcher.
import { fileURLToPath } from "node:url";
import path from "node:path";
import fs from "node:fs";
// reflect-metadata must be loaded before jspurefix (tsyringe needs it): entry scripts import
// jspurefix from here, never directly, so the order holds.
import "reflect-metadata";
import jspurefix from "jspurefix";

export { jspurefix };

const { SessionLauncher, EmptyLogFactory, JsFixWinstonLogFactory, WinstonLogger } = jspurefix;

/** The repository's FIX 4.4 QuickFIX-format dictionary: the same one fixg and the QuickFIX peers use. */
export const DEFAULT_DICTIONARY = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../fixtures/dictionaries/FIX44.xml",
);

/** Thrown for a bad command line: the caller prints it and the usage and exits 2. */
export class UsageError extends Error {}

/** A jspurefix ASCII session with the callbacks the peers do not use left empty. */
export class PeerSession extends jspurefix.AsciiSession {
  onStopped() {}
  onDecoded() {}
  onEncoded() {}
}

/**
 * Parses `--name value`, `--name=value` and `--flag` arguments.
 * @param {string[]} argv
 * @param {Record<string, "string" | "int" | "flag">} spec
 * @param {Record<string, string | number | boolean>} defaults
 * @returns {Record<string, string | number | boolean>}
 */
export function parseArgs(argv, spec, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument ${arg}`);
    let name = arg.slice(2);
    let value;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown option --${name}`);
    if (kind === "flag") {
      if (value !== undefined) throw new UsageError(`option --${name} takes no value`);
      out[name] = true;
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`option --${name} needs a value`);
      value = argv[++i] ?? "";
    }
    if (kind === "int") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) {
        throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
      }
      out[name] = n;
    } else {
      out[name] = value;
    }
  }
  return out;
}

/**
 * The arguments of a peer: `spec` and `defaults` as for parseArgs, plus `--port` (required, 1 to 65535),
 * `--sender-comp-id`, `--target-comp-id`, `--dict`, `--verbose` and `--help`. With --help it prints
 * `usage` and returns undefined (nothing to run).
 * @param {string[]} argv
 * @param {Record<string, "string" | "int" | "flag">} spec
 * @param {Record<string, string | number | boolean>} defaults
 * @param {string} usage
 * @returns {Record<string, string | number | boolean> | undefined}
 */
export function peerArgs(argv, spec, defaults, usage) {
  const args = parseArgs(
    argv,
    {
      ...spec,
      port: "int",
      "sender-comp-id": "string",
      "target-comp-id": "string",
      dict: "string",
      verbose: "flag",
      help: "flag",
    },
    { dict: DEFAULT_DICTIONARY, ...defaults, verbose: false, help: false },
  );
  if (args.help) {
    process.stdout.write(usage);
    return undefined;
  }
  if (typeof args.port !== "number" || args.port < 1 || args.port > 65535) {
    throw new UsageError("--port must be from 1 to 65535");
  }
  return args;
}

/**
 * The session description of a peer from its arguments (peerArgs): its CompIDs, port and dictionary.
 * @param {"acceptor" | "initiator"} type
 * @param {string} host
 * @param {Record<string, string | number | boolean>} args
 */
export function sessionFromArgs(type, host, args) {
  return sessionDescription({
    type,
    host,
    port: Number(args.port),
    sender: String(args["sender-comp-id"]),
    target: String(args["target-comp-id"]),
    dict: String(args.dict),
  });
}

/**
 * Runs `main`, mapping a UsageError to exit 2 with the usage text and anything else to exit 1.
 * @param {string} usage
 * @param {() => Promise<void>} main
 */
export function runMain(usage, main) {
  main().catch((e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n${usage}`);
      process.exit(2);
    }
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
  });
}

/**
 * A jspurefix session description (its JSON session file, built in code).
 * @param {{type: "acceptor" | "initiator", host: string, port: number, sender: string, target: string, dict: string}} o
 */
export function sessionDescription(o) {
  if (!fs.existsSync(o.dict)) {
    throw new UsageError(`cannot read data dictionary "${o.dict}" (use --dict PATH)`);
  }
  return {
    application: {
      type: o.type,
      name: `fixg-peer-${o.type}`,
      reconnectSeconds: 1,
      tcp: { host: o.host, port: o.port },
      protocol: "ascii",
      dictionary: o.dict,
    },
    EncryptMethod: 0,
    ResetSeqNumFlag: true,
    HeartBtInt: 30,
    SenderCompId: o.sender,
    TargetCompID: o.target,
    BeginString: "FIX.4.4",
  };
}

/**
 * jspurefix logs every session event at info level by default; the benchmark keeps it quiet.
 * @param {boolean} verbose
 */
export function logFactory(verbose) {
  return verbose ? new JsFixWinstonLogFactory(WinstonLogger.consoleOptions("info")) : new EmptyLogFactory();
}

/** A SessionLauncher whose sessions come from `makeSession(config)`. */
export class PeerLauncher extends SessionLauncher {
  /**
   * @param {object | null} initiator session description or null
   * @param {object | null} acceptor session description or null
   * @param {(config: object) => object} makeSession
   * @param {object} loggers a jspurefix JsFixLoggerFactory
   */
  constructor(initiator, acceptor, makeSession, loggers) {
    super(initiator, acceptor, loggers);
    this.makeSession = makeSession;
    /** @type {any} */
    this.entity = null;
  }

  makeFactory() {
    return { makeSession: this.makeSession };
  }

  async getAcceptor(container) {
    // The base class resolves its own (transient) entity; resolve it once here instead so the
    // acceptor script can see when the listener is bound. acceptorEntity is what stop() closes.
    const entity = container.resolve(jspurefix.DITokens.FixEntity);
    this.entity = entity;
    this.acceptorEntity = entity;
    return await entity.start();
  }
}

/** "node v20.20.2" or "deno 2.9.6": where the peer ran, for the result line. */
export function runtimeName() {
  const deno = /** @type {any} */ (globalThis).Deno;
  return deno ? `deno ${deno.version.deno}` : `node ${process.version}`;
}

/**
 * One JSON line on stdout.
 * @param {unknown} value
 */
export function emit(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

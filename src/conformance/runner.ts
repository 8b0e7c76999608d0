/**
 * Runs a scenario against the engine under test: an acceptor we connect to (over TCP, or in-process
 * over an in-memory connection with a manual clock: a `ScenarioTarget`), or an initiator that connects
 * to us over TCP. Sends I lines, checks E lines against the next frame on their connection, waits for
 * the peer to close on eDISCONNECT, and stops at the first difference.
 *
 * Over TCP the runner talks to Deno's TCP API directly (not src/transport): the tester should share no
 * code path with the engine it tests beyond the codec's framer.
 */
import { Framer } from "../codec/framer.ts";
import { compareFields, strictExpectedFields } from "./matcher.ts";
import {
  bytesText,
  completeMessage,
  completeMessageAsWritten,
  readable,
  splitFields,
  substituteTimes,
  textBytes,
} from "./message.ts";
import type { Scenario, ScenarioMode, Step } from "./scenario.ts";
import {
  manualWaits,
  realWaits,
  type ScenarioConn,
  type ScenarioTarget,
  tcpScenarioConn,
  tcpTarget,
  type Waits,
} from "./target.ts";

/** How long E and eDISCONNECT wait when neither the scenario nor the caller says: 5 s. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** How long the runner listens for unexpected extra messages after the last step: 200 ms. */
export const DEFAULT_QUIET_MS = 200;
/** How long iCONNECT waits for an initiator to connect, at least: 30 s (initiators back off between attempts). */
export const DEFAULT_ACCEPT_TIMEOUT_MS = 30_000;

/** Options of `runScenario`. */
export interface RunOptions {
  /** Which side is under test: we connect to an acceptor, or an initiator connects to us. */
  mode: ScenarioMode;
  /**
   * Acceptor-under-test: what iCONNECT connects to, and the time the scenario runs in (an in-process
   * engine over in-memory connections with a manual clock). Default: TCP to `host`:`port`, real time.
   */
  target?: ScenarioTarget;
  /** Acceptor-under-test: the host to connect to (default 127.0.0.1). */
  host?: string;
  /** Acceptor-under-test: the acceptor's port. Initiator-under-test: the port to listen on when no `listener` is given. */
  port?: number;
  /** Default wait of E and eDISCONNECT lines, ms (a scenario's `#!timeout` wins). Default 5000. */
  timeoutMs?: number;
  /** Quiet period after the last step in which extra messages are collected, ms (`#!quiet` wins). Default 200. */
  quietMs?: number;
  /** How long iCONNECT may take, ms. Default: timeoutMs for an acceptor, at least 30 s for an initiator. */
  connectTimeoutMs?: number;
  /** Initiator-under-test: a listener shared by several scenarios (an initiator reconnects to the same port). */
  listener?: ScenarioListener;
  /** The clock of `<TIME>` placeholders (epoch ms). Default the target's manual clock, else Date.now. */
  nowMs?: () => number;
  /**
   * Strict mode, the rules of the reference's own definitions: E lines are compared field by field,
   * 9 and 10 included (by pattern), time values by pattern and all else exactly
   * (`strictExpectedFields`); I lines get 9 and 10 only when they have none (`completeMessageAsWritten`).
   */
  strict?: boolean;
  /** Called for every transcript entry as it happens (live verbose output). */
  onTranscript?: (entry: TranscriptEntry) => void;
}

/** One thing that happened during a run, for verbose output. */
export interface TranscriptEntry {
  /** Milliseconds since the scenario started. */
  atMs: number;
  conn: number;
  /** Scenario line (0 for the end-of-scenario quiet period). */
  line: number;
  kind: "connect" | "disconnect" | "sent" | "received" | "closed" | "garbled" | "extra";
  /** The message with `|` for SOH, or a description. */
  text: string;
}

/** Why a scenario failed: the first difference. */
export interface ScenarioFailure {
  /** Scenario line of the failing step. */
  line: number;
  /** The line as written. */
  source: string;
  /** One line saying what differed. */
  message: string;
  /** The expected message with `|` delimiters (E lines). */
  expected?: string;
  /** What was received instead, with `|` delimiters. */
  received?: string;
  /** The tag that differed. */
  tag?: number;
}

/** A message that arrived after everything expected (reported, not a failure: QuickFIX semantics). */
export interface ExtraMessage {
  conn: number;
  text: string;
}

/** Outcome of one scenario. */
export interface ScenarioResult {
  file: string;
  name: string;
  passed: boolean;
  durationMs: number;
  failure?: ScenarioFailure;
  extraMessages: ExtraMessage[];
  transcript: TranscriptEntry[];
}

type Inbound =
  | { kind: "frame"; text: string }
  | { kind: "garbled"; reason: string }
  | { kind: "closed"; reason: string };

/** One connection of a scenario: frames queue up as they arrive until a step takes them. */
class Peer {
  readonly conn: ScenarioConn;
  readonly done: Promise<void>;
  readonly #waits: Waits;
  #items: Inbound[] = [];
  #closed: Inbound | undefined;
  #closedByUs = false;
  #wake: (() => void) | undefined;

  constructor(conn: ScenarioConn, waits: Waits) {
    this.conn = conn;
    this.#waits = waits;
    this.done = this.#readLoop();
  }

  get isClosed(): boolean {
    return this.#closed !== undefined;
  }

  async #readLoop(): Promise<void> {
    const framer = new Framer({
      onFrame: (b, s, e) => this.#push({ kind: "frame", text: bytesText(b, s, e) }),
      onGarbled: (g) => this.#push({ kind: "garbled", reason: g.reason }),
    });
    const buf = new Uint8Array(64 * 1024);
    let reason = "closed by the peer";
    try {
      for (;;) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        framer.push(buf.subarray(0, n));
      }
    } catch (e) {
      reason = `connection error: ${e instanceof Error ? e.message : e}`;
    }
    if (this.#closedByUs) reason = "closed by us";
    this.#closed = { kind: "closed", reason };
    this.#wake?.();
  }

  #push(item: Inbound): void {
    this.#items.push(item);
    this.#wake?.();
  }

  /** The next frame, garbled stretch or the close; undefined when nothing came within `timeoutMs`. */
  async next(timeoutMs: number): Promise<Inbound | undefined> {
    await this.#waits.until(() => this.#items.length > 0 || this.#closed !== undefined, timeoutMs, (w) => {
      this.#wake = w;
      return () => {
        if (this.#wake === w) this.#wake = undefined;
      };
    });
    return this.#items.shift() ?? this.#closed;
  }

  /** Frames received and not taken by any step. */
  drainFrames(): string[] {
    return this.#items.splice(0).flatMap((i) => (i.kind === "frame" ? [i.text] : []));
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.conn.write(bytes);
  }

  /** Closes the connection (idempotent) and waits for the read loop to end. */
  async close(): Promise<void> {
    if (!this.#closedByUs) {
      this.#closedByUs = true;
      try {
        this.conn.close();
      } catch {
        // Already closed.
      }
    }
    await this.done;
  }
}

/** A listening socket for initiator-under-test runs; one accept is outstanding at a time, so no connection is lost between scenarios. */
export class ScenarioListener {
  readonly #listener: Deno.TcpListener;
  #pending: Promise<Deno.TcpConn | undefined> | undefined;

  private constructor(listener: Deno.TcpListener) {
    this.#listener = listener;
  }

  /** Listens on `port` (0 = any free port) at `hostname` (default all interfaces). */
  static listen(port: number, hostname = "0.0.0.0"): ScenarioListener {
    return new ScenarioListener(Deno.listen({ port, hostname, transport: "tcp" }));
  }

  /** The port listened on. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** The next connection, or undefined when none arrives within `timeoutMs`. */
  async accept(timeoutMs: number): Promise<Deno.TcpConn | undefined> {
    this.#pending ??= this.#listener.accept().then((c) => c, () => undefined);
    const r = await withTimeout(this.#pending, timeoutMs);
    if (r === TIMEOUT) return undefined;
    this.#pending = undefined;
    return r;
  }

  /** Stops listening; a connection accepted but not handed out is closed. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    const c = await this.#pending;
    this.#pending = undefined;
    try {
      c?.close();
    } catch {
      // Already closed.
    }
  }
}

const TIMEOUT = Symbol("timeout");

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<typeof TIMEOUT>((resolve) => (timer = setTimeout(() => resolve(TIMEOUT), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Builds the bytes an I line sends at `nowMs`: placeholders replaced, 9 and 10 filled in unless
 * verbatim (strict: times in whole seconds as the reference runner writes them, and 9 and 10 only
 * when the line has none, `completeMessageAsWritten`).
 */
export function renderSend(step: Extract<Step, { kind: "send" }>, nowMs: number, strict = false): Uint8Array {
  const text = substituteTimes(step.text, nowMs, strict ? "s" : "ms");
  if (step.verbatim) return textBytes(text);
  const split = splitFields(text).fields;
  const fields = strict ? completeMessageAsWritten(split) : completeMessage(split);
  let out = "";
  for (const f of fields) out += `${f.tag}=${f.value}\x01`;
  return textBytes(out);
}

/** Runs one scenario; never throws for what the peer does (that is a failed result). */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const initiatorMode = options.mode === "initiator-under-test";
  const host = options.host ?? "127.0.0.1";
  const target = options.target ?? (initiatorMode ? undefined : tcpTarget(host, options.port ?? 0));
  const incoming = initiatorMode ? target?.incoming : undefined;
  const time = target?.time;
  const waits = time ? manualWaits(time) : realWaits;
  const t0 = waits.now();
  const timeoutMs = scenario.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const quietMs = scenario.quietMs ?? options.quietMs ?? DEFAULT_QUIET_MS;
  const connectTimeoutMs = options.connectTimeoutMs ??
    (initiatorMode ? Math.max(timeoutMs, DEFAULT_ACCEPT_TIMEOUT_MS) : timeoutMs);
  const nowMs = options.nowMs ?? (time ? () => time.nowMs() : Date.now);
  const strict = options.strict === true;
  const peers = new Map<number, Peer>();
  const transcript: TranscriptEntry[] = [];
  const extraMessages: ExtraMessage[] = [];
  const note = (conn: number, line: number, kind: TranscriptEntry["kind"], text: string): void => {
    const entry = { atMs: Math.round(waits.now() - t0), conn, line, kind, text };
    transcript.push(entry);
    options.onTranscript?.(entry);
  };

  let ownListener: ScenarioListener | undefined;
  let failure: ScenarioFailure | undefined;
  try {
    if (initiatorMode && !options.listener && !incoming) {
      if (options.port === undefined) {
        throw new Error("runScenario: initiator-under-test needs a port or a listener");
      }
      ownListener = ScenarioListener.listen(options.port);
    }
    const listener = options.listener ?? ownListener;

    const connect = async (step: Step): Promise<ScenarioFailure | undefined> => {
      const old = peers.get(step.conn);
      if (old) await old.close();
      peers.delete(step.conn);
      let conn: ScenarioConn;
      if (incoming) {
        // In-process: the initiator's next connection; waiting moves the manual clock (its backoff).
        let got: ScenarioConn | undefined;
        await waits.until(
          () => (got ??= incoming.take()) !== undefined,
          connectTimeoutMs,
          incoming.subscribe,
        );
        if (got === undefined) {
          return failAt(step, `no initiator connected within ${connectTimeoutMs} ms`);
        }
        conn = got;
      } else if (listener) {
        const tcp = await listener.accept(connectTimeoutMs);
        if (!tcp) {
          return failAt(
            step,
            `no initiator connected to port ${listener.port} within ${connectTimeoutMs} ms`,
          );
        }
        conn = tcpScenarioConn(tcp);
      } else {
        try {
          conn = await target!.connect(connectTimeoutMs);
        } catch (e) {
          return failAt(step, e instanceof Error ? e.message : String(e));
        }
      }
      peers.set(step.conn, new Peer(conn, waits));
      note(step.conn, step.line, "connect", `connected ${conn.label}`);
      return undefined;
    };

    const runStep = async (step: Step): Promise<ScenarioFailure | undefined> => {
      if (step.kind === "connect") return await connect(step);
      const peer = peers.get(step.conn);
      if (!peer) return failAt(step, `connection ${step.conn} is not open`);
      switch (step.kind) {
        case "disconnect":
          await peer.close();
          peers.delete(step.conn);
          note(step.conn, step.line, "disconnect", "closed by us");
          return undefined;
        case "send": {
          const bytes = renderSend(step, nowMs(), strict);
          const text = readable(bytesText(bytes));
          try {
            await peer.write(bytes);
          } catch (e) {
            return failAt(
              step,
              `cannot send on connection ${step.conn}: ${e instanceof Error ? e.message : e}`,
            );
          }
          note(step.conn, step.line, "sent", text);
          return undefined;
        }
        case "expect": {
          const expected = readable(step.text);
          const got = await peer.next(timeoutMs);
          if (got === undefined) {
            return failAt(step, `no message on connection ${step.conn} within ${timeoutMs} ms`, { expected });
          }
          if (got.kind === "closed") {
            note(step.conn, step.line, "closed", got.reason);
            return failAt(step, `connection ${step.conn} ${got.reason} while a message was expected`, {
              expected,
            });
          }
          if (got.kind === "garbled") {
            note(step.conn, step.line, "garbled", got.reason);
            return failAt(step, `received bytes that are not a valid FIX frame (${got.reason})`, {
              expected,
            });
          }
          const received = readable(got.text);
          note(step.conn, step.line, "received", received);
          const mismatch = strict
            ? compareFields(
              strictExpectedFields(splitFields(step.text).fields),
              splitFields(got.text).fields,
              {
                strict: true,
              },
            )
            : compareFields(step.fields, splitFields(got.text).fields);
          if (!mismatch) return undefined;
          return failAt(step, mismatch.reason, { expected, received, tag: mismatch.tag });
        }
        case "expect-disconnect": {
          const got = await peer.next(timeoutMs);
          if (got === undefined) {
            return failAt(
              step,
              `connection ${step.conn} still open after ${timeoutMs} ms (expected the peer to disconnect)`,
            );
          }
          if (got.kind === "closed") {
            note(step.conn, step.line, "closed", got.reason);
            await peer.close();
            peers.delete(step.conn);
            return undefined;
          }
          if (got.kind === "garbled") {
            note(step.conn, step.line, "garbled", got.reason);
            return failAt(
              step,
              `expected a disconnect, received bytes that are not a FIX frame (${got.reason})`,
            );
          }
          const received = readable(got.text);
          note(step.conn, step.line, "received", received);
          return failAt(step, "expected a disconnect, received a message", { received });
        }
      }
    };

    for (const step of scenario.steps) {
      failure = await runStep(step);
      if (failure) break;
    }
    if (!failure && peers.size > 0) {
      // QuickFIX semantics: only what is expected is checked; anything more is reported, not failed.
      await waits.sleep(quietMs);
      for (const [conn, peer] of peers) {
        for (const text of peer.drainFrames()) {
          extraMessages.push({ conn, text: readable(text) });
          note(conn, 0, "extra", readable(text));
        }
      }
    }
  } catch (e) {
    failure = {
      line: 0,
      source: "",
      message: `runner error: ${e instanceof Error ? e.message : e}`,
    };
  } finally {
    await Promise.all([...peers.values()].map((p) => p.close()));
    await ownListener?.close();
  }
  const result: ScenarioResult = {
    file: scenario.file,
    name: scenario.name,
    passed: failure === undefined,
    durationMs: Math.round(waits.now() - t0),
    extraMessages,
    transcript,
  };
  if (failure) result.failure = failure;
  return result;
}

function failAt(
  step: Step,
  message: string,
  more: { expected?: string; received?: string; tag?: number } = {},
): ScenarioFailure {
  return { line: step.line, source: step.source, message, ...more };
}

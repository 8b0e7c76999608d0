/**
 * `fixg bench codec`: fixg's codec throughput on real messages, per message and operation.
 *
 * - parse: the Framer finds the frame (BodyLength, CheckSum) and the MessageView indexes its fields.
 * - parse+validate: the same plus validation against the message's dictionary with every check on,
 *   through a `Validator` as a session holds one.
 * - encode: what the engine does to send the message: the session's `encodeApp` (session/messages.ts)
 *   writes the header the session owns (35, 34, 49, 52, 56 from encoded parts, SendingTime from the
 *   clock read per message) and the body fields (the message's others, as strings, given as a
 *   `[tag, value]` list) into the session's encoder, and hands out the frame as an owned slice
 *   (`finishOwned`), BodyLength and CheckSum computed. The `encodeMessage` of a whole field list is
 *   not on the engine's path and is not measured here.
 *
 * Each cell is calibrated to about `roundMs` per timed round (or `iterations` messages per round) and the
 * median of `rounds` rounds is reported. bench/codec_peers.ts measures fixg with the same functions.
 */
import { type Field, type FixMessage, Framer, MessageView } from "../codec/mod.ts";
import { completeLengths, hasLengthFields, scanFixInput } from "../dictionary/fix_text.ts";
import { BUILTIN_DICTIONARY_FILES, builtinDictionary } from "../dictionary/loader.ts";
import type { Dictionary } from "../dictionary/model.ts";
import { validate, Validator } from "../dictionary/validate.ts";
import { ConfigError } from "../errors.ts";
import { createSession } from "../session/machine.ts";
import { encodeApp } from "../session/messages.ts";
import type { SessionState } from "../session/state.ts";
import { DEFAULT_SESSION_SETTINGS } from "../session/types.ts";

/** The operations measured. */
export type CodecOp = "parse" | "parse+validate" | "encode";

/** Every operation, in table order. */
export const CODEC_OPS: readonly CodecOp[] = ["parse", "parse+validate", "encode"];

/** One measured cell (`--json` prints an array of these). */
export interface CodecMeasurement {
  message: string;
  op: CodecOp;
  msgsPerSec: number;
  nsPerMsg: number;
}

/** How long to measure each cell. */
export interface MeasureOptions {
  /** Target duration of one timed round, ms (ignored when `iterations` is set). */
  roundMs: number;
  /** Timed rounds per cell; the median is reported. */
  rounds: number;
  /** Fixed operations per round instead of calibrating. */
  iterations?: number;
}

/** Defaults of `fixg bench codec`: 3 rounds of about 80 ms per cell. */
export const DEFAULT_MEASURE: MeasureOptions = { roundMs: 80, rounds: 3 };

/** The fixture file `fixg bench codec` reads when no `--message` is given. */
export const DEFAULT_CODEC_FIXTURE: string =
  new URL("../../fixtures/messages/fix44_samples.txt", import.meta.url).pathname;

/** Times `run(n)` and returns the median nanoseconds per operation over the rounds. */
export function measureNsPerOp(run: (n: number) => void, options: MeasureOptions): number {
  let n = options.iterations ?? 64;
  if (options.iterations === undefined) {
    // Calibrate: double until one call takes 30 ms, then size a round to roundMs.
    for (;;) {
      const t0 = performance.now();
      run(n);
      const ms = performance.now() - t0;
      if (ms >= 30) {
        n = Math.max(1, Math.round((n * options.roundMs) / ms));
        break;
      }
      n *= 2;
    }
  } else {
    run(Math.min(n, 10_000)); // warm the code paths before timing
  }
  const perOp: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const t0 = performance.now();
    run(n);
    perOp.push(((performance.now() - t0) * 1e6) / n);
  }
  perOp.sort((a, b) => a - b);
  return perOp[Math.floor(perOp.length / 2)] ?? 0;
}

/** A framer + view (+ validation when `dict` is given) that fails loudly on anything but valid frames. */
export function fixgParser(
  dict: Dictionary | null,
): { push: (bytes: Uint8Array) => void; fields: () => number } {
  const view = new MessageView();
  const validator = dict === null ? null : new Validator({ dictionary: dict });
  let fields = 0;
  const framer = new Framer({
    onFrame(buf, start, end) {
      view.parseInto(buf, start, end);
      if (validator !== null) {
        const problem = validator.validate(view);
        if (problem !== undefined) {
          throw new Error(`fixg rejected ${view.msgType}: ${JSON.stringify(problem)}`);
        }
      }
      fields += view.count;
    },
    onGarbled(g) {
      throw new Error(`fixg framer: garbled input (${g.reason})`);
    },
  });
  return { push: (bytes) => framer.push(bytes), fields: () => fields };
}

/** A message to measure: its bytes, its fields for encoding, and the dictionary it validates against. */
export interface CodecCase {
  /** Display name: the dictionary's message name, with the entry count of a market data snapshot. */
  name: string;
  msgType: string;
  beginString: string;
  bytes: Uint8Array;
  /** Fields after 35 and before 10 (header included), values as in the message. */
  message: FixMessage;
  dict: Dictionary | undefined;
  /** Why validation fails, when it does (the case then has no parse+validate figure). */
  invalid: string | undefined;
}

const NOT_REENCODED = new Set([8, 9, 35, 10]);

/** Reads the messages of a file (one per line, `|`, `^A` or SOH delimited; log prefixes allowed). */
export function codecCasesFromText(input: Uint8Array, source: string): CodecCase[] {
  const cases: CodecCase[] = [];
  const names = new Map<string, number>();
  const view = new MessageView();
  let garbled = 0;
  scanFixInput(input, {
    frame(buf, start, end) {
      const bytes = buf.slice(start, end);
      view.parseInto(bytes, 0, bytes.length);
      const beginString = view.getString(8) ?? "";
      const msgType = view.msgType;
      const dict = BUILTIN_DICTIONARY_FILES[beginString] === undefined
        ? undefined
        : builtinDictionary(beginString);
      const fields: Field[] = [];
      for (let i = 0; i < view.count; i++) {
        const tag = view.tagAt(i);
        if (NOT_REENCODED.has(tag)) continue;
        fields.push([tag, view.stringAt(i)]);
      }
      let name = dict?.messagesByType.get(msgType)?.name ?? `MsgType ${msgType}`;
      const entries = view.getString(268);
      if (msgType === "W" && entries !== undefined) name += ` (${entries} entries)`;
      const seen = names.get(name) ?? 0;
      names.set(name, seen + 1);
      if (seen > 0) name += ` #${seen + 1}`;
      const problem = dict === undefined ? undefined : validate(view, dict);
      cases.push({
        name,
        msgType,
        beginString,
        bytes,
        message: { msgType, fields },
        dict,
        invalid: dict === undefined
          ? `no built-in dictionary for ${beginString}`
          : problem === undefined
          ? undefined
          : `${problem.text}${problem.refTagId === undefined ? "" : ` (tag ${problem.refTagId})`}`,
      });
    },
    garbled() {
      garbled++;
    },
  });
  if (cases.length === 0) {
    throw new ConfigError(`${source}: no FIX message found${garbled > 0 ? ` (${garbled} garbled)` : ""}`);
  }
  return cases;
}

/** Reads a message file; unreadable or empty files are usage errors (exit 2). */
export async function loadCodecCases(path: string): Promise<CodecCase[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new ConfigError(`Cannot read message file "${path}": ${e instanceof Error ? e.message : e}`);
  }
  // Hand-typed messages without BodyLength and CheckSum get them, as fixg decode does (the input has neither).
  if (!hasLengthFields(bytes)) bytes = completeLengths(bytes).input;
  return codecCasesFromText(bytes, path);
}

/**
 * The default set: every message of the fixture file that validates, one per message name (duplicates and
 * deliberately invalid samples are left out).
 */
export async function defaultCodecCases(): Promise<CodecCase[]> {
  const all = await loadCodecCases(DEFAULT_CODEC_FIXTURE);
  return all.filter((c) => c.invalid === undefined && !/ #\d+$/.test(c.name));
}

/**
 * A logged-on-like session of the case's BeginString and CompIDs (49/56 of the message), for the
 * engine's encoding path, and the case's fields without those the session writes itself.
 */
export function engineEncoding(c: CodecCase, nowMs: number): { session: SessionState; body: FixMessage } {
  const fields = c.message.fields;
  const text = (tag: number, dflt: string) => {
    const f = fields.find(([t]) => t === tag);
    return f === undefined ? dflt : String(f[1]);
  };
  const session = createSession(
    {
      ...DEFAULT_SESSION_SETTINGS,
      id: { beginString: c.beginString, senderCompId: text(49, "SENDER"), targetCompId: text(56, "TARGET") },
      role: "initiator",
    },
    { nextSenderSeq: 1, nextTargetSeq: 1 },
    nowMs,
  );
  const own = session.ownHeaderTags;
  return { session, body: { msgType: c.msgType, fields: fields.filter(([t]) => !own.has(t)) } };
}

/** Measures every case and operation (parse+validate only for messages that validate). */
export function runCodecBench(
  cases: readonly CodecCase[],
  options: MeasureOptions = DEFAULT_MEASURE,
  onProgress?: (label: string) => void,
): CodecMeasurement[] {
  const out: CodecMeasurement[] = [];
  const cell = (message: string, op: CodecOp, run: (n: number) => void) => {
    onProgress?.(`${message} ${op}`);
    const nsPerMsg = measureNsPerOp(run, options);
    out.push({
      message,
      op,
      msgsPerSec: Math.round(1e9 / nsPerMsg),
      nsPerMsg: Math.round(nsPerMsg * 10) / 10,
    });
  };
  for (const c of cases) {
    const parser = fixgParser(null);
    cell(c.name, "parse", (n) => {
      for (let i = 0; i < n; i++) parser.push(c.bytes);
    });
    if (c.invalid === undefined && c.dict !== undefined) {
      const validating = fixgParser(c.dict);
      cell(c.name, "parse+validate", (n) => {
        for (let i = 0; i < n; i++) validating.push(c.bytes);
      });
    }
    let written = 0;
    const { session, body } = engineEncoding(c, Date.now());
    let seq = 1;
    cell(c.name, "encode", (n) => {
      for (let i = 0; i < n; i++) written += encodeApp(session, body, seq++, Date.now()).length;
    });
    if (written === 0) throw new Error("nothing encoded");
  }
  return out;
}

/** The measurements as an aligned table: message, then msgs/s and ns/msg per operation. */
export function formatCodecMeasurements(
  results: readonly CodecMeasurement[],
  cases: readonly CodecCase[],
): string {
  const header = ["message", "bytes", ...CODEC_OPS.flatMap((op) => [`${op} msg/s`, "ns"])];
  const rows: string[][] = [header];
  const fmt = (n: number) => n.toLocaleString("en-US");
  for (const c of cases) {
    const row = [c.name, String(c.bytes.length)];
    for (const op of CODEC_OPS) {
      const r = results.find((x) => x.message === c.name && x.op === op);
      row.push(r === undefined ? "-" : fmt(r.msgsPerSec), r === undefined ? "-" : r.nsPerMsg.toFixed(0));
    }
    rows.push(row);
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const lines = rows.map((r) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd()
  );
  const invalid = cases.filter((c) => c.invalid !== undefined).map((c) =>
    `${c.name}: not validated (${c.invalid})`
  );
  return [...lines, ...invalid].join("\n");
}

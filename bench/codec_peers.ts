/**
 * Codec throughput of fixg against the TypeScript peers jspurefix 5.11.4 and fixparser 5.7.7, in one
 * Deno process on the same message bytes: parse, parse+validate and encode of a typical
 * NewOrderSingle, a partial-fill ExecutionReport and a 20-entry MarketDataSnapshotFullRefresh.
 *
 * What each operation covers, per peer (each as its own session does it):
 * - parse: fixg frames the bytes (BodyLength, CheckSum) and indexes the fields into a reused
 *   MessageView; jspurefix's AsciiParser tokenises and builds its dictionary-structured view;
 *   fixparser's `parse` splits a string, looks every field up in its FIX spec and checks BodyLength
 *   and CheckSum (it takes a string: the byte-to-string decoding is not counted, in its favour).
 * - parse+validate: fixg adds `validate` with every check on; jspurefix adds the integrity checks its
 *   acceptor sessions run on every message (checksum, unknown message type, invalid tags, tags not
 *   in the message, missing required tags). fixparser has no validation on its parse path.
 * - encode: fixg writes header and body with the Encoder's typed writers into its reused buffer;
 *   jspurefix encodes a message object with its AsciiMsgTransmitter (header from its session message
 *   factory, BodyLength, CheckSum) and takes the bytes as its transmitter does (`trim`). fixparser's
 *   encoder needs a paid licence, so it has no encode figures. Both take the clock per message.
 *
 * Every peer's output is checked before timing: fixg's validator accepts what each encoder wrote,
 * and each parser accepts the reference messages.
 */
import "reflect-metadata";
import jspurefix from "jspurefix";
import { makeSessionScope } from "jspurefix/dist/runtime/session-scope.js";
import { FIXParser } from "fixparser";
import { Buffer } from "node:buffer";
import {
  encodeMessage,
  Encoder,
  type Field,
  type FixMessage,
  Framer,
  MessageView,
} from "../src/codec/mod.ts";
import { builtinDictionary, builtinDictionaryPath } from "../src/dictionary/loader.ts";
import { validate } from "../src/dictionary/validate.ts";
import type { Dictionary } from "../src/dictionary/model.ts";
import { fixgParser, measureNsPerOp as measure } from "../src/bench/codec.ts";

/** The peers measured. */
export type CodecPeer = "fixg" | "jspurefix" | "fixparser";

/** The operations measured. */
export type CodecOp = "parse" | "parse+validate" | "encode";

/** One measured cell of the table. */
export interface CodecResult {
  message: string;
  op: CodecOp;
  peer: CodecPeer;
  msgsPerSec: number;
  nsPerMsg: number;
  /** fixg's throughput divided by this peer's for the same message and operation (1 for fixg). */
  fixgRatio: number | null;
}

/** How long to measure. */
export interface CodecBenchOptions {
  /** Target duration of one timed round in milliseconds. */
  roundMs: number;
  /** Timed rounds per cell; the median round is reported. */
  rounds: number;
  /** Called before each cell is measured (progress on stderr). */
  onProgress?: (label: string) => void;
}

/** Default: 5 rounds of about 150 ms per cell, about 25 s for the whole table. */
export const DEFAULT_CODEC_BENCH: CodecBenchOptions = { roundMs: 150, rounds: 5 };

const SENDING_TIME = "20260315-14:30:05.123";
const HEADER: Field[] = [[49, "CLIENT"], [56, "LP"], [34, 1234], [52, SENDING_TIME]];

/** A reference message: its fields (for fixg's reference bytes) and how each peer encodes it. */
interface MessageCase {
  name: string;
  msg: FixMessage;
  fixgEncode: (enc: Encoder, nowMs: number) => Uint8Array;
  jspurefixObject: (now: Date) => Record<string, unknown>;
}

const MD_LEVELS = 10;

/** Ten bid and ten offer levels (20 entries). */
const MD_ENTRIES: ReadonlyArray<{ type: string; px: number; size: number; pos: number }> = (() => {
  const out = [];
  for (let level = 0; level < MD_LEVELS; level++) {
    out.push({
      type: "0",
      px: Math.round((1.08760 - level * 0.00001) * 1e5) / 1e5,
      size: 1_000_000 * (level + 1),
      pos: level + 1,
    });
    out.push({
      type: "1",
      px: Math.round((1.08770 + level * 0.00001) * 1e5) / 1e5,
      size: 1_000_000 * (level + 1),
      pos: level + 1,
    });
  }
  return out;
})();

const MESSAGES: MessageCase[] = [
  {
    name: "NewOrderSingle",
    msg: {
      msgType: "D",
      fields: [
        ...HEADER,
        [11, "ORD-20260315-000042"],
        [1, "ACC-7"],
        [21, "1"],
        [55, "EUR/USD"],
        [54, "1"],
        [60, SENDING_TIME],
        [38, 1000000],
        [40, "2"],
        [44, 1.08765],
        [59, "0"],
      ],
    },
    fixgEncode: (enc, nowMs) =>
      enc.begin("FIX.4.4", "D").str(49, "CLIENT").str(56, "LP").int(34, 1234).timestamp(52, nowMs)
        .str(11, "ORD-20260315-000042").str(1, "ACC-7").char(21, "1").str(55, "EUR/USD").char(54, "1")
        .timestamp(60, nowMs).decimal(38, 1000000).char(40, "2").decimal(44, 1.08765).char(59, "0").finish(),
    jspurefixObject: (now) => ({
      ClOrdID: "ORD-20260315-000042",
      Account: "ACC-7",
      HandlInst: "1",
      Instrument: { Symbol: "EUR/USD" },
      Side: "1",
      TransactTime: now,
      OrderQtyData: { OrderQty: 1000000 },
      OrdType: "2",
      Price: 1.08765,
      TimeInForce: "0",
    }),
  },
  {
    name: "ExecutionReport",
    msg: {
      msgType: "8",
      fields: [
        ...HEADER,
        [37, "OID-88211"],
        [11, "ORD-20260315-000042"],
        [17, "EXE-451102"],
        [150, "F"],
        [39, "1"],
        [1, "ACC-7"],
        [55, "EUR/USD"],
        [54, "1"],
        [38, 1000000],
        [40, "2"],
        [44, 1.08765],
        [32, 250000],
        [31, 1.08764],
        [151, 750000],
        [14, 250000],
        [6, 1.08764],
        [60, SENDING_TIME],
      ],
    },
    fixgEncode: (enc, nowMs) =>
      enc.begin("FIX.4.4", "8").str(49, "CLIENT").str(56, "LP").int(34, 1234).timestamp(52, nowMs)
        .str(37, "OID-88211").str(11, "ORD-20260315-000042").str(17, "EXE-451102").char(150, "F").char(
          39,
          "1",
        )
        .str(1, "ACC-7").str(55, "EUR/USD").char(54, "1").decimal(38, 1000000).char(40, "2").decimal(
          44,
          1.08765,
        )
        .decimal(32, 250000).decimal(31, 1.08764).decimal(151, 750000).decimal(14, 250000).decimal(6, 1.08764)
        .timestamp(60, nowMs).finish(),
    jspurefixObject: (now) => ({
      OrderID: "OID-88211",
      ClOrdID: "ORD-20260315-000042",
      ExecID: "EXE-451102",
      ExecType: "F",
      OrdStatus: "1",
      Account: "ACC-7",
      Instrument: { Symbol: "EUR/USD" },
      Side: "1",
      OrderQtyData: { OrderQty: 1000000 },
      OrdType: "2",
      Price: 1.08765,
      LastQty: 250000,
      LastPx: 1.08764,
      LeavesQty: 750000,
      CumQty: 250000,
      AvgPx: 1.08764,
      TransactTime: now,
    }),
  },
  {
    name: "MarketDataSnapshot20",
    msg: {
      msgType: "W",
      fields: [
        ...HEADER,
        [262, "MD-EURUSD-1"],
        [55, "EUR/USD"],
        [268, MD_LEVELS * 2],
        ...MD_ENTRIES.flatMap((e): Field[] => [[269, e.type], [270, e.px], [271, e.size], [290, e.pos]]),
      ],
    },
    fixgEncode: (enc, nowMs) => {
      enc.begin("FIX.4.4", "W").str(49, "CLIENT").str(56, "LP").int(34, 1234).timestamp(52, nowMs)
        .str(262, "MD-EURUSD-1").str(55, "EUR/USD").int(268, MD_LEVELS * 2);
      for (const e of MD_ENTRIES) {
        enc.char(269, e.type).decimal(270, e.px).decimal(271, e.size).int(290, e.pos);
      }
      return enc.finish();
    },
    jspurefixObject: () => ({
      MDReqID: "MD-EURUSD-1",
      Instrument: { Symbol: "EUR/USD" },
      MDFullGrp: {
        NoMDEntries: MD_ENTRIES.map((e) => ({
          MDEntryType: e.type,
          MDEntryPx: e.px,
          MDEntrySize: e.size,
          MDEntryPositionNo: e.pos,
        })),
      },
    }),
  },
];

/** The canonical bytes of a reference message (fixg's encoder, fixed SendingTime). */
function referenceBytes(m: MessageCase): Uint8Array {
  return encodeMessage(new Encoder(), "FIX.4.4", m.msg).slice();
}

// deno-lint-ignore no-explicit-any
type Loose = any;

/** jspurefix's parser and transmitter on a session scope built from a session description. */
async function jspurefixSetup(dictPath: string): Promise<{ config: Loose; transmitter: Loose }> {
  const { SessionContainer, EmptyLogFactory, DITokens } = jspurefix as Loose;
  const system = new SessionContainer();
  system.registerGlobal(new EmptyLogFactory());
  const container = await system.makeSystem({
    application: {
      type: "initiator",
      name: "codec-bench",
      tcp: { host: "127.0.0.1", port: 1 },
      protocol: "ascii",
      dictionary: dictPath,
    },
    EncryptMethod: 0,
    ResetSeqNumFlag: true,
    HeartBtInt: 30,
    SenderCompId: "CLIENT",
    TargetCompID: "LP",
    BeginString: "FIX.4.4",
  });
  const config = container.resolve(DITokens.IJsFixConfig);
  const transmitter = container.resolve(DITokens.MsgTransmitter);
  return { config, transmitter };
}

function jspurefixParser(
  config: Loose,
  check: boolean,
): { push: (bytes: Buffer) => void; count: () => number } {
  const { AsciiParser, DITokens, SegmentType } = jspurefix as Loose;
  const scoped = makeSessionScope(config);
  const container = scoped.sessionContainer;
  const parser = new AsciiParser(
    scoped,
    null,
    container.resolve(DITokens.ParseBuffer),
    container.resolve(DITokens.maxMessageLen),
  );
  let count = 0;
  parser.on("msg", (msgType: string, view: Loose) => {
    if (check) {
      // The checks AsciiSession.checkIntegrity runs on every inbound message of an acceptor.
      const received = parseInt(view.getString(10) ?? "", 10);
      if (received !== view.checksum()) throw new Error(`jspurefix: ${msgType} checksum failed`);
      if (view.segment.type === SegmentType.Unknown) throw new Error(`jspurefix: ${msgType} unknown`);
      if (view.invalid().length > 0) throw new Error(`jspurefix: ${msgType} invalid tags ${view.invalid()}`);
      const undef = view.undefinedForMsg();
      if (undef) throw new Error(`jspurefix: ${msgType} ${undef}`);
      if (view.missing().length > 0) throw new Error(`jspurefix: ${msgType} missing ${view.missing()}`);
    }
    count++;
  });
  parser.on("error", (e: Error) => {
    throw e;
  });
  return { push: (bytes) => parser.parseBuffer(bytes), count: () => count };
}

function jspurefixEncode(transmitter: Loose, msgType: string, obj: Record<string, unknown>): Uint8Array {
  transmitter.encoder.reset();
  transmitter.encodeMessage(msgType, obj);
  return transmitter.encoder.trim();
}

/** Checks that fixg's validator accepts `bytes` as one valid message of `msgType`. */
function assertValidFix(bytes: Uint8Array, msgType: string, dict: Dictionary, who: string): void {
  const view = new MessageView();
  let frames = 0;
  const framer = new Framer({
    onFrame(buf, start, end) {
      view.parseInto(buf, start, end);
      frames++;
    },
    onGarbled(g) {
      throw new Error(`${who} wrote a garbled ${msgType}: ${g.reason}`);
    },
  });
  framer.push(bytes);
  if (frames !== 1 || view.msgType !== msgType) throw new Error(`${who} did not write one ${msgType} frame`);
  const problem = validate(view, dict);
  if (problem !== undefined) {
    throw new Error(`${who} wrote an invalid ${msgType}: ${JSON.stringify(problem)}`);
  }
}

/** Runs the whole table. */
export async function runCodecPeers(
  options: CodecBenchOptions = DEFAULT_CODEC_BENCH,
): Promise<CodecResult[]> {
  const dict = builtinDictionary("FIX.4.4");
  const { config, transmitter } = await jspurefixSetup(builtinDictionaryPath("FIX44.xml"));
  const fixparser = new FIXParser();
  const encoder = new Encoder();
  const results: CodecResult[] = [];
  const cell = (message: string, op: CodecOp, peer: CodecPeer, run: (n: number) => void) => {
    options.onProgress?.(`${message} ${op} ${peer}`);
    const nsPerMsg = measure(run, options);
    results.push({ message, op, peer, msgsPerSec: Math.round(1e9 / nsPerMsg), nsPerMsg, fixgRatio: null });
  };

  for (const m of MESSAGES) {
    const bytes = referenceBytes(m);
    const nodeBytes = Buffer.from(bytes);
    const text = new TextDecoder("latin1").decode(bytes);
    assertValidFix(bytes, m.msg.msgType, dict, "fixg reference");

    // Sanity before timing: every parser takes the reference message as one valid message.
    const jsCheck = jspurefixParser(config, true);
    jsCheck.push(nodeBytes);
    if (jsCheck.count() !== 1) throw new Error(`jspurefix did not parse the reference ${m.name}`);
    const fpCheck = fixparser.parse(text);
    if (fpCheck.length !== 1 || !fpCheck[0].checksumValid || !fpCheck[0].bodyLengthValid) {
      throw new Error(`fixparser did not accept the reference ${m.name}`);
    }
    assertValidFix(m.fixgEncode(encoder, Date.now()), m.msg.msgType, dict, "fixg encoder");
    assertValidFix(
      jspurefixEncode(transmitter, m.msg.msgType, m.jspurefixObject(new Date())),
      m.msg.msgType,
      dict,
      "jspurefix encoder",
    );

    for (const op of ["parse", "parse+validate"] as const) {
      const fixg = fixgParser(op === "parse" ? null : dict);
      cell(m.name, op, "fixg", (n) => {
        for (let i = 0; i < n; i++) fixg.push(bytes);
      });
      const js = jspurefixParser(config, op === "parse+validate");
      cell(m.name, op, "jspurefix", (n) => {
        for (let i = 0; i < n; i++) js.push(nodeBytes);
      });
      if (op === "parse") {
        let sink = 0;
        cell(m.name, op, "fixparser", (n) => {
          for (let i = 0; i < n; i++) sink += fixparser.parse(text).length;
        });
        if (sink === 0) throw new Error("fixparser parsed nothing");
      }
    }
    let written = 0;
    cell(m.name, "encode", "fixg", (n) => {
      for (let i = 0; i < n; i++) written += m.fixgEncode(encoder, Date.now()).length;
    });
    cell(m.name, "encode", "jspurefix", (n) => {
      for (let i = 0; i < n; i++) {
        written += jspurefixEncode(transmitter, m.msg.msgType, m.jspurefixObject(new Date())).length;
      }
    });
    if (written === 0) throw new Error("nothing encoded");
  }

  for (const r of results) {
    const fixg = results.find((x) => x.peer === "fixg" && x.message === r.message && x.op === r.op);
    r.fixgRatio = fixg === undefined ? null : Math.round(fixg.msgsPerSec / r.msgsPerSec * 100) / 100;
  }
  return results;
}

/** The results as an aligned text table: one row per message and operation, one column group per peer. */
export function formatCodecTable(results: CodecResult[]): string {
  const peers: CodecPeer[] = ["fixg", "jspurefix", "fixparser"];
  const header = [
    "message",
    "op",
    ...peers.flatMap((p) => [`${p} msg/s`, `${p} ns`]),
    "fixg/jspurefix",
    "fixg/fixparser",
  ];
  const rows: string[][] = [header];
  const keys = [...new Set(results.map((r) => `${r.message}\u0000${r.op}`))];
  const fmt = (n: number) => n.toLocaleString("en-US");
  for (const key of keys) {
    const [message = "", op = ""] = key.split("\u0000");
    const row = [message, op];
    for (const p of peers) {
      const r = results.find((x) => x.message === message && x.op === op && x.peer === p);
      row.push(r ? fmt(r.msgsPerSec) : "-", r ? fmt(Math.round(r.nsPerMsg)) : "-");
    }
    for (const p of ["jspurefix", "fixparser"]) {
      const r = results.find((x) => x.message === message && x.op === op && x.peer === p);
      row.push(r?.fixgRatio != null ? `${r.fixgRatio.toFixed(1)}x` : "-");
    }
    rows.push(row);
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) =>
    r.map((cellText, c) => c < 2 ? cellText.padEnd(widths[c] ?? 0) : cellText.padStart(widths[c] ?? 0)).join(
      "  ",
    )
  )
    .join("\n");
}

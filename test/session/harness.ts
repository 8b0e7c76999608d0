/**
 * A transcript harness for the pure session machine: a manual clock, inbound frames written as
 * `|`-delimited strings (with <TIME>, <TIME+n>, <TIME-n> placeholders, BodyLength and CheckSum filled
 * in), a model of the store driven by the actions, and outbound frames rendered as `|` strings.
 *
 * Every step is checked for invariants an engine relies on: each sent frame is a valid frame (the
 * framer accepts it, BodyLength and CheckSum right), carries our BeginString and CompIDs, MsgSeqNum
 * equal to the action's seq, SendingTime equal to the clock; new numbers are used without holes;
 * `persist-inbound` consumes exactly the expected number; after each step the store's numbers equal
 * the machine's. Inbound frames go through a real Framer into one reused MessageView over one
 * reused buffer that is wiped after each step, as the engine does: a view kept past its step breaks.
 */
import assert from "node:assert/strict";
import { type FixMessage, formatTimestamp, Framer, HEADER_TAGS, MessageView } from "../../src/codec/mod.ts";
import {
  type Action,
  createSession,
  DEFAULT_SESSION_SETTINGS,
  type Input,
  type SessionConfig,
  type SessionState,
  step,
} from "../../src/session/mod.ts";
import type { SeqNums } from "../../src/store/types.ts";

/** 2024-01-15 12:00:00.000 UTC: the clock's start. */
export const T0 = Date.UTC(2024, 0, 15, 12, 0, 0, 0);

/** A UTCTimestamp string with milliseconds. */
export function ts(ms: number): string {
  return formatTimestamp(ms, "ms");
}

function latin1(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** Replaces <TIME>, <TIME+n> and <TIME-n> (seconds) with timestamps relative to `nowMs`. */
export function fillTime(text: string, nowMs: number): string {
  return text.replace(
    /<TIME([+-]\d+)?>/g,
    (_m, off: string | undefined) => ts(nowMs + (off ? Number(off) * 1000 : 0)),
  );
}

/**
 * A frame from "8=FIX.4.4|35=...|..." : placeholders filled; 9 and 10 computed unless given (to write
 * wrong ones on purpose).
 */
export function frame(text: string, nowMs: number): Uint8Array {
  const fields = fillTime(text, nowMs).split("|").filter((f) => f !== "");
  const begin = fields.shift()!;
  let nine: string | undefined;
  let ten: string | undefined;
  if (fields[0]?.startsWith("9=")) nine = fields.shift()!.slice(2);
  if (fields.at(-1)?.startsWith("10=")) ten = fields.pop()!.slice(3);
  const body = fields.map((f) => f + "\x01").join("");
  const head = `${begin}\x019=${nine ?? body.length}\x01`;
  let sum = 0;
  for (const c of latin1(head + body)) sum += c;
  const tail = `10=${ten ?? String(sum & 0xff).padStart(3, "0")}\x01`;
  return latin1(head + body + tail);
}

/** A frame as a `|` string (all fields). */
export function readable(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b === 1 ? "|" : String.fromCharCode(b);
  return s;
}

const HIDDEN = new Set(["8", "9", "10", "49", "56", "52"]);

/** An outbound frame without 8, 9, 10, 49, 56 and 52 (checked by the harness), `|`-joined. */
export function norm(bytes: Uint8Array): string {
  return readable(bytes).split("|").filter((f) => f !== "" && !HIDDEN.has(f.slice(0, f.indexOf("=")))).join(
    "|",
  );
}

function fieldsOf(bytes: Uint8Array): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of readable(bytes).split("|")) {
    if (f === "") continue;
    const k = f.slice(0, f.indexOf("="));
    if (!m.has(k)) m.set(k, f.slice(f.indexOf("=") + 1));
  }
  return m;
}

/** One line per action (events left out): what the transcript tests assert. */
export function line(a: Action): string | undefined {
  switch (a.kind) {
    case "send": {
      const usual = a.reason !== "resend";
      const flag = a.persist === usual ? "" : a.persist ? " persist" : " nopersist";
      return `send ${a.reason}${flag} ${norm(a.bytes)}`;
    }
    case "persist-inbound":
      return `persist-inbound ${a.seq}`;
    case "deliver":
      return `deliver ${a.view.msgType} ${a.view.seqNum}`;
    case "resend":
      return `resend ${a.begin}-${a.end}`;
    case "store-seq":
      return `store-seq${a.nextSenderSeq === undefined ? "" : ` sender=${a.nextSenderSeq}`}${
        a.nextTargetSeq === undefined ? "" : ` target=${a.nextTargetSeq}`
      }`;
    case "store-reset":
      return "store-reset";
    case "store-refresh":
      return "store-refresh";
    case "disconnect":
      return `disconnect ${a.reason}`;
    case "logon":
      return "logon";
    case "logout":
      return `logout ${a.reason}`;
    case "event":
      return undefined;
  }
}

/** Options of a transcript. */
export interface TranscriptOptions {
  role?: "acceptor" | "initiator";
  config?: Partial<SessionConfig>;
  seq?: SeqNums;
  beginString?: string;
  /** Our SenderCompID (default ISLD) and theirs (default TW). */
  ours?: string;
  theirs?: string;
  /** Answer `resend` actions from the store model at once (default true), as the engine does. */
  autoResend?: boolean;
}

/** A session machine driven by a test, with a manual clock and a store model. */
export class Transcript {
  nowMs = T0;
  state: SessionState;
  readonly config: SessionConfig;
  readonly ours: string;
  readonly theirs: string;
  readonly autoResend: boolean;
  /** The store as the actions leave it. */
  readonly store = {
    nextSenderSeq: 1,
    nextTargetSeq: 1,
    outbound: new Map<number, Uint8Array>(),
    inbound: new Map<number, Uint8Array>(),
    resets: 0,
  };
  connected = false;
  nextTickMs: number | undefined;
  /** Actions of the last input (and of the resend answers it caused). */
  lastActions: Action[] = [];
  /** Event names of the last input. */
  lastEvents: string[] = [];
  /** Every frame sent so far, normalized. */
  readonly sentLog: string[] = [];
  /** Every message delivered so far, as full `|` strings read during the deliver action. */
  readonly delivered: string[] = [];
  /** Whether the session told the application it is logged on. */
  loggedOn = false;
  #framer: Framer;
  #view = new MessageView();
  #lines: string[] = [];

  constructor(o: TranscriptOptions = {}) {
    this.ours = o.ours ?? "ISLD";
    this.theirs = o.theirs ?? "TW";
    this.autoResend = o.autoResend ?? true;
    this.config = {
      ...DEFAULT_SESSION_SETTINGS,
      id: { beginString: o.beginString ?? "FIX.4.4", senderCompId: this.ours, targetCompId: this.theirs },
      role: o.role ?? "acceptor",
      ...o.config,
    };
    const seq = o.seq ?? { nextSenderSeq: 1, nextTargetSeq: 1 };
    this.store.nextSenderSeq = seq.nextSenderSeq;
    this.store.nextTargetSeq = seq.nextTargetSeq;
    this.state = createSession(this.config, seq, this.nowMs);
    this.#framer = new Framer({
      onFrame: (buf, start, end) => {
        this.#run({ kind: "message", view: this.#view.parseInto(buf, start, end) });
      },
      onGarbled: (g) => {
        this.#run({ kind: "garbled", reason: g.reason, offset: g.offset });
      },
    });
  }

  /** Feeds one input; returns the action lines (events left out). */
  input(input: Input): string[] {
    this.#begin();
    this.#run(input);
    return this.#lines;
  }

  #begin(): void {
    this.#lines = [];
    this.lastActions = [];
    this.lastEvents = [];
  }

  #run(input: Input): void {
    const r = step(this.state, input, this.nowMs);
    this.state = r.state;
    this.nextTickMs = r.nextTickMs;
    let resend: { begin: number; end: number } | undefined;
    for (const a of r.actions) {
      this.#apply(a);
      this.lastActions.push(a);
      if (a.kind === "event") this.lastEvents.push(a.event.name);
      const l = line(a);
      if (l !== undefined) this.#lines.push(l);
      if (a.kind === "resend") resend = { begin: a.begin, end: a.end };
    }
    if (resend !== undefined && this.autoResend) {
      this.#run({
        kind: "resend-messages",
        ...resend,
        messages: this.storedOutbound(resend.begin, resend.end),
      });
      return;
    }
    if (resend === undefined) {
      assert.equal(
        this.store.nextSenderSeq,
        this.state.nextSenderSeq,
        "store and machine disagree on nextSenderSeq",
      );
      assert.equal(
        this.store.nextTargetSeq,
        this.state.nextTargetSeq,
        "store and machine disagree on nextTargetSeq",
      );
    }
  }

  /** Stored outbound messages in [begin, end] (copies), ascending: what the engine answers a `resend` with. */
  storedOutbound(begin: number, end: number): Array<{ seq: number; bytes: Uint8Array }> {
    return [...this.store.outbound.entries()]
      .filter(([seq]) => seq >= begin && seq <= end)
      .sort((a, b) => a[0] - b[0])
      .map(([seq, bytes]) => ({ seq, bytes: bytes.slice() }));
  }

  #apply(a: Action): void {
    switch (a.kind) {
      case "send": {
        this.#checkFrame(a);
        if (a.persist) {
          assert.equal(a.seq, this.store.nextSenderSeq, `send of ${a.seq} skips or reuses a number`);
          this.store.outbound.set(a.seq, a.bytes);
          this.store.nextSenderSeq = a.seq + 1;
        }
        this.sentLog.push(norm(a.bytes));
        break;
      }
      case "persist-inbound":
        assert.equal(a.seq, this.store.nextTargetSeq, `persist-inbound ${a.seq} is not the expected number`);
        this.store.inbound.set(a.seq, a.frame.bytes().slice());
        this.store.nextTargetSeq = a.seq + 1;
        break;
      case "store-seq":
        if (a.nextSenderSeq !== undefined) this.store.nextSenderSeq = a.nextSenderSeq;
        if (a.nextTargetSeq !== undefined) this.store.nextTargetSeq = a.nextTargetSeq;
        break;
      case "store-reset":
        this.store.nextSenderSeq = 1;
        this.store.nextTargetSeq = 1;
        this.store.resets++;
        break;
      case "deliver":
        this.delivered.push(readable(a.view.bytes()));
        break;
      case "disconnect":
        assert.ok(this.connected, "disconnect while not connected");
        this.connected = false;
        break;
      case "logon":
        assert.ok(!this.loggedOn, "logon twice");
        this.loggedOn = true;
        break;
      case "logout":
        assert.ok(this.loggedOn, "logout without logon");
        this.loggedOn = false;
        break;
      case "resend":
      case "store-refresh":
      case "event":
        break;
    }
  }

  #checkFrame(a: Extract<Action, { kind: "send" }>): void {
    const frames: Array<[number, number]> = [];
    const f = new Framer({
      onFrame: (_b, s, e) => frames.push([s, e]),
      onGarbled: (g) => assert.fail(`sent frame is garbled: ${g.reason}: ${readable(a.bytes)}`),
    });
    f.push(a.bytes);
    assert.deepEqual(frames, [[0, a.bytes.length]], `not exactly one frame: ${readable(a.bytes)}`);
    const m = fieldsOf(a.bytes);
    const keys = [...m.keys()];
    // 8, 9, 35, then the header in ascending tag order (issue 13.2): 34, [43], 49, 52, 56 among them.
    assert.deepEqual(keys.slice(0, 3), ["8", "9", "35"], `header order: ${readable(a.bytes)}`);
    const header = keys.slice(3).filter((k) => HEADER_TAGS.has(Number(k))).map(Number);
    assert.deepEqual(
      keys.slice(3, 3 + header.length).map(Number),
      header,
      `header fields before the body: ${readable(a.bytes)}`,
    );
    const hopsAt627 = (t: number) => (t >= 628 && t <= 630 ? 627 : t);
    assert.deepEqual(
      header,
      [...header].sort((x, y) => hopsAt627(x) - hopsAt627(y)),
      `header order: ${readable(a.bytes)}`,
    );
    assert.equal(m.get("8"), this.config.id.beginString);
    assert.equal(m.get("35"), a.msgType);
    assert.equal(m.get("49"), this.ours);
    assert.equal(m.get("56"), this.theirs);
    assert.equal(m.get("34"), String(a.seq));
    assert.equal(m.get("52"), formatTimestamp(this.nowMs, this.config.timestampPrecision));
  }

  /** The current phase (a string, so that asserting it does not narrow `state`). */
  get phase(): string {
    return this.state.phase;
  }

  /** The transport connected. */
  connect(): string[] {
    this.connected = true;
    return this.input({ kind: "connected" });
  }

  /** The transport closed. */
  drop(reason = "peer closed"): string[] {
    this.connected = false;
    return this.input({ kind: "disconnected", reason });
  }

  /**
   * Receives a message written from MsgType on: "35=0|34=2". BeginString, 49 (theirs), 56 (ours) and
   * 52=<TIME> are added unless given.
   */
  recv(text: string): string[] {
    const fields = text.split("|").filter((f) => f !== "");
    const has = (t: string) => fields.some((f) => f.startsWith(`${t}=`));
    const out = [`8=${this.config.id.beginString}`, fields[0]!];
    if (!has("49")) out.push(`49=${this.theirs}`);
    if (!has("56")) out.push(`56=${this.ours}`);
    for (const f of fields.slice(1)) {
      out.push(f);
      if (f.startsWith("34=") && !has("52")) out.push("52=<TIME>");
    }
    return this.recvRaw(out.join("|"));
  }

  /** Receives a complete frame written out ("8=...|35=...|..."; 9 and 10 computed unless given). */
  recvRaw(text: string): string[] {
    return this.feed(frame(text, this.nowMs));
  }

  /** Feeds raw bytes through the framer (one chunk), then wipes the chunk as a reused read buffer would be. */
  feed(bytes: Uint8Array): string[] {
    this.#begin();
    const chunk = bytes.slice();
    this.#framer.push(chunk);
    chunk.fill(0x30);
    return this.#lines;
  }

  /** Moves the clock on by `ms` and ticks. */
  advance(ms: number): string[] {
    this.nowMs += ms;
    return this.input({ kind: "tick" });
  }

  /** Moves the clock to the next tick the machine asked for and ticks. */
  tickNext(): string[] {
    assert.ok(this.nextTickMs !== undefined, "no tick wanted");
    this.nowMs = Math.max(this.nowMs, this.nextTickMs);
    return this.input({ kind: "tick" });
  }

  /** The application sends a message. */
  send(message: FixMessage, resend?: boolean): string[] {
    return this.input(resend === undefined ? { kind: "send", message } : { kind: "send", message, resend });
  }

  /** Acceptor: connect and log on with the peer's Logon (default 34=1, 108=30). */
  logonAcceptor(logon = "35=A|34=1|98=0|108=30"): string[] {
    this.connect();
    return this.recv(logon);
  }

  /** Initiator: connect (our Logon goes out) and receive the reply (default 34=1, 108=30). */
  logonInitiator(reply = "35=A|34=1|98=0|108=30"): string[] {
    this.connect();
    return this.recv(reply);
  }
}

/** A NewOrderSingle as the application would send it. */
export function order(clOrdId: string): FixMessage {
  return {
    msgType: "D",
    fields: [[11, clOrdId], [21, "1"], [55, "INTC"], [54, "1"], [60, "20240115-12:00:00.000"], [38, 100], [
      40,
      "1",
    ]],
  };
}

/** The body of `order(clOrdId)` as it appears in a normalized frame. */
export function orderBody(clOrdId: string): string {
  return `11=${clOrdId}|21=1|55=INTC|54=1|60=20240115-12:00:00.000|38=100|40=1`;
}

/** A NewOrderSingle as the peer sends it, from MsgSeqNum on: "34=N|...". */
export function peerOrder(seq: number, clOrdId = `ORD${seq}`, extra = ""): string {
  return `35=D|34=${seq}${extra}|11=${clOrdId}|21=1|55=INTC|54=1|60=<TIME>|38=100|40=1`;
}

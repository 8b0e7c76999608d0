/** Helpers for engine tests: raw FIX clients, frame builders, waiting with a deadline (no fixed sleeps). */
import { Encoder, Framer, MessageView, toReadable } from "../../src/codec/mod.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import type { GatewayOptions, GatewaySession } from "../../src/engine/gateway_types.ts";
import { Logger } from "../../src/engine/log.ts";
import type { SessionRunner } from "../../src/engine/session_runner.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { Connection } from "../../src/transport/types.ts";
import { waitFor } from "../_helpers/mod.ts";

/** Waiting with a deadline and the `./fixg` child process: shared with every test folder. */
export { spawnFixg, waitFor } from "../_helpers/mod.ts";

/** Encodes a message from `|`-delimited body fields (after 35) with a fresh SendingTime. */
export function frame(begin: string, msgType: string, fields: string): Uint8Array {
  const enc = new Encoder();
  enc.begin(begin, msgType);
  // One time for every <TIME> of the frame: OrigSendingTime (122) must not come out a millisecond after
  // SendingTime (52) when the clock ticks between them (a Reject, and the message not delivered).
  const now = Date.now();
  for (const f of fields.split("|").filter((x) => x.length > 0)) {
    const eq = f.indexOf("=");
    const tag = Number(f.slice(0, eq));
    const v = f.slice(eq + 1);
    if (v === "<TIME>") enc.timestamp(tag, now);
    else enc.str(tag, v);
  }
  return enc.finish().slice();
}

/** A raw TCP FIX client that records every frame it receives and whether the peer closed. */
export class RawClient {
  frames: string[] = [];
  bytesReceived = 0;
  closed = false;
  #framer = new Framer({ onFrame: (b, s, e) => this.frames.push(toReadable(b, s, e)), onGarbled: () => {} });
  #loop: Promise<void>;
  private constructor(readonly conn: Deno.TcpConn) {
    this.#loop = this.#read();
  }
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  async #read(): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      while (true) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        this.bytesReceived += n;
        this.#framer.push(buf.subarray(0, n));
      }
    } catch {
      // reset by peer counts as closed
    }
    this.closed = true;
    this.close(); // our end too: a connection the peer closed is not left open (resource sanitizer)
  }
  async send(bytes: Uint8Array): Promise<void> {
    await this.conn.write(bytes);
  }
  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
  async finished(): Promise<void> {
    await this.#loop;
  }
}

/** MsgType of a `|` frame string. */
export function typeOf(f: string): string {
  return MessageView.parse(new TextEncoder().encode(f.replaceAll("|", "\x01"))).msgType;
}

/** A FIX.4.4 session config: TW->ISLD as initiator, ISLD->TW as acceptor; `extra` on top. */
export function sessionConfig(
  role: "initiator" | "acceptor",
  extra: Partial<SessionConfig> = {},
): SessionConfig {
  return {
    ...DEFAULT_SESSION_SETTINGS,
    id: role === "initiator"
      ? { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" }
      : { beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW" },
    role,
    ...extra,
  };
}

/** Reads and discards what `conn` receives until it closes (a counterparty that always reads). */
export async function discardAll(conn: Pick<Connection, "read">): Promise<void> {
  const buf = new Uint8Array(65536);
  while ((await conn.read(buf)) !== null) { /* drained */ }
}

/** `n` turns of the event loop (each a macrotask: timers of 0 ms, I/O callbacks and promises run). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
}

/**
 * A started gateway (memory store, no app, error-level logger) with one acceptor on a free loopback
 * port serving the FIX.4.4 session ISLD->TW (the test's client is TW). `session` adds to that session's
 * entry, `config` to its session config, `gateway` to the gateway's options.
 */
export async function startAcceptor(
  parts: {
    session?: Omit<GatewaySession, "config">;
    config?: Partial<SessionConfig>;
    gateway?: Partial<GatewayOptions>;
  } = {},
): Promise<Gateway> {
  const gw = new Gateway({
    store: new MemoryMessageStore(),
    app: {},
    logger: new Logger({ level: "error" }),
    ...parts.gateway,
  });
  gw.addAcceptor({
    host: "127.0.0.1",
    port: 0,
    sessions: [{
      config: {
        ...DEFAULT_SESSION_SETTINGS,
        id: { beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW" },
        role: "acceptor",
        ...parts.config,
      },
      ...parts.session,
    }],
  });
  await gw.start();
  return gw;
}

/**
 * Attaches `runner` (the TW side of sessionConfig) to `peer` and logs on: an initiator's Logon read by
 * the peer, then ISLD's Logon (34=1, HeartBtInt 30); what the peer read up to the logon is dropped.
 * Returns the attach's promise (in an object: a promise returned bare would be awaited here).
 */
export async function attachLoggedOn(
  runner: SessionRunner,
  peer: PeerSocket,
  role: "initiator" | "acceptor" = "initiator",
): Promise<{ attached: Promise<boolean> }> {
  const attached = runner.attach(peer);
  if (role === "initiator") {
    await waitFor(() => peer.buffered > 0, "our Logon");
    peer.drain();
  }
  peer.send(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await waitFor(() => runner.loggedOn, "logon");
  peer.drain();
  peer.frames.length = 0;
  return { attached };
}

/**
 * A connection whose peer reads only on `drain()`: our writes land in a socket buffer of `capacity`
 * bytes and then wait, as on a full TCP send buffer. What the peer sends waits in `inbound` until the
 * session reads it (one chunk per read, as a socket hands over what arrived).
 */
export class PeerSocket implements Connection {
  readonly remoteAddr = "peer:1";
  readonly remoteHost = "peer";
  /** Frames the peer has read, as `|` strings. */
  readonly frames: string[] = [];
  buffered = 0;
  waitingWrites = 0;
  closed = false;
  /** Chunks the peer sent that the session has not read yet. */
  readonly inbound: Uint8Array[] = [];
  #chunks: Uint8Array[] = [];
  #writers: Array<{ bytes: Uint8Array; resolve: () => void; reject: (e: Error) => void }> = [];
  #reader: (() => void) | undefined;
  #framer = new Framer({ onFrame: (b, s, e) => this.frames.push(toReadable(b, s, e)), onGarbled: () => {} });
  constructor(readonly capacity: number) {}

  async read(buf: Uint8Array): Promise<number | null> {
    while (this.inbound.length === 0) {
      if (this.closed) return null;
      await new Promise<void>((r) => (this.#reader = r));
    }
    if (this.closed) return null;
    const c = this.inbound.shift()!;
    buf.set(c);
    return c.length;
  }
  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Deno.errors.BrokenPipe("closed"));
    const copy = bytes.slice();
    if (this.buffered + copy.length <= this.capacity || this.buffered === 0) {
      this.#chunks.push(copy);
      this.buffered += copy.length;
      return Promise.resolve();
    }
    this.waitingWrites++;
    return new Promise((resolve, reject) => this.#writers.push({ bytes: copy, resolve, reject }));
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.#writers.splice(0)) w.reject(new Deno.errors.BrokenPipe("closed"));
    this.#reader?.();
  }
  /** The peer sends bytes to us. */
  send(bytes: Uint8Array): void {
    this.inbound.push(bytes);
    const r = this.#reader;
    this.#reader = undefined;
    r?.();
  }
  /** The peer reads, one turn of the event loop at a time, while `busy()`, for at most `maxTurns` turns. */
  async drainWhile(busy: () => boolean, maxTurns: number): Promise<void> {
    for (let i = 0; i < maxTurns && busy(); i++) {
      this.drain();
      await turns(1);
    }
  }
  /** The peer reads everything buffered (and the waiting writes, which then complete). */
  drain(): void {
    for (;;) {
      for (const c of this.#chunks.splice(0)) this.#framer.push(c);
      this.buffered = 0;
      const w = this.#writers.shift();
      if (w === undefined) return;
      this.waitingWrites--;
      this.#chunks.push(w.bytes);
      this.buffered += w.bytes.length;
      w.resolve();
    }
  }
}

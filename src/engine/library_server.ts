/**
 * The engine side of the library protocol (docs/library_protocol.md): `fixg run` with
 * `engine: { socket }` serves it on a Unix domain socket. Sessions are engine-managed (the session
 * runner logs on, heartbeats, answers TestRequests and ResendRequests, journals inbound messages) until
 * a library claims one; then its events go to that library, and its sends come from it. When the
 * library goes, the session returns to the engine with no FIX-level disconnect.
 *
 * The server is the gateway's Application for the sessions without an application of their own
 * (`app: none`): `server.app` is passed to buildGateway, and events reach the holder from there.
 */
import { latin1String } from "../codec/ascii.ts";
import { concatBytes, constantTimeEqual } from "../codec/bytes.ts";
import { type FixMessage, MessageView } from "../codec/mod.ts";
import { JournalReader, listSegments, msgTypeOf } from "../store/reader.ts";
import type { MessageStore } from "../store/types.ts";
import { ConfigError, EnvironmentError } from "../errors.ts";
import type { FixgConfig } from "./config.ts";
import type { Application, SessionHandle } from "./application.ts";
import type { Gateway, GatewaySessionStatus } from "./gateway.ts";
import type { Logger } from "./log.ts";
import {
  type Command,
  decodeCommand,
  encodeEvent,
  ErrorCode,
  type Event,
  FrameSplitter,
  PROTOCOL_VERSION,
  ProtocolError,
  SendStatus,
  type SessionInfo,
} from "./protocol.ts";
import { SendRefusedError } from "./session_runner.ts";
import { VERSION } from "../version.ts";

/** Options of the engine's library endpoint. */
export interface EngineServerOptions {
  /** Path of the Unix domain socket (created with mode 0600; a stale socket file is replaced). */
  socket: string;
  /** Shared secret libraries must present in HELLO (none when absent). Never logged. */
  secret?: string;
  /** Journal directory (file store): replays read the inbound messages from it. */
  journalDir?: string;
  /** Resolves when everything appended to the store so far is journaled (the store's flush). */
  flush?: () => Promise<void>;
  logger: Logger;
  /** Sends of one library awaiting their answer (journaling) before back-pressure answers; default 4096. */
  maxInFlight?: number;
  /** Answers kept per session for retried request ids; default 10000. */
  recentRequests?: number;
  /** Bytes waiting to be written to one library before it is dropped as too slow; default 64 MiB. */
  maxQueuedBytes?: number;
  /** Without a journal: inbound application messages kept per session for replays; default 10000. */
  memoryReplay?: number;
}

/**
 * Admin MsgTypes the engine keeps to itself. A session-level Reject (35=3) is the exception: it answers a
 * message a library sent, so it goes to the holder (live and replayed) like an application message.
 */
const ADMIN = new Set(["0", "1", "2", "4", "5", "A"]);
/** Header and trailer tags the session writes itself: dropped from a SEND body. */
const SESSION_TAGS = new Set([8, 9, 10, 34, 35, 49, 52, 56]);

/** The answer to one request id. */
interface Answer {
  status: number;
  seq: number;
  code: number;
  text: string;
}

/** A session's place at the endpoint. */
interface Slot {
  key: string;
  holder: LibraryConn | undefined;
  /** Live messages held while the holder's replay is read. */
  pending: Array<{ seq: number; raw: Uint8Array }> | undefined;
  /** Answers (or pending answers) by request id, oldest first. */
  recent: Map<string, Answer | Promise<Answer>>;
  /** Without a journal: recent inbound application messages. */
  ring: Ring | undefined;
  /**
   * Set at the first claim (with a journal): resolves once `recent` holds the ClOrdIDs the journal shows
   * sent in the current epoch (so a request id = ClOrdID retried after an engine restart is not sent
   * twice). SENDs wait for it.
   */
  seeding: Promise<void> | undefined;
  seeded: boolean;
}

/** One attached library. */
class LibraryConn {
  id: number;
  name = "";
  ready = false;
  closed = false;
  inFlight = 0;
  readonly claims = new Set<string>();
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #writing = false;

  constructor(
    readonly conn: Deno.Conn,
    id: number,
    readonly maxQueuedBytes: number,
    readonly onTooSlow: () => void,
  ) {
    this.id = id;
  }

  get label(): string {
    return `${this.name}#${this.id}`;
  }

  send(e: Event): void {
    if (this.closed) return;
    const f = encodeEvent(e);
    this.#queue.push(f);
    this.#queuedBytes += f.length;
    if (this.#queuedBytes > this.maxQueuedBytes) {
      this.onTooSlow();
      return;
    }
    if (!this.#writing) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.closed) {
        const parts = this.#queue;
        this.#queue = [];
        const buf = concatBytes(parts);
        this.#queuedBytes -= buf.length;
        let off = 0;
        while (off < buf.length) off += await this.conn.write(buf.subarray(off));
      }
    } catch {
      this.close();
    } finally {
      this.#writing = false;
    }
  }

  /** Writes what is queued, then closes (for fatal errors). */
  async closeAfterWrite(): Promise<void> {
    while (this.#writing) await new Promise((r) => setTimeout(r, 1));
    if (!this.closed && this.#queue.length > 0) await this.#pump();
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** The engine's library endpoint. */
export class EngineServer {
  /** The application the gateway runs engine-managed sessions with (pass to buildGateway). */
  readonly app: Application;
  readonly #o: EngineServerOptions;
  readonly #slots = new Map<string, Slot>();
  readonly #conns = new Set<LibraryConn>();
  #gw: Gateway | undefined;
  #listener: Deno.Listener | undefined;
  #nextId = 1;
  #flushRunning: Promise<void> | undefined;
  #flushNext: Promise<void> | undefined;
  #stopping = false;

  constructor(options: EngineServerOptions) {
    this.#o = options;
    this.app = {
      onLogon: (session: SessionHandle): void => {
        const h = this.#slot(session.key).holder;
        h?.send({ type: "logon", key: session.key });
        this.#sendState(h, session.key);
      },
      onLogout: (session: SessionHandle, reason: string): void => {
        const h = this.#slot(session.key).holder;
        h?.send({ type: "logout", key: session.key, reason });
        this.#sendState(h, session.key);
      },
      onMessage: (view: MessageView, session: SessionHandle): void => {
        this.#onMessage(view, session.key);
      },
      fromAdmin: (view: MessageView, session: SessionHandle): void => {
        if (view.msgType === "3") this.#onMessage(view, session.key);
      },
    };
  }

  /** The gateway whose sessions are served (set before `start`); its store's flush journals sends. */
  attach(gw: Gateway): void {
    this.#gw = gw;
    if (this.#o.flush === undefined) {
      const outer = gw.store as MessageStore & { inner?: MessageStore };
      const inner = (outer.inner ?? outer) as MessageStore & { flush?: () => Promise<void> };
      if (typeof inner.flush === "function") this.#o.flush = () => inner.flush!();
    }
  }

  /** The socket path. */
  get socket(): string {
    return this.#o.socket;
  }

  /** Which library holds a session ("name#id"), or undefined while engine-managed. */
  holderOf(key: string): string | undefined {
    return this.#slots.get(key)?.holder?.label;
  }

  /** Listens on the socket (mode 0600). A stale socket file is replaced; a live one is an error. */
  async start(): Promise<void> {
    this.#stopping = false;
    const path = this.#o.socket;
    try {
      const st = Deno.lstatSync(path);
      if (!st.isSocket) throw new EnvironmentError(`engine.socket: ${path} exists and is not a socket`);
      let live = false;
      try {
        const c = await Deno.connect({ transport: "unix", path });
        c.close();
        live = true;
      } catch {
        // Nobody listens: a socket left by an engine that died.
      }
      if (live) throw new EnvironmentError(`engine.socket: ${path}: another engine is listening on it`);
      Deno.removeSync(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    try {
      this.#listener = Deno.listen({ transport: "unix", path });
      Deno.chmodSync(path, 0o600);
    } catch (e) {
      throw new EnvironmentError(
        `engine.socket: cannot listen on ${path}: ${e instanceof Error ? e.message : e}`,
      );
    }
    this.#o.logger.info("engine", `library endpoint listening on ${path}`);
    void this.#accept(this.#listener);
  }

  /** Stops listening, drops every library (their sessions return to the engine) and removes the socket. */
  stop(): void {
    this.#stopping = true;
    try {
      this.#listener?.close();
    } catch {
      // Already closed.
    }
    for (const c of [...this.#conns]) this.#drop(c, "engine stopping");
    try {
      Deno.removeSync(this.#o.socket);
    } catch {
      // Gone already.
    }
  }

  async #accept(l: Deno.Listener): Promise<void> {
    try {
      for await (const conn of l) {
        const c = new LibraryConn(
          conn,
          this.#nextId++,
          this.#o.maxQueuedBytes ?? 64 * 1024 * 1024,
          () => this.#drop(c, "too slow: its event queue passed the limit"),
        );
        this.#conns.add(c);
        void this.#read(c);
      }
    } catch {
      // Listener closed.
    }
  }

  async #read(c: LibraryConn): Promise<void> {
    const split = new FrameSplitter();
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await c.conn.read(buf);
        if (n === null) break;
        split.push(buf.subarray(0, n));
        while (split.next()) {
          const cmd = decodeCommand(split.buf, split.start, split.end);
          if (!this.#command(c, cmd)) {
            await c.closeAfterWrite();
            break;
          }
        }
        if (c.closed) break;
      }
    } catch (e) {
      if (e instanceof ProtocolError && !c.closed) {
        c.send({ type: "error", code: e.code, text: e.message });
        await c.closeAfterWrite();
      }
    }
    this.#drop(c, "disconnected");
  }

  /** Carries out one command; false when the connection must close. */
  #command(c: LibraryConn, cmd: Command): boolean {
    if (!c.ready) {
      if (cmd.type !== "hello") {
        c.send({ type: "error", code: ErrorCode.HELLO_REQUIRED, text: "the first frame must be HELLO" });
        return false;
      }
      if (cmd.version !== PROTOCOL_VERSION) {
        c.send({
          type: "error",
          code: ErrorCode.UNSUPPORTED_VERSION,
          text: `protocol version ${cmd.version} not supported (this engine speaks ${PROTOCOL_VERSION})`,
        });
        return false;
      }
      if (this.#o.secret !== undefined && !constantTimeEqual(cmd.secret, this.#o.secret)) {
        this.#o.logger.warn("engine", `library "${cmd.name}" refused: wrong secret`);
        c.send({ type: "error", code: ErrorCode.AUTH_FAILED, text: "authentication failed" });
        return false;
      }
      c.name = cmd.name.replace(/[^\x20-\x7e]/g, "?").slice(0, 64) || "library";
      c.ready = true;
      c.send({ type: "hello-ok", version: PROTOCOL_VERSION, engine: `fixg ${VERSION}`, libraryId: c.id });
      this.#o.logger.info("engine", `library ${c.label} attached`);
      return true;
    }
    switch (cmd.type) {
      case "hello":
        c.send({ type: "error", code: ErrorCode.MALFORMED, text: "HELLO sent twice" });
        return false;
      case "list":
        c.send({ type: "sessions", tag: cmd.tag, sessions: this.sessions() });
        return true;
      case "claim":
        void this.#claim(c, cmd.key, cmd.replay, cmd.lastProcessedInSeq);
        return true;
      case "release":
        this.#release(c, cmd.key, "released");
        return true;
      case "send":
        this.#send(c, cmd.key, cmd.requestId, cmd.body, cmd.ifLoggedOn === true);
        return true;
      case "logout": {
        const slot = this.#slots.get(cmd.key);
        const r = this.#gw?.runner(cmd.key);
        if (slot?.holder !== c || r === undefined) {
          c.send({
            type: "refused",
            key: cmd.key,
            code: ErrorCode.NOT_CLAIMED,
            holder: slot?.holder?.label ?? "",
            text: "LOGOUT needs the session claimed",
          });
        } else r.logout(cmd.text === "" ? undefined : cmd.text);
        return true;
      }
    }
  }

  /** STATE of one session to its holder. */
  #sendState(h: LibraryConn | undefined, key: string): void {
    if (h === undefined) return;
    const s = this.#gw?.sessionStatus(key);
    if (s === undefined) return;
    h.send({ type: "state", session: this.#info(s) });
  }

  #info(s: GatewaySessionStatus): SessionInfo {
    return {
      key: s.key,
      name: s.name ?? "",
      role: s.role,
      phase: s.phase,
      connected: s.connected,
      loggedOn: s.loggedOn,
      nextSenderSeq: s.nextSenderSeq,
      nextTargetSeq: s.nextTargetSeq,
      claimedBy: this.#slots.get(s.key)?.holder?.label ?? "",
    };
  }

  /** Every session of the gateway, with its holder. */
  sessions(): SessionInfo[] {
    const gw = this.#gw;
    if (gw === undefined) return [];
    return gw.statuses().map((s) => this.#info(s));
  }

  #slot(key: string): Slot {
    let s = this.#slots.get(key);
    if (s === undefined) {
      s = {
        key,
        holder: undefined,
        pending: undefined,
        recent: new Map(),
        ring: this.#o.journalDir === undefined ? new Ring(this.#o.memoryReplay ?? 10_000) : undefined,
        seeding: undefined,
        seeded: false,
      };
      this.#slots.set(key, s);
    }
    return s;
  }

  #onMessage(view: MessageView, key: string): void {
    const slot = this.#slot(key);
    const seq = view.getInt(34) ?? 0;
    const raw = view.buf.subarray(view.start, view.end);
    slot.ring?.push(seq, raw.slice());
    const h = slot.holder;
    if (h === undefined) return;
    if (slot.pending !== undefined) slot.pending.push({ seq, raw: raw.slice() });
    else h.send({ type: "message", key, seq, replayed: false, raw });
  }

  async #claim(c: LibraryConn, key: string, replay: boolean, last: number): Promise<void> {
    const gw = this.#gw;
    const runner = gw?.runner(key);
    const refuse = (code: number, text: string, holder = "") =>
      c.send({ type: "refused", key, code, holder, text });
    if (gw === undefined || runner === undefined) {
      return refuse(ErrorCode.UNKNOWN_SESSION, `no session "${key}" in this engine`);
    }
    if (this.#stopping) return refuse(ErrorCode.SHUTTING_DOWN, "the engine is stopping");
    const spec = gw.sessionSpec(key);
    if (spec?.app !== undefined && spec.app !== this.app) {
      return refuse(
        ErrorCode.APP_IN_ENGINE,
        `${key} runs an application inside the engine (app: in its config): only sessions without one can be claimed`,
      );
    }
    const slot = this.#slot(key);
    if (slot.holder !== undefined && slot.holder !== c) {
      return refuse(
        ErrorCode.CLAIMED_BY_OTHER,
        `${key} is claimed by library ${slot.holder.label}`,
        slot.holder.label,
      );
    }
    slot.holder = c;
    c.claims.add(key);
    slot.pending = replay ? [] : undefined;
    this.#o.logger.info("engine", `library ${c.label} claimed the session`, key);
    c.send({
      type: "claimed",
      key,
      loggedOn: runner.loggedOn,
      nextSenderSeq: runner.status().nextSenderSeq,
      nextTargetSeq: runner.status().nextTargetSeq,
    });
    this.#sendState(c, key);
    const dir = this.#o.journalDir;
    let scan: Promise<JournalScan> | undefined;
    if (dir !== undefined && (replay || !slot.seeded)) {
      scan = this.flushJournal().then(() =>
        scanJournal(dir, key, replay ? last : 0xffffffff, this.#o.recentRequests ?? 10_000)
      );
      if (!slot.seeded) {
        slot.seeded = true;
        slot.seeding = scan.then((r) => {
          for (const [clOrdId, seq] of r.sent) {
            if (!slot.recent.has(clOrdId)) {
              slot.recent.set(clOrdId, { status: SendStatus.ACCEPTED, seq, code: 0, text: "" });
            }
          }
          trimRecent(slot, this.#o.recentRequests ?? 10_000);
        }, () => {}).finally(() => slot.seeding = undefined);
      }
    }
    if (!replay) {
      c.send({ type: "live", key, replayed: 0 });
      return;
    }
    let old: Array<{ seq: number; raw: Uint8Array }>;
    try {
      if (scan !== undefined) old = (await scan).inbound;
      else old = slot.ring?.after(last) ?? [];
    } catch (e) {
      if (slot.holder === c) {
        slot.holder = undefined;
        slot.pending = undefined;
        c.claims.delete(key);
      }
      return refuse(ErrorCode.REPLAY_FAILED, `replay failed: ${e instanceof Error ? e.message : e}`);
    }
    if (slot.holder !== c) return; // Released or gone meanwhile.
    let top = last;
    let count = 0;
    for (const m of old) {
      if (m.seq <= top) continue;
      c.send({ type: "message", key, seq: m.seq, replayed: true, raw: m.raw });
      top = m.seq;
      count++;
    }
    const held = slot.pending ?? [];
    slot.pending = undefined;
    c.send({ type: "live", key, replayed: count });
    for (const m of held) {
      if (m.seq <= top) continue;
      c.send({ type: "message", key, seq: m.seq, replayed: false, raw: m.raw });
    }
  }

  #release(c: LibraryConn, key: string, reason: string): void {
    const slot = this.#slots.get(key);
    if (slot === undefined || slot.holder !== c) {
      c.send({
        type: "refused",
        key,
        code: ErrorCode.NOT_CLAIMED,
        holder: slot?.holder?.label ?? "",
        text: "not claimed by this library",
      });
      return;
    }
    slot.holder = undefined;
    slot.pending = undefined;
    c.claims.delete(key);
    c.send({ type: "released", key, reason });
    this.#o.logger.info("engine", `library ${c.label} released the session`, key);
  }

  #drop(c: LibraryConn, why: string): void {
    if (!this.#conns.delete(c)) return;
    for (const key of c.claims) {
      const slot = this.#slots.get(key);
      if (slot?.holder === c) {
        slot.holder = undefined;
        slot.pending = undefined;
        this.#o.logger.info(
          "engine",
          `library ${c.label} gone (${why}): the engine manages the session`,
          key,
        );
      }
    }
    c.claims.clear();
    if (c.ready) this.#o.logger.info("engine", `library ${c.label} detached (${why})`);
    c.close();
  }

  /** Journals everything appended so far; concurrent callers share flushes. */
  flushJournal(): Promise<void> {
    const f = this.#o.flush;
    if (f === undefined) return Promise.resolve();
    if (this.#flushRunning === undefined) {
      const p = f().finally(() => {
        if (this.#flushRunning === p) this.#flushRunning = undefined;
      });
      this.#flushRunning = p;
      return p;
    }
    if (this.#flushNext === undefined) {
      const running = this.#flushRunning;
      this.#flushNext = running.catch(() => {}).then(() => {
        this.#flushNext = undefined;
        return this.flushJournal();
      });
    }
    return this.#flushNext;
  }

  #send(c: LibraryConn, key: string, requestId: string, body: Uint8Array, ifLoggedOn = false): void {
    const slot = this.#slots.get(key);
    const answer = (a: Answer) => {
      c.send({
        type: "send-result",
        key,
        requestId,
        status: a.status,
        seq: a.seq,
        code: a.code,
        text: a.text,
      });
    };
    if (slot === undefined || slot.holder !== c) {
      return answer({
        status: SendStatus.REFUSED,
        seq: 0,
        code: this.#gw?.runner(key) === undefined ? ErrorCode.UNKNOWN_SESSION : ErrorCode.NOT_CLAIMED,
        text: slot?.holder !== undefined
          ? `${key} is claimed by library ${slot.holder.label}`
          : "SEND needs the session claimed by this library",
      });
    }
    if (slot.seeding !== undefined) {
      // The first claim is still reading what the journal shows sent: answer after it, in order.
      void slot.seeding.then(() => this.#send(c, key, requestId, body, ifLoggedOn));
      return;
    }
    const known = slot.recent.get(requestId);
    if (known !== undefined) {
      if (known instanceof Promise) void known.then(answer);
      else answer(known);
      return;
    }
    const remember = (a: Answer | Promise<Answer>) => {
      slot.recent.set(requestId, a);
      const max = this.#o.recentRequests ?? 10_000;
      // Trimmed in batches: deleting the oldest one at a time leaves holes every lookup of the oldest skips.
      if (slot.recent.size > max + (max >> 3)) trimRecent(slot, max);
    };
    const runner = this.#gw?.runner(key);
    if (runner === undefined) {
      return answer({
        status: SendStatus.REFUSED,
        seq: 0,
        code: ErrorCode.UNKNOWN_SESSION,
        text: "session gone",
      });
    }
    if (ifLoggedOn && !runner.loggedOn) {
      // Not remembered: the same request id is a new attempt once the session is logged on.
      return answer({
        status: SendStatus.REFUSED,
        seq: 0,
        code: ErrorCode.NOT_LOGGED_ON,
        text: `${key} is not logged on: nothing sent`,
      });
    }
    if (c.inFlight >= (this.#o.maxInFlight ?? 4096)) {
      return answer({ status: SendStatus.BACK_PRESSURE, seq: 0, code: 0, text: "too many sends in flight" });
    }
    let message: FixMessage;
    try {
      message = messageFromBody(body);
    } catch (e) {
      const a = {
        status: SendStatus.REFUSED,
        seq: 0,
        code: ErrorCode.INVALID_MESSAGE,
        text: e instanceof Error ? e.message : String(e),
      };
      remember(a);
      return answer(a);
    }
    let r;
    try {
      r = runner.send(message);
    } catch (e) {
      const a = {
        status: SendStatus.REFUSED,
        seq: 0,
        code: e instanceof SendRefusedError ? ErrorCode.SEND_REFUSED : ErrorCode.STORE_FAILED,
        text: e instanceof Error ? e.message : String(e),
      };
      remember(a);
      return answer(a);
    }
    if (r === "back-pressure") {
      return answer({
        status: SendStatus.BACK_PRESSURE,
        seq: 0,
        code: 0,
        text: "session outbound buffer full",
      });
    }
    if (r === 0) {
      const a = { status: SendStatus.QUEUED, seq: 0, code: 0, text: "" };
      remember(a);
      return answer(a);
    }
    const seq = r;
    c.inFlight++;
    // The flush starts after the session's own write (queued as a microtask by send): the journal's
    // write(2) must not delay the order on its way to the counterparty.
    const p = afterMicrotasks().then(() => this.flushJournal()).then(
      (): Answer => ({ status: SendStatus.ACCEPTED, seq, code: 0, text: "" }),
      (e): Answer => ({
        status: SendStatus.REFUSED,
        seq,
        code: ErrorCode.STORE_FAILED,
        text: `sent as ${seq} but the journal failed: ${e instanceof Error ? e.message : e}`,
      }),
    );
    remember(p);
    void p.then((a) => {
      c.inFlight--;
      if (slot.recent.get(requestId) === p) slot.recent.set(requestId, a);
      answer(a);
    });
  }
}

/**
 * The endpoint a config asks for (`engine: { socket, secret | secretEnv }`), or undefined when it has
 * no `engine.socket`. The secret is read here and never printed.
 */
export function engineServerFor(config: FixgConfig, logger: Logger): EngineServer | undefined {
  const e = config.raw.engine as { socket?: string; secret?: string; secretEnv?: string } | undefined;
  if (e?.socket === undefined) {
    if (e !== undefined && (e.secret !== undefined || e.secretEnv !== undefined)) {
      throw new ConfigError(`${config.file}: engine: a secret needs engine.socket (or --engine-socket)`);
    }
    return undefined;
  }
  if (e.socket === "") throw new ConfigError(`${config.file}: engine.socket: empty path`);
  if (e.secret !== undefined && e.secretEnv !== undefined) {
    throw new ConfigError(`${config.file}: engine: give secret or secretEnv, not both`);
  }
  let secret = e.secret;
  if (e.secretEnv !== undefined) {
    secret = Deno.env.get(e.secretEnv);
    if (secret === undefined || secret === "") {
      throw new ConfigError(
        `${config.file}: engine.secretEnv: environment variable ${e.secretEnv} is not set`,
      );
    }
  }
  if (secret !== undefined && secret.length < 16) {
    throw new ConfigError(`${config.file}: engine.secret: use at least 16 characters`);
  }
  return new EngineServer({
    socket: e.socket,
    ...(secret !== undefined ? { secret } : {}),
    ...(config.store.type === "file" ? { journalDir: config.store.dir } : {}),
    logger,
  });
}

/** A SEND body (`35=D|11=...` with SOH) as a FixMessage; session header/trailer tags are dropped. */
export function messageFromBody(body: Uint8Array): FixMessage {
  let msgType = "";
  const fields: Array<readonly [number, string]> = [];
  let p = 0;
  while (p < body.length) {
    let eq = p;
    while (eq < body.length && body[eq] !== 0x3d) eq++;
    let end = eq + 1;
    while (end < body.length && body[end] !== 1) end++;
    const tagText = latin1String(body, p, eq);
    const tag = Number(tagText);
    if (eq >= body.length || !/^[1-9][0-9]{0,8}$/.test(tagText)) {
      throw new Error(`bad field at byte ${p}: "${latin1String(body, p, Math.min(end, p + 20))}"`);
    }
    const value = latin1String(body, eq + 1, end);
    if (value === "") throw new Error(`tag ${tag} has an empty value`);
    if (tag === 35) msgType = value;
    else if (!SESSION_TAGS.has(tag)) fields.push([tag, value]);
    p = end + 1;
  }
  if (msgType === "") throw new Error("no MsgType (35)");
  return { msgType, fields };
}

/** What a claim reads from the journal for one session's newest epoch. */
export interface JournalScan {
  /** Inbound application messages with MsgSeqNum above `after`, ascending. */
  inbound: Array<{ seq: number; raw: Uint8Array }>;
  /** ClOrdID (11) -> MsgSeqNum of the outbound application messages (the first send of each), oldest first. */
  sent: Map<string, number>;
  /** Segments read (the scan walks back from the newest only as far as it needs). */
  segmentsRead: number;
}

/**
 * Reads one session's newest epoch from the journal, walking back from the newest segment: inbound
 * application messages (and 35=3) after `after`, and the ClOrdIDs of the last `maxSent` outbound ones.
 * It stops at the segment whose session table shows both covered (every segment starts with one), or
 * where the epoch or the session began, and yields to the event loop between segments: a long journal
 * does not stall the sessions.
 */
export async function scanJournal(
  dir: string,
  key: string,
  after: number,
  maxSent = 10_000,
): Promise<JournalScan> {
  const segments = listSegments(dir);
  const view = new MessageView();
  let epoch = -1;
  /** Per segment read, newest first. */
  const parts: Array<{ inbound: Array<{ seq: number; raw: Uint8Array }>; sent: Array<[string, number]> }> =
    [];
  let sentCount = 0;
  let read = 0;
  for (let i = segments.length - 1; i >= 0; i--) {
    if (read > 0) await new Promise((r) => setTimeout(r, 0));
    read++;
    const part = {
      inbound: [] as Array<{ seq: number; raw: Uint8Array }>,
      sent: [] as Array<[string, number]>,
    };
    let open: { epoch: number; nextSender: number; nextTarget: number } | undefined;
    let reset = false;
    const records: Array<
      { epoch: number; type: string; dir: string | undefined; seq: number; raw: Uint8Array }
    > = [];
    JournalReader.ofSegments(dir, [segments[i]!]).forEach((r) => {
      if (r.sessionKey !== key) return;
      if (r.type === "session-open" && open === undefined) {
        open = { epoch: r.epoch, nextSender: r.seq, nextTarget: r.seq2 };
        return;
      }
      if (r.type === "seq-reset") reset = true;
      if (r.type !== "message") return;
      records.push({
        epoch: r.epoch,
        type: msgTypeOf(r.payload),
        dir: r.direction,
        seq: r.seq,
        raw: r.payload.slice(),
      });
    });
    if (epoch < 0) {
      // The newest segment names the current epoch (its session table, or a reset in it).
      for (const r of records) epoch = Math.max(epoch, r.epoch);
      if (open !== undefined) epoch = Math.max(epoch, open.epoch);
      if (epoch < 0) continue; // The session has nothing here yet.
    }
    for (const r of records) {
      if (r.epoch !== epoch || ADMIN.has(r.type)) continue;
      if (r.dir === "out") {
        const id = view.parseInto(r.raw, 0, r.raw.length).getString(11);
        if (id !== undefined) {
          part.sent.push([id, r.seq]);
          sentCount++;
        }
      } else if (r.seq > after) part.inbound.push({ seq: r.seq, raw: r.raw });
    }
    parts.push(part);
    const o = open as { epoch: number; nextSender: number; nextTarget: number } | undefined;
    // Done when this segment began in an older epoch or before the session (the epoch started here), or
    // when its session table shows every inbound message after `after` and enough sends in here or later.
    if (o === undefined || o.epoch !== epoch || (reset && o.epoch < epoch)) break;
    if (o.nextTarget <= after + 1 && (o.nextSender <= 1 || sentCount >= maxSent)) break;
  }
  const bySeq = new Map<number, Uint8Array>();
  const sent = new Map<string, number>();
  for (let k = parts.length - 1; k >= 0; k--) {
    for (const m of parts[k]!.inbound) if (!bySeq.has(m.seq)) bySeq.set(m.seq, m.raw);
    for (const [id, seq] of parts[k]!.sent) if (!sent.has(id)) sent.set(id, seq);
  }
  return {
    inbound: [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map(([seq, raw]) => ({ seq, raw })),
    sent,
    segmentsRead: read,
  };
}

/** The last `size` inbound messages of a session (memory store replays), oldest overwritten. */
class Ring {
  readonly #items: Array<{ seq: number; raw: Uint8Array }> = [];
  #next = 0;
  constructor(readonly size: number) {}

  push(seq: number, raw: Uint8Array): void {
    if (this.#items.length < this.size) this.#items.push({ seq, raw });
    else this.#items[this.#next] = { seq, raw };
    this.#next = (this.#next + 1) % this.size;
  }

  /** Messages with MsgSeqNum above `seq`, oldest first. */
  after(seq: number): Array<{ seq: number; raw: Uint8Array }> {
    const n = this.#items.length;
    const start = n < this.size ? 0 : this.#next;
    const out: Array<{ seq: number; raw: Uint8Array }> = [];
    for (let i = 0; i < n; i++) {
      const m = this.#items[(start + i) % n]!;
      if (m.seq > seq) out.push(m);
    }
    return out;
  }
}

/** Keeps the newest `max` answers of a session (a new Map: no holes left). */
function trimRecent(slot: Slot, max: number): void {
  if (slot.recent.size <= max) return;
  slot.recent = new Map([...slot.recent].slice(slot.recent.size - max));
}

/** Resolves after the microtasks queued so far (the session runner's write among them). */
function afterMicrotasks(): Promise<void> {
  return new Promise((r) => queueMicrotask(r));
}

/** Compares secrets without stopping at the first difference. */

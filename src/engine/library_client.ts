/**
 * The library side of the engine protocol (docs/library_protocol.md): `connectEngine({ socket })`
 * attaches to a running `fixg run` over its Unix socket; `claim(key, application)` runs the same
 * `Application` callbacks an in-process session would, and the handle given to them sends like
 * `SessionHandle.send`. When the engine goes away the library reconnects with backoff and claims its
 * sessions again from the last inbound MsgSeqNum its application processed, so nothing is missed.
 */
import { MessageView } from "../codec/mod.ts";
import { FixgError } from "../errors.ts";
import type { Application } from "./application.ts";
import {
  type Command,
  commandFrameView,
  decodeEvent,
  ERROR_NAMES,
  ErrorCode,
  type Event,
  EVENT_TYPES,
  FrameType,
  messageFrame,
  PROTOCOL_VERSION,
  SendStatus,
  type SessionInfo,
} from "./protocol.ts";
import { FrameOut, FrameSplitter } from "./protocol_stream.ts";
import { type Pending, PendingSends, type Posted } from "./library_pending.ts";
import {
  type EngineConnectOptions,
  EngineError,
  type EngineLibrary,
  type LibraryLink,
  LibrarySession,
  type SendAnswer,
  type SequenceRequest,
} from "./library_session.ts";
import type { SequenceOutcome } from "./boundary.ts";
import { Replies, seqRefused } from "./library_replies.ts";
import {
  callbackFailed,
  claimed,
  loggedOn,
  loggedOut,
  notResent,
  postRefused,
  sendFailed,
  sessionsDown,
} from "./library_callbacks.ts";

export type { SessionInfo } from "./protocol.ts";
// The public types and the body/key helpers live in their own modules; importers use this path.
export { type EngineConnectOptions, EngineError, type EngineLibrary, LibrarySession, type SendAnswer };
export { encodeBody, sessionIdOfKey } from "./library_body.ts";

/** The answer to a `send` (no one waits for it). */
const IGNORED = (_a: SendAnswer): void => {};

/** Connects to the engine at `options.socket`, says HELLO and resolves once the engine accepted it. */
export async function connectEngine(options: EngineConnectOptions): Promise<EngineLibrary> {
  const lib = new Library(options);
  await lib.open();
  return lib;
}

class Library implements LibraryLink {
  readonly #o: EngineConnectOptions;
  #conn: Deno.UnixConn | undefined;
  #ready = false;
  #closed = false;
  /** Why the library is done for good (close(), or the connection lost with `reconnect: false`). */
  #ended = "library closed";
  /** The backoff wait of a reconnection (cleared by close()). */
  #backoff: ReturnType<typeof setTimeout> | undefined;
  #wakeBackoff: (() => void) | undefined;
  readonly #sessions = new Map<string, LibrarySession>();
  /** Unanswered sends by key, then requestId (no key string built per send). */
  readonly #pending = new PendingSends();
  /** Claims, releases, LISTs, RESET/SET_SEQs and the sends awaiting the engine's answer. */
  readonly #replies = new Replies(this.#pending);
  readonly #claims = this.#replies.claims;
  /** whenWritable() callers waiting: resolved when writable, rejected when the library is done. */
  #writers: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** Frames to the engine: those of one turn go out in one write at its end. */
  #out: FrameOut | undefined;
  #hello: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** The view onMessage gets, re-pointed at each message. */
  readonly #view = new MessageView();

  constructor(o: EngineConnectOptions) {
    this.#o = o;
  }

  get connected(): boolean {
    return this.#ready;
  }

  get ended(): string | undefined {
    return this.#closed ? this.#ended : undefined;
  }

  get writable(): boolean {
    return this.#ready && this.#pending.size < (this.#o.window ?? 1024);
  }

  async open(): Promise<void> {
    let conn: Deno.UnixConn;
    try {
      conn = await Deno.connect({ transport: "unix", path: this.#o.socket });
    } catch (e) {
      const path = this.#o.socket;
      const what = e instanceof Deno.errors.NotFound || e instanceof Deno.errors.ConnectionRefused
        ? `: is \`fixg run\` running with \`engine: { socket: ${path} }\` (or --engine-socket ${path})?`
        : e instanceof Deno.errors.PermissionDenied
        ? ": the socket is mode 0600: run as the user the gateway runs as"
        : "";
      throw new FixgError(
        "ENGINE_UNREACHABLE",
        `cannot connect to the engine at ${path}: ${e instanceof Error ? e.message : e}${what}`,
        { exitCode: 1 },
      );
    }
    if (this.#closed) {
      // close() came while connecting (a reconnection): this connection is not kept.
      conn.close();
      throw new EngineError(0, this.#ended);
    }
    this.#conn = conn;
    this.#out = new FrameOut(conn, () => {
      try {
        conn.close(); // The read loop sees it and reconnects.
      } catch {
        // Closed.
      }
    }, { afterTurn: true });
    const hello = new Promise<void>((resolve, reject) => this.#hello = { resolve, reject });
    void this.#read(conn);
    this.#out.push(commandFrameView({
      type: "hello",
      version: PROTOCOL_VERSION,
      name: this.#o.name ?? "library",
      secret: this.#o.secret ?? "",
    }));
    // An engine that accepted the connection but does not answer (a stopped process) is not waited for
    // forever: the connection is closed and connectEngine rejects (a reconnection tries again).
    const ms = this.#o.helloTimeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      if (this.#conn !== conn || this.#hello === undefined) return;
      this.#hello.reject(
        new EngineError(
          0,
          `no HELLO_OK from the engine at ${this.#o.socket} within ${ms} ms: is it running (not stopped), and is this its engine.socket?`,
        ),
      );
      this.#hello = undefined;
      this.#conn = undefined; // Its read loop ends without #lost: nothing was connected.
      try {
        conn.close();
      } catch {
        // Closed.
      }
    }, ms);
    try {
      await hello;
    } finally {
      clearTimeout(timer);
    }
  }

  sessions(): Promise<SessionInfo[]> {
    if (this.#closed) return Promise.reject(new EngineError(0, this.#ended));
    if (!this.#ready) return Promise.reject(new EngineError(0, "not connected to the engine"));
    const { tag, answer } = this.#replies.list();
    this.command({ type: "list", tag });
    return answer;
  }

  sequence(c: SequenceRequest): Promise<SequenceOutcome> {
    if (this.#closed) return Promise.resolve(seqRefused(0, this.#ended));
    if (!this.#ready) return Promise.resolve(seqRefused(0, "not connected to the engine"));
    const { tag, answer } = this.#replies.sequence();
    this.command({ ...c, tag });
    return answer;
  }

  claim(
    key: string,
    app: Application,
    options: { lastProcessedInSeq?: number } = {},
  ): Promise<LibrarySession> {
    if (this.#closed) return Promise.reject(new EngineError(0, this.#ended));
    if (this.#sessions.has(key) || this.#claims.has(key)) {
      return Promise.reject(
        new EngineError(ErrorCode.CLAIMED_BY_OTHER, `${key} is already claimed by this library`),
      );
    }
    const s = new LibrarySession(this, key, app, options.lastProcessedInSeq ?? 0);
    s.liveOnly = options.lastProcessedInSeq === undefined;
    const p = new Promise<LibrarySession>((resolve, reject) => this.#claims.set(key, { resolve, reject }));
    this.#sessions.set(key, s);
    this.#sendClaim(s, options.lastProcessedInSeq !== undefined);
    return p.catch((e) => {
      this.#sessions.delete(key);
      throw e;
    });
  }

  #sendClaim(s: LibrarySession, replay: boolean): void {
    this.command({ type: "claim", key: s.key, replay, lastProcessedInSeq: s.lastProcessedInSeq });
  }

  release(key: string): Promise<void> {
    const s = this.#sessions.get(key);
    if (s === undefined) return Promise.resolve();
    s.detach("released");
    this.#sessions.delete(key);
    if (!this.#ready) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.#replies.releases.set(key, { resolve, reject }));
    this.command({ type: "release", key });
    return p;
  }

  close(): Promise<void> {
    if (!this.#closed) this.#ended = "library closed";
    this.#closed = true;
    this.#ready = false;
    try {
      this.#conn?.close();
    } catch {
      // Already closed.
    }
    // A reconnection waiting out its backoff stops now (no timer left behind).
    clearTimeout(this.#backoff);
    this.#wakeBackoff?.();
    this.#failAll(new EngineError(0, this.#ended));
    this.#sessionsDown();
    return Promise.resolve();
  }

  post(key: string, requestId: string, body: Uint8Array, msgType: string, clOrdId: string | undefined): void {
    if (!this.#ready || this.#pending.get(key, requestId) !== undefined) return; // The first one's answer stands for both.
    const p: Pending & Posted = { requestId, resolve: IGNORED, posted: undefined, msgType, clOrdId };
    p.posted = p;
    this.#pending.set(key, p);
    this.command({ type: "send", key, requestId, body });
  }

  submit(key: string, requestId: string, body: Uint8Array, ifLoggedOn = false): Promise<SendAnswer> {
    const known = this.#pending.get(key, requestId);
    if (known !== undefined) {
      // Same request again while the first waits: both get the one answer.
      return new Promise((resolve) => {
        const first = known.resolve;
        known.resolve = (a) => {
          first(a);
          resolve(a);
        };
      });
    }
    if (this.#closed) {
      return Promise.resolve({ requestId, status: "refused", seq: 0, code: 0, text: this.#ended });
    }
    if (!this.#ready) {
      return Promise.resolve({
        requestId,
        status: "back-pressure",
        seq: 0,
        code: 0,
        text: "not connected to the engine",
      });
    }
    return new Promise((resolve) => {
      this.#pending.set(key, { requestId, resolve });
      this.command(
        ifLoggedOn
          ? { type: "send", key, requestId, body, ifLoggedOn }
          : { type: "send", key, requestId, body },
      );
    });
  }

  whenWritable(): Promise<void> {
    if (this.#closed) return Promise.reject(new EngineError(0, this.#ended));
    if (this.#ready && this.#pending.size <= (this.#o.window ?? 1024) / 2) return Promise.resolve();
    return new Promise((resolve, reject) => this.#writers.push({ resolve, reject }));
  }

  command(c: Command): void {
    if (this.#conn === undefined || (!this.#ready && c.type !== "hello")) return;
    this.#out?.push(commandFrameView(c));
  }

  async #read(conn: Deno.UnixConn): Promise<void> {
    const split = new FrameSplitter();
    const buf = new Uint8Array(64 * 1024);
    let why = "the engine closed the connection";
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        split.push(buf.subarray(0, n));
        while (split.next()) {
          const type = split.buf[split.start]!;
          if (type === FrameType.MESSAGE) {
            // The hot path: no event object, the view parsed where the frame was read.
            const m = messageFrame(split.buf, split.start, split.end);
            this.#message(m.key, m.seq, m.replayed, split.buf, m.rawStart, m.rawEnd);
            continue;
          }
          if (!EVENT_TYPES.has(type)) continue; // A later version's event.
          // MESSAGE bytes stay in the read buffer: the view handed to onMessage is valid during the callback
          // only, as in-process (`copy()` to keep it).
          this.#event(decodeEvent(split.buf, split.start, split.end, false));
        }
      }
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
    try {
      conn.close();
    } catch {
      // Closed.
    }
    if (conn !== this.#conn) return;
    this.#lost(why);
  }

  #event(e: Event): void {
    switch (e.type) {
      case "hello-ok":
        this.#ready = true;
        this.#o.onStatus?.("connected", `${e.engine}, library id ${e.libraryId}`);
        this.#hello?.resolve();
        this.#hello = undefined;
        return;
      case "error": {
        const err = new EngineError(e.code, `engine: ${ERROR_NAMES[e.code] ?? e.code}: ${e.text}`);
        if (this.#hello !== undefined) {
          // Refused at HELLO (a wrong secret, a version it does not speak): done for good, every call says why.
          this.#hello.reject(err);
          this.#hello = undefined;
          this.#ended = err.message;
          this.#closed = true;
          this.#failAll(err);
          // A reconnection refused: the sessions it held go down with it.
          this.#sessionsDown();
        }
        this.#o.onStatus?.("disconnected", err.message);
        return;
      }
      case "sessions":
        this.#replies.lists.get(e.tag)?.resolve(e.sessions);
        this.#replies.lists.delete(e.tag);
        return;
      case "claimed": {
        const s = this.#sessions.get(e.key);
        if (s !== undefined) claimed(s, e, this.#claims.has(e.key));
        return;
      }
      case "message":
        return this.#message(e.key, e.seq, e.replayed, e.raw, 0, e.raw.length);
      case "live": {
        const s = this.#sessions.get(e.key);
        if (s !== undefined) s.replaying = false;
        const c = this.#claims.get(e.key);
        this.#claims.delete(e.key);
        if (c !== undefined && s !== undefined) c.resolve(s);
        return;
      }
      case "refused": {
        const err = new EngineError(e.code, e.text, e.holder);
        const c = this.#claims.get(e.key);
        if (c !== undefined) {
          this.#claims.delete(e.key);
          c.reject(err);
          return;
        }
        const r = this.#replies.releases.get(e.key);
        if (r !== undefined) {
          this.#replies.releases.delete(e.key);
          r.resolve();
          return;
        }
        // A re-claim after a reconnect refused (another library took the session meanwhile).
        const s = this.#sessions.get(e.key);
        if (s !== undefined) {
          s.detach(`claimed again after a reconnect and refused: ${e.text}`);
          this.#sessions.delete(e.key);
          this.#o.onStatus?.("disconnected", `${e.key}: claim refused: ${e.text}`);
        }
        return;
      }
      case "seq-result":
        return this.#replies.seqResult(e);
      case "state": {
        const s = this.#sessions.get(e.session.key);
        if (s !== undefined) s.state = e.session;
        return;
      }
      case "released": {
        const r = this.#replies.releases.get(e.key);
        this.#replies.releases.delete(e.key);
        r?.resolve();
        return;
      }
      case "logon": {
        const s = this.#sessions.get(e.key);
        if (s !== undefined) loggedOn(s);
        return;
      }
      case "logout": {
        const s = this.#sessions.get(e.key);
        if (s !== undefined) loggedOut(s, e.reason);
        return;
      }
      case "send-failed": {
        // onSendFailed: a fire-and-forget send's refusal that follows is then not reported a second time.
        if (e.requestId !== "") {
          if (this.#pending.get(e.key, e.requestId)?.posted !== undefined) {
            this.#pending.delete(e.key, e.requestId);
            this.#wakeWriters();
          }
        }
        const s = this.#sessions.get(e.key);
        if (s !== undefined) sendFailed(s, e);
        return;
      }
      case "not-resent": {
        const s = this.#sessions.get(e.key);
        if (s !== undefined) notResent(s, e.seq, this.#view.parseInto(e.raw, 0, e.raw.length));
        return;
      }
      case "send-result": {
        const p = this.#pending.take(e.key, e.requestId);
        if (p === undefined) return;
        if (p.posted !== undefined) {
          if (e.status === SendStatus.BACK_PRESSURE || e.status === SendStatus.REFUSED) {
            const s = this.#sessions.get(e.key);
            if (s !== undefined) postRefused(s, e.seq, p.posted, e.status, e.code, e.text);
          }
          this.#wakeWriters();
          return;
        }
        p.resolve({
          requestId: e.requestId,
          status: e.status === SendStatus.ACCEPTED
            ? "accepted"
            : e.status === SendStatus.QUEUED
            ? "queued"
            : e.status === SendStatus.BACK_PRESSURE
            ? "back-pressure"
            : "refused",
          seq: e.seq,
          code: e.code,
          text: e.text,
        });
        this.#wakeWriters();
        return;
      }
    }
  }

  /** A MESSAGE: the application's onMessage (fromAdmin for a session-level Reject), with `buf[start, end)` parsed. */
  #message(key: string, seq: number, replayed: boolean, buf: Uint8Array, start: number, end: number): void {
    const s = this.#sessions.get(key);
    if (s === undefined) return;
    if (seq !== 0 && seq <= s.lastProcessedInSeq && replayed) return;
    s.replaying = replayed;
    const view = this.#view.parseInto(buf, start, end);
    try {
      // A session-level Reject is an admin message: fromAdmin, as in-process.
      if (view.msgType === "3") s.app.fromAdmin?.(view, s);
      else s.app.onMessage?.(view, s);
    } catch (e) {
      callbackFailed(e);
    }
    if (seq > s.lastProcessedInSeq) s.lastProcessedInSeq = seq;
  }

  #wakeWriters(): void {
    if (this.#writers.length === 0 || !this.#ready) return;
    if (this.#pending.size > (this.#o.window ?? 1024) / 2) return;
    const w = this.#writers;
    this.#writers = [];
    for (const r of w) r.resolve();
  }

  /** The connection is gone: unanswered sends get "unknown outcome"; reconnect unless closed. */
  #lost(why: string): void {
    const wasReady = this.#ready;
    this.#ready = false;
    this.#conn = undefined;
    if (this.#hello !== undefined) {
      this.#hello.reject(new EngineError(0, `engine closed the connection before HELLO_OK: ${why}`));
      this.#hello = undefined;
      return;
    }
    this.#replies.lost(why);
    if (this.#closed) return;
    if (wasReady) this.#o.onStatus?.("disconnected", why);
    if (this.#o.reconnect === false) {
      // Done for good: every later call (claim, whenWritable...) rejects with this instead of waiting.
      this.#ended =
        `connection to the engine lost: ${why} (reconnect: false): connectEngine again to attach to the engine`;
      this.#closed = true;
      this.#failAll(new EngineError(0, this.#ended));
      this.#sessionsDown();
      return;
    }
    // Reconnecting: the engine still holds the FIX sessions (logged on, heartbeating), so each session
    // keeps the state the engine reported last; the re-claim brings it up to date (onLogon, or onLogout
    // "logged out while detached").
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    let delay = 100;
    while (!this.#closed) {
      this.#o.onStatus?.("reconnecting", `in ${delay} ms`);
      await new Promise<void>((r) => {
        this.#wakeBackoff = r;
        this.#backoff = setTimeout(r, delay);
      });
      this.#backoff = undefined;
      this.#wakeBackoff = undefined;
      if (this.#closed) return;
      try {
        await this.open();
      } catch {
        delay = Math.min(delay * 2, this.#o.maxBackoffMs ?? 5000);
        continue;
      }
      // Claim every session again from where its application got to.
      for (const s of this.#sessions.values()) this.#sendClaim(s, true);
      this.#wakeWriters();
      return;
    }
  }

  /** The library is done for good: its logged-on sessions get onLogout with the end reason (library_callbacks.ts). */
  #sessionsDown(): void {
    sessionsDown(this.#sessions.values(), this.#ended);
  }

  #failAll(e: Error): void {
    this.#replies.failAll(e);
    const w = this.#writers;
    this.#writers = [];
    for (const r of w) r.reject(e);
  }
}

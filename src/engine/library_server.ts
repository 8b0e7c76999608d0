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
import { type Scheduler, systemScheduler } from "../clock.ts";
import type { Application } from "./application.ts";
import {
  type CommandTarget,
  commandTarget,
  type EngineEvent,
  sendFailureOf,
  type SequenceCommand,
  sinkApplication,
} from "./boundary.ts";
import type { Gateway, GatewaySessionStatus } from "./gateway.ts";
import {
  type Command,
  ErrorCode,
  type Event,
  MAX_REQUEST_ID_BYTES,
  messageEventView,
  SendStatus,
  type SessionInfo,
} from "./protocol.ts";
import { type Answer, Journaling, LibraryConn, newSlot, type Slot } from "./library_conn.ts";
import { RecentIds } from "./library_ids.ts";
import { type JournalScan, type ReplayBatches, Ring, scanJournal, sendReplay } from "./library_journal.ts";
export { type JournalScan, scanJournal };
import { type EndpointRequests, seedFromScan, seedRequests, storeRequestsOf } from "./library_requests.ts";
import {
  journaledAnswer,
  notClaimed,
  outcomeAnswer,
  sendFailedEvent,
  sequenceResult,
  sessionInfo,
  shownKey,
  utf8Length,
} from "./library_answers.ts";
import type { SessionRunner } from "./session_runner.ts";
import type { EngineServerOptions } from "./library_options.ts";
import { RefusalLog } from "./refusal_log.ts";
import { LibraryIntake } from "./library_intake.ts";

// Split out of this module; importers keep using this path (engineServerFor: ./library_config.ts).
export { messageFromBody } from "./library_body.ts";
export type { EngineServerOptions } from "./library_options.ts";

/** The engine's library endpoint. */
export class EngineServer {
  /** The application the gateway runs engine-managed sessions with (pass to buildGateway). */
  readonly app: Application;
  readonly #o: EngineServerOptions;
  readonly #slots = new Map<string, Slot>();
  readonly #conns = new Set<LibraryConn>();
  /** Refusals (wrong secret, too many connections without HELLO): rate limited. */
  readonly #refusals: RefusalLog;
  #gw: Gateway | undefined;
  /** The socket, its accept loop with the connection limits, HELLO timeouts and reads (library_intake.ts). */
  readonly #intake: LibraryIntake;
  #flushRunning: Promise<void> | undefined;
  #flushNext: Promise<void> | undefined;
  /** Sends of this turn the session took, for the next journal flush. */
  #journaling: Journaling[] = [];
  #stopping = false;
  #replayReads = 0;
  readonly #targets = new WeakMap<SessionRunner, CommandTarget>();
  /** PostgreSQL store: request ids kept with their messages (library_requests.ts). */
  #requests: EndpointRequests | undefined;

  constructor(options: EngineServerOptions) {
    this.#o = options;
    this.#refusals = new RefusalLog(options.logger, () => this.#scheduler());
    this.#intake = new LibraryIntake({
      options,
      conns: this.#conns,
      scheduler: () => this.#scheduler(),
      refusals: this.#refusals,
      command: (c, cmd) => this.#command(c, cmd),
      internalError: (c, e) => this.#internalError(c, e),
      drop: (c, why) => this.#drop(c, why),
    });
    this.app = sinkApplication(
      { emit: (e) => this.#emit(e) },
      ["logon", "logout", "message", "admin", "send-failed", "not-resent"],
    );
  }

  /** The sessions' events (boundary.ts) to the holder's socket, as the protocol's frames. */
  #emit(e: EngineEvent): void {
    this.#o.observe?.(e);
    switch (e.type) {
      case "logon":
      case "logout": {
        const h = this.#slot(e.key).holder;
        h?.send(e);
        return this.#sendState(h, e.key);
      }
      case "message": {
        // The session's parsed message: its bytes are read where they are (no view of them made).
        const v = e.view;
        if (v !== undefined) return this.#onMessage(e.seq, e.key, v.buf, v.start, v.end);
        return this.#onMessage(e.seq, e.key, e.raw, 0, e.raw.length);
      }
      case "admin":
        if (e.msgType === "3") this.#onMessage(e.seq, e.key, e.raw, 0, e.raw.length);
        return;
      case "send-failed":
        return this.#report(sendFailedEvent(this.#slot(e.key), sendFailureOf(e), e.key));
      case "not-resent":
        return this.#report({ type: "not-resent", key: e.key, seq: e.seq, raw: e.raw.slice() });
    }
  }

  /** The gateway whose sessions are served (set before `start`); its store's flush journals sends. */
  attach(gw: Gateway): void {
    this.#gw = gw;
    // The store's capabilities (store/types.ts): a store-wide flush (the file journal), request ids.
    const store = gw.store;
    if (this.#o.flush === undefined && store.flush !== undefined) this.#o.flush = () => store.flush!();
    this.#requests = storeRequestsOf(store);
    // Sends are answered once their commit is done (the PostgreSQL store has no store-wide flush).
    if (this.#requests !== undefined) this.#o.flush ??= this.#requests.flush;
  }

  /** The socket path. */
  get socket(): string {
    return this.#o.socket;
  }

  /** Journal (or database) reads for claims since the start: one per session at a time (#claim). */
  get replayReads(): number {
    return this.#replayReads;
  }

  /** Library connections open (with a HELLO or waiting for one). */
  get libraries(): number {
    return this.#conns.size;
  }

  /** Connections that have not completed their HELLO (at most `maxPendingLibraries`). */
  get pendingLibraries(): number {
    return this.#intake.pending;
  }

  #scheduler(): Scheduler {
    return this.#o.scheduler ?? this.#gw?.scheduler ?? systemScheduler;
  }

  /** Which library holds a session ("name#id"), or undefined while engine-managed. */
  holderOf(key: string): string | undefined {
    return this.#slots.get(key)?.holder?.label;
  }

  /** Listens on the socket (mode 0600). A stale socket file is replaced; a live one is an error. */
  async start(): Promise<void> {
    this.#stopping = false;
    await this.#intake.listen();
  }

  /** Stops listening, drops every library (their sessions return to the engine) and removes the socket. */
  stop(): void {
    this.#stopping = true;
    this.#intake.close();
    for (const c of [...this.#conns]) this.#drop(c, "engine stopping");
    this.#intake.removeSocket();
  }

  /** Work of a command that goes on after it was read: a failure drops that library (logged), never the engine. */
  #guard(c: LibraryConn, p: Promise<void>): void {
    p.catch((e) => this.#internalError(c, e));
  }

  /** A command failed inside the engine: logged, and that library dropped (its sessions return to the engine). */
  #internalError(c: LibraryConn, e: unknown): void {
    this.#o.logger.error(
      "engine",
      `library ${c.label}: internal error, disconnected: ${e instanceof Error ? e.message : String(e)}`,
    );
    this.#drop(c, "internal error");
  }

  /** Carries out one command; false when the connection must close. */
  #command(c: LibraryConn, cmd: Command): boolean {
    if (!c.ready) {
      if (!c.hello(cmd, this.#o.secret, this.#o.logger, (t) => this.#refusals.warn("engine", t))) {
        return false;
      }
      this.#intake.helloDone(c);
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
        this.#guard(c, this.#claim(c, cmd.key, cmd.replay, cmd.lastProcessedInSeq));
        return true;
      case "release":
        this.#release(c, cmd.key, "released");
        return true;
      case "send":
        this.#send(c, cmd);
        return true;
      case "logout": {
        const slot = this.#slots.get(cmd.key);
        const r = this.#gw?.runner(cmd.key);
        if (slot?.holder !== c || r === undefined) {
          c.send(notClaimed(cmd.key, slot?.holder, "LOGOUT needs the session claimed"));
        } else this.#target(r).apply(cmd);
        return true;
      }
      case "reset":
      case "set-seq":
        this.#guard(c, this.#sequence(c, cmd));
        return true;
    }
  }

  /** RESET, SET_SEQ: SEQ_RESULT with the command's tag (library_answers.ts), then STATE when carried out. */
  async #sequence(c: LibraryConn, cmd: SequenceCommand): Promise<void> {
    // SENDs read before it wait for the first claim's seeding (#send): the command follows them.
    const seeding = this.#slots.get(cmd.key)?.seeding;
    if (seeding !== undefined) {
      // Bounded: a library with more than MAX_WAITING_COMMANDS waiting is disconnected.
      if (c.waitingCommands >= MAX_WAITING_COMMANDS) {
        this.#refusals.warn(
          "engine",
          `library ${c.label} disconnected: more than ${MAX_WAITING_COMMANDS} RESET/SET_SEQ waiting for a session's first journal read`,
        );
        return this.#drop(c, "too many commands waiting");
      }
      c.waitingCommands++;
      await seeding.catch(() => {});
      c.waitingCommands--;
      if (c.closed) return;
    }
    const holder = this.#slots.get(cmd.key)?.holder;
    const r = this.#gw?.runner(cmd.key);
    const result = await sequenceResult(cmd, r && this.#target(r), holder === c, holder?.label);
    c.send(result);
    if (result.code === 0) this.#sendState(c, cmd.key);
  }

  /** STATE of one session to its holder. */
  #sendState(h: LibraryConn | undefined, key: string): void {
    if (h === undefined) return;
    const s = this.#gw?.sessionStatus(key);
    if (s === undefined) return;
    h.send({ type: "state", session: this.#info(s) });
  }

  #info(s: GatewaySessionStatus): SessionInfo {
    return sessionInfo(s, this.#slots.get(s.key)?.holder?.label ?? "");
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
      // Replays read the file journal or PostgreSQL; the memory store keeps a ring.
      const ring = this.#o.journalDir === undefined && this.#requests === undefined
        ? new Ring(this.#o.memoryReplay ?? 10_000)
        : undefined;
      s = newSlot(key, new RecentIds(this.#o.recentRequests ?? 10_000), ring);
      this.#slots.set(key, s);
    }
    return s;
  }

  /** An inbound application message, `buf[start, end)`: to the holder (or held while its replay is read). */
  #onMessage(seq: number, key: string, buf: Uint8Array, start: number, end: number): void {
    const slot = this.#slot(key);
    slot.ring?.push(seq, buf.slice(start, end));
    const h = slot.holder;
    if (h === undefined) return;
    if (slot.pending !== undefined) {
      slot.pending.push({ seq, raw: buf.slice(start, end) });
      slot.pendingBytes += end - start;
      if (slot.pendingBytes + h.queuedBytes > h.maxQueuedBytes) h.onTooSlow();
    } else h.sendFrame(messageEventView(key, seq, false, buf, start, end));
  }

  /** SEND_FAILED, NOT_RESENT (library_answers.ts) to the holder, or kept for the next one (the newest 10 000). */
  #report(e: Extract<Event, { type: "send-failed" | "not-resent" }>): void {
    const slot = this.#slot(e.key);
    if (slot.holder !== undefined) return slot.holder.send(e);
    slot.unreported.push(e);
    if (slot.unreported.length > 10_000) slot.unreported.shift();
  }

  async #claim(c: LibraryConn, key: string, replay: boolean, last: number): Promise<void> {
    const gw = this.#gw;
    const runner = gw?.runner(key);
    const refuse = (code: number, text: string, holder = "") =>
      c.send({ type: "refused", key, code, holder, text });
    if (gw === undefined || runner === undefined) {
      return refuse(ErrorCode.UNKNOWN_SESSION, `no session "${shownKey(key)}" in this engine`);
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
    slot.pendingBytes = 0;
    const token = {};
    slot.replaying = replay ? token : undefined;
    this.#o.logger.info("engine", `library ${c.label} claimed the session`, key);
    c.send({
      type: "claimed",
      key,
      loggedOn: runner.loggedOn,
      nextSenderSeq: runner.status().nextSenderSeq,
      nextTargetSeq: runner.status().nextTargetSeq,
    });
    this.#sendState(c, key);
    // One replay scan of a session at a time (CLAIMs can come faster than the journal is read): a claim
    // superseded while it waits (a newer CLAIM of the session, a RELEASE, a disconnect) reads nothing.
    while (replay && slot.reading !== undefined) {
      await slot.reading;
      if (slot.holder !== c || slot.replaying !== token) return;
    }
    const dir = this.#o.journalDir;
    let scan: Promise<JournalScan> | undefined;
    if (dir !== undefined && (replay || !slot.seeded)) {
      scan = this.flushJournal().then(() => {
        this.#replayReads++;
        return scanJournal(dir, key, replay ? last : 0xffffffff, this.#o.recentRequests ?? 10_000);
      });
      if (!slot.seeded) {
        slot.seeded = true;
        slot.seeding = seedFromScan(slot, scan);
      }
    }
    if (this.#requests !== undefined) {
      seedRequests(slot, this.#requests.log, key, this.#o.recentRequests ?? 10_000, this.#o.logger);
    }
    if (!replay) {
      c.send({ type: "live", key, replayed: 0 });
      this.#sendUnreported(c, slot);
      return;
    }
    // The scan is one read at a time; the replay then reads and sends a batch at a time, and a newer
    // claim does not wait for that (a superseded replay ends at its next message, holding one batch).
    let finish!: () => void;
    const done = new Promise<void>((r) => finish = r);
    slot.reading = done;
    try {
      let old: ReplayBatches;
      try {
        if (scan !== undefined) old = (await scan).inbound();
        else if (this.#requests !== undefined) {
          this.#replayReads++;
          old = this.#requests.inbound(key, last);
        } else old = [slot.ring?.after(last) ?? []];
      } finally {
        if (slot.reading === done) slot.reading = undefined;
        finish();
      }
      if (slot.holder !== c || slot.replaying !== token) return; // Released, gone or claimed again meanwhile.
      const max = c.maxQueuedBytes;
      await sendReplay(c, slot, token, last, old, Math.min(1024 * 1024, max >> 2));
    } catch (e) {
      if (slot.replaying !== token) return; // Superseded: the newer claim reads for itself.
      if (slot.holder === c) {
        slot.holder = undefined;
        slot.pending = undefined;
        slot.replaying = undefined;
        c.claims.delete(key);
      }
      return refuse(ErrorCode.REPLAY_FAILED, `replay failed: ${e instanceof Error ? e.message : e}`);
    }
    if (slot.holder === c && !c.closed) this.#sendUnreported(c, slot);
  }

  /** SEND_FAILED events that came while no library held the session, to its new holder. */
  #sendUnreported(c: LibraryConn, slot: Slot): void {
    const u = slot.unreported;
    if (u.length === 0) return;
    slot.unreported = [];
    for (const e of u) c.send(e);
  }

  #release(c: LibraryConn, key: string, reason: string): void {
    const slot = this.#slots.get(key);
    if (slot === undefined || slot.holder !== c) {
      c.send(notClaimed(key, slot?.holder, "not claimed by this library"));
      return;
    }
    slot.holder = undefined;
    slot.pending = undefined;
    slot.replaying = undefined;
    c.claims.delete(key);
    c.send({ type: "released", key, reason });
    this.#o.logger.info("engine", `library ${c.label} released the session`, key);
  }

  #drop(c: LibraryConn, why: string): void {
    if (!this.#conns.delete(c)) return;
    this.#intake.helloDone(c);
    for (const key of c.claims) {
      const slot = this.#slots.get(key);
      if (slot?.holder === c) {
        slot.holder = undefined;
        slot.pending = undefined;
        slot.replaying = undefined;
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

  /** The command target of a session (boundary.ts), one per runner. */
  #target(runner: SessionRunner): CommandTarget {
    let t = this.#targets.get(runner);
    if (t === undefined) this.#targets.set(runner, t = commandTarget(runner));
    return t;
  }

  /** The SEND_RESULT of `a` to `c`. */
  #answer(c: LibraryConn, key: string, requestId: string, a: Answer): void {
    c.send({ type: "send-result", key, requestId, status: a.status, seq: a.seq, code: a.code, text: a.text });
  }

  /** Remembers the answer (or pending answer) of a request id (the oldest go: library_ids.ts). */
  #remember(slot: Slot, requestId: string, a: Answer | Journaling): void {
    slot.recent.set(requestId, a);
  }

  #send(c: LibraryConn, cmd: Extract<Command, { type: "send" }>): void {
    const { key, requestId } = cmd;
    if (requestId.length > MAX_REQUEST_ID_BYTES / 3 && utf8Length(requestId) > MAX_REQUEST_ID_BYTES) {
      // Remembered 10 000 per session: a long one would pin memory. Not remembered itself.
      return this.#answer(c, key, requestId, {
        status: SendStatus.REFUSED,
        seq: 0,
        code: ErrorCode.INVALID_MESSAGE,
        text: `request id longer than ${MAX_REQUEST_ID_BYTES} bytes`,
      });
    }
    const slot = this.#slots.get(key);
    if (slot === undefined || slot.holder !== c) {
      return this.#answer(c, key, requestId, {
        status: SendStatus.REFUSED,
        seq: 0,
        code: this.#gw?.runner(key) === undefined ? ErrorCode.UNKNOWN_SESSION : ErrorCode.NOT_CLAIMED,
        text: slot?.holder !== undefined
          ? `${key} is claimed by library ${slot.holder.label}`
          : "SEND needs the session claimed by this library",
      });
    }
    if (slot.seeding !== undefined) {
      // The first claim is still reading what the journal shows sent: answer after it, in order. Those
      // waiting count as in flight, and their bodies (copies) towards maxQueuedBytes: beyond either,
      // BACK_PRESSURE now instead of a queue without bound.
      const max = this.#o.maxInFlight ?? 4096;
      if (c.inFlight >= max || c.waitingBytes + cmd.body.length > c.maxQueuedBytes) {
        return this.#answer(c, key, requestId, {
          status: SendStatus.BACK_PRESSURE,
          seq: 0,
          code: 0,
          text: "too many sends in flight",
        });
      }
      const kept = { ...cmd, body: cmd.body.slice() };
      c.inFlight++;
      c.waitingBytes += kept.body.length;
      this.#guard(
        c,
        slot.seeding.then(() => {
          c.inFlight--;
          c.waitingBytes -= kept.body.length;
          this.#send(c, kept);
        }),
      );
      return;
    }
    const known = slot.recent.get(requestId);
    if (known !== undefined) {
      if (!(known instanceof Journaling)) this.#answer(c, key, requestId, known);
      else if (known.answer !== undefined) this.#answer(c, key, requestId, known.answer);
      else (known.waiters ??= []).push(c);
      return;
    }
    const runner = this.#gw?.runner(key);
    if (runner === undefined) {
      return this.#answer(c, key, requestId, {
        status: SendStatus.REFUSED,
        seq: 0,
        code: ErrorCode.UNKNOWN_SESSION,
        text: "session gone",
      });
    }
    const r = this.#target(runner).apply(cmd, c.inFlight >= (this.#o.maxInFlight ?? 4096));
    if (r.kind !== "sent") {
      if (r.kind === "done") return;
      const a = outcomeAnswer(r, key);
      // Back-pressure and "not logged on" are not remembered: the same request id is a new attempt later.
      if (a.remember) this.#remember(slot, requestId, a.answer);
      return this.#answer(c, key, requestId, a.answer);
    }
    c.inFlight++;
    const j = new Journaling(c, slot, key, requestId, r.seq);
    this.#remember(slot, requestId, j);
    slot.journaling.set(j.seq, j);
    this.#journaling.push(j);
    // Its request id goes into the same commit as the message (PostgreSQL store).
    this.#requests?.log.note(key, j.seq, requestId);
    if (this.#journaling.length === 1) {
      // One flush for the sends of this turn, started after the session's own write (queued as a
      // microtask by send, so it runs first): the journal's write(2) must not delay the order on its way.
      queueMicrotask(() => {
        const batch = this.#journaling;
        this.#journaling = [];
        void this.flushJournal().then(
          () => this.#journaled(batch, false, undefined),
          (e) => this.#journaled(batch, true, e),
        );
      });
    }
  }

  /** The flush covering `batch` is done (or failed with `e`): each send gets its answer, and is remembered. */
  #journaled(batch: Journaling[], failed: boolean, e: unknown): void {
    for (const j of batch) {
      const a = journaledAnswer(j, failed, e);
      j.c.inFlight--;
      const result: Event = {
        type: "send-result",
        key: j.key,
        requestId: j.requestId,
        status: a.status,
        seq: a.seq,
        code: a.code,
        text: a.text,
      };
      j.c.send(result);
      if (j.waiters !== undefined) { for (const w of j.waiters) w.send(result); }
    }
  }
}

/** RESET and SET_SEQ of one library waiting for a session's first journal read (#sequence), at most. */
const MAX_WAITING_COMMANDS = 1024;

/**
 * The library endpoint's socket and connections (split out of library_server.ts): the socket file (a
 * stale one replaced, a live one an error, created 0600), the accept loop with its limits (connections
 * without HELLO, libraries at once), the HELLO timeout, and each connection's reads, framed and handed to
 * the server command by command (docs/library_protocol.md, "Limits before HELLO").
 */
import type { Scheduler, Timer } from "../clock.ts";
import { EnvironmentError } from "../errors.ts";
import {
  type Command,
  decodeCommand,
  ErrorCode,
  MAX_FRAME_BYTES,
  MAX_HELLO_BYTES,
  ProtocolError,
} from "./protocol.ts";
import { FrameSplitter } from "./protocol_stream.ts";
import { LibraryConn } from "./library_conn.ts";
import { spinLibrary } from "./library_spin.ts";
import type { EngineServerOptions } from "./library_options.ts";
import { RefusalLog } from "./refusal_log.ts";

/** What the intake needs of the server. */
export interface IntakeHost {
  readonly options: EngineServerOptions;
  /** The open connections (with or without HELLO); the intake adds, the server's drop removes. */
  readonly conns: Set<LibraryConn>;
  scheduler(): Scheduler;
  readonly refusals: RefusalLog;
  /** Carries out one command; false when the connection must close. */
  command(c: LibraryConn, cmd: Command): boolean;
  /** A command failed inside the engine: logged, that library dropped. */
  internalError(c: LibraryConn, e: unknown): void;
  /** The connection is gone (its sessions return to the engine). */
  drop(c: LibraryConn, why: string): void;
}

export class LibraryIntake {
  /** Connections that have not completed their HELLO, with their HELLO timeout. */
  readonly #pending = new Map<LibraryConn, Timer>();
  /** "reads do not spin" warnings, rate limited (one per connection accepted, before HELLO). */
  readonly #spinWarnings: RefusalLog;
  #listener: Deno.Listener | undefined;
  #nextId = 1;

  constructor(readonly host: IntakeHost) {
    this.#spinWarnings = new RefusalLog(host.options.logger, () => host.scheduler());
  }

  /** Connections that have not completed their HELLO. */
  get pending(): number {
    return this.#pending.size;
  }

  /** The connection said HELLO (or is gone): no HELLO timeout any more. */
  helloDone(c: LibraryConn): void {
    this.#pending.get(c)?.cancel();
    this.#pending.delete(c);
  }

  /** Listens on the socket (mode 0600). A stale socket file is replaced; a live one is an error. */
  async listen(): Promise<void> {
    const path = this.host.options.socket;
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
      // Created under umask 0177 (mode 0600 from the start: with the process's umask, e.g. 002, another
      // user could connect between the listen and a chmod); the umask is the process's, restored at once.
      const umask = Deno.umask(0o177);
      try {
        this.#listener = Deno.listen({ transport: "unix", path });
      } finally {
        Deno.umask(umask);
      }
      Deno.chmodSync(path, 0o600);
    } catch (e) {
      throw new EnvironmentError(
        `engine.socket: cannot listen on ${path}: ${e instanceof Error ? e.message : e}`,
      );
    }
    this.host.options.logger.info("engine", `library endpoint listening on ${path}`);
    void this.#accept(this.#listener);
  }

  /** Stops listening. */
  close(): void {
    try {
      this.#listener?.close();
    } catch {
      // Already closed.
    }
  }

  /** Removes the socket file. */
  removeSocket(): void {
    try {
      Deno.removeSync(this.host.options.socket);
    } catch {
      // Gone already.
    }
  }

  async #accept(l: Deno.Listener): Promise<void> {
    try {
      for await (const conn of l) {
        if (this.#pending.size >= (this.host.options.maxPendingLibraries ?? 64)) {
          this.#refuseOverLimit(conn, `${this.#pending.size} connections have not completed their HELLO`);
          continue;
        }
        if (this.host.conns.size >= (this.host.options.maxLibraries ?? 256)) {
          this.#refuseOverLimit(conn, `${this.host.conns.size} libraries are connected`);
          continue;
        }
        const c = new LibraryConn(
          conn,
          this.#nextId++,
          this.host.options.maxQueuedBytes ?? 64 * 1024 * 1024,
          () => this.host.drop(c, "too slow: its event queue passed the limit"),
        );
        this.host.conns.add(c);
        const ms = this.host.options.helloTimeoutMs ?? 10_000;
        this.#pending.set(c, this.host.scheduler().after(ms, () => this.#helloTimedOut(c, ms)));
        // Found now, before the next accept (library_spin.ts): the one accepted socket not yet taken.
        if ((this.host.options.readSpinUs ?? 0) > 0) {
          spinLibrary(
            c,
            conn,
            this.host.options.socket,
            this.host.options.readSpinUs!,
            this.#spinWarnings,
          );
        }
        void this.#read(c);
      }
    } catch {
      // Listener closed.
    }
  }

  /**
   * A connection over maxPendingLibraries or maxLibraries: closed at once, without a word (an ERROR would
   * end a library's reconnection; closed, it retries with backoff). Logged, rate limited.
   */
  #refuseOverLimit(conn: Deno.Conn, why: string): void {
    try {
      conn.close();
    } catch {
      // Gone already.
    }
    this.host.refusals.warn(
      "engine",
      `library connection closed at once: ${why} (the limit)`,
    );
  }

  /** No HELLO within the timeout: ERROR HELLO_REQUIRED, closed. */
  #helloTimedOut(c: LibraryConn, ms: number): void {
    if (!this.#pending.delete(c) || c.closed) return;
    c.send({ type: "error", code: ErrorCode.HELLO_REQUIRED, text: `no HELLO within ${ms} ms` });
    void c.closeAfterWrite().then(() => this.host.drop(c, "no HELLO in time"));
  }

  async #read(c: LibraryConn): Promise<void> {
    const split = new FrameSplitter();
    // Before HELLO no frame is longer than a HELLO: a longer length is refused at once, not buffered.
    split.maxLength = MAX_HELLO_BYTES;
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await c.reader.read(buf);
        if (n === null) break;
        split.push(buf.subarray(0, n));
        while (split.next()) {
          // A SEND's body stays in the read buffer: #send parses it at once (and copies it to wait).
          const cmd = decodeCommand(split.buf, split.start, split.end, false);
          let ok: boolean;
          try {
            ok = this.host.command(c, cmd);
          } catch (e) {
            this.host.internalError(c, e);
            break;
          }
          if (!ok) {
            await c.closeAfterWrite();
            break;
          }
          if (c.ready) split.maxLength = MAX_FRAME_BYTES;
        }
        if (c.closed) break;
      }
    } catch (e) {
      if (e instanceof ProtocolError && !c.closed) {
        c.send({ type: "error", code: e.code, text: e.message });
        await c.closeAfterWrite();
      }
    }
    this.host.drop(c, "disconnected");
  }
}

/**
 * The read side of a session's connection: the read loop (bytes into the framer, frames into the
 * actor's mailbox) and what is done for every inbound frame before the machine takes it (inbound
 * counters, the DEBUG log line). `SessionRunner.attach` binds a connection and hands it here.
 *
 * The loop reads into one buffer for the session's life; one wall-clock reading stands for everything
 * a read brings. It pauses while the session holds too much for and from the peer (`ReadBound.holdsTooMuch`:
 * the write timeout still runs) and waits `faults.readDelayMs` before each read (the slow-reader fault).
 * A loop whose connection was dropped while it waited ends without touching the connection attached
 * since (its bytes, its detach).
 */
import { Framer } from "../codec/mod.ts";
import type { Connection } from "../transport/types.ts";
import type { Faults } from "./flow/faults.ts";
import type { Logger } from "./log.ts";
import type { SessionActor } from "./session/actor.ts";
import { countType, type SessionCounters } from "./session/counters.ts";

const READ_BUFFER_BYTES = 64 * 1024;

/** Reads one session's connections, one at a time. */
export class SessionReader {
  /** The read buffer (long-lived: SessionRunner.ioBuffers offers it for memory locking). */
  readonly buffer = new Uint8Array(READ_BUFFER_BYTES);
  readonly #actor: SessionActor;
  readonly #counters: SessionCounters;
  readonly #faults: Faults;
  readonly #framer: Framer;

  constructor(actor: SessionActor, counters: SessionCounters, faults: Faults, logger: Logger, key: string) {
    this.#actor = actor;
    this.#counters = counters;
    this.#faults = faults;
    const a = actor;
    const c = counters;
    this.#framer = new Framer({
      onFrame: (buf, start, end) => {
        c.messagesIn++;
        c.bytesIn += end - start;
        const now = a.clock.now();
        a.lastReceivedMs = now;
        const v = a.view.parseInto(buf, start, end);
        const t = v.msgType;
        if (logger.enabled("debug")) {
          logger.debug("in", logger.loggedMessage(v), key, {
            dir: "in",
            seq: v.seqNum,
            msgType: t,
          });
        }
        countType(c.inByType, t);
        if (t === "0") c.lastHeartbeatInMs = now;
        else if (t === "2") c.resendRequestsReceived++;
        a.frame();
      },
      onGarbled: (g) => {
        c.garbled++;
        a.input({ kind: "garbled", reason: g.reason, offset: g.offset });
      },
    });
  }

  /**
   * Runs the read loop of `conn`, which the actor has just been connected to, until it closes or the
   * actor drops it. `prefix` holds bytes already read (the acceptor reads the Logon to find the session).
   * Resolves, once the actor is detached, with whether the session logged on over it.
   */
  async run(conn: Connection, prefix?: Uint8Array): Promise<boolean> {
    const a = this.#actor;
    this.#framer.reset();
    a.clock.readAtPerfMs = performance.now();
    if (prefix && prefix.length > 0) this.#framer.push(prefix);
    a.writer.scheduleFlush();
    const buf = this.buffer;
    try {
      while (a.conn === conn) {
        if (this.#faults.readDelayMs > 0) {
          await new Promise<void>((r) => a.scheduler.after(this.#faults.readDelayMs, r));
          // Dropped while waiting (and maybe another connection attached since): this loop is done.
          if (a.conn !== conn) break;
        }
        if (a.bound.holdsTooMuch) {
          // The peer does not take what it asks for (a TestRequest flood, a resend it does not read):
          // read nothing more until the session holds half the bound; the write timeout still runs.
          this.#counters.readPauses++;
          await a.bound.whenReadable();
          if (a.conn !== conn) break;
        }
        const n = await conn.read(buf);
        // Bytes of a connection no longer attached are not the next connection's (the framer is shared).
        if (n === null || a.conn !== conn) break;
        // One wall-clock read for everything this read brings (the messages arrived together):
        // each message and each answer sent while handling them uses it.
        a.clock.beginRead();
        try {
          this.#framer.push(buf.subarray(0, n));
        } finally {
          a.clock.endRead();
        }
        a.flush();
      }
    } catch (e) {
      a.lastError = e instanceof Error ? e.message : String(e);
    }
    // Only this loop's connection: another one may have been attached since this one was dropped.
    if (a.conn === conn) a.detach(a.closeAfterFlush ?? "connection closed by peer");
    return a.loggedOnThisConnection;
  }
}

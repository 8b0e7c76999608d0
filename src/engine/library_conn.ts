/**
 * One library attached to the engine's endpoint (its connection and the events queued for it) and a
 * session's place at the endpoint (holder, replay hold-back, the answers of recent request ids).
 */
import { constantTimeEqual } from "../codec/bytes.ts";
import { VERSION } from "../version.ts";
import type { Logger } from "./log.ts";
import { type Command, ErrorCode, type Event, eventFrameView, PROTOCOL_VERSION } from "./protocol.ts";
import { FrameOut } from "./protocol_stream.ts";
import type { Ring } from "./library_journal.ts";
import type { LibraryReader } from "./library_spin.ts";
import type { RecentIds } from "./library_ids.ts";

/** The answer to one request id. */
export interface Answer {
  status: number;
  seq: number;
  code: number;
  text: string;
}

/** A send the session took (numbered), waiting for the journal flush that covers it. */
export class Journaling {
  /** Connections that sent the same request id meanwhile: they get the same answer. */
  waiters: LibraryConn[] | undefined;
  /** The store reported it will never commit it (onSendFailed): answered REFUSED STORE_FAILED. */
  failed: string | undefined;
  /** Its answer once the flush is done: a retry of the request id gets it (journaledAnswer). */
  answer: Answer | undefined;
  constructor(
    readonly c: LibraryConn,
    readonly slot: Slot,
    readonly key: string,
    readonly requestId: string,
    readonly seq: number,
  ) {}
}

/** A session's place at the endpoint. */
export interface Slot {
  key: string;
  holder: LibraryConn | undefined;
  /** Live messages held while the holder's replay is read and sent. */
  pending: Array<{ seq: number; raw: Uint8Array }> | undefined;
  /** Their bytes: they count towards the holder's `maxQueuedBytes` (a held message is an event waiting). */
  pendingBytes: number;
  /** The claim whose replay is being sent (a new claim or a release ends an older one's). */
  replaying: object | undefined;
  /** Settles when the replay read running (journal or database) is done: one at a time per session. */
  reading: Promise<void> | undefined;
  /** Answers (or pending answers) by request id, the newest kept (library_ids.ts). */
  recent: RecentIds<Answer | Journaling>;
  /** Without a journal: recent inbound application messages. */
  ring: Ring | undefined;
  /** Sends numbered and waiting for their journal flush, by MsgSeqNum (to name a failed one's request id). */
  journaling: Map<number, Journaling>;
  /** SEND_FAILED and NOT_RESENT events that came while no library held the session: for the next holder (bounded). */
  unreported: Array<Extract<Event, { type: "send-failed" | "not-resent" }>>;
  /**
   * Set at the first claim (with a journal): resolves once `recent` holds the ClOrdIDs the journal shows
   * sent in the current epoch (so a request id = ClOrdID retried after an engine restart is not sent
   * twice). SENDs wait for it.
   */
  seeding: Promise<void> | undefined;
  seeded: boolean;
}

/** A session's slot before any claim: no holder, nothing held, `recent` and `ring` as given. */
export function newSlot(key: string, recent: RecentIds<Answer | Journaling>, ring: Ring | undefined): Slot {
  return {
    key,
    holder: undefined,
    pending: undefined,
    pendingBytes: 0,
    replaying: undefined,
    reading: undefined,
    recent,
    ring,
    journaling: new Map(),
    unreported: [],
    seeding: undefined,
    seeded: false,
  };
}

/** One attached library. */
export class LibraryConn {
  id: number;
  name = "";
  ready = false;
  closed = false;
  inFlight = 0;
  /** Bytes of SEND bodies kept while a session's first claim reads the journal (library_server.ts #send). */
  waitingBytes = 0;
  /** RESET and SET_SEQ commands waiting for that read (library_server.ts #sequence). */
  waitingCommands = 0;
  readonly claims = new Set<string>();
  readonly #out: FrameOut;
  /** Its reads: Deno's, or spinning ones (library_spin.ts, `tuning.readSpinUs`). */
  reader: LibraryReader;

  constructor(
    readonly conn: Deno.Conn,
    id: number,
    readonly maxQueuedBytes: number,
    readonly onTooSlow: () => void,
  ) {
    this.id = id;
    this.#out = new FrameOut(conn, () => this.close());
    this.reader = { read: (buf) => conn.read(buf), close: () => {} };
  }

  get label(): string {
    return `${this.name}#${this.id}`;
  }

  /** Reads (and writes at once) through a spinning reader (library_spin.ts). */
  spin(reader: LibraryReader): void {
    this.reader = reader;
    this.#out.send = reader.send;
  }

  /** Bytes queued and not written yet. */
  get queuedBytes(): number {
    return this.#out.queuedBytes;
  }

  /** Resolves once everything queued so far is written (or the connection closed). */
  drained(): Promise<void> {
    return this.#out.drained();
  }

  /** Queues one event; the events of one turn go out in one write at its end. */
  send(e: Event): void {
    this.sendFrame(eventFrameView(e));
  }

  /** Queues one encoded event frame (copied at once). */
  sendFrame(frame: Uint8Array): void {
    if (this.closed) return;
    this.#out.push(frame);
    if (this.#out.queuedBytes > this.maxQueuedBytes) this.onTooSlow();
  }

  /**
   * The handshake: the first command must be HELLO with this version and secret; false closes. A wrong
   * secret is logged through `refused` (rate limited by the caller), the name cut to 64 characters.
   */
  hello(cmd: Command, secret: string | undefined, logger: Logger, refused: (text: string) => void): boolean {
    if (cmd.type !== "hello") {
      this.send({ type: "error", code: ErrorCode.HELLO_REQUIRED, text: "the first frame must be HELLO" });
      return false;
    }
    if (cmd.version !== PROTOCOL_VERSION) {
      this.send({
        type: "error",
        code: ErrorCode.UNSUPPORTED_VERSION,
        text: `protocol version ${cmd.version} not supported (this engine speaks ${PROTOCOL_VERSION})`,
      });
      return false;
    }
    if (secret !== undefined && !constantTimeEqual(cmd.secret, secret)) {
      refused(`library "${cmd.name.slice(0, 64)}" refused: wrong secret`);
      this.send({ type: "error", code: ErrorCode.AUTH_FAILED, text: "authentication failed" });
      return false;
    }
    this.name = cmd.name.replace(/[^\x20-\x7e]/g, "?").slice(0, 64) || "library";
    this.ready = true;
    this.send({ type: "hello-ok", version: PROTOCOL_VERSION, engine: `fixg ${VERSION}`, libraryId: this.id });
    logger.info("engine", `library ${this.label} attached`);
    return true;
  }

  /** Writes what is queued, then closes (for fatal errors). */
  async closeAfterWrite(): Promise<void> {
    await this.#out.drained();
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#out.close();
    this.reader.close();
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

/**
 * The engine's library protocol (docs/library_protocol.md) spoken raw over a Unix socket, for the tests
 * of the endpoint and of the library client: a client that writes commands and collects the events, and
 * the read loop of a fake engine that hands each command to the test.
 */
import type { Command, Event } from "../../src/engine/protocol.ts";
import { decodeCommand, decodeEvent, encodeCommand, encodeEvent } from "../../src/engine/protocol.ts";
import { FrameSplitter } from "../../src/engine/protocol_stream.ts";
import { waitFor } from "./wait.ts";

/**
 * Reads length-prefixed frames from `conn` until it ends (or fails: closed by the test), handing each
 * frame's body (`buf[start, end)`, after its 4-byte length) to `onFrame`, awaited in order.
 */
export async function forEachFrame(
  conn: Deno.Conn,
  onFrame: (buf: Uint8Array, start: number, end: number) => void | Promise<void>,
  bufferBytes = 65536,
): Promise<void> {
  const split = new FrameSplitter();
  const buf = new Uint8Array(bufferBytes);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return;
    split.push(buf.subarray(0, n));
    while (split.next()) await onFrame(split.buf, split.start, split.end);
  }
}

/** A SEND body: a minimal NewOrderSingle (ClOrdID `id`, symbol X, buy 1 at market), tag=value with SOH. */
export function orderBody(id: string): Uint8Array {
  return new TextEncoder().encode(`35=D\x0111=${id}\x0155=X\x0154=1\x0138=1\x0140=1\x01`);
}

/** A raw library connection: commands out, every event decoded into `events` as it arrives. */
export class RawEngineClient {
  readonly events: Event[] = [];
  /** True once the engine closed the connection (or it failed). */
  closed = false;
  /** Resolves when the connection's reading ends. */
  readonly done: Promise<void>;

  private constructor(readonly conn: Deno.UnixConn) {
    // A frame that does not decode ends the reading too (the test then waits in vain and says for what).
    this.done = forEachFrame(conn, (buf, start, end) => void this.events.push(decodeEvent(buf, start, end)))
      .catch(() => {})
      .finally(() => void (this.closed = true));
  }

  /** Connects to the engine socket at `path` (no HELLO: see `attach`). */
  static async connect(path: string): Promise<RawEngineClient> {
    return new RawEngineClient(await Deno.connect({ transport: "unix", path }));
  }

  /** Connects, says HELLO (protocol 1, `name`, `secret`) and waits for HELLO_OK. */
  static async attach(path: string, name: string, secret = ""): Promise<RawEngineClient> {
    const c = await RawEngineClient.connect(path);
    await c.send({ type: "hello", version: 1, name, secret });
    await c.next("hello-ok");
    return c;
  }

  /** Writes all of `bytes` (a frame, or any bytes: the malformed-input tests). */
  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  /** Writes one command's frame. */
  send(c: Command): Promise<void> {
    return this.write(encodeCommand(c));
  }

  /** Waits for the first event of `type` not taken yet that matches `pred`, and takes it from `events`. */
  async next<T extends Event["type"]>(
    type: T,
    pred: (e: Extract<Event, { type: T }>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Extract<Event, { type: T }>> {
    let found: Extract<Event, { type: T }> | undefined;
    await waitFor(
      () => {
        const i = this.events.findIndex((e) => e.type === type && pred(e as Extract<Event, { type: T }>));
        if (i < 0) return false;
        found = this.events.splice(i, 1)[0] as Extract<Event, { type: T }>;
        return true;
      },
      `event ${type}`,
      timeoutMs,
    );
    return found!;
  }

  /** Closes the connection (already closed: nothing); `done` resolves once reading has ended. */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // Closed.
    }
  }
}

/**
 * A fake engine: accepts library connections on `listener` and hands each command to `onCommand` with an
 * `answer` that writes an event back on that connection. Resolves when the listener is closed.
 */
export async function serveCommands(
  listener: Deno.Listener,
  onCommand: (c: Command, answer: (e: Event) => Promise<number>, conn: Deno.Conn) => void | Promise<void>,
): Promise<void> {
  for await (const conn of listener) {
    const answer = (e: Event) => conn.write(encodeEvent(e));
    await forEachFrame(
      conn,
      (buf, start, end) => onCommand(decodeCommand(buf, start, end), answer, conn),
      4096,
    );
  }
}

/** Helpers for engine tests: raw FIX clients, frame builders, waiting with a deadline (no fixed sleeps). */
import { Encoder, Framer, MessageView, toReadable } from "../../src/codec/mod.ts";

/** Waiting with a deadline and the `./fixg` child process: shared with every test folder. */
export { spawnFixg, waitFor } from "../_helpers/mod.ts";

/** Encodes a message from `|`-delimited body fields (after 35) with a fresh SendingTime. */
export function frame(begin: string, msgType: string, fields: string): Uint8Array {
  const enc = new Encoder();
  enc.begin(begin, msgType);
  for (const f of fields.split("|").filter((x) => x.length > 0)) {
    const eq = f.indexOf("=");
    const tag = Number(f.slice(0, eq));
    const v = f.slice(eq + 1);
    if (v === "<TIME>") enc.timestamp(tag, Date.now());
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

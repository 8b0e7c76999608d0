/** Helpers for engine tests: raw FIX clients, frame builders, waiting with a deadline (no fixed sleeps). */
import { Encoder, Framer, MessageView, toReadable } from "../../src/codec/mod.ts";

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

/** Polls `cond` every 5 ms until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** MsgType of a `|` frame string. */
export function typeOf(f: string): string {
  return MessageView.parse(new TextEncoder().encode(f.replaceAll("|", "\x01"))).msgType;
}

const ROOT = new URL("../../", import.meta.url).pathname;

/** A `./fixg` child process whose stdout and stderr are collected as text. */
export function spawnFixg(args: string[]) {
  const child = new Deno.Command(`${ROOT}fixg`, { args, stdout: "piped", stderr: "piped" }).spawn();
  const text = { out: "", err: "" };
  const out = (async () => {
    for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) text.out += c;
  })();
  const err = (async () => {
    for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) text.err += c;
  })();
  return { child, text, done: Promise.all([out, err]) };
}

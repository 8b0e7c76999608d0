/**
 * Two fixg sessions facing each other, each missing what the other sent (both reconnect after an
 * outage): each asks for a resend and each streams one. The read loop's bound (258bcca) must not make
 * them wait for each other for ever: each one's resend waits for the other to read, and the other's
 * messages wait in its mailbox while its own resend streams. In-process, a bounded duplex pipe (a TCP
 * connection whose buffers hold `capacity` bytes each way), no timers involved.
 */
import assert from "node:assert/strict";
import { Logger } from "../../src/engine/log.ts";
import { SessionRunner } from "../../src/engine/session_runner.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { SessionStore } from "../../src/store/types.ts";
import type { Connection } from "../../src/transport/types.ts";
import { frame } from "./helpers.ts";

/** One direction of a connection: at most `capacity` bytes in flight; a write beyond waits for a read. */
class BoundedPipe {
  chunks: Uint8Array[] = [];
  bytes = 0;
  closed = false;
  reader: (() => void) | undefined;
  writers: Array<{ b: Uint8Array; done: () => void; fail: (e: Error) => void }> = [];
  constructor(readonly capacity: number) {}
  write(b: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Deno.errors.BrokenPipe("closed"));
    const copy = b.slice();
    if (this.bytes === 0 || this.bytes + copy.length <= this.capacity) {
      this.#take(copy);
      return Promise.resolve();
    }
    return new Promise((done, fail) => this.writers.push({ b: copy, done, fail }));
  }
  #take(b: Uint8Array): void {
    this.chunks.push(b);
    this.bytes += b.length;
    const r = this.reader;
    this.reader = undefined;
    r?.();
  }
  async read(buf: Uint8Array): Promise<number | null> {
    while (this.chunks.length === 0) {
      if (this.closed) return null;
      await new Promise<void>((r) => (this.reader = r));
    }
    const c = this.chunks[0]!;
    const n = Math.min(c.length, buf.length);
    buf.set(c.subarray(0, n));
    if (n === c.length) this.chunks.shift();
    else this.chunks[0] = c.subarray(n);
    this.bytes -= n;
    while (
      this.writers.length > 0 && (this.bytes === 0 || this.bytes + this.writers[0]!.b.length <= this.capacity)
    ) {
      const w = this.writers.shift()!;
      this.#take(w.b);
      w.done();
    }
    return n;
  }
  close(): void {
    this.closed = true;
    for (const w of this.writers.splice(0)) w.fail(new Deno.errors.BrokenPipe("closed"));
    this.reader?.();
  }
}

class End implements Connection {
  readonly remoteHost = "pipe";
  constructor(
    readonly remoteAddr: string,
    private readonly inb: BoundedPipe,
    private readonly out: BoundedPipe,
  ) {}
  read(buf: Uint8Array): Promise<number | null> {
    return this.inb.read(buf);
  }
  write(bytes: Uint8Array): Promise<void> {
    return this.out.write(bytes);
  }
  close(): void {
    this.inb.close();
    this.out.close();
  }
}

const N = 3_000;

/** A store holding N application messages this side sent (34=1..N) that the other side never got. */
async function sent(sender: string, target: string): Promise<SessionStore> {
  const store = await new MemoryMessageStore().openSession("k", Date.now());
  for (let seq = 1; seq <= N; seq++) {
    await store.appendOutbound(
      seq,
      frame(
        "FIX.4.4",
        "8",
        `49=${sender}|56=${target}|34=${seq}|52=<TIME>|37=O${seq}|17=E${seq}|150=0|39=0|55=IBM|54=1|38=100|14=0|151=100|6=0|58=${
          "x".repeat(80)
        }|`,
      ),
    );
  }
  return store;
}

const settings = { ...DEFAULT_SESSION_SETTINGS, checkLatency: false };
const initiatorConfig: SessionConfig = {
  ...settings,
  id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
  role: "initiator",
};
const acceptorConfig: SessionConfig = {
  ...settings,
  id: { beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW" },
  role: "acceptor",
};

Deno.test("two fixg sessions that both resend more than their bound to each other at once both finish: no read pause waits on the other's", async () => {
  const bound = 64 * 1024; // each resend is about 700 KB: ten times the bound
  const ab = new BoundedPipe(32 * 1024), ba = new BoundedPipe(32 * 1024);
  const lines: string[] = [];
  const opts = (who: string) => ({
    logger: new Logger({ level: "info", sink: (l: string) => lines.push(`${who} ${l}`) }),
    maxOutboundBufferBytes: bound,
    writeTimeoutMs: 0,
  });
  const tw = SessionRunner.create(initiatorConfig, await sent("TW", "ISLD"), {}, opts("TW"));
  const isld = SessionRunner.create(acceptorConfig, await sent("ISLD", "TW"), {}, opts("ISLD"));
  const a = tw.attach(new End("isld", ba, ab));
  const b = isld.attach(new End("tw", ab, ba));
  // Each side logs on at N+1, expects 1: each asks for 1..N and resends N messages (43=Y) to the other.
  // Until both have every message, or nothing moved for 500 turns of the event loop (a deadlock).
  let last = "", still = 0;
  while ((tw.state.nextTargetSeq <= N || isld.state.nextTargetSeq <= N) && still < 500) {
    await new Promise((r) => setTimeout(r, 0));
    const now =
      `${tw.counters.messagesOut} ${isld.counters.messagesOut} ${tw.state.nextTargetSeq} ${isld.state.nextTargetSeq}`;
    still = now === last ? still + 1 : 0;
    last = now;
  }
  const where = `TW expects ${tw.state.nextTargetSeq}, ISLD expects ${isld.state.nextTargetSeq}; ` +
    `read pauses TW ${tw.counters.readPauses}, ISLD ${isld.counters.readPauses}; held from the peer TW ` +
    `${tw.inboundHeldBytes}, ISLD ${isld.inboundHeldBytes} bytes`;
  tw.logout("done");
  ab.close();
  ba.close();
  await Promise.all([a, b]);
  // Each took the other's Logon (N+1), its ResendRequest (N+2) and the N messages resent below them.
  assert.equal(tw.state.nextTargetSeq, N + 3, where);
  assert.equal(isld.state.nextTargetSeq, N + 3, where);
  assert.equal(tw.counters.readPauses, 0, where);
});

/** In-memory paired connections for tests: what one side writes the other reads, cut into chunks of a chosen size. */
import type { Connection } from "./types.ts";

class Pipe {
  chunks: Uint8Array[] = [];
  waiter: ((v: void) => void) | undefined;
  closed = false;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.wake();
  }
  wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/** One end of an in-memory pair. */
export class MemoryConnection implements Connection {
  readonly remoteAddr: string;
  readonly remoteHost = "memory";
  constructor(
    private readonly inbound: Pipe,
    private readonly outbound: Pipe,
    private readonly chunkSize: number,
    label: string,
  ) {
    this.remoteAddr = label;
  }
  async read(buf: Uint8Array): Promise<number | null> {
    while (this.inbound.chunks.length === 0) {
      if (this.inbound.closed) return null;
      await new Promise<void>((r) => (this.inbound.waiter = r));
    }
    const c = this.inbound.chunks[0]!;
    const n = Math.min(c.length, buf.length, this.chunkSize);
    buf.set(c.subarray(0, n));
    if (n === c.length) this.inbound.chunks.shift();
    else this.inbound.chunks[0] = c.subarray(n);
    return n;
  }
  write(bytes: Uint8Array): Promise<void> {
    if (this.outbound.closed) return Promise.reject(new Deno.errors.BrokenPipe("memory connection closed"));
    this.outbound.push(bytes.slice());
    return Promise.resolve();
  }
  close(): void {
    this.inbound.closed = true;
    this.outbound.closed = true;
    this.inbound.wake();
    this.outbound.wake();
  }
}

/** Creates two connected ends; reads return at most `chunkSize` bytes (1 = byte by byte). */
export function memoryPair(chunkSize = 65536): [MemoryConnection, MemoryConnection] {
  const a = new Pipe(), b = new Pipe();
  return [
    new MemoryConnection(a, b, chunkSize, "memory:a"),
    new MemoryConnection(b, a, chunkSize, "memory:b"),
  ];
}

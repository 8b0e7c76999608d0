/**
 * The writer's outbound path without a copy (issue 16): the session's own frames (appendOwned) go to the
 * socket as ranges of the encoder's buffers, one write per encoder buffer; a copied message (a resent
 * copy) in between is written after the runs before it, and what follows it is copied behind it.
 */
import assert from "node:assert/strict";
import { Encoder } from "../../../src/codec/mod.ts";
import { ManualScheduler } from "../../../src/clock.ts";
import { Faults } from "../../../src/engine/flow/faults.ts";
import { Logger } from "../../../src/engine/log.ts";
import { SessionCounters } from "../../../src/engine/session/counters.ts";
import { OutboundWriter, type WriterHost } from "../../../src/engine/session/writer.ts";
import { MemoryMessageStore } from "../../../src/store/memory_store.ts";
import type { Connection } from "../../../src/transport/types.ts";

Deno.test("writer: owned frames are written from the encoder's buffers, a run per buffer, copies in order", async () => {
  const writes: Uint8Array[] = [];
  let release: () => void = () => {};
  const conn: Connection = {
    remoteAddr: "test:1",
    remoteHost: "test",
    read: () => Promise.resolve(null),
    write(bytes) {
      writes.push(bytes);
      return new Promise<void>((r) => release = r);
    },
    close() {},
  };
  const store = await new MemoryMessageStore().openSession("k", 0);
  const host: WriterHost = {
    key: "k",
    logger: new Logger({ level: "error" }),
    counters: new SessionCounters(),
    faults: new Faults(),
    scheduler: new ManualScheduler(0),
    store,
    conn,
    queue: { bytes: 0 },
    flush: () => {
      if (!writer.writing && writer.pending > 0) writer.startWrite(conn);
    },
    written() {},
    onStoreError() {},
    drop() {},
  };
  const writer = new OutboundWriter(host, 1 << 20, undefined, 0);
  const enc = new Encoder();
  const sent: Uint8Array[] = [];
  const own = (i: number) => {
    const b = enc.begin("FIX.4.4", "D").int(34, i).str(58, "x".repeat(500)).finishOwned();
    sent.push(b);
    writer.appendOwned(b, "D");
  };
  own(0);
  writer.startWrite(conn); // one write in flight; the rest accumulates
  for (let i = 1; i <= 1200; i++) own(i); // about 670 kB: three encoder buffers
  const buffers = new Set(sent.slice(1).map((b) => b.buffer));
  assert.ok(buffers.size >= 3, `${buffers.size} encoder buffers`);
  assert.equal(writer.pending, sent.slice(1).reduce((n, b) => n + b.length, 0));
  for (let k = 0; k < buffers.size; k++) {
    release();
    await Promise.resolve();
    await Promise.resolve();
  }
  // The first frame alone, then one write per encoder buffer, each the encoder's own bytes.
  assert.equal(writes.length, 1 + buffers.size);
  for (const w of writes) assert.ok(buffers.has(w.buffer) || w.buffer === sent[0]!.buffer);
  // A copied message in the middle: the runs before it are copied first, then everything after it.
  const copy = new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=4\x0110=000\x01");
  own(1201);
  writer.append(copy, "4");
  own(1202);
  sent.push(sent.splice(-1, 1, copy)[0]!);
  release();
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(writes.length, 2 + buffers.size);
  assert.ok(!buffers.has(writes.at(-1)!.buffer));
  const joined = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
    let p = 0;
    for (const b of parts) out.set(b, (p += b.length) - b.length);
    return out;
  };
  assert.deepEqual(joined(writes), joined(sent));
  assert.equal(host.counters.messagesOut, 1204);
  release();
});

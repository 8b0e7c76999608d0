/**
 * Read spinning on the engine socket (library_spin.ts, `tuning.readSpinUs`): the accepted socket's fd is found,
 * reads are answered by polling, writes go out through send(), a parked read elsewhere in the process makes a
 * spinning read park (so it is not starved), and an engine whose library connections spin carries orders.
 */
import assert from "node:assert/strict";
import { acceptedUnixFd, spinningReader } from "../../src/engine/library_spin.ts";
import { connectEngine } from "../../src/engine/library_client.ts";
import { ENGINE_SESSION_KEY, startEngineOverLp } from "../_helpers/engine_in_process.ts";
import { waitFor } from "../_helpers/wait.ts";
import { ManualScheduler } from "../../src/clock.ts";
import { RawEngineClient } from "../_helpers/engine_protocol.ts";
import { LogCapture } from "../ops/helpers.ts";

const te = new TextEncoder();

async function pair(dir: string, name: string) {
  const path = `${dir}/${name}.sock`;
  const l = Deno.listen({ transport: "unix", path });
  const client = await Deno.connect({ transport: "unix", path });
  const server = await l.accept();
  return { path, l, client, server };
}

Deno.test("spinning reader: its own accepted socket's fd; reads by polling; send() writes; a second one finds the other fd", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-spin-" });
  const a = await pair(dir, "a");
  try {
    const fd = acceptedUnixFd(a.path);
    assert.ok(fd !== undefined && fd > 2);
    const r = spinningReader(a.server, a.path, 200_000);
    assert.ok("reader" in r, "reason" in r ? r.reason : "");
    // Taken: no other accepted socket on the path, so none is found now.
    assert.equal(acceptedUnixFd(a.path), undefined);
    const buf = new Uint8Array(64);
    const pending = r.reader.read(buf);
    await a.client.write(te.encode("SEND"));
    assert.equal(await pending, 4);
    assert.equal(new TextDecoder().decode(buf.subarray(0, 4)), "SEND");
    assert.deepEqual(r.reader.stats, { spinReads: 1, parkedReads: 0, sentBytes: 0 });
    assert.equal(r.reader.send!(te.encode("RESULT")), 6);
    const back = new Uint8Array(16);
    const n = await a.client.read(back);
    assert.equal(new TextDecoder().decode(back.subarray(0, n!)), "RESULT");
    assert.equal(r.reader.stats!.sentBytes, 6);
    // Closed: its fd is free again for the next accepted socket's lookup, and a read ends with null.
    r.reader.close();
    assert.equal(await r.reader.read(buf), null);
    assert.equal(acceptedUnixFd(a.path), fd);
  } finally {
    a.client.close();
    a.server.close();
    a.l.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spinning reader: parks when a parked read elsewhere has bytes, so that read is not starved; EOF is null", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-spin-" });
  const a = await pair(dir, "a");
  const b = await pair(dir, "b");
  try {
    const ra = spinningReader(a.server, a.path, 1); // parks at once
    const rb = spinningReader(b.server, b.path, 10_000_000); // would spin for 10 s
    assert.ok("reader" in ra && "reader" in rb);
    const bufA = new Uint8Array(16), bufB = new Uint8Array(16);
    const readA = ra.reader.read(bufA);
    await waitFor(() => ra.reader.stats!.parkedReads === 1, "A's read to park", 2000, 1);
    const readB = rb.reader.read(bufB);
    const t0 = performance.now();
    await a.client.write(te.encode("to-A"));
    // A's parked read is served although B's read spins: B parks as soon as it sees A's bytes waiting.
    assert.equal(await readA, 4);
    assert.ok(performance.now() - t0 < 5000);
    assert.equal(rb.reader.stats!.parkedReads, 1);
    await b.client.write(te.encode("to-B"));
    assert.equal(await readB, 4);
    b.client.close();
    assert.equal(await rb.reader.read(bufB), null);
    ra.reader.close();
    rb.reader.close();
  } finally {
    a.client.close();
    a.server.close();
    b.server.close();
    a.l.close();
    b.l.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("engine with readSpinUs: a library's orders and their reports go through spinning reads and send() writes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-spin-engine-" });
  const engine = await startEngineOverLp({
    dir,
    server: { readSpinUs: 2000 },
    lpApp: {
      onMessage: (v, s) => {
        if (v.msgType !== "D") return;
        s.send({
          msgType: "8",
          fields: [
            [37, `O-${v.getString(11)}`],
            [11, v.getString(11)!],
            [17, `E-${v.getString(11)}`],
            [150, "0"],
            [
              39,
              "0",
            ],
            [55, "X"],
            [54, "1"],
            [151, "1"],
            [14, "0"],
            [6, "0"],
          ],
        });
      },
    },
  });
  const acks: string[] = [];
  const lib = await connectEngine({ socket: engine.socket, name: "spin", reconnect: false });
  try {
    await engine.loggedOn();
    const h = await lib.claim(ENGINE_SESSION_KEY, { onMessage: (v) => void acks.push(v.getString(11)!) });
    const answers = [];
    for (let i = 0; i < 20; i++) {
      answers.push(
        await h.submit({
          msgType: "D",
          fields: [[11, `c${i}`], [55, "X"], [54, "1"], [38, "1"], [40, "1"], [
            60,
            "20260101-00:00:00",
          ]],
        }),
      );
      await waitFor(() => acks.length === i + 1, `report ${i}`, 5000, 1);
    }
    assert.deepEqual(answers.map((a) => a.status), Array(20).fill("accepted"));
    assert.deepEqual(acks, Array.from({ length: 20 }, (_, i) => `c${i}`));
  } finally {
    await lib.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("engine with readSpinUs whose reads cannot spin: the 'reads do not spin' warning is rate limited (20, then one a second with the count left out)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-spin-warn-" });
  // A socket accepted on the engine's path before the engine bound it (a stale one): every connection the
  // engine accepts then has two candidate fds, so none of its reads can spin.
  const path = `${dir}/e.sock`;
  const l = Deno.listen({ transport: "unix", path });
  const client = await Deno.connect({ transport: "unix", path });
  const stale = await l.accept();
  l.close();
  const clock = new ManualScheduler();
  const logs = new LogCapture();
  const engine = await startEngineOverLp({
    dir,
    server: { readSpinUs: 1000, scheduler: clock },
    serverLogger: logs.logger("info"),
  });
  const lines = () => logs.grep(/reads do not spin/).map((x) => JSON.parse(x).msg as string);
  try {
    await engine.loggedOn();
    for (let i = 0; i < 40; i++) {
      const r = await RawEngineClient.attach(engine.socket, `lib${i}`);
      r.close();
      await r.done;
    }
    await waitFor(() => engine.server.libraries === 0, "every library gone");
    assert.equal(lines().length, 20);
    clock.advance(1000);
    const r = await RawEngineClient.attach(engine.socket, "again");
    r.close();
    await r.done;
    assert.equal(lines().length, 21);
    assert.match(lines()[20]!, /reads do not spin: .* \(20 similar lines not logged: rate limit\)$/);
  } finally {
    await engine.stop();
    client.close();
    stale.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The disk fills under `fsync: batch` while a gateway trades (issue 14 item 7), end to end over
 * loopback: the acceptor stops sending when its journal fails, and after a restart its Logon never
 * reuses a MsgSeqNum the counterparty has already received.
 */
import assert from "node:assert/strict";
import { FileJournal, type JournalFile, type OpenSegmentFile } from "../../src/store/journal.ts";
import { frame, RawClient, waitFor } from "../engine/helpers.ts";
import { LogCapture, startGateway } from "../ops/helpers.ts";
import { tempDir } from "./helpers.ts";

/** Segment files that stop accepting bytes after `limitBytes` in all (a full disk). */
function fullDiskAfter(limitBytes: number): OpenSegmentFile {
  let total = 0;
  return (path: string): JournalFile => {
    const f = Deno.openSync(path, { write: true, createNew: true });
    return {
      writeSync(p: Uint8Array): number {
        if (total >= limitBytes) throw new Error("No space left on device (os error 28)");
        const n = f.writeSync(p.subarray(0, Math.min(p.length, limitBytes - total)));
        total += n;
        return n;
      },
      syncData: () => f.syncData(),
      close: () => f.close(),
    };
  };
}

const CONFIG = `sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW, app: echo }
`;

function seqOf(readable: string): number {
  return Number(/\|34=(\d+)\|/.exec(readable)![1]);
}

function order(seq: number): Uint8Array {
  return frame(
    "FIX.4.4",
    "D",
    `49=TW|56=ISLD|34=${seq}|52=<TIME>|11=ORD-${seq}|55=EUR/USD|54=1|60=<TIME>|38=1000|40=2|44=1.085|21=1|58=${
      "x".repeat(100)
    }`,
  );
}

Deno.test("disk full under fsync batch: the gateway stops sending, and after a restart its Logon does not reuse a number the peer saw", async () => {
  const dir = tempDir();
  const logs = new LogCapture();
  const store = await FileJournal.open({
    dir,
    fsync: "batch",
    openSegmentFile: fullDiskAfter(60_000),
    bootId: "boot-a",
    onWarning: () => {},
  });
  const first = await startGateway(CONFIG, { store, logger: logs.logger("info") });
  const port = first.gw.ports[0]!;
  const c = await RawClient.connect(port);
  let seq = 1;
  await c.send(frame("FIX.4.4", "A", `49=TW|56=ISLD|34=${seq++}|52=<TIME>|98=0|108=30`));
  await waitFor(() => c.frames.length === 1, "logon reply");
  // Orders in bursts of 20 until the acceptor's journal fails and it drops the connection.
  for (let burst = 0; burst < 100 && !c.closed; burst++) {
    const want = c.frames.length + 20;
    for (let k = 0; k < 20; k++) await c.send(order(seq++));
    await waitFor(() => c.frames.length >= want || c.closed, "echoes or a disconnect");
  }
  await waitFor(() => c.closed, "the acceptor closes the connection when its journal fails");
  // Some progress before the disk filled (82 echoes since each socket write waits for the journal's
  // write(2) of its records: a failed write sends nothing; before that, 100 and more went out).
  const highest = Math.max(...c.frames.map(seqOf));
  assert.ok(highest > 50, `the peer received up to ${highest}`);
  // Said once, not per rejected append (40 store-error lines for this one failure before).
  assert.equal(logs.grep(/store-error/).length, 1, logs.lines.join("\n"));
  assert.equal(
    logs.grep(/store-error.*No space left on device.*session stops sending/).length,
    1,
    logs.lines.join("\n"),
  );
  // /health reports it (503 "degraded" with this problem).
  assert.deepEqual(first.gw.problems().map((p) => p.text), [
    "journal write failed: 1 session stopped sending (see the store-error log line); free the disk and restart the gateway",
  ]);
  // Stopping reports the journal failure (its flush fails); the gateway is stopped all the same and
  // its store closed (the journal's lock released: the restart below opens the same directory).
  await assert.rejects(first.gw.stop(), /No space left on device/);

  // Space again: the gateway restarts on the same journal (same machine, no reboot).
  const store2 = await FileJournal.open({ dir, fsync: "batch", bootId: "boot-a", onWarning: () => {} });
  const second = await startGateway(CONFIG, { store: store2 });
  try {
    const c2 = await RawClient.connect(second.gw.ports[0]!);
    await c2.send(frame("FIX.4.4", "A", `49=TW|56=ISLD|34=${seq++}|52=<TIME>|98=0|108=30`));
    await waitFor(() => c2.frames.length >= 1, "logon reply after the restart");
    assert.match(c2.frames[0]!, /\|35=A\|/);
    // Never a number the peer already has: the Logon comes above what it saw, above every number the
    // failed journal had handed out (sent or not: the exact mark), so after a gap here.
    assert.ok(seqOf(c2.frames[0]!) > highest, `${c2.frames[0]} after ${highest}`);
    c2.close();
  } finally {
    await second.gw.stop();
  }
});

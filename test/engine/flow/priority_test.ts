import assert from "node:assert/strict";
import { Framer, type MessageView, Tag, toReadable } from "../../../src/codec/mod.ts";
import { ManualClock } from "../../../src/engine/clock.ts";
import { Logger } from "../../../src/engine/log.ts";
import { SessionRunner, type ThrottleSettings } from "../../../src/engine/session_runner.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../../src/session/types.ts";
import { MemoryMessageStore } from "../../../src/store/memory_store.ts";
import { memoryPair } from "../../../src/transport/memory.ts";
import type { Connection } from "../../../src/transport/types.ts";
import { frame, waitFor } from "../helpers.ts";

const config: SessionConfig = {
  ...DEFAULT_SESSION_SETTINGS,
  id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
  role: "initiator",
};

/** A connection whose writes wait for the test to open a gate: the socket is "busy". */
class GatedConnection implements Connection {
  gate: Promise<void> = Promise.resolve();
  #open: (() => void) | undefined;
  constructor(readonly inner: Connection) {}
  get remoteAddr() {
    return this.inner.remoteAddr;
  }
  get remoteHost() {
    return this.inner.remoteHost;
  }
  close() {
    this.inner.close();
  }
  read(buf: Uint8Array) {
    return this.inner.read(buf);
  }
  async write(bytes: Uint8Array) {
    const copy = bytes.slice();
    await this.gate;
    await this.inner.write(copy);
  }
  hold(): void {
    this.gate = new Promise((r) => (this.#open = r));
  }
  release(): void {
    this.#open?.();
  }
}

/** The counterparty's end: every frame received, as "35=X:34=n:11=id". */
async function collect(conn: Connection, into: string[]): Promise<void> {
  const f = new Framer({
    onFrame: (b, s, e) => {
      const t = toReadable(b, s, e);
      const get = (tag: number) => new RegExp(`\\|${tag}=([^|]*)`).exec(t)?.[1];
      into.push(`${get(35)}:${get(34)}${get(11) ? `:${get(11)}` : ""}`);
    },
    onGarbled: () => {},
  });
  const buf = new Uint8Array(65536);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) return;
    f.push(buf.subarray(0, n));
  }
}

async function loggedOnRunner(
  options: { throttle?: ThrottleSettings; clock?: ManualClock; onMessage?: (v: MessageView) => void } = {},
) {
  const [ours, theirs] = memoryPair();
  const gated = new GatedConnection(ours);
  const store = await new MemoryMessageStore().openSession("k", Date.now());
  const runner = SessionRunner.create(
    config,
    store,
    options.onMessage ? { onMessage: options.onMessage } : {},
    {
      logger: new Logger({ level: "error" }),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.throttle ? { throttle: options.throttle } : {}),
    },
  );
  const wire: string[] = [];
  const reading = collect(theirs, wire);
  const attached = runner.attach(gated);
  await waitFor(() => wire.length === 1, "our Logon");
  await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await waitFor(() => runner.loggedOn, "logon");
  const done = async () => {
    theirs.close();
    await attached;
    await reading;
    await runner.stop(); // clears the session's timer (left armed after the disconnect)
  };
  return { runner, gated, theirs, wire, done };
}

const order = (id: string) => ({
  msgType: "D",
  fields: [[Tag.ClOrdID, id], [Tag.Symbol, "IBM"], [Tag.Side, "1"], [Tag.OrderQty, 100]] as Array<
    [number, string | number]
  >,
});
const cancel = (id: string, orig: string) => ({
  msgType: "F",
  fields: [[Tag.OrigClOrdID, orig], [Tag.ClOrdID, id], [Tag.Symbol, "IBM"], [Tag.Side, "1"]] as Array<
    [number, string | number]
  >,
});

Deno.test("priority: with the socket free, send() numbers at once and returns the MsgSeqNum", async () => {
  const { runner, wire, done } = await loggedOnRunner();
  assert.deepEqual([runner.send(order("o1")), runner.send(order("o2")), runner.send(cancel("c1", "o0"))], [
    { kind: "sent", seq: 2 },
    { kind: "sent", seq: 3 },
    { kind: "sent", seq: 4 },
  ]);
  await waitFor(() => wire.length === 4, "three messages");
  assert.deepEqual(wire, ["A:1", "D:2:o1", "D:3:o2", "F:4:c1"]);
  assert.equal(runner.outbound.length, 0);
  await done();
});

Deno.test("priority: a cancel overtakes orders queued behind a busy socket; numbers follow the wire order", async () => {
  const { runner, gated, wire, done } = await loggedOnRunner();
  gated.hold();
  assert.deepEqual(runner.send(order("o1")), { kind: "sent", seq: 2 });
  await new Promise((r) => setTimeout(r, 0));
  for (const id of ["o2", "o3", "o4"]) {
    assert.deepEqual(runner.send(order(id)), { kind: "queued" }, "queued: the number comes as it leaves");
  }
  runner.send(cancel("c1", "o1"));
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(runner.outbound.depth("high"), 3, "orders wait while the write is in flight");
  assert.equal(runner.outbound.depth("critical"), 1);
  gated.release();
  await waitFor(() => wire.length === 6, "all sent");
  assert.deepEqual(wire, ["A:1", "D:2:o1", "F:3:c1", "D:4:o2", "D:5:o3", "D:6:o4"]);
  assert.equal(runner.outbound.waitSeconds.critical.count, 1);
  assert.equal(runner.status().nextSenderSeq, 7);
  await done();
});

Deno.test("outbound throttle: messages over the rate wait in the queue and all go out, in order", async () => {
  const { runner, wire, done } = await loggedOnRunner({
    throttle: { outbound: { perSecond: 50, burst: 1 } },
  });
  for (const id of ["o1", "o2", "o3", "o4"]) runner.send(order(id));
  await waitFor(() => wire.length === 5, "all four orders", 3000);
  assert.deepEqual(wire, ["A:1", "D:2:o1", "D:3:o2", "D:4:o3", "D:5:o4"]);
  assert.ok(runner.counters.throttledOutWaits >= 3);
  await done();
});

Deno.test("inbound throttle: messages over the rate are not delivered and get BusinessMessageReject 380=0", async () => {
  const clock = new ManualClock(Date.now());
  const got: string[] = [];
  const { runner, theirs, wire, done } = await loggedOnRunner({
    clock,
    throttle: { inbound: { perSecond: 1, burst: 1 } },
    onMessage: (v) => got.push(v.getString(Tag.ClOrdID) ?? "?"),
  });
  for (let seq = 2; seq <= 4; seq++) {
    await theirs.write(
      frame("FIX.4.4", "D", `49=ISLD|56=TW|34=${seq}|52=<TIME>|11=n${seq}|55=IBM|54=1|38=1|40=1|60=<TIME>|`),
    );
  }
  await waitFor(() => wire.length === 3, "two rejects");
  assert.deepEqual(got, ["n2"]);
  assert.deepEqual(wire, ["A:1", "j:2", "j:3"]);
  assert.equal(runner.counters.throttledIn, 2);
  // A second later the bucket has a token again.
  clock.advance(1000);
  await theirs.write(
    frame("FIX.4.4", "D", `49=ISLD|56=TW|34=5|52=<TIME>|11=n5|55=IBM|54=1|38=1|40=1|60=<TIME>|`),
  );
  await waitFor(() => got.length === 2, "delivered after refill");
  assert.deepEqual(got, ["n2", "n5"]);
  await done();
});

Deno.test("kill switch on a runner: queued orders withdrawn, open orders cancelled at critical priority, new orders refused", async () => {
  const { runner, theirs, wire, done } = await loggedOnRunner();
  runner.send(order("o1"));
  runner.send(order("o2"));
  await waitFor(() => wire.length === 3, "orders out");
  await theirs.write(
    frame(
      "FIX.4.4",
      "8",
      "49=ISLD|56=TW|34=2|52=<TIME>|37=X1|11=o1|17=e1|150=0|39=0|55=IBM|54=1|38=100|151=100|14=0|6=0|",
    ),
  );
  await waitFor(() => runner.orders.open().length === 1, "o1 acked");
  const r = runner.engageKillSwitch("test");
  assert.deepEqual(r, { cancels: 1, withdrawn: 0 });
  await waitFor(() => wire.length === 4, "the cancel");
  assert.match(wire[3]!, /^F:4:KS/);
  assert.deepEqual(runner.send(order("o3")), {
    kind: "refused",
    reason: "35=D refused on FIX.4.4:TW->ISLD: order entry blocked (test)",
    cause: "filter",
  });
  assert.equal(runner.counters.ordersRefused, 1);
  // o2 is acknowledged after the switch: it is cancelled as its ack arrives.
  await theirs.write(
    frame(
      "FIX.4.4",
      "8",
      "49=ISLD|56=TW|34=3|52=<TIME>|37=X2|11=o2|17=e2|150=0|39=0|55=IBM|54=1|38=100|151=100|14=0|6=0|",
    ),
  );
  await waitFor(() => wire.length === 5, "cancel of o2");
  assert.match(wire[4]!, /^F:5:KS/);
  runner.releaseKillSwitch();
  runner.send(order("o4"));
  await waitFor(() => wire.length === 6, "orders allowed again");
  assert.equal(wire[5], "D:6:o4");
  await done();
});

import assert from "node:assert/strict";
import { Tag } from "../../src/codec/mod.ts";
import type { SendResult, SessionHandle } from "../../src/engine/application.ts";
import { echoApp } from "../../src/engine/apps/echo.ts";
import { backoffDelayMs, Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { startAcceptor, startInitiator } from "../../src/engine/quick.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { frame, RawClient, typeOf, waitFor } from "./helpers.ts";

const quiet = () => new Logger({ level: "error" });

function acceptorConfig(sender: string, target: string): SessionConfig {
  return {
    ...DEFAULT_SESSION_SETTINGS,
    id: { beginString: "FIX.4.4", senderCompId: sender, targetCompId: target },
    role: "acceptor",
  };
}

function logon(sender: string, target: string, seq = 1, extra = ""): Uint8Array {
  return frame("FIX.4.4", "A", `49=${sender}|56=${target}|34=${seq}|52=<TIME>|98=0|108=30|${extra}`);
}

async function twoSessionAcceptor(): Promise<Gateway> {
  const gw = new Gateway({ store: new MemoryMessageStore(), app: echoApp(), logger: quiet() });
  gw.addAcceptor({
    host: "127.0.0.1",
    port: 0,
    sessions: [{ config: acceptorConfig("ISLD", "TW1") }, { config: acceptorConfig("ISLD", "TW2") }],
  });
  await gw.start();
  return gw;
}

Deno.test("one port serves several sessions, dispatched by the CompIDs of the Logon", async () => {
  const gw = await twoSessionAcceptor();
  const port = gw.ports[0]!;
  const a = await RawClient.connect(port), b = await RawClient.connect(port);
  await a.send(logon("TW1", "ISLD"));
  await b.send(logon("TW2", "ISLD"));
  await waitFor(() => a.frames.length === 1 && b.frames.length === 1, "both logon replies");
  assert.match(a.frames[0]!, /\|35=A\|34=1\|49=ISLD\|52=[^|]+\|56=TW1\|/);
  assert.match(b.frames[0]!, /\|35=A\|34=1\|49=ISLD\|52=[^|]+\|56=TW2\|/);
  assert.equal(gw.runners().filter((r) => r.loggedOn).length, 2);
  a.close();
  b.close();
  await gw.stop();
});

Deno.test("case 1S c: a Logon for an unknown session is disconnected without a byte sent", async () => {
  const gw = await twoSessionAcceptor();
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon("NOBODY", "ISLD"));
  await c.finished();
  assert.equal(c.bytesReceived, 0);
  await gw.stop();
});

Deno.test("case 2S: a first message that is not a Logon is disconnected without a byte sent", async () => {
  const gw = await twoSessionAcceptor();
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(frame("FIX.4.4", "0", "49=TW1|56=ISLD|34=1|52=<TIME>|"));
  await c.finished();
  assert.equal(c.bytesReceived, 0);
  await gw.stop();
});

Deno.test("case 1S b: a second Logon for a logged-on session closes the new connection silently; the first carries on", async () => {
  const gw = await twoSessionAcceptor();
  const port = gw.ports[0]!;
  const first = await RawClient.connect(port);
  await first.send(logon("TW1", "ISLD"));
  await waitFor(() => first.frames.length === 1, "logon reply");
  const second = await RawClient.connect(port);
  await second.send(logon("TW1", "ISLD", 2));
  await second.finished();
  assert.equal(second.bytesReceived, 0);
  await first.send(frame("FIX.4.4", "1", "49=TW1|56=ISLD|34=2|52=<TIME>|112=still-here|"));
  await waitFor(() => first.frames.length === 2, "heartbeat answering the test request");
  assert.match(first.frames[1]!, /\|35=0\|34=2\|.*112=still-here\|/);
  assert.equal(first.closed, false);
  first.close();
  await gw.stop();
});

Deno.test("an empty probe connection (connect, then close) is harmless", async () => {
  const gw = await twoSessionAcceptor();
  const port = gw.ports[0]!;
  for (let i = 0; i < 3; i++) {
    const probe = await RawClient.connect(port);
    probe.close();
    await probe.finished();
  }
  const c = await RawClient.connect(port);
  await c.send(logon("TW1", "ISLD"));
  await waitFor(() => c.frames.length === 1, "logon reply after probes");
  assert.equal(typeOf(c.frames[0]!), "A");
  c.close();
  await gw.stop();
});

Deno.test("dynamic sessions: a '*' template accepts any client CompID, each with its own numbers", async () => {
  const gw = await startAcceptor(
    { port: 0, senderCompId: "ISLD", targetCompId: "*", logger: quiet() },
    echoApp(),
  );
  const port = gw.ports[0]!;
  const a = await RawClient.connect(port), b = await RawClient.connect(port);
  await a.send(logon("ALPHA", "ISLD"));
  await b.send(logon("BETA", "ISLD"));
  await waitFor(() => a.frames.length === 1 && b.frames.length === 1, "both logon replies");
  assert.deepEqual(gw.runners().map((r) => r.key).sort(), ["FIX.4.4:ISLD->ALPHA", "FIX.4.4:ISLD->BETA"]);
  a.close();
  b.close();
  await gw.stop();
});

Deno.test("initiator reconnects after the acceptor restarts and carries on with the stored sequence numbers", async () => {
  const store = new MemoryMessageStore();
  let acceptor = await startAcceptor({
    port: 0,
    senderCompId: "ISLD",
    targetCompId: "TW",
    logger: quiet(),
    store,
  }, echoApp());
  const port = acceptor.ports[0]!;
  let logons = 0;
  const initiator = await startInitiator({
    port,
    senderCompId: "TW",
    targetCompId: "ISLD",
    logger: quiet(),
    reconnect: { initialMs: 20, maxMs: 100, factor: 2, jitter: 0, attempts: 0 },
  }, { onLogon: () => logons++ });
  await waitFor(() => logons === 1, "first logon");
  const r = initiator.runners()[0]!;
  assert.equal(r.status().nextSenderSeq, 2);
  await acceptor.stop();
  await waitFor(() => !r.connected, "disconnect seen by initiator");
  acceptor = await startAcceptor({
    port,
    senderCompId: "ISLD",
    targetCompId: "TW",
    logger: quiet(),
    store: new MemoryMessageStore(),
  }, echoApp());
  // The new acceptor's store starts at 1: our Logon 34=3 is "too high" for it, it asks for a resend and we gap-fill.
  await waitFor(() => logons === 2, "logon after reconnect", 5000);
  assert.ok(r.counters.reconnects >= 1);
  await initiator.stop();
  await acceptor.stop();
});

Deno.test("backoff grows by the factor up to the maximum, with jitter inside its bounds", () => {
  const p = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.2, attempts: 0 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => backoffDelayMs(p, a, () => 0.5)), [
    100,
    200,
    400,
    800,
    1000,
    1000,
  ]);
  assert.equal(backoffDelayMs(p, 0, () => 0), 80);
  assert.equal(backoffDelayMs(p, 0, () => 0.999999), 120);
});

Deno.test("back-pressure: a peer that stops reading makes send() answer 'back-pressure', memory stays bounded", async () => {
  // A raw acceptor that answers the Logon and then never reads again.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const serverSide = (async () => {
    const c = await l.accept();
    const buf = new Uint8Array(4096);
    await c.read(buf);
    await c.write(logon("ISLD", "TW"));
    return c;
  })();
  let handle: SessionHandle | undefined;
  const gw = await startInitiator({ port, senderCompId: "TW", targetCompId: "ISLD", logger: quiet() }, {
    onLogon: (s) => (handle = s),
  });
  await waitFor(() => handle !== undefined, "logon");
  const body = "x".repeat(1000);
  let result: SendResult = { kind: "queued" };
  let sent = 0;
  for (; sent < 100_000; sent++) {
    result = handle!.send({ msgType: "D", fields: [[Tag.ClOrdID, `o${sent}`], [Tag.Text, body]] });
    if (result.kind === "back-pressure") break;
    if (sent % 1000 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  assert.equal(result.kind, "back-pressure");
  assert.ok(sent < 100_000, "send stopped before the loop ended");
  const c = await serverSide;
  c.close();
  l.close();
  await gw.stop();
});

Deno.test("send(…, { resend: false }) on the direct send path: a ResendRequest gets a gap fill for it and the other message again", async () => {
  const gw = await startAcceptor(
    { port: 0, senderCompId: "ISLD", targetCompId: "TW", logger: quiet() },
    {
      onLogon(s: SessionHandle) {
        // Sent while logged on with nothing queued: both take the runner's direct path (no send input).
        assert.deepEqual(s.send({ msgType: "B", fields: [[148, "not again"]] }, { resend: false }), {
          kind: "sent",
          seq: 2,
        });
        assert.deepEqual(s.send({ msgType: "B", fields: [[148, "again"]] }), { kind: "sent", seq: 3 });
      },
    },
  );
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon("TW", "ISLD"));
  await waitFor(() => c.frames.length === 3, "logon reply and two news");
  assert.match(c.frames[1]!, /\|35=B\|34=2\|49=ISLD\|52=[^|]+\|56=TW\|148=not again\|/);
  assert.match(c.frames[2]!, /\|35=B\|34=3\|49=ISLD\|52=[^|]+\|56=TW\|148=again\|/);
  await c.send(frame("FIX.4.4", "2", "49=TW|56=ISLD|34=2|52=<TIME>|7=2|16=0|"));
  await waitFor(() => c.frames.length === 5, "gap fill and resent news");
  assert.match(c.frames[3]!, /\|35=4\|34=2\|43=Y\|49=ISLD\|.*\|36=3\|123=Y\|/);
  assert.match(c.frames[4]!, /\|35=B\|34=3\|43=Y\|49=ISLD\|.*148=again\|/);
  c.close();
  await gw.stop();
});

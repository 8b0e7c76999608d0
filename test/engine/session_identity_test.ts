/**
 * Acceptor sessions identified by SenderSubID/TargetSubID (and a qualifier): the gateway finds them
 * by the same identity they are registered under (src/session/session_id.ts).
 */
import assert from "node:assert/strict";
import { echoApp } from "../../src/engine/apps/echo.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig, type SessionId } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { frame, RawClient, waitFor } from "./helpers.ts";

const quiet = () => new Logger({ level: "error" });

function acceptor(id: Partial<SessionId>): SessionConfig {
  return {
    ...DEFAULT_SESSION_SETTINGS,
    id: { beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW", ...id },
    role: "acceptor",
  };
}

function logon(fields: string, seq = 1): Uint8Array {
  return frame("FIX.4.4", "A", `${fields}|34=${seq}|52=<TIME>|98=0|108=30|`);
}

/** The value of `tag` in a `|` frame string. */
function field(f: string, tag: number): string | undefined {
  return new RegExp(`\\|${tag}=([^|]*)\\|`).exec(f)?.[1];
}

async function gateway(sessions: SessionConfig[], templates: SessionConfig[] = []): Promise<Gateway> {
  const gw = new Gateway({ store: new MemoryMessageStore(), app: echoApp(), logger: quiet() });
  gw.addAcceptor({
    host: "127.0.0.1",
    port: 0,
    sessions: sessions.map((config) => ({ config })),
    templates: templates.map((config) => ({ config })),
  });
  await gw.start();
  return gw;
}

Deno.test("an acceptor configured with senderSubId/targetSubId accepts a Logon carrying 50/57 and logs on", async () => {
  const gw = await gateway([acceptor({ senderSubId: "DESK", targetSubId: "TRADER" })]);
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon("49=TW|50=TRADER|56=ISLD|57=DESK"));
  await waitFor(() => c.frames.length === 1 || c.closed, "logon reply");
  assert.equal(c.frames.length, 1, "the Logon is answered");
  const reply = c.frames[0]!;
  assert.equal(field(reply, 35), "A");
  assert.equal(field(reply, 49), "ISLD");
  assert.equal(field(reply, 50), "DESK");
  assert.equal(field(reply, 56), "TW");
  assert.equal(field(reply, 57), "TRADER");
  const r = gw.runner("FIX.4.4:ISLD/DESK->TW/TRADER")!;
  assert.equal(r.loggedOn, true);
  c.close();
  await gw.stop();
});

Deno.test("two acceptor sessions that differ only by sub IDs are told apart", async () => {
  const gw = await gateway([
    acceptor({ senderSubId: "A", targetSubId: "X" }),
    acceptor({ senderSubId: "B", targetSubId: "Y" }),
  ]);
  const port = gw.ports[0]!;
  const a = await RawClient.connect(port), b = await RawClient.connect(port);
  await a.send(logon("49=TW|50=X|56=ISLD|57=A"));
  await b.send(logon("49=TW|50=Y|56=ISLD|57=B"));
  await waitFor(() => a.frames.length === 1 && b.frames.length === 1, "both logon replies");
  assert.equal(field(a.frames[0]!, 50), "A");
  assert.equal(field(b.frames[0]!, 50), "B");
  assert.deepEqual(gw.runners().filter((r) => r.loggedOn).map((r) => r.key).sort(), [
    "FIX.4.4:ISLD/A->TW/X",
    "FIX.4.4:ISLD/B->TW/Y",
  ]);
  a.close();
  b.close();
  await gw.stop();
});

Deno.test("a Logon with sub IDs no configured session has is refused without a byte sent", async () => {
  const gw = await gateway([acceptor({ senderSubId: "DESK", targetSubId: "TRADER" })]);
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon("49=TW|50=OTHER|56=ISLD|57=DESK"));
  await c.finished();
  assert.equal(c.bytesReceived, 0);
  assert.equal(gw.runners().length, 1);
  await gw.stop();
});

Deno.test("an acceptor session with a qualifier logs on (the qualifier is not on the wire)", async () => {
  const gw = await gateway([acceptor({ qualifier: "primary" })]);
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon("49=TW|56=ISLD"));
  await waitFor(() => c.frames.length === 1 || c.closed, "logon reply");
  assert.equal(c.frames.length, 1);
  assert.equal(gw.runner("FIX.4.4:ISLD->TW#primary")!.loggedOn, true);
  c.close();
  await gw.stop();
});

Deno.test("two sessions with the same CompIDs told apart only by qualifier: a Logon is ambiguous and refused", async () => {
  const gw = await gateway([acceptor({ qualifier: "a" }), acceptor({ qualifier: "b" })]);
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon("49=TW|56=ISLD"));
  await c.finished();
  assert.equal(c.bytesReceived, 0);
  await gw.stop();
});

Deno.test("a '*' template with sub IDs creates a session per client carrying the sub IDs", async () => {
  const gw = await gateway([], [acceptor({ targetCompId: "*", senderSubId: "DESK", targetSubId: "*" })]);
  const port = gw.ports[0]!;
  const a = await RawClient.connect(port), b = await RawClient.connect(port);
  await a.send(logon("49=ALPHA|50=T1|56=ISLD|57=DESK"));
  await b.send(logon("49=BETA|50=T2|56=ISLD|57=DESK"));
  await waitFor(() => a.frames.length === 1 && b.frames.length === 1, "both logon replies");
  assert.equal(field(a.frames[0]!, 50), "DESK");
  assert.equal(field(a.frames[0]!, 57), "T1");
  assert.equal(field(b.frames[0]!, 57), "T2");
  assert.deepEqual(gw.runners().map((r) => r.key).sort(), [
    "FIX.4.4:ISLD/DESK->ALPHA/T1",
    "FIX.4.4:ISLD/DESK->BETA/T2",
  ]);
  // The template's senderSubId must match: a Logon to another desk is refused.
  const c = await RawClient.connect(port);
  await c.send(logon("49=GAMMA|50=T3|56=ISLD|57=OTHER"));
  await c.finished();
  assert.equal(c.bytesReceived, 0);
  a.close();
  b.close();
  await gw.stop();
});

Deno.test("a fixg initiator with sub IDs logs on to a fixg acceptor configured with the mirror sub IDs", async () => {
  const acc = await gateway([acceptor({ senderSubId: "DESK", targetSubId: "T1" })]);
  const ini = new Gateway({ store: new MemoryMessageStore(), app: {}, logger: quiet() });
  ini.addInitiator({
    config: {
      ...DEFAULT_SESSION_SETTINGS,
      id: {
        beginString: "FIX.4.4",
        senderCompId: "TW",
        senderSubId: "T1",
        targetCompId: "ISLD",
        targetSubId: "DESK",
      },
      role: "initiator",
    },
    hosts: [{ host: "127.0.0.1", port: acc.ports[0]! }],
  });
  await ini.start();
  await waitFor(() => ini.runners()[0]!.loggedOn, "initiator logged on");
  assert.equal(acc.runner("FIX.4.4:ISLD/DESK->TW/T1")!.loggedOn, true);
  await ini.stop();
  await acc.stop();
});

Deno.test("reloading a '*' template with sub IDs updates the live sessions created from it", async () => {
  const tpl = acceptor({ targetCompId: "*", senderSubId: "DESK", targetSubId: "*" });
  const gw = await gateway([], [tpl]);
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon("49=ALPHA|50=T1|56=ISLD|57=DESK"));
  await waitFor(() => c.frames.length === 1, "logon reply");
  assert.equal(gw.updateSession({ config: { ...tpl, heartbeatIntervalSec: 45 } }), true);
  assert.equal(gw.runner("FIX.4.4:ISLD/DESK->ALPHA/T1")!.config.heartbeatIntervalSec, 45);
  assert.equal(gw.runner("FIX.4.4:ISLD/DESK->ALPHA/T1")!.config.id.targetSubId, "T1");
  c.close();
  await gw.stop();
});

/** One session identity (src/session/session_id.ts) and its users: config check, hot reload. */
import assert from "node:assert/strict";
import { MessageView } from "../../src/codec/mod.ts";
import { buildGateway } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { Logger } from "../../src/engine/log.ts";
import { ConfigError } from "../../src/errors.ts";
import { reloadGateway } from "../../src/ops/reload.ts";
import {
  findForLogon,
  instantiate,
  matchesTemplate,
  sameSession,
  type SessionId,
  sessionIdFromInbound,
  sessionIdOfKey,
  sessionKey,
  templateMaking,
} from "../../src/session/session_id.ts";
import { frame } from "../engine/helpers.ts";

const id = (o: Partial<SessionId> = {}): SessionId => ({
  beginString: "FIX.4.4",
  senderCompId: "ISLD",
  targetCompId: "TW",
  ...o,
});

Deno.test("session key: CompIDs, sub IDs and qualifier; equality by key (location IDs are not identity)", () => {
  assert.equal(sessionKey(id()), "FIX.4.4:ISLD->TW");
  assert.equal(
    sessionKey(id({ senderSubId: "D", targetSubId: "T", qualifier: "q" })),
    "FIX.4.4:ISLD/D->TW/T#q",
  );
  assert.equal(sameSession(id({ senderLocationId: "NY" }), id()), true);
  assert.equal(sameSession(id({ targetSubId: "T" }), id()), false);
  assert.equal(sameSession(id({ qualifier: "a" }), id({ qualifier: "b" })), false);
});

Deno.test("the id of an inbound Logon is seen from our side: 49/50 theirs, 56/57 ours", () => {
  const v = MessageView.parse(
    frame("FIX.4.2", "A", "49=TW|50=T1|56=ISLD|57=DESK|34=1|52=<TIME>|98=0|108=30|"),
  );
  assert.deepEqual(sessionIdFromInbound(v), {
    beginString: "FIX.4.2",
    senderCompId: "ISLD",
    senderSubId: "DESK",
    targetCompId: "TW",
    targetSubId: "T1",
  });
  const bare = MessageView.parse(frame("FIX.4.2", "A", "49=TW|56=ISLD|57=|34=1|52=<TIME>|98=0|108=30|"));
  assert.deepEqual(sessionIdFromInbound(bare), {
    beginString: "FIX.4.2",
    senderCompId: "ISLD",
    targetCompId: "TW",
  });
});

Deno.test("findForLogon: exact identity first, then a session configured without sub IDs; qualifier-only twins are ambiguous", () => {
  const plain = id(), subs = id({ senderSubId: "D", targetSubId: "T" });
  const both = [plain, subs];
  const find = (incoming: SessionId, c: SessionId[]) => findForLogon(incoming, c, (x) => x);
  assert.deepEqual(find(id({ senderSubId: "D", targetSubId: "T" }), both), { kind: "found", item: subs });
  assert.deepEqual(find(id(), both), { kind: "found", item: plain });
  // Sub IDs of a peer on a session configured without any: its routing, not its identity.
  assert.deepEqual(find(id({ targetSubId: "OTHER" }), both), { kind: "found", item: plain });
  assert.deepEqual(find(id({ targetSubId: "OTHER" }), [subs]), { kind: "none" });
  assert.deepEqual(find(id(), [id({ qualifier: "x" })]), { kind: "found", item: id({ qualifier: "x" }) });
  assert.deepEqual(find(id(), [id({ qualifier: "b" }), id({ qualifier: "a" })]), {
    kind: "ambiguous",
    keys: ["FIX.4.4:ISLD->TW#a", "FIX.4.4:ISLD->TW#b"],
  });
  // Templates are never found here.
  assert.deepEqual(find(id(), [id({ targetCompId: "*" })]), { kind: "none" });
});

Deno.test("templates: '*' matches any value; set fields must match; sub IDs ignored by a template without any", () => {
  const t = id({ targetCompId: "*", senderSubId: "DESK", targetSubId: "*", qualifier: "dyn" });
  const inc = id({ targetCompId: "ALPHA", senderSubId: "DESK", targetSubId: "T1" });
  assert.equal(matchesTemplate(t, inc), true);
  assert.equal(matchesTemplate(t, { ...inc, senderSubId: "OTHER" }), false);
  assert.equal(matchesTemplate(t, { ...inc, beginString: "FIX.4.2" }), false);
  assert.deepEqual(instantiate(t, inc), { ...inc, qualifier: "dyn" });
  const { targetSubId: _drop, ...incNoSub } = inc;
  const noSub = instantiate(t, incNoSub);
  assert.equal("targetSubId" in noSub, false);
  const plain = id({ targetCompId: "*" });
  assert.equal(matchesTemplate(plain, inc), true);
  assert.deepEqual(instantiate(plain, inc), id({ targetCompId: "ALPHA" }));
});

Deno.test("a session key read back into its id; the template that makes a dynamic session's key (cluster move)", () => {
  for (
    const x of [
      id(),
      id({ senderSubId: "D", targetSubId: "T", qualifier: "q" }),
      id({ targetSubId: "T" }),
      id({ qualifier: "dyn" }),
      id({ beginString: "FIXT.1.1", targetCompId: "A-B>C" }),
    ]
  ) {
    assert.deepEqual(sessionIdOfKey(sessionKey(x)), x, sessionKey(x));
  }
  assert.equal(sessionIdOfKey("no key"), undefined);
  assert.equal(sessionIdOfKey("FIX.4.4:ISLD"), undefined);
  const plain = id({ targetCompId: "*" });
  const subs = id({ targetCompId: "*", senderSubId: "DESK", targetSubId: "*", qualifier: "dyn" });
  const fix42 = id({ beginString: "FIX.4.2", targetCompId: "*" });
  const all = [fix42, plain, subs];
  const make = (key: string) => templateMaking(all, (t) => t, key);
  assert.deepEqual(make("FIX.4.4:ISLD->ALPHA"), { template: plain, id: id({ targetCompId: "ALPHA" }) });
  assert.deepEqual(make("FIX.4.2:ISLD->ALPHA"), {
    template: fix42,
    id: id({ beginString: "FIX.4.2", targetCompId: "ALPHA" }),
  });
  assert.deepEqual(make("FIX.4.4:ISLD/DESK->ALPHA/T1#dyn"), {
    template: subs,
    id: id({ targetCompId: "ALPHA", senderSubId: "DESK", targetSubId: "T1", qualifier: "dyn" }),
  });
  // Not made by any: another sender, a qualifier no template carries, sub IDs a template without any
  // never puts in a key, another version.
  assert.equal(make("FIX.4.4:OTHER->ALPHA"), undefined);
  assert.equal(make("FIX.4.4:ISLD->ALPHA#x"), undefined);
  assert.equal(make("FIX.4.4:ISLD->ALPHA/T1"), undefined);
  assert.equal(make("FIX.4.3:ISLD->ALPHA"), undefined);
  // A configured (static) session is no template.
  assert.equal(templateMaking([id({ targetCompId: "ALPHA" })], (t) => t, "FIX.4.4:ISLD->ALPHA"), undefined);
});

const twoSubSessions = (hb2 = 30) =>
  `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW, senderSubId: A, targetSubId: X, heartbeatIntervalSec: 30 }
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW, senderSubId: B, targetSubId: Y, heartbeatIntervalSec: ${hb2} }
`;

Deno.test("config check: sessions that differ by sub IDs are two sessions; acceptors told apart by qualifier only are refused", () => {
  const c = parseConfig(twoSubSessions(), "subs.yaml", () => undefined);
  assert.equal(c.sessions.length, 2);
  assert.throws(
    () =>
      parseConfig(
        `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, senderCompId: ISLD, targetCompId: TW, qualifier: a }
  - { role: acceptor, port: 0, senderCompId: ISLD, targetCompId: TW, qualifier: b }
`,
        "twins.yaml",
        () => undefined,
      ),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        "twins.yaml: sessions[1]: an acceptor with the same CompIDs and sub IDs as sessions[0] (FIX.4.4:ISLD->TW#b); a qualifier is not on the wire, so a Logon could not tell them apart",
  );
  // Initiators may be told apart by qualifier (each connects on its own).
  parseConfig(
    `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: 1, senderCompId: ISLD, targetCompId: TW, qualifier: a }
  - { role: initiator, host: 127.0.0.1, port: 2, senderCompId: ISLD, targetCompId: TW, qualifier: b }
`,
    "ini.yaml",
    () => undefined,
  );
});

Deno.test("hot reload matches sessions by their full identity (sub IDs included)", async () => {
  const logger = new Logger({ level: "error" });
  const current = parseConfig(twoSubSessions(), "subs.yaml", () => undefined);
  const gw = await buildGateway(current, { logger });
  await gw.start();
  try {
    const next = parseConfig(twoSubSessions(45), "subs.yaml", () => undefined);
    const o = await reloadGateway(gw, current, next, logger);
    assert.equal(o.error, undefined);
    assert.deepEqual(o.applied, ["sessions[1] (FIX.4.4:ISLD/B->TW/Y): heartbeatIntervalSec"]);
    assert.deepEqual(o.needsRestart, []);
    assert.equal(gw.runner("FIX.4.4:ISLD/B->TW/Y")!.config.heartbeatIntervalSec, 45);
    assert.equal(gw.runner("FIX.4.4:ISLD/A->TW/X")!.config.heartbeatIntervalSec, 30);
  } finally {
    await gw.stop();
  }
});

/**
 * src/mod.ts is the library's curated entry (issue 16): what an application needs and nothing internal.
 * The list of runtime exports is pinned here (sorted), so that an addition or a removal is a decision
 * made in review, not an accident of a wildcard re-export. The examples and README snippets that import
 * it are compiled by their own tests (test/examples/).
 */
import assert from "node:assert/strict";
import * as mod from "../src/mod.ts";
import {
  type Application,
  fix44,
  type FixMessage,
  loose,
  ManualScheduler,
  parseConfig,
  pick,
  type SessionHandle,
  startGateway,
  Tag,
} from "../src/mod.ts";
import { frame, RawClient, waitFor } from "./engine/helpers.ts";

const CURATED = [
  "ConfigError",
  "DEFAULT_SESSION_SETTINGS",
  "DictionaryError",
  "EngineError",
  "EnvironmentError",
  "FileJournal",
  "FixgError",
  "Gateway",
  "GroupEntry",
  "JournalCorruptError",
  "LibrarySession",
  "Logger",
  "ManualClock",
  "ManualScheduler",
  "MemoryMessageStore",
  "MessageView",
  "MsgType",
  "Tag",
  "buildGateway",
  "builtinDictionary",
  "connectEngine",
  "cracker",
  "createSession",
  "fix42",
  "fix44",
  "fix50sp2",
  "formatTimestamp",
  "loadConfig",
  "loadDictionary",
  "loose",
  "parseConfig",
  "pick",
  "sessionKey",
  "startAcceptor",
  "startGateway",
  "startInitiator",
  "step",
  "systemScheduler",
];

Deno.test("src/mod.ts exports exactly the curated runtime names (no codec internals, no parseInt)", () => {
  assert.deepEqual(Object.keys(mod).sort(), CURATED);
  assert.equal("parseInt" in mod, false);
});

Deno.test("startGateway runs a fixg.yaml's sessions from the library entry, on the scheduler given", async () => {
  const clock = new ManualScheduler(Date.now());
  const config = parseConfig(
    `store: { type: memory }
log: { level: error }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
`,
    "mod_exports_test.yaml",
    () => undefined,
  );
  let seen: FixMessage | undefined;
  const app: Application = {
    onMessage(view, s: SessionHandle) {
      seen = { msgType: view.msgType, fields: [[Tag.ClOrdID, view.getString(Tag.ClOrdID) ?? ""]] };
      s.send({ msgType: "j", fields: [[Tag.RefMsgType, view.msgType], [Tag.Text, "seen"]] });
    },
  };
  const gw = await startGateway(config, { app, scheduler: clock });
  assert.equal(gw.scheduler, clock);
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(frame("FIX.4.4", "A", "49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=30|"));
  await waitFor(() => c.frames.length === 1, "logon reply");
  await c.send(
    frame("FIX.4.4", "D", "49=TW|56=ISLD|34=2|52=<TIME>|11=ord-1|55=EUR/USD|54=1|60=<TIME>|38=100|40=1|"),
  );
  await waitFor(() => c.frames.length === 2, "the application's answer");
  assert.deepEqual(seen, { msgType: "D", fields: [[11, "ord-1"]] });
  assert.match(c.frames[1]!, /\|35=j\|34=2\|.*\|372=D\|.*58=seen\|/);
  assert.equal(typeof fix44.NewOrderSingle.build, "function");
  c.close();
  await gw.stop();
  assert.equal(clock.pendingCount, 0);
});

Deno.test("pick, loose and adopt from the library entry: a narrowed type writes only its fields", () => {
  const Order = loose(pick(fix44.NewOrderSingle, ["clOrdID", "side", "orderQty"]));
  assert.equal(Order.msgType, "D");
  assert.equal(Order.name, "NewOrderSingle");
  const data = { clOrdID: "ord-1", side: "1", orderQty: 100 };
  const built = Order.adopt(data);
  assert.equal(built.msgType, "D");
  // adopt keeps the caller's object (build copies it); only the picked fields are written, in dictionary order.
  assert.equal(built.data, data);
  assert.notEqual(Order.build(data).data, data);
  assert.deepEqual(built.fields, [[11, "ord-1"], [54, "1"], [38, 100]]);
  assert.throws(
    () => pick(fix44.NewOrderSingle, ["noSuchField"]),
    /pick NewOrderSingle: no member noSuchField/,
  );
});

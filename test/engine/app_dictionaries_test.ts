/**
 * FIXT 1.1 sessions: `appDictionaries:` (one application dictionary per version) in the config, and an
 * acceptor validating each application message against its ApplVerID's dictionary or the
 * DefaultApplVerID the initiator's Logon named (issue 13.10).
 */
import assert from "node:assert/strict";
import { sessionConfigFor } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { builtinDictionary, createValidator } from "../../src/dictionary/mod.ts";
import { ConfigError } from "../../src/errors.ts";
import { viewOf } from "../codec/frames.ts";
import { waitFor } from "./helpers.ts";
import { LogCapture, startGateway } from "../ops/helpers.ts";

const SP1 = new URL("../../fixtures/dictionaries/FIX50SP1.xml", import.meta.url).pathname;

function fixtYaml(appDictionaries: string): string {
  return `sessions:
  - role: acceptor
    port: 0
    beginString: FIXT.1.1
    senderCompId: ISLD
    targetCompId: TW
    defaultApplVerId: "7"
    appDictionaries: ${appDictionaries}
`;
}

Deno.test("appDictionaries: by version, built into the session config and its validator", async () => {
  const config = parseConfig(fixtYaml(`{ FIX.5.0: builtin, FIX.5.0SP1: ${SP1} }`), "t.yaml", () => undefined);
  const c = await sessionConfigFor(config.sessions[0]!, "t.yaml: sessions[0]", undefined);
  assert.deepEqual([...c.appDictionaries!.keys()], ["FIX.5.0", "FIX.5.0SP1"]);
  assert.equal(c.appDictionaries!.get("FIX.5.0"), builtinDictionary("FIX.5.0"));
  assert.equal(c.appDictionaries!.get("FIX.5.0SP1")!.source, SP1);
  const v = createValidator(c)!;
  const nos =
    "35=D|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|11=o|54=1|55=IBM|60=20261122-01:02:03.045|38=100|40=1|59=8";
  assert.equal(
    v.validate(viewOf(nos, "FIXT.1.1"))?.refTagId,
    59,
    "FIX 5.0 (DefaultApplVerID 7) has no TimeInForce 8",
  );
  assert.equal(v.validate(viewOf(nos.replace("|11=o", "|1128=8|11=o"), "FIXT.1.1")), undefined);
});

Deno.test("appDictionaries: an unknown version, a missing file and none are configuration errors", async () => {
  assert.throws(
    () => parseConfig(fixtYaml("{ FIX.5.0SP3: builtin }"), "t.yaml", () => undefined),
    (e: Error) =>
      e instanceof ConfigError &&
      /^t\.yaml: sessions\[0\]\.appDictionaries\.FIX\.5\.0SP3: unknown key \(did you mean "FIX\.5\.0SP\d"\?\)$/
        .test(e.message),
  );
  const missing = parseConfig(fixtYaml("{ FIX.5.0: /nonexistent/FIX50.xml }"), "t.yaml", () => undefined);
  await assert.rejects(
    () => sessionConfigFor(missing.sessions[0]!, "t.yaml: sessions[0]", undefined),
    /^ConfigError: t\.yaml: sessions\[0\]\.appDictionaries\.FIX\.5\.0: Cannot read dictionary "\/nonexistent\/FIX50\.xml"/,
  );
  const none = parseConfig(fixtYaml("{ FIX.5.0: none }"), "t.yaml", () => undefined);
  await assert.rejects(
    () => sessionConfigFor(none.sessions[0]!, "t.yaml: sessions[0]", undefined),
    /appDictionaries\.FIX\.5\.0: "none" is not allowed/,
  );
});

Deno.test("FIXT 1.1 end to end: the acceptor validates by the initiator's DefaultApplVerID, or the message's ApplVerID", async () => {
  const acc = await startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, beginString: FIXT.1.1, senderCompId: ISLD, targetCompId: TW, defaultApplVerId: "9" }
`,
    { logger: new LogCapture().logger("error"), app: { onMessage() {} } },
  );
  const ini = await startGateway(
    `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${
      acc.gw.ports[0]
    }, beginString: FIXT.1.1, senderCompId: TW, targetCompId: ISLD, defaultApplVerId: "7" }
`,
    { logger: new LogCapture().logger("error") },
  );
  try {
    const client = ini.gw.runners()[0]!;
    const server = acc.gw.runners()[0]!;
    await waitFor(() => client.loggedOn && server.loggedOn, "logged on");
    assert.equal(server.validator!.logonDefaultApplVerId, "7", "from the initiator's Logon");
    const order = (tif: string, applVerId?: string) => ({
      msgType: "D",
      fields: [
        ...(applVerId === undefined ? [] : [[1128, applVerId] as [number, string]]),
        [11, `o-${tif}-${applVerId}`],
        [54, "1"],
        [55, "IBM"],
        [60, "20261122-01:02:03.045"],
        [38, 100],
        [40, "1"],
        [59, tif],
      ] as Array<[number, string | number]>,
    });
    client.send(order("8"));
    await waitFor(() => (client.counters.inByType.get("3") ?? 0) === 1, "FIX 5.0 rejects TimeInForce 8");
    client.send(order("8", "9"));
    client.send(order("0"));
    await waitFor(() => server.counters.inByType.get("D") === 3, "three orders in");
    // Heartbeat round trip: everything the acceptor had to answer is answered.
    client.send({ msgType: "1", fields: [[112, "SYNC"]] });
    await waitFor(() => (client.counters.inByType.get("0") ?? 0) >= 1, "the Heartbeat");
    assert.equal(client.counters.inByType.get("3"), 1, "only the first order rejected");
  } finally {
    await ini.gw.stop();
    await acc.gw.stop();
  }
});

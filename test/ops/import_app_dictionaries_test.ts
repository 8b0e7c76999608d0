/** import-quickfix: QuickFIX/J's per-version AppDataDictionary.<version> settings become appDictionaries (issue 13.10). */
import assert from "node:assert/strict";
import { sessionConfigFor } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { importQuickfix } from "../../src/ops/quickfix_import.ts";

Deno.test("import-quickfix: AppDataDictionary.FIX.5.0 and .FIX.5.0SP1 become appDictionaries by version; config check builds them", async () => {
  const venue = new URL("../../fixtures/dictionaries/FIX50SP1.xml", import.meta.url).pathname;
  const cfg = `[DEFAULT]
ConnectionType=acceptor
SocketAcceptPort=9880
[SESSION]
BeginString=FIXT.1.1
SenderCompID=VENUE
TargetCompID=CLIENT
DefaultApplVerID=FIX.5.0SP2
TransportDataDictionary=FIXT11.xml
AppDataDictionary=FIX50SP2.xml
AppDataDictionary.FIX.5.0=FIX50.xml
AppDataDictionary.FIX.5.0SP1=venue/FIX50SP1.xml
`;
  const yaml = importQuickfix(cfg, "venue.cfg", (p) => (p === "venue/FIX50SP1.xml" ? venue : undefined));
  const config = parseConfig(yaml, "out.yaml", () => undefined);
  const e = config.sessions[0]!;
  assert.deepEqual(e.appDictionaries, { "FIX.5.0": "builtin", "FIX.5.0SP1": venue });
  assert.equal(e.appDictionary, "builtin");
  assert.match(
    yaml,
    /AppDataDictionary\.FIX\.5\.0SP1=venue\/FIX50SP1\.xml: appDictionaries\.FIX\.5\.0SP1, the file the settings name \(found at /,
  );
  const c = await sessionConfigFor(e, "out.yaml: sessions[0]", undefined);
  assert.deepEqual([...c.appDictionaries!.keys()], ["FIX.5.0", "FIX.5.0SP1"]);
  assert.equal(c.appDictionaries!.get("FIX.5.0SP1")!.source, venue);
});

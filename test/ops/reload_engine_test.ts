/** Hot reload and `engine:`: the library endpoint is opened at start, so a change is reported as needing a restart. */
import assert from "node:assert/strict";
import { buildGateway } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { reloadGateway } from "../../src/ops/reload.ts";
import { LogCapture } from "./helpers.ts";

const yaml = (engine: string) =>
  `store: { type: memory }
${engine}
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
`;

Deno.test("reload: adding, changing or removing engine: needs a restart, reported, the running one kept", async () => {
  const cases: Array<[string, string]> = [
    ["", "engine: { socket: /tmp/fixg-reload-engine-a.sock }"],
    [
      "engine: { socket: /tmp/fixg-reload-engine-a.sock }",
      "engine: { socket: /tmp/fixg-reload-engine-a.sock, secret: abcdefghijklmnopqrst }",
    ],
    ["engine: { socket: /tmp/fixg-reload-engine-a.sock }", ""],
  ];
  for (const [before, after] of cases) {
    const current = parseConfig(yaml(before), "t.yaml", () => undefined);
    const logger = new LogCapture().logger("info");
    const gw = await buildGateway(current, { logger });
    const next = parseConfig(yaml(after), "t.yaml", () => undefined);
    const o = await reloadGateway(gw, current, next, logger);
    assert.equal(o.ok, true, o.error);
    assert.deepEqual(o.needsRestart, ["engine: changed"], `${before} -> ${after}`);
    assert.deepEqual(
      o.config.raw.engine,
      current.raw.engine,
      "the running endpoint's section stays in force",
    );
    // Reloading the same file again reports it again (nothing was applied).
    const again = await reloadGateway(gw, o.config, next, logger);
    assert.deepEqual(again.needsRestart, ["engine: changed"]);
  }
});

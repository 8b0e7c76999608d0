/** Hot reload and `log.dir`: the log files are opened at start, so a change of dir or rotation needs a restart. */
import assert from "node:assert/strict";
import { buildGateway } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { reloadGateway } from "../../src/ops/reload.ts";
import { LogCapture } from "./helpers.ts";

const yaml = (log: string) =>
  `store: { type: memory }
log: { ${log} }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
`;

Deno.test("reload: log.dir and rotation changes need a restart, the level is applied", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-reload-logdir-" });
  try {
    const current = parseConfig(yaml(`dir: ${dir}/a`), "t.yaml", () => undefined);
    const logger = new LogCapture().logger("info");
    const gw = await buildGateway(current, { logger });
    const next = parseConfig(yaml(`level: warn, dir: ${dir}/b, keepFiles: 3`), "t.yaml", () => undefined);
    const o = await reloadGateway(gw, current, next, logger);
    assert.equal(o.ok, true, o.error);
    assert.deepEqual(o.applied, ["log: level"]);
    assert.deepEqual(o.needsRestart, ["log: dir/rotateBytes/rotateDaily/keepFiles changed"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * An acceptor listens on `bindHost` (default every interface); `host` is where an initiator connects and
 * an acceptor ignores it. A session written `role: acceptor, host: 127.0.0.1` (QuickFIX's
 * SocketAcceptAddress in mind) listened on 0.0.0.0 without a word: `fixg config check` and the start-up
 * log now warn, naming bindHost.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/engine/config.ts";
import { buildGateway } from "../../src/engine/build.ts";
import { Logger } from "../../src/engine/log.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { checkLoadedConfig } from "../../src/ops/config_validate.ts";

const WARNING =
  "sessions[0].host: not used by an acceptor, which listens on bindHost (not set: every interface, " +
  "0.0.0.0); set bindHost: 127.0.0.1 to listen there only";

Deno.test("config check and start-up log: an acceptor's host (ignored: it listens on bindHost) is warned about", async () => {
  const yaml = (extra: string) =>
    parseConfig(
      `sessions:\n  - { role: acceptor, port: 9876, senderCompId: A, targetCompId: B, ` +
        `allowedAddresses: [127.0.0.1]${extra} }\n`,
      "a.yaml",
      () => undefined,
    );
  const checked = await checkLoadedConfig(yaml(", host: 127.0.0.1"));
  assert.deepEqual(checked.warnings, [WARNING]);
  // With bindHost (or without host) nothing is said.
  assert.deepEqual((await checkLoadedConfig(yaml(", host: 127.0.0.1, bindHost: 127.0.0.1"))).warnings, []);
  assert.deepEqual((await checkLoadedConfig(yaml(""))).warnings, []);
  const lines: string[] = [];
  const gw = await buildGateway(yaml(", host: 127.0.0.1"), {
    logger: new Logger({ level: "info", sink: (l) => lines.push(l) }),
    store: new MemoryMessageStore(),
  });
  assert.equal(gw.configuredSessions().size, 1);
  assert.equal(lines.filter((l) => l.includes(WARNING)).length, 1, lines.join("\n"));
});

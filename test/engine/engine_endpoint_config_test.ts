/** `engine:` in fixg.yaml: the library endpoint's socket and secret (docs/library_protocol.md). */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/engine/config.ts";
import { engineServerFor } from "../../src/engine/library_config.ts";
import { Logger } from "../../src/engine/log.ts";
import { redactedConfig } from "../../src/ops/effective.ts";
import { ConfigError } from "../../src/errors.ts";

const SESSION =
  `sessions:\n  - role: initiator\n    host: 127.0.0.1\n    port: 1\n    senderCompId: A\n    targetCompId: B\n`;
const logger = new Logger({ level: "error" });

Deno.test("engine: off without a socket; a socket with a secret; the secret is masked in the effective config", () => {
  assert.equal(engineServerFor(parseConfig(SESSION, "f.yaml"), logger), undefined);
  const c = parseConfig(
    `${SESSION}engine:\n  socket: /tmp/e.sock\n  secret: 0123456789abcdefXYZ\n`,
    "f.yaml",
  );
  const s = engineServerFor(c, logger);
  assert.equal(s?.socket, "/tmp/e.sock");
  const printed = JSON.stringify(redactedConfig(c));
  assert.doesNotMatch(printed, /0123456789abcdefXYZ/);
  assert.match(printed, /"engine":\{"socket":"\/tmp\/e.sock","secret":"\*+"\}/);
});

Deno.test("engine: bad settings are one-line config errors", () => {
  const bad = (yaml: string, re: RegExp) =>
    assert.throws(() => engineServerFor(parseConfig(`${SESSION}${yaml}`, "f.yaml"), logger), (e) => {
      assert.ok(e instanceof ConfigError);
      assert.match((e as Error).message, re);
      return true;
    });
  bad(
    `engine:\n  socket: /tmp/e.sock\n  secret: short\n`,
    /f\.yaml: engine\.secret: use at least 16 characters/,
  );
  bad(
    `engine:\n  socket: /tmp/e.sock\n  secret: 0123456789abcdefXYZ\n  secretEnv: X\n`,
    /engine: give secret or secretEnv, not both/,
  );
  bad(
    `engine:\n  socket: /tmp/e.sock\n  secretEnv: FIXG_TEST_UNSET_SECRET_VAR\n`,
    /engine\.secretEnv: environment variable FIXG_TEST_UNSET_SECRET_VAR is not set/,
  );
  bad(`engine:\n  secret: 0123456789abcdefXYZ\n`, /a secret needs engine\.socket/);
  assert.throws(() => parseConfig(`${SESSION}engine:\n  sockt: /tmp/e.sock\n`, "f.yaml"), ConfigError);
});

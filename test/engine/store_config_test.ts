/** fixg.yaml's PostgreSQL store keys: maxConnections, pipeline, pipelineSessions (docs/configuration.md). */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/engine/config.ts";
import { ConfigError } from "../../src/errors.ts";

const sessions = `sessions:
  - { role: initiator, senderCompId: A, targetCompId: B, host: 127.0.0.1, port: 1 }
`;

Deno.test("store config: the PostgreSQL pipeline keys are read and typed", () => {
  const c = parseConfig(
    `store: { type: postgres, url: "postgres://u@h/db", maxConnections: 6, pipeline: 4, pipelineSessions: true }\n` +
      sessions,
    "gw.yaml",
  );
  assert.equal(c.store.maxConnections, 6);
  assert.equal(c.store.pipeline, 4);
  assert.equal(c.store.pipelineSessions, true);
});

Deno.test("store config: pipeline keys refused with a one-line reason", () => {
  const cases: [string, RegExp][] = [
    [
      `store: { type: file, dir: /tmp/x, pipeline: 2 }`,
      /^gw\.yaml: store\.pipeline: only for store\.type postgres$/,
    ],
    [
      `store: { type: postgres, url: "postgres://u@h/db", pipeline: 4 }`,
      /^gw\.yaml: store\.pipeline: at most store\.maxConnections - 1 \(3\)/,
    ],
    [`store: { type: postgres, url: "postgres://u@h/db", maxConnections: 1 }`, /store\.maxConnections/],
    [
      `store: { type: postgres, url: "postgres://u@h/db", pipelineSessions: maybe }`,
      /store\.pipelineSessions/,
    ],
  ];
  for (const [yaml, re] of cases) {
    assert.throws(() => parseConfig(yaml + "\n" + sessions, "gw.yaml"), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, re);
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    });
  }
});

/** Hot reload of `validation:`: the session's validator is replaced, and the next message sees the new switches. */
import assert from "node:assert/strict";
import { buildGateway } from "../../src/engine/build.ts";
import { loadConfig } from "../../src/engine/config.ts";
import { Operations } from "../../src/ops/operations.ts";
import { waitFor } from "../engine/helpers.ts";
import { LogCapture, lpApp, newOrder, startGateway } from "./helpers.ts";

function acceptorYaml(validation: string): string {
  return `store: { type: memory }
log: { format: json }
reload: { watch: false }
sessions:
  - role: acceptor
    port: 0
    bindHost: 127.0.0.1
    senderCompId: ISLD
    targetCompId: TW
    heartbeatIntervalSec: 30
    validation: ${validation}
`;
}

Deno.test("hot reload of validation: a loosened switch applies to the next message of the running session", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-reload-validation-" });
  const file = `${dir}/fixg.yaml`;
  await Deno.writeTextFile(file, acceptorYaml("{ rejectUndefinedTags: true }"));
  const logger = new LogCapture().logger("error");
  const config = await loadConfig(file);
  const gw = await buildGateway(config, { logger, app: lpApp() });
  await gw.start();
  const ops = await Operations.start(gw, {
    config,
    logger,
    load: () => loadConfig(file),
    signals: false,
    buildOptions: { app: lpApp() },
  });
  const ini = await startGateway(
    `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${
      gw.ports[0]
    }, senderCompId: TW, targetCompId: ISLD, validation: { enabled: false } }
`,
    { logger: new LogCapture().logger("error") },
  );
  try {
    // Only the acceptor validates: no other session's validation runs in between (which hid the bug).
    const client = ini.gw.runners()[0]!;
    const server = gw.runners()[0]!;
    await waitFor(() => client.loggedOn, "logged on");
    // Tag 4999 is in no dictionary: strict validation rejects the order (373=0).
    const withUndefinedTag = (id: string) => {
      const m = newOrder(id);
      m.fields.push([4999, "x"]);
      return m;
    };
    client.send(withUndefinedTag("strict-1"));
    await waitFor(() => (client.counters.inByType.get("3") ?? 0) === 1, "the order rejected");
    assert.equal(client.orders.open().length, 0);

    const before = server.validator;
    await Deno.writeTextFile(file, acceptorYaml("{ rejectUndefinedTags: false }"));
    const o = await ops.reload("test");
    assert.equal(o.ok, true, o.error);
    assert.deepEqual(o.applied, ["sessions[0] (FIX.4.4:ISLD->TW): validation"]);
    assert.notEqual(server.validator, before, "a new validator, not the old one changed");
    assert.equal(server.validator?.options.rejectUndefinedTags, false);
    assert.equal(before?.options.rejectUndefinedTags, true, "the old validator kept its settings");

    client.send(withUndefinedTag("loose-1"));
    await waitFor(
      () => client.orders.open().length === 1,
      "the same kind of order accepted after the reload",
    );
    assert.equal(client.counters.inByType.get("3"), 1, "no second Reject");
    assert.equal(server.loggedOn, true);
  } finally {
    await ops.stop();
    await ini.gw.stop();
    await gw.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

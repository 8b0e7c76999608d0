/** Hot reload of `validation:`: the session's validator is replaced, and the next message sees the new switches. */
import assert from "node:assert/strict";
import { waitFor } from "../_helpers/mod.ts";
import { LogCapture, newOrder, startReloadable } from "./helpers.ts";

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
  const { file, ops, client, server, cleanup } = await startReloadable(
    acceptorYaml("{ rejectUndefinedTags: true }"),
    {
      prefix: "fixg-reload-validation-",
      logger: new LogCapture().logger("error"),
      initiatorExtra: ", validation: { enabled: false }",
    },
  );
  try {
    // Only the acceptor validates: no other session's validation runs in between (which hid the bug).
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
    await cleanup();
  }
});

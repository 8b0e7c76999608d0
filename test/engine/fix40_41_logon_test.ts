/**
 * FIX 4.0 and 4.1 sessions log on end to end over loopback TCP with the built-in dictionaries validating
 * (their dictionaries type SenderCompID and the other string fields as CHAR: issue 13.3), and trade
 * a TestRequest and its Heartbeat without a Reject.
 */
import assert from "node:assert/strict";
import { waitFor } from "./helpers.ts";
import { LogCapture, startGateway } from "../ops/helpers.ts";

for (const beginString of ["FIX.4.0", "FIX.4.1"]) {
  Deno.test(`${beginString}: initiator and acceptor log on with validation on, TestRequest answered`, async () => {
    const logs = new LogCapture();
    const acc = await startGateway(
      `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, beginString: ${beginString}, senderCompId: ISLD, targetCompId: TW }
`,
      { logger: logs.logger("warn") },
    );
    const ini = await startGateway(
      `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${
        acc.gw.ports[0]
      }, beginString: ${beginString}, senderCompId: TW, targetCompId: ISLD }
`,
      { logger: logs.logger("warn") },
    );
    try {
      const client = ini.gw.runners()[0]!;
      const server = acc.gw.runners()[0]!;
      await waitFor(() => client.loggedOn && server.loggedOn, `${beginString} logged on`);
      assert.notEqual(server.validator, undefined, "the acceptor validates");
      assert.equal(server.validator!.dictionary.beginString, beginString);
      client.send({ msgType: "1", fields: [[112, "HELLO"]] });
      await waitFor(
        () => (client.counters.inByType.get("0") ?? 0) >= 1,
        "the Heartbeat answering the TestRequest",
      );
      assert.equal(client.counters.inByType.get("3") ?? 0, 0, "no Reject to the client");
      assert.equal(server.counters.inByType.get("3") ?? 0, 0, "no Reject to the server");
      assert.deepEqual(logs.grep(/logon-refused|reject-sent/), []);
    } finally {
      await ini.gw.stop();
      await acc.gw.stop();
    }
  });
}

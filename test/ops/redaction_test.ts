import assert from "node:assert/strict";
import { MessageView, Tag } from "../../src/codec/mod.ts";
import { loggerFor } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { gatewayRegistry } from "../../src/ops/metrics.ts";
import { hashPassword } from "../../src/engine/auth/password.ts";
import { frame, waitFor } from "../engine/helpers.ts";
import { LogCapture, lpApp, newOrder, startGateway } from "./helpers.ts";

const PASSWORD = "S3cr3t-Pa55w0rd";
const ACCOUNT = "ACC-7731";
const LONG_TEXT =
  "free text that goes on and on and on, well past the truncation limit of thirty-two characters";

Deno.test("logs at DEBUG carry every whole message, with Password and Account masked (Text whole: fixg decode reads them); refused logons say why", async () => {
  const hash = await hashPassword(PASSWORD, 1000);
  const accLogs = new LogCapture();
  const acceptor = await startGateway(
    `store: { type: memory }
users:
  alice: { passwordHash: "${hash}" }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW, authentication: users, allowedUsers: [alice] }
`,
    { app: lpApp(), logger: accLogs.logger("debug") },
  );
  const port = acceptor.gw.ports[0]!;
  const accRunner = acceptor.gw.runners()[0]!;

  // A client with the wrong password: refused before the session sees the Logon, nothing sent back.
  const badLogs = new LogCapture();
  const bad = await startGateway(
    `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${port}, senderCompId: TW, targetCompId: ISLD, username: alice, password: "wrong-${PASSWORD}", reconnect: { attempts: 1 } }
`,
    { logger: badLogs.logger("debug") },
  );
  await waitFor(() => accLogs.grep(/logon-refused/).length === 1, "refusal logged");
  await bad.gw.stop();
  const refusal = JSON.parse(accLogs.grep(/logon-refused/)[0]!);
  assert.equal(refusal.level, "warn");
  assert.equal(refusal.session, "FIX.4.4:ISLD->TW");
  assert.match(
    refusal.msg,
    /^not authorised: wrong password for user "alice" \(from 127\.0\.0\.1:\d+\); disconnected without sending$/,
  );
  assert.equal(accRunner.counters.logonsRefused, 1);
  assert.equal(badLogs.grep(/"msg":"Logged on"/).length, 0);

  // The right password: logged on; an order with Account and a long Text goes both ways.
  const iniLogs = new LogCapture();
  const ini = await startGateway(
    `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${port}, senderCompId: TW, targetCompId: ISLD, username: alice, password: "${PASSWORD}" }
`,
    { logger: iniLogs.logger("debug") },
  );
  const r = ini.gw.runners()[0]!;
  await waitFor(() => r.loggedOn, "logged on with the right password");
  const o = newOrder("o1", ACCOUNT);
  r.send({ ...o, fields: [...o.fields, [Tag.Text, LONG_TEXT]] });
  await waitFor(() => r.orders.open().length === 1, "order acknowledged");
  await ini.gw.stop();
  await acceptor.gw.stop();

  const all = [...accLogs.lines, ...iniLogs.lines, ...badLogs.lines];
  for (const l of all) JSON.parse(l); // every line is one JSON object
  for (const secret of [PASSWORD, ACCOUNT]) {
    assert.deepEqual(
      all.filter((l) => l.includes(secret)),
      [],
      `"${secret}" must not appear in any log line`,
    );
  }
  // DEBUG: every message in and out, decoded, with direction, MsgSeqNum and MsgType as fields.
  const logonOut = iniLogs.lines.map((l) => JSON.parse(l)).find((j) =>
    j.event === "out" && j.msgType === "A"
  )!;
  assert.equal(logonOut.level, "debug");
  assert.equal(logonOut.session, "FIX.4.4:TW->ISLD");
  assert.equal(logonOut.seq, 1);
  assert.match(logonOut.msg, /\|553=alice\|554=\*\*\*\|/);
  const orderIn = accLogs.lines.map((l) => JSON.parse(l)).find((j) => j.event === "in" && j.msgType === "D")!;
  assert.equal(orderIn.seq, 2);
  assert.match(orderIn.msg, /\|1=\*\*\*\|/);
  assert.ok(orderIn.msg.includes(`|58=${LONG_TEXT}|`), "the debug log writes whole messages");
  assert.ok(
    accLogs.grep(/"event":"out".*"msgType":"8"/).length >= 1,
    "the execution report out is logged too",
  );

  // Metrics carry no message content either.
  const metrics = gatewayRegistry(acceptor.gw).render() + gatewayRegistry(ini.gw).render();
  for (const secret of [PASSWORD, ACCOUNT, "alice"]) {
    assert.equal(metrics.includes(secret), false, `${secret} in metrics`);
  }
});

Deno.test("redaction is configurable: log.maskTags and truncateTags replace the defaults, passwords stay masked", () => {
  const config = parseConfig(
    "log: { maskTags: [553], truncateTags: [], truncateTo: 4 }\n",
    "t.yaml",
    () => undefined,
  );
  const logger = loggerFor(config);
  const v = MessageView.parse(
    frame(
      "FIX.4.4",
      "A",
      `49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=30|553=alice|554=${PASSWORD}|58=${LONG_TEXT}|`,
    ),
  );
  const line = logger.redactedMessage(v);
  assert.match(line, /\|553=\*\*\*\|554=\*\*\*\|/, "554 stays masked although the list names only 553");
  assert.ok(line.includes(`58=${LONG_TEXT}|`), "Text no longer truncated");
  assert.equal(line.includes(PASSWORD), false);
});

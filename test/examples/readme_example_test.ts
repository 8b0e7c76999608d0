import assert from "node:assert/strict";
import { type MessageView, Tag } from "../../src/codec/mod.ts";
import type { SessionHandle } from "../../src/engine/application.ts";
import { Logger } from "../../src/engine/log.ts";
import { startAcceptor } from "../../src/engine/quick.ts";
import { startAcceptor as startTestAcceptor } from "../engine/helpers.ts";

const root = new URL("../../", import.meta.url);

Deno.test("the README shows examples/send_order.ts verbatim", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const example = await Deno.readTextFile(new URL("examples/send_order.ts", root));
  assert.ok(readme.includes(example.trim()), "README.md must contain examples/send_order.ts as it is");
});

Deno.test("examples/send_order.ts connects, sends an order and prints the execution report", async () => {
  // A minimal LP: acknowledge every NewOrderSingle with ExecutionReport 150=0 39=0.
  const lp = await startAcceptor({
    port: 0,
    senderCompId: "LP",
    targetCompId: "CLIENT",
    logger: new Logger({ level: "error" }),
  }, {
    onMessage(v: MessageView, s: SessionHandle) {
      if (v.msgType !== "D") return;
      s.send({
        msgType: "8",
        fields: [
          [Tag.OrderID, "1"],
          [Tag.ClOrdID, v.getString(Tag.ClOrdID)!],
          [Tag.ExecID, "e1"],
          [Tag.ExecType, "0"],
          [Tag.OrdStatus, "0"],
          [Tag.Symbol, v.getString(Tag.Symbol)!],
          [Tag.Side, "1"],
          [Tag.LeavesQty, 1000000],
          [Tag.CumQty, 0],
          [Tag.AvgPx, 0],
        ],
      });
    },
  });
  const out = await new Deno.Command(new URL("deno", root).pathname, {
    args: ["run", "-A", new URL("examples/send_order.ts", root).pathname, String(lp.ports[0])],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await lp.stop();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(stdout.trim(), /^received 8: ClOrdID=order-[0-9a-z]+ OrdStatus=0$/);
});

Deno.test("the README shows examples/admin_hooks.ts verbatim", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const example = await Deno.readTextFile(new URL("examples/admin_hooks.ts", root));
  assert.ok(readme.includes(example.trim()), "README.md must contain examples/admin_hooks.ts as it is");
});

Deno.test("examples/admin_hooks.ts logs on with credentials set by toAdmin and hears of its rejected order", async () => {
  // An LP that checks Username/Password on the Logon and rejects every NewOrderSingle with a session Reject.
  const gw = await startTestAcceptor({
    config: { id: { beginString: "FIX.4.4", senderCompId: "LP", targetCompId: "CLIENT" } },
    session: {
      logonHook: (logon) =>
        logon.getString(Tag.Username) === "trader1" && logon.getString(Tag.Password) === "s3cret"
          ? { accept: true }
          : { accept: false, reason: "bad credentials" },
      app: {
        onMessage(v: MessageView, s: SessionHandle) {
          if (v.msgType !== "D") return;
          s.send({
            msgType: "3",
            fields: [[Tag.RefSeqNum, v.seqNum], [Tag.RefTagID, 44], [Tag.RefMsgType, "D"], [
              Tag.SessionRejectReason,
              5,
            ], [Tag.Text, "Price out of band"]],
          });
        },
      },
    },
  });
  const out = await new Deno.Command(new URL("deno", root).pathname, {
    args: ["run", "-A", new URL("examples/admin_hooks.ts", root).pathname, String(gw.ports[0])],
    env: { FIX_PASSWORD: "s3cret" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  await gw.stop();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual(stdout.trim().split("\n"), [
    "admin in: 35=A 34=1",
    "admin in: 35=3 34=2",
    "rejected D ClOrdID=order-1 (MsgSeqNum 2): reason 5, tag 44, Price out of band",
    "admin in: 35=5 34=3",
  ]);
});

/**
 * Interop beyond FIX 4.4: QuickFIX C++ (bench/peers/quickfix/session.cpp, `qf_session`: dictionary
 * validation on, FIXT with its transport and application dictionaries) and fixg run FIX 4.0, FIX 4.1
 * and FIXT 1.1 sessions with FIX 5.0 SP2 and SP1 application messages over loopback TCP, each side in
 * turn the initiator. The initiator sends five NewOrderSingles (fields of its version's dictionary:
 * no TransactTime before FIX 4.2) and a TestRequest; the acceptor echoes the orders; then a Logout
 * exchange. Neither side may reject anything, and the FIXT Logon exchange carries DefaultApplVerID.
 */
import assert from "node:assert/strict";
import { freePort, PEER_PATHS, quickfixNotBuilt, startPeer } from "./peers.ts";
import { waitFor } from "../_helpers/mod.ts";
import { listeningPort, startAcceptor } from "../conformance/engine_process.ts";
import { LogCapture, startGateway } from "../ops/helpers.ts";

const QF_SESSION = PEER_PATHS.quickfixSession;

/** Why qf_session cannot run here, or undefined when it is built. */
const QF_SESSION_MISSING = quickfixNotBuilt(QF_SESSION);
if (QF_SESSION_MISSING !== undefined) {
  console.warn(`interop: QuickFIX version tests skipped: ${QF_SESSION_MISSING}`);
}

/** The sessions played: BeginString and, for FIXT, the DefaultApplVerID both sides name. */
const CASES: ReadonlyArray<{ beginString: string; applVerId?: string; label: string }> = [
  { beginString: "FIX.4.0", label: "FIX 4.0" },
  { beginString: "FIX.4.1", label: "FIX 4.1" },
  { beginString: "FIXT.1.1", applVerId: "9", label: "FIXT 1.1 / FIX 5.0 SP2" },
  { beginString: "FIXT.1.1", applVerId: "8", label: "FIXT 1.1 / FIX 5.0 SP1" },
];

const ORDERS = 5;

/** What qf_session prints when it stops (see session.cpp). */
interface QfSummary {
  ok: boolean;
  logons: number;
  logouts: number;
  logonApplVerId: string;
  echoes: number;
  testHeartbeat: boolean;
  received: Record<string, number>;
  sent: Record<string, number>;
  rejectsReceived: number;
  rejectsSent: number;
  rejectTexts: string[];
  problems: string[];
  events: string[];
}

/** fixg's log lines that would mean it refused or rejected something. */
const FIXG_REFUSALS = /reject-sent|business-reject-sent|garbled|logon-refused|seq-too-low/;

for (const c of CASES) {
  Deno.test({
    name:
      `${c.label}: a QuickFIX C++ initiator (validating) and \`fixg run --acceptor --app echo\`: orders echoed, no reject`,
    ignore: QF_SESSION_MISSING !== undefined,
    fn: async () => {
      const fixg = startAcceptor(c.beginString, 0);
      try {
        const port = await listeningPort(fixg, 30_000);
        const args = ["--role", "initiator", "--port", String(port), "--begin-string", c.beginString];
        args.push("--orders", String(ORDERS), "--timeout-sec", "20");
        if (c.applVerId !== undefined) args.push("--default-appl-ver-id", c.applVerId);
        const out = await new Deno.Command(QF_SESSION, { args, stdout: "piped", stderr: "piped" }).output();
        const stdout = new TextDecoder().decode(out.stdout);
        const line = stdout.trim().split("\n").pop() ?? "";
        const s = JSON.parse(line) as QfSummary;
        const context = `${line}\n${new TextDecoder().decode(out.stderr)}\nfixg:\n${
          fixg.output.slice(-3000)
        }`;
        assert.deepEqual(s.problems, [], context);
        assert.equal(out.code, 0, context);
        assert.equal(s.echoes, ORDERS);
        assert.equal(s.testHeartbeat, true);
        // Exactly: the Logon, the orders echoed, the Heartbeat answering the TestRequest, the Logout.
        assert.deepEqual(s.received, { "0": 1, "5": 1, "A": 1, "D": ORDERS });
        assert.deepEqual(s.sent, { "1": 1, "5": 1, "A": 1, "D": ORDERS });
        assert.equal(s.rejectsReceived, 0);
        assert.equal(s.rejectsSent, 0);
        // FIXT: fixg answers the Logon with the DefaultApplVerID the initiator named (none before FIXT).
        assert.equal(s.logonApplVerId, c.applVerId ?? "");
        assert.deepEqual(fixg.output.split("\n").filter((l) => FIXG_REFUSALS.test(l)), []);
      } finally {
        await fixg.stop();
      }
    },
  });
}

/** A NewOrderSingle of the version: HandlInst where it is required (to FIX 4.2), TransactTime from FIX 4.2. */
function order(n: number, version: string): Array<[number, string]> {
  const fields: Array<[number, string]> = [[11, `F-${n}`]];
  if (version === "FIX.4.0" || version === "FIX.4.1") fields.push([21, "1"]);
  fields.push([55, "IBM"], [54, "1"], [38, "100"], [40, "2"], [44, "10.5"]);
  if (version !== "FIX.4.0" && version !== "FIX.4.1") {
    fields.push([60, new Date().toISOString().replace(/[-]/g, "").replace("T", "-").replace("Z", "")]);
  }
  return fields;
}

for (const c of CASES) {
  Deno.test({
    name:
      `${c.label}: a fixg initiator (validating) and a QuickFIX C++ acceptor (validating): orders echoed, no reject`,
    ignore: QF_SESSION_MISSING !== undefined,
    fn: async () => {
      const args = ["--role", "acceptor", "--port", String(freePort()), "--begin-string", c.beginString];
      args.push("--exit-on-eof");
      if (c.applVerId !== undefined) args.push("--default-appl-ver-id", c.applVerId);
      const qf = await startPeer({ cmd: QF_SESSION, args });
      const logs = new LogCapture();
      let ini: Awaited<ReturnType<typeof startGateway>> | undefined;
      let qfExit;
      try {
        const applVerId = c.applVerId === undefined ? "" : `, defaultApplVerId: "${c.applVerId}"`;
        ini = await startGateway(
          `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${qf.port}, beginString: ${c.beginString}, senderCompId: TW, targetCompId: ISLD${applVerId} }
`,
          { logger: logs.logger("info") },
        );
        const client = ini.gw.runners()[0]!;
        await waitFor(() => client.loggedOn, `${c.label} logged on`);
        assert.notEqual(client.validator, undefined, "fixg validates");
        const version = c.applVerId === undefined
          ? c.beginString
          : c.applVerId === "9"
          ? "FIX.5.0SP2"
          : "FIX.5.0SP1";
        for (let n = 1; n <= ORDERS; n++) {
          assert.equal(client.send({ msgType: "D", fields: order(n, version) }).kind, "sent");
        }
        client.send({ msgType: "1", fields: [[112, "FIXG-TEST"]] });
        await waitFor(
          () =>
            (client.counters.inByType.get("D") ?? 0) >= ORDERS &&
            (client.counters.inByType.get("0") ?? 0) >= 1,
          "the orders echoed and the Heartbeat answering the TestRequest",
        );
        assert.equal(client.counters.inByType.get("D"), ORDERS);
        assert.equal(client.counters.inByType.get("3") ?? 0, 0, "no Reject to fixg");
        assert.equal(client.counters.inByType.get("j") ?? 0, 0, "no BusinessMessageReject to fixg");
        await ini.gw.stop();
        ini = undefined;
      } finally {
        await ini?.gw.stop();
        qfExit = await qf.stop();
      }
      const s = qfExit.summary as unknown as QfSummary;
      const context = `${JSON.stringify(s)}\n${qfExit.stderr}\nfixg:\n${logs.lines.slice(-40).join("\n")}`;
      assert.equal(qfExit.code, 0, context);
      assert.deepEqual(s.problems, [], context);
      assert.equal(s.logons, 1);
      // Exactly: fixg's Logon, its orders, its TestRequest, its Logout on stop.
      assert.deepEqual(s.received, { "1": 1, "5": 1, "A": 1, "D": ORDERS }, context);
      assert.equal(s.sent["D"], ORDERS);
      assert.equal(s.rejectsReceived, 0);
      assert.equal(s.rejectsSent, 0, context);
      assert.equal(s.logonApplVerId, c.applVerId ?? "", "the DefaultApplVerID of fixg's Logon");
      assert.deepEqual(logs.grep(FIXG_REFUSALS), []);
    },
  });
}

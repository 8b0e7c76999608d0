/** `fixg sessions --engine` and `fixg send --engine` against a running gateway (issue 17). */
import assert from "node:assert/strict";
import { connectEngine } from "../../src/engine/library_client.ts";
import { engineRunArgs, startLpAndEngine } from "../_helpers/engine.ts";
import { fixgOutput, freePort, spawnFixg } from "../_helpers/mod.ts";

const KEY = "FIX.4.4:CLIENT->LP";

async function fixg(args: string[]) {
  const o = await fixgOutput(args);
  return { code: o.code, out: o.stdout, err: o.stderr };
}

Deno.test("fixg sessions and fixg send through a running gateway: answers by ClOrdID, exit codes 0/1/2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-send-" });
  const env = await startLpAndEngine({ dir });
  const socket = env.socket;
  try {
    const table = await fixg(["sessions", "--engine", socket]);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /^SESSION\s+NAME\s+ROLE\s+STATE\s+OUT-SEQ\s+IN-SEQ\s+CLAIMED-BY$/m);
    assert.match(table.out, /^FIX\.4\.4:CLIENT->LP\s+-\s+initiator\s+logged-on\s+2\s+2\s+engine$/m);
    const json = await fixg(["sessions", "--engine", socket, "--json"]);
    const list = JSON.parse(json.out);
    assert.deepEqual(
      list.map((s: { key: string; loggedOn: boolean; nextSenderSeq: number; claimedBy: string }) => [
        s.key,
        s.loggedOn,
        s.nextSenderSeq,
        s.claimedBy,
      ]),
      [[KEY, true, 2, ""]],
    );

    const order = "35=D|11=cli-1|55=EUR/USD|54=1|38=100|40=1|60=20260101-00:00:00";
    const sent = await fixg(["send", "--engine", socket, "--session", KEY, order]);
    assert.equal(sent.code, 0, sent.err);
    const lines = sent.out.trim().split("\n");
    assert.equal(lines[0], `sent 35=D ClOrdID cli-1 as MsgSeqNum 2 on ${KEY}`);
    assert.match(lines[1]!, /^answer 8=FIX\.4\.4\|9=\d+\|35=8\|34=2\|.*\|11=cli-1\|.*\|150=0\|39=0\|/);
    assert.match(lines[2]!, /^answer 8=FIX\.4\.4\|9=\d+\|35=8\|34=3\|.*\|11=cli-1\|.*\|39=2\|/);
    assert.equal(lines.length, 3);

    const rej = await fixg([
      "send",
      "--engine",
      socket,
      "--session",
      KEY,
      "--json",
      "35=D|11=cli-2|55=EUR/USD|54=1|38=0|40=1|60=20260101-00:00:00",
    ]);
    assert.equal(rej.code, 1, rej.err);
    const events = rej.out.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual([events[0].event, events[0].status, events[0].seq], ["sent", "accepted", 3]);
    assert.deepEqual([events[1].event, events[1].ordStatus, events[1].reject], ["answer", "8", true]);
    assert.match(rej.err, /^fixg: the message was rejected or refused$/m);

    // A session-level Reject (35=3, Side missing) answers it by RefSeqNum: printed, exit 1.
    const noSide = await fixg([
      "send",
      "--engine",
      socket,
      "--session",
      KEY,
      "35=D|11=cli-3|55=EUR/USD|38=100|40=1|60=20260101-00:00:00",
    ]);
    assert.equal(noSide.code, 1, noSide.err);
    assert.match(noSide.out, /^sent 35=D ClOrdID cli-3 as MsgSeqNum 4 on /m);
    assert.match(
      noSide.out,
      /^answer 8=FIX\.4\.4\|9=\d+\|35=3\|.*\|45=4\|58=Required tag missing\|371=54\|372=D\|373=1\|/m,
    );

    const usage = [
      [["send", "--engine", socket, order], /give --session KEY/],
      [["send", "--engine", socket, "--session", KEY, "11=x|55=y"], /MESSAGE: no MsgType/],
      [["send", "--engine", socket, "--session", KEY, "35=D|garbage"], /MESSAGE: "garbage" is not tag=value/],
      [
        ["send", "--engine", socket, "--session", "FIX.4.4:X->Y", order],
        /no session "FIX\.4\.4:X->Y" in the engine/,
      ],
      [["sessions"], /give --engine PATH/],
    ] as const;
    // Independent: run at once (each is a process start).
    const results = await Promise.all(usage.map(([args]) => fixg([...args])));
    for (const [i, [args, re]] of usage.entries()) {
      assert.equal(results[i]!.code, 2, `${args.join(" ")}: ${results[i]!.err}`);
      assert.match(results[i]!.err, re);
    }
    // A session another library holds: refused, the holder named; `fixg sessions` shows it.
    const holder = await connectEngine({ socket, name: "oms", reconnect: false });
    await holder.claim(KEY, {});
    const held = await fixg(["send", "--engine", socket, "--session", KEY, order]);
    assert.equal(held.code, 1);
    assert.match(
      held.err,
      /claim of FIX\.4\.4:CLIENT->LP refused: FIX\.4\.4:CLIENT->LP is claimed by library oms#\d+/,
    );
    assert.match((await fixg(["sessions", "--engine", socket])).out, /logged-on\s+5\s+6\s+oms#\d+$/m);
    await holder.close();

    const gone = await fixg(["sessions", "--engine", `${dir}/nothing.sock`]);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /cannot connect to the engine at .*nothing\.sock/);
  } finally {
    await env.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fixg send to a session that is not logged on: refused with one line, exit 1, nothing left queued", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-send-down-" });
  const socket = `${dir}/engine.sock`;
  // Nobody listens on the port: the initiator never logs on.
  const gw = spawnFixg(engineRunArgs(freePort(), `${dir}/journal`, socket));
  try {
    await gw.waitText(/endpoint listening/, "engine endpoint", 15_000);
    const order = "35=D|11=down-1|55=EUR/USD|54=1|38=100|40=1|60=20260101-00:00:00";
    for (const json of [false, true]) {
      const r = await fixg([
        "send",
        "--engine",
        socket,
        "--session",
        KEY,
        ...(json ? ["--json"] : []),
        order,
      ]);
      assert.equal(r.code, 1, r.out + r.err);
      // --json: the send result line says refused (NOT_LOGGED_ON, 24); text: nothing on stdout.
      if (json) assert.deepEqual([JSON.parse(r.out).status, JSON.parse(r.out).code], ["refused", 24]);
      else assert.equal(r.out, "");
      assert.match(r.err, /^fixg: FIX\.4\.4:CLIENT->LP is not logged on \([a-z-]+\): nothing sent\n$/);
    }
    // Still engine-managed, nothing claimed.
    const list = JSON.parse((await fixg(["sessions", "--engine", socket, "--json"])).out);
    assert.deepEqual(list.map((s: { loggedOn: boolean; claimedBy: string }) => [s.loggedOn, s.claimedBy]), [[
      false,
      "",
    ]]);
  } finally {
    await gw.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

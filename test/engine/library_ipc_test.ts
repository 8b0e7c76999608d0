/**
 * Engine and library in separate processes over a real Unix socket (issue 17): a `fixg simulate-lp`
 * with its own journal, a `fixg run` initiator serving the engine socket, and a library process that
 * SIGKILLs itself mid-flow and is started again. The counterparty sees one Logon, no disconnect and
 * no ResendRequest; the library processes every ExecutionReport exactly once across its two lives;
 * its retried submissions (same request ids) reach the counterparty once each.
 */
import assert from "node:assert/strict";
import { connectEngine } from "../../src/mod.ts";
import { JournalReader, msgTypeOf } from "../../src/store/reader.ts";
import { MessageView } from "../../src/codec/mod.ts";
import { runIpcLibrary, startLpAndEngine } from "../_helpers/engine.ts";

const KEY = "FIX.4.4:CLIENT->LP";

function library(socket: string, log: string, n: number, killAfter: number) {
  return runIpcLibrary(socket, KEY, log, n, killAfter);
}

/** Inbound messages of a journal (the counterparty's view): MsgType and ClOrdID. */
function inbound(dir: string): Array<{ type: string; clOrdId: string | undefined }> {
  const out: Array<{ type: string; clOrdId: string | undefined }> = [];
  JournalReader.open(dir).forEach((r) => {
    if (r.type !== "message" || r.direction !== "in") return;
    out.push({ type: msgTypeOf(r.payload), clOrdId: MessageView.parse(r.payload).getString(11) });
  });
  return out;
}

Deno.test("library SIGKILLed mid-flow and restarted: no FIX disconnect, every report once, no order twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-ipc-" });
  const env = await startLpAndEngine({
    dir,
    lpStore: `${dir}/lp-journal`,
    gwStore: `${dir}/gw-journal`,
    timeoutMs: 30_000,
  });
  const { socket, gw } = env;
  try {
    // The socket is the owner's only.
    assert.equal(Deno.statSync(socket).mode! & 0o777, 0o600);

    const n = 20;
    const log = `${dir}/processed.log`;
    const first = await library(socket, log, n, 10);
    assert.equal(first.signal, "SIGKILL", new TextDecoder().decode(first.stderr));
    const afterKill = Deno.readTextFileSync(log).trim().split("\n");
    assert.equal(afterKill.length, 10);

    // The session is the engine's again; a second library could claim it now.
    const probe = await connectEngine({ socket, name: "probe", reconnect: false });
    const listed = await probe.sessions();
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.key, KEY);
    assert.equal(listed[0]!.loggedOn, true);
    assert.equal(listed[0]!.claimedBy, "");
    await probe.close();

    const second = await library(socket, log, n, 0);
    const out = new TextDecoder().decode(second.stdout);
    assert.equal(second.code, 0, new TextDecoder().decode(second.stderr) + out);
    assert.match(out, /claimed after \d+/);

    const lines = Deno.readTextFileSync(log).trim().split("\n").map((l) => l.split(" "));
    // Every report (new + fill per order) exactly once, in MsgSeqNum order, none missing.
    assert.equal(lines.length, 2 * n);
    const seqs = lines.map((l) => Number(l[0]));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, 2 * n);
    assert.equal(new Set(lines.map((l) => l[2])).size, 2 * n, "ExecIDs unique");
    for (let i = 1; i <= n; i++) assert.equal(lines.filter((l) => l[1] === `ord-${i}`).length, 2, `ord-${i}`);
    // The restarted library got what it had not processed from the journal (replayed) first.
    assert.ok(lines.slice(10).some((l) => l[3] === "1"), "some reports replayed");
    // The retried submissions were answered with their first answers: the same MsgSeqNums.
    const answers = JSON.parse(/answers (.*)/.exec(out)![1]!) as string[];
    assert.equal(answers.length, n);
    assert.ok(answers.every((a) => a.startsWith("accepted:")), out);
    assert.equal(new Set(answers).size, n);
  } finally {
    await env.stop();
  }
  // The counterparty's journal: one Logon (no disconnect, no new logon), no ResendRequest, each order once.
  const seen = inbound(`${dir}/lp-journal`);
  assert.equal(seen.filter((m) => m.type === "A").length, 1);
  assert.equal(seen.filter((m) => m.type === "2").length, 0);
  const orders = seen.filter((m) => m.type === "D").map((m) => m.clOrdId);
  assert.equal(orders.length, 20);
  assert.equal(new Set(orders).size, 20);
  // No FIX-level disconnect before the test stopped the gateway.
  const beforeStop = gw.text.err.slice(0, gw.text.err.indexOf("shutdown: signal received"));
  assert.doesNotMatch(beforeStop, / disconnect: /);
  assert.equal(beforeStop.match(/Logged on/g)?.length, 1);
  await Deno.remove(dir, { recursive: true });
});

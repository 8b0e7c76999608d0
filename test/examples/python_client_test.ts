/**
 * examples/python/fixg_client.py (standard library only) against a real gateway: it attaches over the
 * engine socket with a shared secret, claims the session, sends an order and prints the answer.
 */
import assert from "node:assert/strict";
import { freePort, ROOT, spawnFixg } from "../_helpers/mod.ts";

const KEY = "FIX.4.4:CLIENT->LP";
const SECRET = "python-example-secret-0123";

async function python(args: string[]) {
  const out = await new Deno.Command("python3", {
    args: [`${ROOT}examples/python/fixg_client.py`, ...args],
    env: { FIXG_TEST_SECRET: SECRET },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    out: new TextDecoder().decode(out.stdout),
    err: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("the Python example claims a session of a running gateway, sends an order and prints the answer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-py-" });
  const socket = `${dir}/engine.sock`;
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/fixg.yaml`,
    `store:\n  dir: ${dir}/journal\nengine:\n  socket: ${socket}\n  secretEnv: FIXG_TEST_SECRET\nsessions:\n` +
      `  - role: initiator\n    host: 127.0.0.1\n    port: ${port}\n    senderCompId: CLIENT\n    targetCompId: LP\n`,
  );
  const lp = spawnFixg(["simulate-lp", "--host", "127.0.0.1", "--port", String(port), "--store", "memory"]);
  await lp.waitText(/"event":"listening"/, "simulator listening", 15_000, "out");
  const gw = spawnFixg(["run", "--config", `${dir}/fixg.yaml`], { env: { FIXG_TEST_SECRET: SECRET } });
  try {
    await gw.until(
      () => /Logged on/.test(gw.text.err) && /library endpoint listening/.test(gw.text.err),
      "logon",
    );
    const ok = await python([socket, KEY, "--secret-env", "FIXG_TEST_SECRET"]);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /^attached to fixg \S+ \(protocol 1\) as library \d+$/m);
    assert.match(ok.out, /^claimed FIX\.4\.4:CLIENT->LP: logged on True, next out \d+, next in \d+$/m);
    assert.match(ok.out, /^send py-[0-9a-f]{12}: accepted seq \d+$/m);
    assert.match(ok.out, /^execution report seq \d+: ExecType 0 OrdStatus 0$/m);
    assert.match(ok.out, /^execution report seq \d+: ExecType F OrdStatus 2$/m);

    const rejected = await python([socket, KEY, "--secret-env", "FIXG_TEST_SECRET", "--qty", "0"]);
    assert.equal(rejected.code, 1, rejected.out + rejected.err);
    assert.match(rejected.out, /ExecType 8 OrdStatus 8 Text OrderQty must be a whole number > 0/);

    // The sequence-number commands (RESET / SET_SEQ, SEQ_RESULT), as `fixg sessions --reset / --next-*-seq`.
    const args = [socket, KEY, "--secret-env", "FIXG_TEST_SECRET"];
    const below = await python([...args, "--next-sender-seq", "2"]);
    assert.equal(below.code, 1, below.out + below.err);
    assert.match(below.out, /^seq result: code 25 .+, next out \d+, next in \d+$/m);
    const forward = await python([...args, "--next-sender-seq", "100"]);
    assert.equal(forward.code, 0, forward.out + forward.err);
    assert.match(forward.out, /^seq result: carried out, next out 100, next in \d+$/m);
    const after = await python(args);
    assert.equal(after.code, 0, after.out + after.err);
    const seqAfter = Number(/^send py-[0-9a-f]{12}: accepted seq (\d+)$/m.exec(after.out)?.[1]);
    assert.equal(seqAfter, 100, after.out); // the gap 3..99 is the counterparty's to fill (ResendRequest)
    const reset = await python([...args, "--reset"]);
    assert.equal(reset.code, 0, reset.out + reset.err);
    assert.match(reset.out, /^seq result: carried out, next out 2, next in \d+$/m);
    const afterReset = await python(args);
    assert.equal(afterReset.code, 0, afterReset.out + afterReset.err);
    const seqReset = Number(/^send py-[0-9a-f]{12}: accepted seq (\d+)$/m.exec(afterReset.out)?.[1]);
    assert.equal(seqReset, 2, afterReset.out); // after the Logon 141=Y, MsgSeqNum 1

    const noSecret = await python([socket, KEY]);
    assert.notEqual(noSecret.code, 0);
    assert.match(noSecret.err, /engine refused: error 2: authentication failed/);
    assert.doesNotMatch(gw.text.err, new RegExp(SECRET));
  } finally {
    await gw.stop();
    await lp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the Python example: a --next-*-seq out of SET_SEQ's range is a usage error (exit 2), before it connects", async () => {
  // A u32 cannot carry them: before, struct.pack raised after the claim (a traceback, exit 1).
  for (
    const bad of [["--next-sender-seq", "-1"], ["--next-target-seq", "2147483649"], [
      "--next-sender-seq",
      "4294967296",
    ]]
  ) {
    const r = await python(["/nonexistent/engine.sock", KEY, ...bad]);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, new RegExp(`${bad[0]} must be between 1 and 2147483648`));
    assert.doesNotMatch(r.err, /Traceback/);
  }
});

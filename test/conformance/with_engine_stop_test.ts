/**
 * `fixg conformance --with engine-stop FILE.def`: `--with` takes one value (the path after it stays a
 * scenario), and the runner tells the user when to stop the engine under test.
 */
import assert from "node:assert/strict";
import { ROOT } from "./engine_process.ts";

function frame(body: string): Uint8Array {
  const head = `8=FIX.4.4\x019=${body.length}\x01`;
  let sum = 0;
  for (const ch of head + body) sum += ch.charCodeAt(0);
  return new TextEncoder().encode(`${head}${body}10=${String(sum % 256).padStart(3, "0")}\x01`);
}

/** An acceptor that answers the Logon and, once the runner has asked for the stop (stopped() resolves), logs out. */
function stoppablePeer(stopped: Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(4096);
    await conn.read(buf);
    await conn.write(
      frame("35=A\x0134=1\x0149=ISLD\x0152=20260101-00:00:00.000\x0156=TW\x0198=0\x01108=30\x01"),
    );
    await stopped;
    await conn.write(
      frame("35=5\x0134=2\x0149=ISLD\x0152=20260101-00:00:01.000\x0156=TW\x0158=Session stopped\x01"),
    );
    await conn.read(buf);
    conn.close();
  })().catch(() => {}); // the runner went away (a failing run): nothing more to serve
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await served;
    },
  };
}

const DEF = `#!requires=engine-stop
#!timeout=10000
iCONNECT
I8=FIX.4.4|35=A|34=1|49=TW|52=<TIME>|56=ISLD|98=0|108=30|
E8=FIX.4.4|35=A|34=1|49=ISLD|52=<TIME>|56=TW|98=0|108=30|
E8=FIX.4.4|35=5|34=2|49=ISLD|52=<TIME>|56=TW|58=Session stopped|
I8=FIX.4.4|35=5|34=2|49=TW|52=<TIME>|56=ISLD|
eDISCONNECT
`;

Deno.test("--with engine-stop FILE.def runs FILE.def and prompts to stop the engine while it waits", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/stop.def`;
  await Deno.writeTextFile(file, DEF);
  let promptSeen!: () => void;
  const prompted = new Promise<void>((r) => (promptSeen = r));
  const peer = stoppablePeer(prompted);
  try {
    const child = new Deno.Command(`${ROOT}fixg`, {
      args: ["conformance", "--target", `127.0.0.1:${peer.port}`, "--with", "engine-stop", file],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
    let out = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      out += chunk;
      if (/stop the engine under test now/.test(out)) promptSeen();
    }
    const status = await child.status;
    clearTimeout(kill);
    const err = await new Response(child.stderr).text();
    assert.equal(status.code, 0, out + err);
    assert.match(
      out,
      /logged on: stop the engine under test now \(SIGTERM, or an operator Logout\); waiting up to 10 s/,
    );
    assert.match(out, /PASS/);
    assert.match(out, /1 passed, 0 failed/);
  } finally {
    promptSeen();
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--with takes one requirement; repeated or comma-separated works; unknown ones exit 2", async () => {
  const run = async (args: string[]) => {
    const o = await new Deno.Command(`${ROOT}fixg`, { args, cwd: ROOT, stdin: "null" }).output();
    return { code: o.code, stderr: new TextDecoder().decode(o.stderr) };
  };
  const bad = await run(["conformance", "--target", "127.0.0.1:1", "--with", "reboot", "x.def"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--with: unknown requirement "reboot"/);
  const missing = await run(["conformance", "--target", "127.0.0.1:1", "--with", "engine-stop"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing required argument 'scenario'/);
});

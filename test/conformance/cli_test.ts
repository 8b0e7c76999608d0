/** `fixg conformance` as a user runs it: exit codes 0/1/2, PASS/FAIL lines, the summary, --junit and --json. */
import assert from "node:assert/strict";
import { fixgOutput, ROOT } from "../_helpers/mod.ts";

const fixg = (args: string[]) => fixgOutput(args, { cwd: ROOT });

/** A peer that answers every Logon with a Logon (HeartBtInt 30) and closes on anything else. */
function logonPeer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Promise<void>[] = [];
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        conns.push((async () => {
          const buf = new Uint8Array(4096);
          try {
            const n = await conn.read(buf);
            const text = n === null ? "" : new TextDecoder().decode(buf.subarray(0, n));
            const cid = text.split("\x01").find((f) => f.startsWith("49="))?.slice(3) ?? "?";
            const body =
              `35=A\x0149=ISLD\x0156=${cid}\x0134=1\x0152=20260101-00:00:00.000\x0198=0\x01108=30\x01`;
            const head = `8=FIX.4.4\x019=${body.length}\x01`;
            let sum = 0;
            for (const ch of head + body) sum += ch.charCodeAt(0);
            await conn.write(
              new TextEncoder().encode(`${head}${body}10=${String(sum % 256).padStart(3, "0")}\x01`),
            );
            await conn.read(buf);
          } catch {
            // closed
          }
          try {
            conn.close();
          } catch {
            // closed
          }
        })());
      }
    } catch {
      // listener closed
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await loop;
      await Promise.all(conns);
    },
  };
}

Deno.test("usage errors and unparsable scenarios exit 2 with a one-line reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const noTarget = await fixg(["conformance", dir]);
    assert.equal(noTarget.code, 2);
    assert.match(noTarget.stderr, /give --target host:port/);
    const empty = await fixg(["conformance", "--target", "127.0.0.1:1", dir]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no \.def scenario files/);
    await Deno.writeTextFile(`${dir}/bad.def`, "iCONNECT\nX8=FIX.4.4|\n");
    const bad = await fixg(["conformance", "--target", "127.0.0.1:1", dir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`fixg: ${dir}/bad\\.def:2: unrecognised line`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run prints PASS/FAIL with the first difference and the summary, writes JUnit, exits 1 on a failure", async () => {
  const dir = await Deno.makeTempDir();
  const peer = logonPeer();
  try {
    const logon = "I8=FIX.4.4|35=A|34=1|49=TW|52=<TIME>|56=ISLD|98=0|108=30|";
    await Deno.writeTextFile(
      `${dir}/2_good.def`,
      `iCONNECT\n${logon}\nE8=FIX.4.4|35=A|49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|\n`,
    );
    await Deno.writeTextFile(
      `${dir}/10_bad.def`,
      `iCONNECT\n${logon}\nE8=FIX.4.4|35=A|49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=60|\n`,
    );
    await Deno.writeTextFile(`${dir}/3_initiator.def`, `#!mode=initiator\niCONNECT\n`);
    const r = await fixg([
      "conformance",
      "--target",
      `127.0.0.1:${peer.port}`,
      "--junit",
      `${dir}/report.xml`,
      dir,
    ]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0]!, /^\[1\/2\] 2_good \.\.\. PASS \(\d+ ms\)$/);
    assert.match(lines[1]!, /^\[2\/2\] 10_bad \.\.\. FAIL \(\d+ ms\)$/);
    assert.equal(lines[2], "    line 3: tag 108: expected 108=60, received 108=30");
    assert.equal(lines[3], "    expected: 8=FIX.4.4|35=A|49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=60|");
    assert.match(lines[4]!, /^ {4}received: 8=FIX\.4\.4\|9=\d+\|35=A\|.*\|108=30\|10=\d{3}\|$/);
    assert.match(lines[5]!, /^SKIP 3_initiator: written for initiator-under-test/);
    assert.equal(lines[6], "1 passed, 1 failed (1 skipped)");
    const xml = await Deno.readTextFile(`${dir}/report.xml`);
    assert.match(xml, /<testsuites name="fixg conformance" tests="3" failures="1" skipped="1"/);
    assert.match(xml, /<failure message="line 3: tag 108: expected 108=60, received 108=30">/);

    const j = await fixg([
      "conformance",
      "--json",
      "--target",
      `127.0.0.1:${peer.port}`,
      `${dir}/2_good.def`,
    ]);
    assert.equal(j.code, 0, j.stderr);
    const report = JSON.parse(j.stdout);
    assert.deepEqual(report.summary.passed, 1);
    assert.equal(report.results[0].status, "pass");
    assert.match(j.stderr, /1 passed, 0 failed/);
  } finally {
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--strict takes I lines as written: a garbled field is sent, not a parse error", async () => {
  const peer = logonPeer();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/garbled.def`,
      [
        "iCONNECT",
        "I8=FIX.4.4|35=A|34=1|49=TW|52=<TIME>|56=ISLD|98=0|108=30|4garbled9=X|",
        "E8=FIX.4.4|35=A|49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|",
        "iDISCONNECT",
        "",
      ].join("\n"),
    );
    const target = `127.0.0.1:${peer.port}`;
    const plain = await fixg(["conformance", "--target", target, `${dir}/garbled.def`]);
    assert.equal(plain.code, 2, plain.stdout + plain.stderr);
    assert.match(plain.stderr, /garbled\.def:2: field 9 "4garbled9=X" is not tag=value with a numeric tag/);
    const strict = await fixg(["conformance", "--strict", "--target", target, `${dir}/garbled.def`]);
    assert.equal(strict.code, 0, strict.stdout + strict.stderr);
    assert.match(strict.stdout, /^1 passed, 0 failed$/m);
  } finally {
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * `fixg run` flags: `--config FILE --host H` (an acceptor of the file binds H, an initiator connects to H, as
 * the flag's help says); `--json` only with `--print-effective-config`; a file without sessions.
 */
import assert from "node:assert/strict";
import { fixgOutput, tempDir } from "../_helpers/mod.ts";

Deno.test("fixg run --config with --host: an acceptor gets bindHost, an initiator host (a defaults: role counts)", async () => {
  await using dir = await tempDir("fixg-host-");
  // One session per file: with more, --host is refused (test/commands/run_session_flags_test.ts).
  await Deno.writeTextFile(
    `${dir.path}/a.yaml`,
    `store: { type: memory }
defaults: { role: acceptor }
sessions:
  - { port: 9, senderCompId: A, targetCompId: B }
`,
  );
  await Deno.writeTextFile(
    `${dir.path}/i.yaml`,
    `store: { type: memory }
sessions:
  - { role: initiator, host: 10.1.2.3, port: 9, senderCompId: A, targetCompId: C }
`,
  );
  const effective = async (file: string) => {
    const r = await fixgOutput(
      ["run", "-c", file, "--host", "127.0.0.1", "--print-effective-config", "--json"],
      { cwd: dir.path },
    );
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).config.sessions[0];
  };
  const acceptor = await effective("a.yaml");
  const initiator = await effective("i.yaml");
  assert.deepEqual([acceptor.role, acceptor.bindHost, acceptor.host], ["acceptor", "127.0.0.1", undefined]);
  assert.deepEqual([initiator.role, initiator.host, initiator.bindHost], [
    "initiator",
    "127.0.0.1",
    undefined,
  ]);
  // From flags alone, as before.
  const flagsOnly = await fixgOutput(
    [
      "run",
      "--acceptor",
      "--host",
      "127.0.0.1",
      "--port",
      "9",
      "--sender-comp-id",
      "A",
      "--target-comp-id",
      "B",
      "--store",
      "memory",
      "--print-effective-config",
      "--json",
    ],
    { cwd: dir.path },
  );
  assert.equal(flagsOnly.code, 0, flagsOnly.stderr);
  assert.equal(JSON.parse(flagsOnly.stdout).config.sessions[0].bindHost, "127.0.0.1");
});

Deno.test("fixg run --json without --print-effective-config: refused with one line, exit 2 (it was ignored)", async () => {
  const r = await fixgOutput([
    "run",
    "--acceptor",
    "--port",
    "9",
    "--sender-comp-id",
    "A",
    "--target-comp-id",
    "B",
    "--json",
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    "fixg: --json goes with --print-effective-config (JSON log lines: --log-format json)\n",
  );
});

Deno.test("fixg run --config FILE without sessions: the file is named, exit 2", async () => {
  await using dir = await tempDir("fixg-nosessions-");
  await Deno.writeTextFile(`${dir.path}/empty.yaml`, "store: { type: memory }\nsessions: []\n");
  const r = await fixgOutput(["run", "-c", "empty.yaml"], { cwd: dir.path });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, "fixg: empty.yaml: sessions: none to run (the list is empty or missing)\n");
});

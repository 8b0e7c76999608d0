/**
 * `fixg run --config FILE` with session flags (`--port`, `--initiator`, ...): they override the session of
 * a file that has one, and are a usage error with a file of more (they went to every session: `--port 9999`
 * put two sessions on one port, `--initiator` flipped every role). Engine flags work with any file.
 */
import assert from "node:assert/strict";
import { fixgOutput, ROOT, tempDir } from "../_helpers/mod.ts";

/**
 * `fixg ARGS` in `cwd`, killed after 20 s: a flag that is not refused starts a gateway that runs until
 * signalled (as it did before the refusal), and the test must fail rather than wait for it.
 */
async function fixgBounded(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(`${ROOT}fixg`, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  try {
    const r = await child.output();
    const dec = new TextDecoder();
    return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

const TWO = `store: { type: memory }
sessions:
  - { role: acceptor, port: 9871, senderCompId: ISLD, targetCompId: TW }
  - { role: acceptor, port: 9872, senderCompId: ISLD, targetCompId: TX }
`;

Deno.test("fixg run --config FILE of two sessions with --port: refused, exit 2, one line naming the flag and the count; nothing started", async () => {
  await using dir = await tempDir("fixg-sflags-");
  await Deno.writeTextFile(`${dir.path}/two.yaml`, TWO.replace("store: { type: memory }\n", ""));
  const r = await fixgBounded(["run", "-c", "two.yaml", "--port", "9999"], dir.path);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(
    r.stderr,
    "fixg: --port: two.yaml has 2 sessions and this flag sets one session's port; set it in the file " +
      "(on the session, or under defaults: for every session)\n",
  );
  // Refused before anything was opened: no journal directory, no pid file.
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["two.yaml"]);

  const two = await fixgOutput(
    ["run", "-c", "two.yaml", "--initiator", "--host", "10.0.0.1", "--print-effective-config"],
    { cwd: dir.path },
  );
  assert.equal(two.code, 2, two.stderr);
  assert.equal(two.stdout, "");
  assert.equal(
    two.stderr,
    "fixg: --initiator, --host: two.yaml has 2 sessions and these flags set one session's role, host or " +
      "bindHost; set them in the file (on the session, or under defaults: for every session)\n",
  );
});

Deno.test("fixg run --config FILE of two sessions: engine flags apply, the sessions stay as the file says", async () => {
  await using dir = await tempDir("fixg-sflags-");
  await Deno.writeTextFile(`${dir.path}/two.yaml`, TWO);
  const r = await fixgOutput(
    [
      "run",
      "-c",
      "two.yaml",
      "--store",
      "j",
      "--fsync",
      "none",
      "--log-level",
      "warn",
      "--log-format",
      "json",
      "--admin-port",
      "0",
      "--engine-socket",
      "e.sock",
      "--print-effective-config",
      "--json",
    ],
    { cwd: dir.path },
  );
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout).config;
  assert.deepEqual(
    c.sessions.map((s: Record<string, unknown>) => [s.role, s.port, s.targetCompId]),
    [["acceptor", 9871, "TW"], ["acceptor", 9872, "TX"]],
  );
  assert.deepEqual([c.store.type, c.store.dir, c.store.fsync], ["file", "j", "none"]);
  assert.deepEqual([c.log.level, c.log.format, c.admin.port, c.engine.socket], ["warn", "json", 0, "e.sock"]);
});

Deno.test("fixg run --config FILE of one session: the session flags override it", async () => {
  await using dir = await tempDir("fixg-sflags-");
  await Deno.writeTextFile(
    `${dir.path}/one.yaml`,
    "store: { type: memory }\nsessions:\n  - { role: acceptor, port: 9871, senderCompId: ISLD, targetCompId: TW }\n",
  );
  const r = await fixgOutput(
    [
      "run",
      "-c",
      "one.yaml",
      "--initiator",
      "--host",
      "127.0.0.1",
      "--port",
      "9999",
      "--sender-comp-id",
      "TW",
      "--target-comp-id",
      "ISLD",
      "--begin-string",
      "FIX.4.2",
      "--heartbeat",
      "5",
      "--print-effective-config",
      "--json",
    ],
    { cwd: dir.path },
  );
  assert.equal(r.code, 0, r.stderr);
  const [s, ...rest] = JSON.parse(r.stdout).config.sessions;
  assert.equal(rest.length, 0);
  assert.deepEqual(
    [s.role, s.host, s.port, s.senderCompId, s.targetCompId, s.beginString, s.heartbeatIntervalSec],
    ["initiator", "127.0.0.1", 9999, "TW", "ISLD", "FIX.4.2", 5],
  );
});

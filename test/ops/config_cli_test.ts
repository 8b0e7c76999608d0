import assert from "node:assert/strict";
import { parseConfig } from "../../src/engine/config.ts";
import { parsePasswordHash, verifyPassword } from "../../src/engine/auth/password.ts";
import { importQuickfix } from "../../src/ops/quickfix_import.ts";
import { fixgOutput, ROOT } from "../_helpers/mod.ts";

/** `./fixg args` run to the end from the repository root (or `cwd`), `stdin` as its input. */
const fixg = (args: string[], o: { cwd?: string; stdin?: string } = {}) =>
  fixgOutput(args, { cwd: o.cwd ?? ROOT, ...(o.stdin !== undefined ? { stdin: o.stdin } : {}) });

Deno.test("fixg config check: exit 0 for a valid file, 2 with file, key and reason for an invalid one (--json too)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-check-" });
  await Deno.writeTextFile(
    `${dir}/ok.yaml`,
    "store: { type: memory }\nsessions:\n  - { name: a, role: acceptor, port: 9876, senderCompId: ISLD, targetCompId: TW, allowedAddresses: [127.0.0.1] }\n",
  );
  await Deno.writeTextFile(
    `${dir}/bad.yaml`,
    "sessions:\n  - role: acceptor\n    port: 9876\n    senderCompId: ISLD\n    targetCompId: TW\n    throttle: { inboundPerSec: fast }\n",
  );
  await Deno.writeTextFile(
    `${dir}/badtls.yaml`,
    "sessions:\n  - { role: acceptor, port: 1, senderCompId: A, targetCompId: B, tls: { cert: missing.crt, key: missing.key } }\n",
  );
  const ok = await fixg(["config", "check", "ok.yaml"], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok\.yaml: valid \(1 session\)\n {2}acceptor {2}FIX\.4\.4:ISLD->TW \(a\)\n$/);
  const okJson = await fixg(["config", "check", "ok.yaml", "--json"], { cwd: dir });
  assert.equal(okJson.code, 0);
  assert.deepEqual(JSON.parse(okJson.stdout), {
    valid: true,
    file: "ok.yaml",
    sessions: [{ id: "FIX.4.4:ISLD->TW", name: "a", role: "acceptor" }],
    warnings: [],
  });
  const bad = await fixg(["config", "check", "bad.yaml"], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'fixg: bad.yaml: sessions[0].throttle.inboundPerSec: "fast" is not a number\n');
  const badJson = await fixg(["config", "check", "bad.yaml", "--json"], { cwd: dir });
  assert.equal(badJson.code, 2);
  assert.deepEqual(JSON.parse(badJson.stdout), {
    valid: false,
    file: "bad.yaml",
    key: "sessions[0].throttle.inboundPerSec",
    reason: '"fast" is not a number',
  });
  const badTls = await fixg(["config", "check", "badtls.yaml", "--json"], { cwd: dir });
  assert.equal(badTls.code, 2);
  const p = JSON.parse(badTls.stdout);
  assert.equal(p.key, "sessions[0].tls.cert");
  assert.match(p.reason, /^cannot read "missing\.crt"/);
  const missing = await fixg(["config", "check", "nope.yaml"], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^fixg: Cannot read config "nope\.yaml"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("import-quickfix: QuickFIX's executor.cfg becomes YAML that config check accepts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-import-" });
  const r = await fixg([
    "config",
    "import-quickfix",
    `${ROOT}fixtures/quickfix/executor.cfg`,
    "-o",
    `${dir}/executor.yaml`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const check = await fixg(["config", "check", `${dir}/executor.yaml`]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /valid \(4 sessions\)/);
  const c = parseConfig(await Deno.readTextFile(`${dir}/executor.yaml`), "executor.yaml", () => undefined);
  assert.deepEqual(c.store, { type: "file", dir: "store", fsync: "batch" });
  assert.deepEqual(c.tuning, { noDelay: true });
  assert.equal(c.admin?.port, 9911);
  assert.deepEqual(
    c.sessions.map((s) => [s.role, s.beginString, s.senderCompId, s.targetCompId, s.port, s.dictionary]),
    [
      ["acceptor", "FIX.4.0", "EXECUTOR", "CLIENT1", 5001, "builtin"],
      ["acceptor", "FIX.4.2", "EXECUTOR", "CLIENT1", 5001, "builtin"],
      ["acceptor", "FIX.4.4", "EXECUTOR", "CLIENT1", 5001, "builtin"],
      ["acceptor", "FIXT.1.1", "EXECUTOR", "CLIENT1", 5001, "builtin"],
    ],
  );
  assert.deepEqual(c.sessions[0]!.schedule, { start: "00:00:00", end: "00:00:00" });
  assert.deepEqual(c.sessions[2]!.validation, {
    enabled: true,
    checkFieldOrder: false,
    validateUserDefinedFields: false,
    rejectUndefinedTags: false,
    rejectTagsNotInMessage: false,
  });
  assert.equal(c.sessions[3]!.defaultApplVerId, "9");
  assert.equal(c.sessions[3]!.appDictionary, "builtin");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("import-quickfix: tradeclient.cfg settings map key by key; what has no equivalent stays as comments, secrets never", async () => {
  const text = await Deno.readTextFile(`${ROOT}fixtures/quickfix/tradeclient.cfg`);
  const yaml = importQuickfix(text, "tradeclient.cfg");
  const c = parseConfig(yaml, "tradeclient.yaml", () => undefined);
  const [a, b] = c.sessions;
  assert.equal(a!.role, "initiator");
  assert.equal(a!.host, "localhost");
  assert.equal(a!.port, 5001);
  assert.equal(a!.heartbeatIntervalSec, 30);
  assert.deepEqual(a!.reconnect, { initialMs: 5000, maxMs: 5000, factor: 1, jitter: 0 });
  // StartDay/EndDay is QuickFIX's weekly session: one window Monday 07:55 to Friday 17:05.
  assert.deepEqual(a!.schedule, {
    start: "07:55:00",
    end: "17:05:00",
    timezone: "America/New_York",
    startDay: "mon",
    endDay: "fri",
  });
  for (
    const [k, v] of Object.entries({
      logonTimeoutSec: 15,
      logoutTimeoutSec: 5,
      checkLatency: true,
      maxLatencySec: 60,
      refreshOnLogon: true,
      resendRequestChunkSize: 2500,
      timestampPrecision: "us",
      resetOnLogon: false,
    })
  ) {
    assert.deepEqual(a![k], v, k);
  }
  assert.deepEqual(c.tuning, { noDelay: true, rcvBufBytes: 1048576, sndBufBytes: 1048576 });
  assert.equal(b!.qualifier, "primary");
  assert.deepEqual(b!.hosts, ["fix1.venue.example:9880", "fix2.venue.example:9880"]);
  assert.equal(b!.host, undefined);
  assert.deepEqual(b!.tls, {});
  assert.equal(b!.enableNextExpectedMsgSeqNum, true);
  assert.deepEqual(b!.validation, { enabled: true, checkFieldsHaveValues: false });
  assert.match(yaml, /# {3}SocketKeyStore=client\.jks: not converted: Java keystore: export the key/);
  assert.match(yaml, /# {3}SocketKeyStorePassword: not converted/);
  assert.match(yaml, /# {3}ContinueInitializationOnError=Y: not converted/);
  assert.match(yaml, /# {3}PersistMessages=Y: not converted/);
  assert.equal(yaml.includes("changeit"), false, "the keystore password is not copied");
  const unknown = importQuickfix(
    "[DEFAULT]\nFancyVendorSetting=42\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nConnectionType=acceptor\nSocketAcceptPort=1\n",
    "x.cfg",
  );
  assert.match(unknown, /# {3}FancyVendorSetting=42: unknown QuickFIX setting \(line 2\), not converted/);
  assert.throws(() => importQuickfix("[SESSION]\nnot a setting\n", "y.cfg"), /y\.cfg:2: expected Key=Value/);
});

Deno.test("fixg config check refuses the engine sections fixg run refuses: a short secret, an unset secretEnv", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-check-engine-" });
  const session = "sessions: [{ role: acceptor, port: 9, senderCompId: A, targetCompId: B }]\n";
  await Deno.writeTextFile(
    `${dir}/short.yaml`,
    `store: { type: memory }\nengine: { socket: ${dir}/e.sock, secret: short-secret-1 }\n${session}`,
  );
  await Deno.writeTextFile(
    `${dir}/unset.yaml`,
    `store: { type: memory }\nengine: { socket: ${dir}/e.sock, secretEnv: FIXG_TEST_UNSET_ENGINE_SECRET }\n${session}`,
  );
  const short = await fixg(["config", "check", "short.yaml"], { cwd: dir });
  assert.equal(short.code, 2, short.stdout);
  assert.equal(short.stderr, "fixg: short.yaml: engine.secret: use at least 16 characters\n");
  const shortJson = await fixg(["config", "check", "short.yaml", "--json"], { cwd: dir });
  assert.equal(shortJson.code, 2);
  assert.deepEqual(JSON.parse(shortJson.stdout), {
    valid: false,
    file: "short.yaml",
    key: "engine.secret",
    reason: "use at least 16 characters",
  });
  assert.equal(shortJson.stdout.includes("short-secret-1"), false);
  const unset = await fixg(["config", "check", "unset.yaml"], { cwd: dir });
  assert.equal(unset.code, 2, unset.stdout);
  assert.equal(
    unset.stderr,
    "fixg: unset.yaml: engine.secretEnv: environment variable FIXG_TEST_UNSET_ENGINE_SECRET is not set\n",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fixg config check refuses a store.url that is not a postgres:// URL and a store.schema fixg cannot use", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-check-pg-" });
  const session = "sessions: [{ role: acceptor, port: 9, senderCompId: A, targetCompId: B }]\n";
  await Deno.writeTextFile(`${dir}/url.yaml`, `store: { type: postgres, url: "db1:5432/fixg" }\n${session}`);
  await Deno.writeTextFile(
    `${dir}/schema.yaml`,
    `store: { type: postgres, url: "postgres://fixg:pw-1@db1/fixg", schema: Fix-Prod }\n${session}`,
  );
  const url = await fixg(["config", "check", "url.yaml"], { cwd: dir });
  assert.equal(url.code, 2, url.stdout);
  assert.equal(url.stderr, "fixg: url.yaml: store.url: must be a postgres:// (or postgresql://) URL\n");
  const schema = await fixg(["config", "check", "schema.yaml"], { cwd: dir });
  assert.equal(schema.code, 2, schema.stdout);
  assert.equal(
    schema.stderr,
    'fixg: schema.yaml: store.schema: "Fix-Prod" is not a plain lower-case SQL identifier\n',
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fixg run --print-effective-config: the merged config with secrets masked and each knob's report; exit 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-eff-" });
  await Deno.writeTextFile(
    `${dir}/f.yaml`,
    `store: { type: memory }
admin: { port: 0, token: "very-secret-admin-token" }
tuning: { noDelay: true, rcvBufBytes: 65536 }
defaults: { heartbeatIntervalSec: 10 }
sessions:
  - { role: initiator, host: 127.0.0.1, port: 9, senderCompId: TW, targetCompId: ISLD, password: "hunter2-pw" }
`,
  );
  const r = await fixg(["run", "-c", "f.yaml", "--print-effective-config", "--json", "--log-level", "warn"], {
    cwd: dir,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.includes("hunter2-pw"), false);
  assert.equal(r.stdout.includes("very-secret-admin-token"), false);
  const out = JSON.parse(r.stdout);
  assert.equal(out.config.sessions[0].password, "***");
  assert.equal(out.config.sessions[0].heartbeatIntervalSec, 10, "defaults merged");
  assert.equal(out.config.admin.token, "***");
  assert.equal(out.config.log.level, "warn", "flags merged");
  const knobs = out.tuning.map((k: { knob: string }) => k.knob);
  assert.deepEqual(knobs, ["TCP_NODELAY", "SO_RCVBUF"]);
  for (const k of out.tuning) assert.equal(typeof k.ok, "boolean");
  const yaml = await fixg(["run", "-c", "f.yaml", "--print-effective-config"], { cwd: dir });
  assert.equal(yaml.code, 0);
  assert.match(yaml.stdout, /^config:\n/);
  assert.match(yaml.stdout, /\ntuning:\n {2}- knob: TCP_NODELAY\n/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fixg run --print-effective-config: a PostgreSQL store URL is printed without its passwords", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-eff-pg-" });
  // Nothing is opened: the port is never connected to.
  await Deno.writeTextFile(
    `${dir}/f.yaml`,
    `store:
  type: postgres
  url: "postgres://fixg:pg-user-secret@127.0.0.1:9,127.0.0.1:10/fixg?target_session_attrs=read-write&sslpassword=pg-ssl-secret"
sessions:
  - { role: initiator, host: 127.0.0.1, port: 9, senderCompId: TW, targetCompId: ISLD }
`,
  );
  const json = await fixg(["run", "-c", "f.yaml", "--print-effective-config", "--json"], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  assert.equal(
    JSON.parse(json.stdout).config.store.url,
    "postgres://fixg:***@127.0.0.1:9,127.0.0.1:10/fixg?target_session_attrs=read-write&sslpassword=***",
  );
  const yaml = await fixg(["run", "-c", "f.yaml", "--print-effective-config"], { cwd: dir });
  assert.equal(yaml.code, 0, yaml.stderr);
  for (const out of [json.stdout, yaml.stdout]) {
    assert.equal(out.includes("pg-user-secret"), false);
    assert.equal(out.includes("pg-ssl-secret"), false);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fixg config hash-password reads the password from stdin and prints a PBKDF2 hash that verifies", async () => {
  const r = await fixg(["config", "hash-password", "--iterations", "1000"], { stdin: "correct horse\n" });
  assert.equal(r.code, 0, r.stderr);
  const h = parsePasswordHash(r.stdout.trim(), "stdout");
  assert.equal(h.iterations, 1000);
  assert.equal(await verifyPassword("correct horse", h), true);
  assert.equal(r.stdout.includes("correct horse"), false);
});

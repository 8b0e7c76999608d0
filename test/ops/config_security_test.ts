/** `fixg config check` warns about what an attacker could use: open authentication, certificates about to expire. */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/engine/config.ts";
import { checkLoadedConfig } from "../../src/ops/config_validate.ts";
import { hashPassword } from "../../src/engine/auth/password.ts";

Deno.test("config check: authentication: users without allowedUsers is warned about loudly", async () => {
  const hash = await hashPassword("pw-0123456789", 1000);
  const config = parseConfig(
    `store: { type: memory }
users:
  alice: { passwordHash: "${hash}" }
  bob: { passwordHash: "${hash}" }
sessions:
  - { role: acceptor, port: 9000, senderCompId: GW, targetCompId: TW, authentication: users }
  - { role: acceptor, port: 9000, senderCompId: GW, targetCompId: "*", authentication: users }
  - { role: acceptor, port: 9000, senderCompId: GW, targetCompId: OK, authentication: users, allowedUsers: [alice] }
`,
    "t.yaml",
    () => undefined,
  );
  const r = await checkLoadedConfig(config);
  const open = r.warnings.filter((w) => w.includes("without allowedUsers"));
  assert.deepEqual(open, [
    "sessions[0]: authentication: users without allowedUsers: ANY of the 2 users can log on as TW; list who may in allowedUsers",
    "sessions[1]: authentication: users without allowedUsers: ANY of the 2 users can log on as any client CompID; list who may in allowedUsers",
  ]);
});

Deno.test("certificates expired or expiring within 30 days: config check warns, start-up logs it, /metrics shows the expiry time", async () => {
  const { makeCa } = await import("../tls_ca.ts");
  const { LogCapture, startGateway } = await import("./helpers.ts");
  const { gatewayRegistry } = await import("../../src/ops/metrics.ts");
  const { withoutSessions } = await import("../../src/ops/admin.ts");
  const { renderPrometheus } = await import("../../src/metrics/prometheus.ts");
  const dir = await Deno.makeTempDir({ prefix: "fixg-cert-exp-" });
  const issue = await makeCa(dir, "ca");
  await issue("server", "fixg-acceptor", "DNS:localhost"); // valid for 2 days
  const yaml = `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: GW, targetCompId: TW, tls: { cert: ${dir}/server.crt, key: ${dir}/server.key } }
`;
  try {
    const config = parseConfig(yaml, "t.yaml", () => undefined);
    const soon = await checkLoadedConfig(config);
    assert.deepEqual(
      soon.warnings.filter((w) => w.includes("tls.cert")).map((w) => w.replace(/\(on .*\)/, "(on …)")),
      [
        "sessions[0].tls.cert: certificate CN=fixg-acceptor expires in 1 day (on …)",
      ],
    );
    const later = await checkLoadedConfig(config, Date.now() + 3 * 86_400_000);
    assert.match(
      later.warnings.find((w) => w.includes("tls.cert"))!,
      /^sessions\[0\]\.tls\.cert: certificate CN=fixg-acceptor EXPIRED on \d{4}-\d\d-\d\dT[\d:.]+Z: peers will refuse it$/,
    );
    const logs = new LogCapture();
    const { gw } = await startGateway(yaml, { logger: logs.logger("info") });
    try {
      assert.equal(
        logs.grep(
          new RegExp(
            `"event":"tls-certificate".*acceptor 127\\.0\\.0\\.1:${
              gw.ports[0]
            }: certificate CN=fixg-acceptor expires in 1 day`,
          ),
        ).length,
        1,
      );
      const pub = renderPrometheus(withoutSessions(gatewayRegistry(gw).collect()));
      const m = new RegExp(
        `^fixg_tls_certificate_expiry_timestamp_seconds\\{acceptor="127\\.0\\.0\\.1:${
          gw.ports[0]
        }"\\} (\\d+)$`,
        "m",
      ).exec(pub);
      assert.ok(m, pub.split("\n").filter((l) => l.includes("certificate")).join("\n"));
      const s = Number(m[1]) - Date.now() / 1000;
      assert.ok(s > 86_400 && s < 2 * 86_400 + 60, `expires in ${s} s`);
    } finally {
      await gw.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

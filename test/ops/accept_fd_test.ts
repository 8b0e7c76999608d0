/**
 * Out of file descriptors (issue 14): a gateway limited to 64 descriptors gets more connections than it can
 * accept. Its TLS listener must come back once the attackers leave (node:tls under Deno stops accepting for
 * good after EMFILE), the failure is logged and /health says so; a legitimate TLS logon then succeeds.
 */
import assert from "node:assert/strict";
import { Child, freePort, ROOT, waitFor } from "../_helpers/mod.ts";
import { makeCa } from "../tls_ca.ts";
import { LogCapture, startGateway } from "./helpers.ts";

async function hasPrlimit(): Promise<boolean> {
  try {
    return (await new Deno.Command("prlimit", { args: ["--version"], stdout: "null", stderr: "null" })
      .output())
      .success;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "EMFILE: the TLS listener survives running out of file descriptors; logged, then a TLS logon succeeds and /health is 200",
  ignore: !(await hasPrlimit()),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fixg-emfile-" });
    const issue = await makeCa(dir, "ca");
    await issue("server", "fixg-acceptor", "DNS:localhost,IP:127.0.0.1");
    await Deno.writeTextFile(
      `${dir}/acceptor.yaml`,
      `store: { type: memory }
log: { format: json }
admin: { port: 0 }
limits: { handshakeTimeoutSec: 60, logonTimeoutSec: 60, maxPendingConnections: 1000, maxPendingPerAddress: 1000, acceptWatchdogSec: 0.3 }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW, tls: { cert: server.crt, key: server.key } }
  - { role: acceptor, port: ${freePort()}, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: PLAIN }
`,
    );
    const child = new Child(["--nofile=64:64", `${ROOT}fixg`, "run", "-c", "acceptor.yaml"], {
      cmd: "prlimit",
      cwd: dir,
    });
    const grep = (re: RegExp) => child.lines("err").filter((l) => re.test(l));
    const attackers: Deno.TcpConn[] = [];
    let initiator: Awaited<ReturnType<typeof startGateway>> | undefined;
    try {
      await child.until(() => grep(/"event":"admin"/).length === 1, "started", 15_000);
      const ports = grep(/"event":"listen"/).map((l) =>
        Number(/:(\d+)"?,/.exec(JSON.parse(l).msg + ",")![1])
      );
      const [tlsPort, plainPort] = ports as [number, number];
      const admin = /(http:\/\/[^ ]+)/.exec(JSON.parse(grep(/"event":"admin"/)[0]!).msg)![1]!;
      for (let i = 0; i < 50; i++) {
        attackers.push(await Deno.connect({ hostname: "127.0.0.1", port: tlsPort }));
        attackers.push(await Deno.connect({ hostname: "127.0.0.1", port: plainPort }));
      }
      await child.until(() => grep(/"event":"accept-failed"/).length > 0, "accept failures logged", 10_000);
      assert.match(grep(/"event":"accept-failed"/)[0]!, /Too many open files/);
      for (const c of attackers.splice(0)) c.close();
      // The watchdog finds the TLS listener dead and replaces it; /health shows the problem until then.
      await child.until(() => grep(/listening again/).length > 0, "TLS listener replaced", 10_000);
      const logs = new LogCapture();
      initiator = await startGateway(
        `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${tlsPort}, senderCompId: TW, targetCompId: ISLD, reconnect: { initialMs: 100, maxMs: 300 }, tls: { ca: ${dir}/ca.crt, serverName: localhost } }
`,
        { logger: logs.logger("error") },
      );
      const r = initiator.gw.runners()[0]!;
      await waitFor(() => r.loggedOn, "legitimate TLS logon after the attack", 10_000);
      await child.until(() => grep(/accepts connections again/).length >= 1, "recovery logged", 10_000);
      // /health is 200 again once every acceptor accepts again: the TLS one took the initiator's connection, the
      // plain one, with nothing left in its queue, waited ACCEPT_QUIET_MS without failing (before, it stayed
      // 503 until a client connected: the CI flake).
      let health = { status: 0, body: "" };
      await waitFor(
        async () => {
          const r = await fetch(`${admin}/health`);
          health = { status: r.status, body: await r.text() };
          return health.status === 200;
        },
        "/health 200",
        10_000,
        100,
      ).catch(() => {}); // the assertion below says what it was
      assert.equal(health.status, 200, health.body);
    } finally {
      for (const c of attackers) c.close();
      await initiator?.gw.stop();
      await child.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

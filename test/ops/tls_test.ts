import assert from "node:assert/strict";
import { FixgProcess } from "./process.ts";
import { http } from "./helpers.ts";
import { makeCa } from "../tls_ca.ts";

const TOKEN = "tls-test-token-0123456789";

function initiatorYaml(sender: string, target: string, port: number, tls: string): string {
  return `store: { type: memory }
log: { format: json }
sessions:
  - role: initiator
    host: 127.0.0.1
    port: ${port}
    senderCompId: ${sender}
    targetCompId: ${target}
    reconnect: { initialMs: 100, maxMs: 200, attempts: 2 }
    tls: { ${tls} }
`;
}

Deno.test("mutual TLS between two fixg processes; a wrong client certificate is refused; certificates reload without dropping the session", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-tls-" });
  const issue = await makeCa(dir, "ca");
  await issue("server", "fixg-acceptor", "DNS:localhost,IP:127.0.0.1");
  await issue("client", "client-tw", "DNS:client-tw");
  const rogueIssue = await makeCa(dir, "rogue-ca");
  await rogueIssue("rogue", "client-tw", "DNS:client-tw");
  await Deno.writeTextFile(
    `${dir}/acceptor.yaml`,
    `store: { type: memory }
log: { format: json }
admin: { port: 0, token: ${TOKEN} }
reload: { watch: false }
defaults:
  role: acceptor
  bindHost: 127.0.0.1
  port: 0
  senderCompId: ISLD
  tls: { cert: server.crt, key: server.key, ca: ca.crt, requireClientCert: true }
sessions:
  - { name: tw, targetCompId: TW }
  - { name: tw2, targetCompId: TW2 }
`,
  );
  const acceptor = new FixgProcess(["run", "-c", "acceptor.yaml"], dir);
  const processes = [acceptor];
  try {
    const listen = await acceptor.waitRecord((r) => r.event === "listen", "acceptor listening");
    const port = Number(/:(\d+)$/.exec(String(listen.msg))![1]);
    const admin = await acceptor.waitRecord((r) => r.event === "admin", "admin endpoint");
    const base = /(http:\/\/[^ ]+)/.exec(String(admin.msg))![1]!;

    await Deno.writeTextFile(
      `${dir}/good.yaml`,
      initiatorYaml(
        "TW",
        "ISLD",
        port,
        "cert: client.crt, key: client.key, ca: ca.crt, serverName: localhost",
      ),
    );
    const good = new FixgProcess(["run", "-c", "good.yaml"], dir);
    processes.push(good);
    await good.waitRecord((r) => r.event === "logon" && r.msg === "Logged on", "mutual TLS logon");
    const tw = (await http(base, "/sessions/tw", { token: TOKEN })).json;
    assert.equal(tw.loggedOn, true);
    const remote = tw.remoteAddr;

    // A client certificate from another CA: the handshake fails, nothing reaches the session.
    await Deno.writeTextFile(
      `${dir}/rogue.yaml`,
      initiatorYaml(
        "TW2",
        "ISLD",
        port,
        "cert: rogue.crt, key: rogue.key, ca: ca.crt, serverName: localhost",
      ),
    );
    const rogue = new FixgProcess(["run", "-c", "rogue.yaml"], dir);
    processes.push(rogue);
    await acceptor.waitRecord((r) => r.event === "tls-refused", "TLS refusal on the acceptor");
    await rogue.waitRecord((r) => r.event === "gave-up", "rogue gives up after its attempts");
    assert.equal(rogue.records((r) => r.msg === "Logged on").length, 0);
    assert.equal((await http(base, "/sessions/tw2", { token: TOKEN })).json.loggedOn, false);

    // Rotate the server certificate in place to one valid only for "rotated.test", then SIGHUP.
    await issue("server", "fixg-acceptor-2", "DNS:rotated.test");
    acceptor.kill("SIGHUP");
    await acceptor.waitRecord((r) => r.event === "tls-reloaded", "certificate reloaded");
    const after = (await http(base, "/sessions/tw", { token: TOKEN })).json;
    assert.equal(after.loggedOn, true, "the live session was not dropped");
    assert.equal(after.remoteAddr, remote, "same connection");

    // A new connection sees the new certificate: it verifies as rotated.test.
    await Deno.writeTextFile(
      `${dir}/new.yaml`,
      initiatorYaml(
        "TW2",
        "ISLD",
        port,
        "cert: client.crt, key: client.key, ca: ca.crt, serverName: rotated.test",
      ),
    );
    const fresh = new FixgProcess(["run", "-c", "new.yaml"], dir);
    processes.push(fresh);
    await fresh.waitRecord(
      (r) => r.event === "logon" && r.msg === "Logged on",
      "logon against the rotated certificate",
    );

    // SIGUSR1 is the kill switch.
    acceptor.kill("SIGUSR1");
    await acceptor.waitRecord(
      (r) => r.event === "kill-switch" && /ENGAGED \(SIGUSR1\)/.test(String(r.msg)),
      "kill switch by signal",
    );
    assert.equal((await http(base, "/kill-switch", { token: TOKEN })).json.engaged, true);
  } finally {
    const codes: number[] = [];
    for (const p of processes.reverse()) codes.push(await p.stop());
    await Deno.remove(dir, { recursive: true });
    assert.deepEqual(
      codes,
      codes.map(() => 0),
      "every fixg process stops cleanly with exit code 0 on SIGTERM",
    );
  }
});

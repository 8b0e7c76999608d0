/**
 * `credentialsEncoding: latin1`: a fixg initiator sends Username (553) and Password (554) one byte per
 * character (`é` as E9), as every fixg initiator did before credentials went out as UTF-8 (e2ae5d8), for a
 * counterparty that reads them as ISO-8859-1 (QuickFIX/J's default charset) and holds credentials made
 * that way. Since e2ae5d8 nothing could send them so (nor `toAdmin`): such a deployment's initiator was
 * refused after the upgrade with no setting to keep it working. A character above U+00FF is a
 * configuration error under latin1. Here the counterparty is a fixg acceptor holding the hash of the
 * Latin-1 bytes (`printf 'caf\xe9\n' | fixg config hash-password`) and the name `josé`.
 */
import assert from "node:assert/strict";
import { toReadable } from "../../src/codec/mod.ts";
import { hashPassword } from "../../src/engine/auth/password.ts";
import { UserDirectory } from "../../src/engine/auth/users.ts";
import { sessionConfigFor } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { connectTcp, DenoConnection } from "../../src/transport/tcp.ts";
import { OutgoingAdminMessage } from "../../src/engine/admin_hooks.ts";
import { frame, sessionConfig, waitFor } from "./helpers.ts";

class RecordingConnection extends DenoConnection {
  readonly written: Uint8Array[] = [];
  override write(bytes: Uint8Array): Promise<void> {
    this.written.push(bytes.slice());
    return super.write(bytes);
  }
}

function indexOfBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

Deno.test("credentialsEncoding latin1: 553/554 go out one byte per character and log on where the Latin-1 hash is held", async () => {
  // The acceptor reads 554 one character per byte: E9 is "é", and this hash is of that reading.
  const passwordHash = await hashPassword("caf\xe9", 1000);
  const logger = new Logger({ level: "error" });
  const acceptor = new Gateway({
    store: new MemoryMessageStore(),
    app: {},
    logger,
    users: new UserDirectory({ "josé": { passwordHash } }),
  });
  acceptor.addAcceptor({
    host: "127.0.0.1",
    port: 0,
    sessions: [{ config: sessionConfig("acceptor"), authentication: "users", allowedUsers: ["josé"] }],
  });
  await acceptor.start();
  const conns: RecordingConnection[] = [];
  let logons = 0;
  const initiator = new Gateway({
    store: new MemoryMessageStore(),
    app: { onLogon: () => logons++ },
    logger,
    connect: async (host, port) => {
      const c = new RecordingConnection((await connectTcp(host, port)).raw);
      conns.push(c);
      return c;
    },
  });
  initiator.addInitiator({
    config: sessionConfig("initiator", { username: "josé", password: "café", credentialsEncoding: "latin1" }),
    hosts: [{ host: "127.0.0.1", port: acceptor.ports[0]! }],
    reconnect: { initialMs: 60_000, maxMs: 60_000, factor: 1, jitter: 0, attempts: 1 },
  });
  try {
    await initiator.start();
    const refused = () => acceptor.refusals().get("authentication") ?? 0;
    await waitFor(() => logons === 1 || refused() > 0, "logon or refusal", 10_000);
    assert.equal(refused(), 0, "the acceptor refused the Logon's credentials");
    assert.equal(logons, 1);
    const logon = conns[0]!.written[0]!;
    const fields = [..."553=jos", 0xe9, 1, ..."554=caf", 0xe9, 1].map((x) =>
      typeof x === "number" ? x : x.charCodeAt(0)
    );
    assert.notEqual(indexOfBytes(logon, fields), -1, `553/554 in ${toReadable(logon)}`);
  } finally {
    await initiator.stop();
    await acceptor.stop();
  }
});

Deno.test("credentialsEncoding: latin1 with a character above U+00FF is a configuration error (the value not quoted); utf8 takes it", async () => {
  const yaml = (enc: string) =>
    `sessions:
  - role: initiator
    host: 127.0.0.1
    port: 9
    senderCompId: TW
    targetCompId: ISLD
    username: alice
    password: "s3cr€t"
    credentialsEncoding: ${enc}
`;
  const bad = parseConfig(yaml("latin1"), "t.yaml", () => undefined);
  await assert.rejects(
    () => sessionConfigFor(bad.sessions[0]!, "t.yaml: sessions[0]", undefined),
    (e: Error) =>
      e.message ===
        "t.yaml: sessions[0].password: a character above U+00FF has no Latin-1 byte (credentialsEncoding: latin1)",
  );
  const ok = parseConfig(yaml("utf8"), "t.yaml", () => undefined);
  assert.equal(
    (await sessionConfigFor(ok.sessions[0]!, "t.yaml: sessions[0]", undefined)).credentialsEncoding,
    "utf8",
  );
  assert.throws(() => parseConfig(yaml("ascii"), "t.yaml", () => undefined), /credentialsEncoding/);
});

Deno.test("credentialsEncoding latin1: 553/554/925 set in toAdmin go out one byte per character", () => {
  const logon = frame("FIX.4.4", "A", "49=TW|56=ISLD|34=1|52=20260101-00:00:00.000|98=0|108=30|");
  const m = new OutgoingAdminMessage(logon, true);
  m.set(553, "josé");
  m.set(554, "café");
  m.set(925, "ñ");
  const out = m.build();
  const bytes = (...parts: Array<string | number>) =>
    parts.flatMap((p) => typeof p === "number" ? [p] : [...p].map((c) => c.charCodeAt(0)));
  assert.notEqual(indexOfBytes(out, bytes("553=jos", 0xe9, 1)), -1, toReadable(out));
  assert.notEqual(indexOfBytes(out, bytes("554=caf", 0xe9, 1)), -1, toReadable(out));
  assert.notEqual(indexOfBytes(out, bytes("925=", 0xf1, 1)), -1, toReadable(out));
});

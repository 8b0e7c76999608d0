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
import { sessionConfigFor } from "../../src/engine/build.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { OutgoingAdminMessage } from "../../src/engine/admin_hooks.ts";
import { frame } from "./helpers.ts";
import { bytes, indexOfBytes, logOnWith } from "./logon_credentials_helpers.ts";

Deno.test("credentialsEncoding latin1: 553/554 go out one byte per character and log on where the Latin-1 hash is held", async () => {
  // The acceptor reads 554 one character per byte: E9 is "é", and this hash is of that reading.
  const passwordHash = await hashPassword("caf\xe9", 1000);
  const { logon } = await logOnWith(passwordHash, {
    username: "josé",
    password: "café",
    credentialsEncoding: "latin1",
  });
  assert.notEqual(indexOfBytes(logon, bytes("553=jos", 0xe9, 1, "554=caf", 0xe9, 1)), -1, toReadable(logon));
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
  assert.notEqual(indexOfBytes(out, bytes("553=jos", 0xe9, 1)), -1, toReadable(out));
  assert.notEqual(indexOfBytes(out, bytes("554=caf", 0xe9, 1)), -1, toReadable(out));
  assert.notEqual(indexOfBytes(out, bytes("925=", 0xf1, 1)), -1, toReadable(out));
});

/**
 * A fixg initiator's Username (553) and Password (554) go out as their UTF-8 bytes, the bytes
 * `fixg config hash-password` hashes when the same password is typed or piped. The initiator wrote them as
 * the codec writes any value (characters up to U+00FF one byte each: `é` the byte E9), so a fixg initiator
 * with `password: café` could not log on to a fixg acceptor holding the hash hash-password printed for
 * `café` (C3 A9), nor to a peer expecting UTF-8.
 */
import assert from "node:assert/strict";
import { latin1String, toReadable, utf8ByteString } from "../../src/codec/mod.ts";
import { OutgoingAdminMessage } from "../../src/engine/admin_hooks.ts";
import { fixgOutput } from "../_helpers/mod.ts";
import { frame } from "./helpers.ts";
import { bytes, indexOfBytes, logOnWith } from "./logon_credentials_helpers.ts";

Deno.test("a fixg initiator with a non-ASCII username and password logs on to a fixg acceptor holding hash-password's hash; 553/554 carry UTF-8", async () => {
  const password = "café";
  const hashed = await fixgOutput(["config", "hash-password", "--iterations", "1000"], {
    stdin: `${password}\n`,
  });
  assert.equal(hashed.code, 0, hashed.stderr);
  const passwordHash = hashed.stdout.trim();

  const { logon, acceptorLoggedOn } = await logOnWith(passwordHash, { username: "josé", password });
  assert.equal(acceptorLoggedOn, true);
  // The first write on the one connection is the Logon: 553 = 6A 6F 73 C3 A9, 554 = 63 61 66 C3 A9.
  assert.match(toReadable(logon), /\|35=A\|/);
  const fields = bytes("553=jos", 0xc3, 0xa9, 1, "554=caf", 0xc3, 0xa9, 1);
  assert.notEqual(indexOfBytes(logon, fields), -1, `553/554 in ${toReadable(logon)}`);
  assert.equal(indexOfBytes(logon, [0x3d, 0x63, 0x61, 0x66, 0xe9, 1]), -1, "no Latin-1 E9");
});

Deno.test("utf8ByteString: the UTF-8 bytes one character per byte; ASCII unchanged", () => {
  assert.equal(utf8ByteString("alice-42"), "alice-42");
  assert.equal(utf8ByteString("café"), "caf\xc3\xa9");
  assert.equal(utf8ByteString("€Ω"), "\xe2\x82\xac\xce\xa9");
  const encoded = new TextEncoder().encode("pässwörd-€😀");
  assert.equal(utf8ByteString("pässwörd-€😀"), latin1String(encoded, 0, encoded.length));
});

Deno.test("toAdmin: Username/Password/NewPassword set on a Logon go out as UTF-8 bytes; other fields as the codec writes them", () => {
  const m = new OutgoingAdminMessage(
    frame("FIX.4.4", "A", "49=TW|56=ISLD|34=1|52=20260101-00:00:00.000|98=0|108=30|"),
  );
  m.set(553, "josé");
  m.set(554, "café");
  m.set(925, "ñ€");
  m.set(58, "é");
  const out = m.build();
  assert.notEqual(indexOfBytes(out, bytes("553=jos", 0xc3, 0xa9, 1)), -1, toReadable(out));
  assert.notEqual(indexOfBytes(out, bytes("554=caf", 0xc3, 0xa9, 1)), -1, toReadable(out));
  assert.notEqual(indexOfBytes(out, bytes("925=", 0xc3, 0xb1, 0xe2, 0x82, 0xac, 1)), -1, toReadable(out));
  assert.notEqual(indexOfBytes(out, bytes("58=", 0xe9, 1)), -1, "Text keeps the codec's rule (E9)");
});

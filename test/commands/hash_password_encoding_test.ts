/**
 * `fixg config hash-password` with a non-ASCII password piped in: the hash is of the password's bytes as a
 * Logon carries them in Password (554). It decoded the pipe as UTF-8 ("é" one character) while the gateway
 * reads 554 byte by byte (Latin-1: the UTF-8 "é" is the two characters C3 A9), so the hash never matched.
 */
import assert from "node:assert/strict";
import { MessageView } from "../../src/codec/mod.ts";
import { latin1String } from "../../src/codec/ascii.ts";
import { UserDirectory } from "../../src/engine/auth/users.ts";
import { frame } from "../engine/helpers.ts";
import { fixgOutput } from "../_helpers/mod.ts";

Deno.test("fixg config hash-password: a UTF-8 password piped in verifies against a Logon carrying its UTF-8 bytes in 554", async () => {
  const password = "pässwörd-€";
  const r = await fixgOutput(["config", "hash-password", "--iterations", "1000"], {
    stdin: `${password}\r\n`,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^pbkdf2-sha256\$1000\$[^$]+\$[^$]+\n$/);
  const users = new UserDirectory({ alice: { passwordHash: r.stdout.trim() } });

  const utf8 = new TextEncoder().encode(password);
  // One character per byte: the encoder writes each as that byte, so 554 carries exactly the UTF-8 bytes.
  const wire = latin1String(utf8, 0, utf8.length);
  const logon = (pw: string) => {
    const bytes = frame("FIX.4.4", "A", `49=T|56=G|34=1|52=<TIME>|98=0|108=30|553=alice|554=${pw}|`);
    return { bytes, view: MessageView.parse(bytes) };
  };
  const sent = logon(wire);
  const needle = [...new TextEncoder().encode("554="), ...utf8, 1];
  const at = sent.bytes.findIndex((_, i) => needle.every((b, j) => sent.bytes[i + j] === b));
  assert.notEqual(at, -1, "554 carries the password's UTF-8 bytes (14 bytes, C3 A4 ... E2 82 AC)");
  assert.equal(utf8.length, 14);
  assert.deepEqual(await users.check(sent.view), { accept: true });
  // The same text sent one byte per character (Latin-1, "€" not representable) is another password.
  assert.deepEqual(await users.check(logon("pässwörd-").view), {
    accept: false,
    reason: 'wrong password for user "alice"',
  });
});

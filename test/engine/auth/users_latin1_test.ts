/**
 * A `users:` name with characters up to U+00FF matches a Username (553) in either encoding: its UTF-8
 * bytes (a fixg initiator, a UTF-8 peer) and, as before the UTF-8 rule, its Latin-1 bytes (one byte per
 * character: `josé` as 6A 6F 73 E9). A deployment whose counterparty sends Latin-1 kept working across
 * the upgrade; before, the name stopped matching (`unknown user`) with nothing in the configuration to
 * say so, and no name in `users:` could match those bytes again. `allowedUsers` names the same user.
 */
import assert from "node:assert/strict";
import { MessageView, utf8ByteString } from "../../../src/codec/mod.ts";
import { hashPassword } from "../../../src/engine/auth/password.ts";
import { UserDirectory } from "../../../src/engine/auth/users.ts";
import { frame } from "../helpers.ts";

/** A Logon whose 553 carries `user` one byte per character (the encoder writes it so). */
function logon(user: string, password: string): MessageView {
  return MessageView.parse(
    frame("FIX.4.4", "A", `49=T|56=G|34=1|52=<TIME>|98=0|108=30|553=${user}|554=${password}|`),
  );
}

Deno.test("users: a non-ASCII name matches its UTF-8 and its Latin-1 bytes in 553; allowedUsers too", async () => {
  const passwordHash = await hashPassword("secret", 1000);
  const users = new UserDirectory({ "josé": { passwordHash }, "ann": { passwordHash } });
  const latin1 = "jos\u00e9"; // 6A 6F 73 E9 on the wire
  const utf8 = utf8ByteString("josé"); // 6A 6F 73 C3 A9
  assert.notEqual(latin1, utf8);
  assert.deepEqual(await users.check(logon(utf8, "secret")), { accept: true });
  assert.deepEqual(await users.check(logon(latin1, "secret")), { accept: true });
  assert.deepEqual(await users.check(logon(latin1, "secret"), ["josé"]), { accept: true });
  assert.deepEqual(await users.check(logon(utf8, "secret"), ["josé"]), { accept: true });
  assert.deepEqual(await users.check(logon(latin1, "secret"), ["ann"]), {
    accept: false,
    reason: 'user "jos?" may not use this session',
  });
  assert.deepEqual(await users.check(logon(latin1, "wrong"), ["josé"]), {
    accept: false,
    reason: 'wrong password for user "jos?"',
  });
  assert.deepEqual(users.names(), ["josé", "ann"]);
});

Deno.test("users: a name's UTF-8 bytes belong to that name, not to another whose Latin-1 bytes are the same", async () => {
  const a = await hashPassword("a-secret", 1000), b = await hashPassword("b-secret", 1000);
  // "josÃ©" one byte per character is 6A 6F 73 C3 A9: the UTF-8 bytes of "josé".
  const users = new UserDirectory({ "josÃ©": { passwordHash: b }, "josé": { passwordHash: a } });
  const utf8 = utf8ByteString("josé");
  assert.deepEqual(await users.check(logon(utf8, "a-secret"), ["josé"]), { accept: true });
  assert.deepEqual(await users.check(logon(utf8, "b-secret")), {
    accept: false,
    reason: 'wrong password for user "jos??"',
  });
  // "josÃ©" is still reached by its own UTF-8 bytes.
  assert.deepEqual(await users.check(logon(utf8ByteString("josÃ©"), "b-secret"), ["josÃ©"]), {
    accept: true,
  });
});

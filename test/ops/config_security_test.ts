/** `fixg config check` warns about what an attacker could use: open authentication, certificates about to expire. */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/engine/config.ts";
import { checkLoadedConfig } from "../../src/ops/config_validate.ts";
import { hashPassword } from "../../src/ops/password.ts";

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

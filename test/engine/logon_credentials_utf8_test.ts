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
import { UserDirectory } from "../../src/engine/auth/users.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { connectTcp, DenoConnection } from "../../src/transport/tcp.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { fixgOutput } from "../_helpers/mod.ts";
import { frame, sessionConfig, waitFor } from "./helpers.ts";

/** A TCP connection that keeps a copy of everything written to it. */
class RecordingConnection extends DenoConnection {
  readonly written: Uint8Array[] = [];
  override write(bytes: Uint8Array): Promise<void> {
    this.written.push(bytes.slice());
    return super.write(bytes);
  }
}

/** Index of `needle` in `hay`, or -1. */
function indexOfBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

Deno.test("a fixg initiator with a non-ASCII username and password logs on to a fixg acceptor holding hash-password's hash; 553/554 carry UTF-8", async () => {
  const password = "café";
  const hashed = await fixgOutput(["config", "hash-password", "--iterations", "1000"], {
    stdin: `${password}\n`,
  });
  assert.equal(hashed.code, 0, hashed.stderr);
  const passwordHash = hashed.stdout.trim();

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
    config: sessionConfig("initiator", { username: "josé", password }),
    hosts: [{ host: "127.0.0.1", port: acceptor.ports[0]! }],
    reconnect: { initialMs: 60_000, maxMs: 60_000, factor: 1, jitter: 0, attempts: 1 },
  });
  try {
    await initiator.start();
    const refused = () => acceptor.refusals().get("authentication") ?? 0;
    await waitFor(() => logons === 1 || refused() > 0, "logon or refusal", 10_000);
    assert.equal(refused(), 0, "the acceptor refused the Logon's credentials");
    assert.equal(logons, 1);
    assert.equal(acceptor.runners()[0]!.loggedOn, true);

    // The first write on the one connection is the Logon: 553 = 6A 6F 73 C3 A9, 554 = 63 61 66 C3 A9.
    assert.equal(conns.length, 1);
    const logon = conns[0]!.written[0]!;
    assert.match(toReadable(logon), /\|35=A\|/);
    const fields = [..."553=jos", 0xc3, 0xa9, 1, ..."554=caf", 0xc3, 0xa9, 1]
      .map((x) => typeof x === "number" ? x : x.charCodeAt(0));
    assert.notEqual(indexOfBytes(logon, fields), -1, `553/554 in ${toReadable(logon)}`);
    assert.equal(indexOfBytes(logon, [0x3d, 0x63, 0x61, 0x66, 0xe9, 1]), -1, "no Latin-1 E9");
  } finally {
    await initiator.stop();
    await acceptor.stop();
  }
});

Deno.test("utf8ByteString: the UTF-8 bytes one character per byte; ASCII unchanged", () => {
  assert.equal(utf8ByteString("alice-42"), "alice-42");
  assert.equal(utf8ByteString("café"), "caf\xc3\xa9");
  assert.equal(utf8ByteString("€Ω"), "\xe2\x82\xac\xce\xa9");
  const bytes = new TextEncoder().encode("pässwörd-€😀");
  assert.equal(utf8ByteString("pässwörd-€😀"), latin1String(bytes, 0, bytes.length));
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
  const bytes = (...parts: Array<string | number>) =>
    parts.flatMap((p) => typeof p === "number" ? [p] : [...p].map((c) => c.charCodeAt(0)));
  assert.notEqual(indexOfBytes(out, bytes("553=jos", 0xc3, 0xa9, 1)), -1, toReadable(out));
  assert.notEqual(indexOfBytes(out, bytes("554=caf", 0xc3, 0xa9, 1)), -1, toReadable(out));
  assert.notEqual(indexOfBytes(out, bytes("925=", 0xc3, 0xb1, 0xe2, 0x82, 0xac, 1)), -1, toReadable(out));
  assert.notEqual(indexOfBytes(out, bytes("58=", 0xe9, 1)), -1, "Text keeps the codec's rule (E9)");
});

/**
 * What the credential-encoding tests share (logon_credentials_utf8_test.ts, logon_credentials_latin1_test.ts):
 * a fixg acceptor that authenticates the user `josé` against a hash, a fixg initiator logging on to it over
 * loopback with the credentials given, and the bytes of the Logon it wrote.
 */
import assert from "node:assert/strict";
import { UserDirectory } from "../../src/engine/auth/users.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import type { SessionConfig } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { connectTcp, DenoConnection } from "../../src/transport/tcp.ts";
import { sessionConfig, waitFor } from "./helpers.ts";

/** A TCP connection that keeps a copy of everything written to it. */
class RecordingConnection extends DenoConnection {
  readonly written: Uint8Array[] = [];
  override write(bytes: Uint8Array): Promise<void> {
    this.written.push(bytes.slice());
    return super.write(bytes);
  }
}

/** Index of `needle` in `hay`, or -1. */
export function indexOfBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Bytes from text (one byte per character code) and byte values. */
export function bytes(...parts: Array<string | number>): number[] {
  return parts.flatMap((p) => typeof p === "number" ? [p] : [...p].map((c) => c.charCodeAt(0)));
}

/**
 * An acceptor holding `josé` with `passwordHash`, and an initiator with `credentials` (username, password,
 * credentialsEncoding) logging on to it once. Asserts the Logon was taken (not refused) and returns the
 * first bytes the initiator wrote on its one connection: its Logon.
 */
export async function logOnWith(
  passwordHash: string,
  credentials: Partial<SessionConfig>,
): Promise<{ logon: Uint8Array; acceptorLoggedOn: boolean }> {
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
    config: sessionConfig("initiator", credentials),
    hosts: [{ host: "127.0.0.1", port: acceptor.ports[0]! }],
    reconnect: { initialMs: 60_000, maxMs: 60_000, factor: 1, jitter: 0, attempts: 1 },
  });
  try {
    await initiator.start();
    const refused = () => acceptor.refusals().get("authentication") ?? 0;
    await waitFor(() => logons === 1 || refused() > 0, "logon or refusal", 10_000);
    assert.equal(refused(), 0, "the acceptor refused the Logon's credentials");
    assert.equal(logons, 1);
    assert.equal(conns.length, 1);
    return { logon: conns[0]!.written[0]!, acceptorLoggedOn: acceptor.runners()[0]!.loggedOn };
  } finally {
    await initiator.stop();
    await acceptor.stop();
  }
}

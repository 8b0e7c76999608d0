/**
 * The engine socket is the owner's only from its creation (issue 17: "file permissions 0600"): it is
 * created under umask 0177, not chmod-ed afterwards only — between Deno.listen and the chmod, a socket
 * made with the process's umask (e.g. 002: group-writable) could be connected to by another user.
 */
import assert from "node:assert/strict";
import { EngineServer } from "../../src/engine/library_server.ts";
import { Logger } from "../../src/engine/log.ts";

Deno.test("engine socket: created with mode 0600 (before any chmod), the process's umask restored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-sockmode-" });
  const socket = `${dir}/e.sock`;
  const before = Deno.umask(0o002); // group-writable files by default, as on many desktops
  const chmod = Deno.chmodSync;
  const seen: number[] = [];
  // The socket's mode as it is when the server first touches it after creating it.
  Deno.chmodSync = (path: string | URL, mode: number) => {
    if (String(path) === socket) seen.push(Deno.statSync(socket).mode! & 0o777);
    chmod(path, mode);
  };
  const server = new EngineServer({ socket, logger: new Logger({ level: "error" }) });
  try {
    await server.start();
    assert.equal(Deno.statSync(socket).mode! & 0o777, 0o600);
    // Before: 0o775 here (srwxrwxr-x: the umask's mode until the chmod).
    for (const m of seen) assert.equal(m.toString(8), "600");
    assert.equal(Deno.umask(0o002), 0o002, "the process's umask is restored");
  } finally {
    Deno.chmodSync = chmod;
    server.stop();
    Deno.umask(before);
    await Deno.remove(dir, { recursive: true });
  }
});

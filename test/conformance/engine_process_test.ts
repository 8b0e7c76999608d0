/**
 * The conformance tests' child acceptors: a port found listening must be the child's own. A second fixg
 * given a port another process holds exits; waitListening used to see the other process listening and
 * return, and the scenarios then ran against the wrong acceptor (a full-suite run: 27 fix44 reference
 * definitions failed with "connection closed by the peer" when two acceptors met on one port).
 */
import assert from "node:assert/strict";
import { type FixgProcess, listeningPort, startAcceptor, waitListening } from "./engine_process.ts";

const acceptor = (port: number) => startAcceptor("FIX.4.4", port);

Deno.test("waitListening: another process on the port is not taken for the child; listeningPort reads the kernel's port", async () => {
  const first = acceptor(0);
  let second: FixgProcess | undefined;
  try {
    const port = await listeningPort(first, 30_000);
    assert.ok(port > 0);
    second = acceptor(port);
    await assert.rejects(
      waitListening(port, 30_000, second),
      /fixg exited \d+ before listening on \d+ \(taken by another process\?\)/,
    );
  } finally {
    await second?.stop();
    await first.stop();
  }
});

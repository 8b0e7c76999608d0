/**
 * startInitiator / startAcceptor refuse a port the session cannot use, at once, with a ConfigError that
 * says what the port is for. Before, an initiator given NaN (`Number()` of a missing or mistyped
 * argument), 0 or 70000 started and retried its connection forever, a WARN "Invalid port" per attempt;
 * an acceptor threw Deno's TypeError / RangeError ("Invalid port: 1.5").
 */
import assert from "node:assert/strict";
import { ConfigError, Logger, startAcceptor, startInitiator } from "../../src/mod.ts";

const logger = new Logger({ level: "error" });

Deno.test("startInitiator: a port outside 1-65535 is a ConfigError before anything starts", async () => {
  for (const port of [NaN, 0, 70000, 1.5]) {
    await assert.rejects(
      startInitiator({ port, senderCompId: "CLIENT", targetCompId: "LP", logger }, {}),
      new ConfigError(
        `initiator CLIENT->LP: port must be a whole number from 1 to 65535 (the counterparty's port), got ${port}`,
      ),
    );
  }
});

Deno.test("startAcceptor: a port outside 0-65535 is a ConfigError; 0 still picks a free port", async () => {
  for (const port of [-1, 70000, 1.5]) {
    await assert.rejects(
      startAcceptor({ port, senderCompId: "LP", targetCompId: "CLIENT", logger }, {}),
      new ConfigError(
        `acceptor LP->CLIENT: port must be a whole number from 0 to 65535 (the port to listen on; 0: any free port), got ${port}`,
      ),
    );
  }
  const gw = await startAcceptor({ port: 0, senderCompId: "LP", targetCompId: "CLIENT", logger }, {});
  try {
    assert.ok(gw.ports[0]! > 0);
  } finally {
    await gw.stop();
  }
});

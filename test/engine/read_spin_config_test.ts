/**
 * `tuning.readSpinUs` in fixg.yaml: read into the gateway's socket tuning, and a bad value is refused naming
 * the key and the file.
 */
import assert from "node:assert/strict";
import { socketTuningFor } from "../../src/engine/build.ts";
import { checkConfig } from "../../src/engine/config.ts";

const base = {
  store: { type: "memory" },
  sessions: [{ role: "acceptor", port: 0, senderCompId: "LP", targetCompId: "C" }],
};

Deno.test("tuning.readSpinUs reaches the socket tuning; a negative value names the key and the file", () => {
  const c = checkConfig({ ...base, tuning: { readSpinUs: 2000, noDelay: true } }, "fixg.yaml");
  assert.deepEqual(socketTuningFor(c), { noDelay: true, readSpinUs: 2000 });
  assert.throws(
    () => checkConfig({ ...base, tuning: { readSpinUs: -5 } }, "fixg.yaml"),
    (e: Error) => /fixg\.yaml/.test(e.message) && /tuning\.readSpinUs/.test(e.message),
  );
});

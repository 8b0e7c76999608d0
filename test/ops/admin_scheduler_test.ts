/**
 * The admin endpoint tells time by the gateway's scheduler: /health's uptime on a gateway driven by a
 * ManualScheduler moves with that clock only (it read Date.now() against the gateway's start before).
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { MetricsRegistry } from "../../src/metrics/registry.ts";
import { AdminServer } from "../../src/ops/admin.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { http } from "./helpers.ts";

Deno.test("/health uptimeSec follows the gateway's scheduler", async () => {
  const clock = new ManualScheduler(Date.UTC(2026, 0, 5, 12, 0, 0));
  const logger = new Logger({ level: "error" });
  const gw = new Gateway({ store: new MemoryMessageStore(), app: {}, logger, scheduler: clock });
  await gw.start();
  const admin = new AdminServer(gw, {
    host: "127.0.0.1",
    port: 0,
    token: () => undefined,
    registry: new MetricsRegistry(),
    logger,
  });
  await admin.start();
  try {
    const base = `http://127.0.0.1:${admin.port}`;
    assert.equal((await http(base, "/health")).json.uptimeSec, 0);
    clock.advance(7000);
    assert.equal((await http(base, "/health")).json.uptimeSec, 7);
  } finally {
    await admin.stop();
    await gw.stop();
  }
  assert.equal(clock.pendingCount, 0);
});

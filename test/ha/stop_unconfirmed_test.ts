/**
 * A gateway stopped (SIGTERM) while its store cannot confirm the sessions' last commits — PostgreSQL
 * with its synchronous standby gone: every commit waits for ever — ends in bounded time. A runner's
 * stop ends with its session's last flush, which such a store holds; past the Logouts' time the gateway
 * closes the store, whose close gives up what it cannot confirm within its own bound (the PostgreSQL
 * store: retryMs, outcome unknown; test/store/postgres_sync_standby_test.ts) and so ends those flushes.
 * Before, stop() waited for the flush for ever and never reached the store's close.
 *
 * A memory store stand-in whose flushes hang, once told to, until the store is closed (then they
 * reject, as the PostgreSQL store's do: STORE_FAILED, outcome unknown). No database.
 */
import assert from "node:assert/strict";
import { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { FixgError } from "../../src/errors.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/session/types.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { MessageStore, SessionStore } from "../../src/store/types.ts";

/** A memory store whose session flushes hang (once `hold` is set) until close(). */
function holdingStore() {
  const inner = new MemoryMessageStore();
  const state = { hold: false, closed: 0 };
  let gone!: (e: Error) => void;
  const closed = new Promise<never>((_, rej) => (gone = rej));
  closed.catch(() => {});
  const store = new Proxy(inner, {
    get(t, k) {
      if (k === "close") {
        return async () => {
          state.closed++;
          gone(
            new FixgError("STORE_FAILED", "closed with the commit not confirmed (commit outcome unknown)"),
          );
          await t.close();
        };
      }
      if (k === "openSession") {
        return async (key: string, now: number): Promise<SessionStore> => {
          const s = await t.openSession(key, now);
          return new Proxy(s, {
            get(ts, tk) {
              if (tk === "flush") return () => state.hold ? closed : ts.flush();
              const v = Reflect.get(ts, tk);
              return typeof v === "function" ? v.bind(ts) : v;
            },
          });
        };
      }
      const v = Reflect.get(t, k);
      return typeof v === "function" ? v.bind(t) : v;
    },
  }) as MessageStore;
  return { store, state };
}

Deno.test("gateway: stop() with a store that cannot confirm the sessions' last commits ends: the store is closed after the Logouts' time", async () => {
  const { store, state } = holdingStore();
  const gw = new Gateway({ store, app: {}, logger: new Logger({ level: "error" }) });
  gw.addAcceptor({
    host: "127.0.0.1",
    port: 0,
    sessions: [{
      config: {
        ...DEFAULT_SESSION_SETTINGS,
        id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
        role: "acceptor",
        logoutTimeoutMs: 100,
      },
    }],
  });
  await gw.start();
  assert.equal(gw.runners().length, 1);
  state.hold = true;
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const how = await Promise.race([
    gw.stop().then(() => "stopped", (e) => `failed: ${e instanceof Error ? e.message : e}`),
    new Promise<string>((r) => (timer = setTimeout(() => r("stop() did not return"), 8000))),
  ]);
  clearTimeout(timer);
  const ms = performance.now() - t0;
  // The session's last flush failed (outcome unknown): stop() reports it, after closing the store.
  assert.match(how, /^failed: .*outcome unknown/);
  assert.ok(state.closed >= 1, "the store was not closed");
  assert.ok(ms < 100 + 1000 + 3000 + 1000, `stop() took ${ms} ms`);
});

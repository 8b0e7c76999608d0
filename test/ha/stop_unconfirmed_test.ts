/**
 * A gateway stopped (SIGTERM) while its store cannot confirm the sessions' last commits — PostgreSQL
 * with its synchronous standby gone: every commit waits for ever — ends in bounded time. A runner's
 * stop ends with its session's last flush, which such a store holds; past the Logouts' time the gateway
 * closes the store, whose close gives up what it cannot confirm within its own bound (the PostgreSQL
 * store: retryMs, outcome unknown; test/store/postgres_sync_standby_test.ts) and so ends those flushes.
 * Before, stop() waited for the flush for ever and never reached the store's close.
 *
 * A memory store stand-in whose flushes hang, once told to, until the store is closed (then they
 * reject, as the PostgreSQL store's do: STORE_FAILED, outcome unknown). No database; the gateway on a
 * ManualScheduler: the limit is exact and nothing waits on real time.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { FixgError } from "../../src/errors.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { MessageStore, SessionStore } from "../../src/store/types.ts";
import { startAcceptor } from "../engine/helpers.ts";

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

/** Settles the promise jobs and I/O callbacks already due (one macrotask turn), without waiting on time. */
const turn = () => new Promise<void>((r) => queueMicrotask(() => setTimeout(r, 0)));

Deno.test("gateway: stop() with a store that cannot confirm the sessions' last commits ends: the store is closed after the Logouts' time", async () => {
  const { store, state } = holdingStore();
  const clock = new ManualScheduler(Date.now());
  const gw = await startAcceptor({
    config: {
      id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
      logoutTimeoutMs: 100,
    },
    gateway: { store, scheduler: clock },
  });
  assert.equal(gw.runners().length, 1);
  state.hold = true;
  let how: string | undefined;
  void gw.stop().then(
    () => (how = "stopped"),
    (e) => (how = `failed: ${e instanceof Error ? e.message : e}`),
  );
  // The limit is the longest logout timeout (100 ms) + 4 s: however long the test waits, not before it.
  for (let i = 0; i < 5; i++) await turn();
  clock.advance(100 + 4000 - 1);
  for (let i = 0; i < 5; i++) await turn();
  assert.equal(how, undefined, "stop() returned before its limit");
  assert.equal(state.closed, 0, "the store was closed before the limit");
  clock.advance(1);
  for (let i = 0; i < 20 && how === undefined; i++) await turn();
  // The session's last flush failed (outcome unknown): stop() reports it, after closing the store.
  assert.match(how ?? "stop() did not return", /^failed: .*outcome unknown/);
  // Closed at the limit, then again by stop()'s own close after the runners (a second close is a no-op).
  assert.equal(state.closed, 2);
});

/**
 * The store contract test suite: the same behaviour asserted against every MessageStore (memory store,
 * file journal, PostgreSQL store). A factory gives a fresh store per test; stores that persist also give `reopen`.
 */
import assert from "node:assert/strict";
import type { MessageStore, SessionStore } from "../../src/store/types.ts";

/** A fresh store for one test. */
export interface StoreUnderTest {
  store: MessageStore;
  /** Closes the store and opens it again on the same data (persistent stores only). */
  reopen?: () => Promise<MessageStore>;
  /** Removes whatever the store left behind (the store is closed first by the suite). */
  cleanup: () => Promise<void>;
}

/** Makes a fresh store. */
export type StoreFactory = () => Promise<StoreUnderTest>;

const KEY_A = "FIX.4.4:TW->ISLD";
const KEY_B = "FIX.4.2:TW->ARCA#2";
const T0 = 1_700_000_000_000;

/** A small message whose bytes name the session and seq (the store must give back exactly these). */
export function msg(seq: number, tag = "A"): Uint8Array {
  return new TextEncoder().encode(`8=FIX.4.4\x019=20\x0135=D\x0134=${seq}\x0111=${tag}${seq}\x0110=000\x01`);
}

function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

async function seqsOf(s: SessionStore, from: number, to: number): Promise<number[]> {
  return (await s.getOutbound(from, to)).map((m) => m.seq);
}

/** Registers the contract tests for a store named `name`. */
export function storeContract(name: string, factory: StoreFactory, opts: { ignore?: boolean } = {}): void {
  const test = (title: string, fn: (u: StoreUnderTest) => Promise<MessageStore | void>) => {
    Deno.test({ name: `${name}: ${title}`, ignore: opts.ignore === true }, async () => {
      const u = await factory();
      let store = u.store;
      try {
        store = (await fn(u)) ?? store;
      } finally {
        await store.close();
        await u.cleanup();
      }
    });
  };

  test("a new session starts at 1/1 with the given creation time", async ({ store }) => {
    const s = await store.openSession(KEY_A, T0);
    assert.equal(s.sessionKey, KEY_A);
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 1, nextTargetSeq: 1 });
    assert.equal(s.creationTimeMs(), T0);
    assert.deepEqual(await s.getOutbound(1, 0), []);
  });

  test("appends advance both numbers; outbound messages come back exactly", async ({ store }) => {
    const s = await store.openSession(KEY_A, T0);
    for (let i = 1; i <= 5; i++) await s.appendOutbound(i, msg(i));
    await s.appendInbound(1, msg(1, "IN"));
    await s.appendInbound(2, msg(2, "IN"));
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 6, nextTargetSeq: 3 });
    const got = await s.getOutbound(2, 4);
    assert.deepEqual(got.map((m) => m.seq), [2, 3, 4]);
    assert.deepEqual(got.map((m) => text(m.bytes)), [2, 3, 4].map((i) => text(msg(i))));
    assert.deepEqual(await seqsOf(s, 1, 0), [1, 2, 3, 4, 5]);
    assert.deepEqual(await seqsOf(s, 4, 100), [4, 5]);
    assert.deepEqual(await seqsOf(s, 6, 0), []);
    assert.deepEqual(await seqsOf(s, 0, 1), [1]);
  });

  test("appends without awaiting keep their order and are all readable", async ({ store }) => {
    const s = await store.openSession(KEY_A, T0);
    for (let i = 1; i <= 300; i++) void s.appendOutbound(i, msg(i));
    await s.flush();
    const got = await s.getOutbound(1, 0);
    assert.equal(got.length, 300);
    assert.equal(text(got[299]!.bytes), text(msg(300)));
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 301, nextTargetSeq: 1 });
  });

  test("the store keeps copies: callers may reuse their buffers and change what they get", async ({ store }) => {
    const s = await store.openSession(KEY_A, T0);
    const buf = msg(1);
    await s.appendOutbound(1, buf);
    buf.fill(0x41);
    const [m] = await s.getOutbound(1, 1);
    assert.equal(text(m!.bytes), text(msg(1)));
    m!.bytes.fill(0x42);
    assert.equal(text((await s.getOutbound(1, 1))[0]!.bytes), text(msg(1)));
  });

  test("missing numbers are missing from getOutbound (the machine gap-fills them)", async ({ store }) => {
    const s = await store.openSession(KEY_A, T0);
    await s.appendOutbound(1, msg(1));
    await s.appendOutbound(2, msg(2));
    await s.setNextSenderSeq(5);
    await s.appendOutbound(5, msg(5));
    assert.deepEqual(await seqsOf(s, 1, 5), [1, 2, 5]);
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 6, nextTargetSeq: 1 });
  });

  test("set-seq moves one number and leaves the other", async ({ store }) => {
    const s = await store.openSession(KEY_A, T0);
    await s.appendOutbound(1, msg(1));
    await s.setNextTargetSeq(40);
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 2, nextTargetSeq: 40 });
    await s.setNextSenderSeq(100);
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 100, nextTargetSeq: 40 });
  });

  test("numbers set back: re-sent numbers supersede the old messages from there on", async ({ store }) => {
    const s = await store.openSession(KEY_A, T0);
    for (let i = 1; i <= 5; i++) await s.appendOutbound(i, msg(i, "OLD"));
    await s.setNextSenderSeq(3);
    await s.appendOutbound(3, msg(3, "NEW"));
    const got = await s.getOutbound(1, 0);
    assert.deepEqual(got.map((m) => m.seq), [1, 2, 3]);
    assert.equal(text(got[2]!.bytes), text(msg(3, "NEW")));
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 4, nextTargetSeq: 1 });
  });

  test("reset starts a new epoch: 1/1, new creation time, nothing of the old epoch resent", async ({ store }) => {
    const s = await store.openSession(KEY_A, T0);
    for (let i = 1; i <= 3; i++) await s.appendOutbound(i, msg(i));
    await s.appendInbound(1, msg(1));
    await s.reset(T0 + 86_400_000);
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 1, nextTargetSeq: 1 });
    assert.equal(s.creationTimeMs(), T0 + 86_400_000);
    assert.deepEqual(await s.getOutbound(1, 0), []);
    await s.appendOutbound(1, msg(1, "E2"));
    const got = await s.getOutbound(1, 0);
    assert.deepEqual(got.map((m) => text(m.bytes)), [text(msg(1, "E2"))]);
  });

  test("sessions are independent", async ({ store }) => {
    const a = await store.openSession(KEY_A, T0);
    const b = await store.openSession(KEY_B, T0 + 1);
    await a.appendOutbound(1, msg(1, "A"));
    await b.appendOutbound(1, msg(1, "B"));
    await b.appendOutbound(2, msg(2, "B"));
    await a.reset(T0 + 5);
    assert.deepEqual(a.seqNums(), { nextSenderSeq: 1, nextTargetSeq: 1 });
    assert.deepEqual(b.seqNums(), { nextSenderSeq: 3, nextTargetSeq: 1 });
    assert.deepEqual((await b.getOutbound(1, 0)).map((m) => text(m.bytes)), [
      text(msg(1, "B")),
      text(msg(2, "B")),
    ]);
    assert.equal(b.creationTimeMs(), T0 + 1);
  });

  test("a session is open once at a time; after close it reopens with its state", async ({ store }) => {
    const s = await store.openSession(KEY_A, T0);
    await s.appendOutbound(1, msg(1));
    await assert.rejects(store.openSession(KEY_A, T0), /already open/);
    await s.close();
    const again = await store.openSession(KEY_A, T0 + 999);
    assert.deepEqual(again.seqNums(), { nextSenderSeq: 2, nextTargetSeq: 1 });
    assert.equal(again.creationTimeMs(), T0);
    assert.deepEqual(await seqsOf(again, 1, 0), [1]);
  });

  test("flush resolves when nothing is pending and after appends", async ({ store }) => {
    const s = await store.openSession(KEY_A, T0);
    await s.flush();
    void s.appendOutbound(1, msg(1));
    void s.appendInbound(1, msg(1));
    await s.flush();
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 2, nextTargetSeq: 2 });
  });

  test("a reopened store has both numbers, the creation time and the messages (persistent stores)", async (u) => {
    if (u.reopen === undefined) return;
    const a = await u.store.openSession(KEY_A, T0);
    const b = await u.store.openSession(KEY_B, T0 + 7);
    for (let i = 1; i <= 20; i++) void a.appendOutbound(i, msg(i));
    for (let i = 1; i <= 7; i++) void a.appendInbound(i, msg(i, "IN"));
    await b.appendOutbound(1, msg(1, "B"));
    await b.reset(T0 + 50);
    await b.appendOutbound(1, msg(1, "B2"));
    await b.setNextTargetSeq(9);
    const store = await u.reopen();
    const a2 = await store.openSession(KEY_A, T0 + 1000);
    const b2 = await store.openSession(KEY_B, T0 + 1000);
    assert.deepEqual(a2.seqNums(), { nextSenderSeq: 21, nextTargetSeq: 8 });
    assert.equal(a2.creationTimeMs(), T0);
    const got = await a2.getOutbound(5, 7);
    assert.deepEqual(got.map((m) => text(m.bytes)), [5, 6, 7].map((i) => text(msg(i))));
    assert.deepEqual(b2.seqNums(), { nextSenderSeq: 2, nextTargetSeq: 9 });
    assert.equal(b2.creationTimeMs(), T0 + 50);
    assert.deepEqual((await b2.getOutbound(1, 0)).map((m) => text(m.bytes)), [text(msg(1, "B2"))]);
    // And it keeps going where it stopped.
    await a2.appendOutbound(21, msg(21));
    assert.deepEqual(await seqsOf(a2, 19, 0), [19, 20, 21]);
    return store;
  });
}

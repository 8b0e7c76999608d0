/**
 * What connectEngine returns (EngineLibrary) is the library's API only: sessions, claim, release, close,
 * connected. Before, its type also carried the client's plumbing (writable, submit(key, requestId, body),
 * post, whenWritable, command(c), sequence(c)): a user could write raw protocol commands past the session
 * (`engine.command({ type: "send", ... })`: no request id kept, no answer awaited). Sending, waiting and
 * the sequence commands are a claimed session's (LibrarySession). Type-level: this file must type-check.
 */
import assert from "node:assert/strict";
import type { EngineLibrary, LibrarySession } from "../../src/mod.ts";

// Never called: the checks are the @ts-expect-error lines (an unused one fails the type check).
function apiOnly(engine: EngineLibrary, session: LibrarySession): unknown[] {
  return [
    engine.sessions,
    engine.claim,
    engine.release,
    engine.close,
    engine.connected,
    session.send,
    session.submit,
    session.whenWritable,
    session.resetSequence,
    session.setSequence,
    session.logout,
    // @ts-expect-error internal
    engine.command,
    // @ts-expect-error internal
    engine.post,
    // @ts-expect-error internal
    engine.submit,
    // @ts-expect-error internal
    engine.sequence,
    // @ts-expect-error internal
    engine.writable,
    // @ts-expect-error internal
    engine.whenWritable,
  ];
}

Deno.test("EngineLibrary (connectEngine's result) types only the library's API", () => {
  assert.equal(typeof apiOnly, "function");
});

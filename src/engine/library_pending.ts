/**
 * The library's unanswered sends (library_client.ts): by session key, then request id, so neither a send
 * nor its answer builds a key string; `size` counts them all (the send window). The request ids are keyed
 * by an IdMap (src/app/id_map.ts: the hash computed in JavaScript): each SEND_RESULT's request id is a
 * string just decoded from the socket, which a `Map` would have V8 hash first (a send's set and take:
 * 232-359 ns against 420-545 ns with a `Map`, `bench/id_map.ts --pending`).
 */
import { IdMap } from "../app/id_map.ts";
import type { SendAnswer } from "./library_session.ts";

/** A `send` no one awaits the answer of: what onSendFailed needs if it is refused. */
export interface Posted {
  msgType: string;
  clOrdId: string | undefined;
}

/**
 * An unanswered send: `submit`'s (resolve) or `send`'s (`posted`: itself, so one object per send).
 */
export interface Pending {
  requestId: string;
  resolve: (a: SendAnswer) => void;
  /** A `send` (no one awaits the answer): a refusal goes to the application's onSendFailed. */
  posted?: Posted | undefined;
}

/** What PendingSends keeps a session's unanswered sends in: an IdMap (bench/id_map.ts also runs it on a Map). */
export interface RequestIdMap<V> {
  readonly size: number;
  get(requestId: string): V | undefined;
  set(requestId: string, value: V): unknown;
  delete(requestId: string): unknown;
  values(): IterableIterator<V>;
}

/** Unanswered sends by session key, then request id; `size` counts them all (the window). */
export class PendingSends {
  readonly #byKey = new Map<string, RequestIdMap<Pending>>();
  readonly #newMap: () => RequestIdMap<Pending>;
  size = 0;

  /** `newMap` makes a session's map (default an IdMap: the engine's). */
  constructor(newMap: () => RequestIdMap<Pending> = () => new IdMap<Pending>()) {
    this.#newMap = newMap;
  }

  get(key: string, requestId: string): Pending | undefined {
    return this.#byKey.get(key)?.get(requestId);
  }

  /** Adds `p` under its request id. */
  set(key: string, p: Pending): void {
    let m = this.#byKey.get(key);
    if (m === undefined) this.#byKey.set(key, m = this.#newMap());
    const n = m.size;
    m.set(p.requestId, p);
    this.size += m.size - n;
  }

  /** Removes and returns the pending send. */
  take(key: string, requestId: string): Pending | undefined {
    const m = this.#byKey.get(key);
    const p = m?.get(requestId);
    if (p !== undefined) {
      m!.delete(requestId);
      this.size--;
    }
    return p;
  }

  delete(key: string, requestId: string): void {
    this.take(key, requestId);
  }

  /** Every pending send, removed. */
  drain(): Pending[] {
    const all: Pending[] = [];
    for (const m of this.#byKey.values()) all.push(...m.values());
    this.#byKey.clear();
    this.size = 0;
    return all;
  }
}

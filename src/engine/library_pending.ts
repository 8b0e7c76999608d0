/**
 * The library's unanswered sends (library_client.ts): by session key, then request id, so neither a send
 * nor its answer builds a key string; `size` counts them all (the send window).
 */
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
  resolve: (a: SendAnswer) => void;
  /** A `send` (no one awaits the answer): a refusal goes to the application's onSendFailed. */
  posted?: Posted | undefined;
}

/** Unanswered sends by session key, then request id; `size` counts them all (the window). */
export class PendingSends {
  readonly #byKey = new Map<string, Map<string, Pending>>();
  size = 0;

  get(key: string, requestId: string): Pending | undefined {
    return this.#byKey.get(key)?.get(requestId);
  }

  set(key: string, requestId: string, p: Pending): void {
    let m = this.#byKey.get(key);
    if (m === undefined) this.#byKey.set(key, m = new Map());
    const n = m.size;
    m.set(requestId, p);
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

  /** Every pending send (request id, send), removed. */
  drain(): Array<[string, Pending]> {
    const all: Array<[string, Pending]> = [];
    for (const m of this.#byKey.values()) all.push(...m);
    this.#byKey.clear();
    this.size = 0;
    return all;
  }
}

/**
 * Failed-authentication throttling and bounded password-hash work (issue 14): a peer that keeps sending
 * wrong passwords must not cost the gateway its CPU.
 *
 * - `AuthThrottle`, as OpenSSH's per-source penalties: a few failures are free; each further one refuses
 *   that source address for twice as long as the last (1 s, 2 s, 4 s... up to a maximum) without any
 *   hashing. A claimed user name is throttled the same way (with more free failures) for addresses that
 *   have not logged on as that user before, so an attacker spread over many addresses cannot keep guessing
 *   one user's password, and cannot lock the user out of the addresses it uses. Failures are forgotten after
 *   a quiet period; the tables are bounded.
 * - `HashGate`: at most N hashes run at a time (PBKDF2 runs off the event loop, on Deno's blocking pool, but
 *   CPUs are few); waiting work is served round robin by source address, so a flood from one address
 *   delays a logon from another by at most one hash per running slot.
 */

/** Throttle settings. */
export interface AuthThrottleOptions {
  /** Failures from one address before it is refused for a while. */
  freeFailures: number;
  /** Failures for one user name (from addresses it never logged on from) before it is refused for a while. */
  freeUserFailures: number;
  /** The first refusal period, ms; each further failure doubles it. */
  basePenaltyMs: number;
  /** The longest refusal period, ms. */
  maxPenaltyMs: number;
  /** Failures are forgotten after this long without one, ms. */
  forgetMs: number;
  /** Most addresses (and user names) remembered; the oldest are forgotten first. */
  maxEntries: number;
}

/** Defaults: 3 free failures per address, 10 per user, 1 s doubling to 5 min, forgotten after 15 min. */
export const DEFAULT_AUTH_THROTTLE: AuthThrottleOptions = {
  freeFailures: 3,
  freeUserFailures: 10,
  basePenaltyMs: 1000,
  maxPenaltyMs: 300_000,
  forgetMs: 15 * 60_000,
  maxEntries: 10_000,
};

interface Record_ {
  failures: number;
  lastFailureMs: number;
  blockedUntilMs: number;
}

/** The answer of `AuthThrottle.check`. */
export type ThrottleVerdict = { allowed: true } | { allowed: false; reason: string; retryAfterMs: number };

/** Per-address and per-user failure penalties; a manual clock drives it in tests. */
export class AuthThrottle {
  #o: AuthThrottleOptions;
  readonly #byAddress = new Map<string, Record_>();
  readonly #byUser = new Map<string, Record_>();
  /** Addresses each user logged on from (exempt from that user's penalty). */
  readonly #goodAddresses = new Map<string, Set<string>>();

  constructor(options: Partial<AuthThrottleOptions> = {}) {
    this.#o = { ...DEFAULT_AUTH_THROTTLE, ...options };
  }

  /** New settings (hot reload); what is remembered stays. */
  configure(options: Partial<AuthThrottleOptions>): void {
    this.#o = { ...DEFAULT_AUTH_THROTTLE, ...options };
  }

  /** Addresses and users remembered (bounded by maxEntries each). */
  get size(): { addresses: number; users: number } {
    return { addresses: this.#byAddress.size, users: this.#byUser.size };
  }

  /** May `address` try to log on as `user` now? (No hashing happens when it may not.) */
  check(address: string, user: string | undefined, nowMs: number): ThrottleVerdict {
    const a = this.#live(this.#byAddress, address, nowMs);
    if (a && nowMs < a.blockedUntilMs) {
      return {
        allowed: false,
        reason: `too many failed logons from ${address}; refused for ${secs(a.blockedUntilMs - nowMs)}`,
        retryAfterMs: a.blockedUntilMs - nowMs,
      };
    }
    if (user !== undefined && user !== "" && !this.#goodAddresses.get(user)?.has(address)) {
      const u = this.#live(this.#byUser, user, nowMs);
      if (u && nowMs < u.blockedUntilMs) {
        return {
          allowed: false,
          reason: `too many failed logons for this user name; refused for ${secs(u.blockedUntilMs - nowMs)}`,
          retryAfterMs: u.blockedUntilMs - nowMs,
        };
      }
    }
    return { allowed: true };
  }

  /** A failed authentication. */
  failure(address: string, user: string | undefined, nowMs: number): void {
    this.#fail(this.#byAddress, address, this.#o.freeFailures, nowMs);
    if (user !== undefined && user !== "" && !this.#goodAddresses.get(user)?.has(address)) {
      this.#fail(this.#byUser, user, this.#o.freeUserFailures, nowMs);
    }
  }

  /** A successful authentication: the address is cleared and becomes known for the user. */
  success(address: string, user: string | undefined, _nowMs: number): void {
    this.#byAddress.delete(address);
    if (user === undefined || user === "") return;
    let good = this.#goodAddresses.get(user);
    if (!good) {
      if (this.#goodAddresses.size >= this.#o.maxEntries) {
        this.#goodAddresses.delete(this.#goodAddresses.keys().next().value!);
      }
      good = new Set();
      this.#goodAddresses.set(user, good);
    }
    if (good.size >= 64) good.delete(good.values().next().value!);
    good.add(address);
  }

  #live(m: Map<string, Record_>, k: string, nowMs: number): Record_ | undefined {
    const r = m.get(k);
    if (r && nowMs - r.lastFailureMs > this.#o.forgetMs && nowMs >= r.blockedUntilMs) {
      m.delete(k);
      return undefined;
    }
    return r;
  }

  #fail(m: Map<string, Record_>, k: string, free: number, nowMs: number): void {
    let r = this.#live(m, k, nowMs);
    if (!r) {
      if (m.size >= this.#o.maxEntries) m.delete(m.keys().next().value!);
      r = { failures: 0, lastFailureMs: nowMs, blockedUntilMs: 0 };
      m.set(k, r);
    }
    r.failures++;
    r.lastFailureMs = nowMs;
    if (r.failures > free) {
      const penalty = Math.min(this.#o.maxPenaltyMs, this.#o.basePenaltyMs * 2 ** (r.failures - free - 1));
      r.blockedUntilMs = Math.max(r.blockedUntilMs, nowMs + penalty);
    }
  }
}

function secs(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

/** Runs at most `max` tasks at a time; waiting tasks are served round robin by key (source address). */
export class HashGate {
  #max: number;
  #running = 0;
  readonly #waiting = new Map<string, Array<() => void>>();
  #queued = 0;

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** Changes the number of slots (hot reload). */
  setMax(max: number): void {
    this.#max = Math.max(1, max);
    this.#next();
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.#queued;
  }

  /** Runs `task` when a slot is free and it is `key`'s turn. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#max || this.#queued > 0) {
      await new Promise<void>((resolve) => {
        const q = this.#waiting.get(key);
        if (q) q.push(resolve);
        else this.#waiting.set(key, [resolve]);
        this.#queued++;
      });
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      this.#running--;
      this.#next();
    }
  }

  #next(): void {
    while (this.#running < this.#max && this.#queued > 0) {
      // The first key in the map has waited longest for its turn; after its turn it goes to the back.
      const [key, q] = this.#waiting.entries().next().value!;
      const resolve = q.shift()!;
      this.#waiting.delete(key);
      if (q.length > 0) this.#waiting.set(key, q);
      this.#queued--;
      this.#running++;
      resolve();
    }
  }
}

/**
 * A cluster's store with no database, for Cluster tests on a ManualScheduler: node A's ClusterStore whose
 * control connection answers the cluster's statements from the test.
 */
import type { ClusterStore, ControlRow } from "../../src/store/cluster_store.ts";

/**
 * Node A's ClusterStore (app name fixg:A:test, no lease callbacks yet). Each statement of its control
 * connection, its whitespace folded to single spaces, goes to `answer` first; where that returns
 * undefined, a renewal of leases (update sessions x set lease_until = now() + ...) answers every key it
 * renews, anything else no rows.
 */
export function fakeClusterStore(
  answer: (statement: string, params: unknown[]) => Promise<ControlRow[]> | undefined,
): ClusterStore {
  return {
    appName: "fixg:A:test",
    leaseValid: undefined,
    leases: undefined,
    onSessionFailed: undefined,
    t: (name: string) => name,
    claim: () => {},
    control: {
      unsafe(q: string, p: unknown[] = []): Promise<ControlRow[]> {
        const s = q.replace(/\s+/g, " ").trim();
        const answered = answer(s, p);
        if (answered !== undefined) return answered;
        if (s.startsWith("update sessions x set lease_until = now() +")) {
          return Promise.resolve((p[1] as string[]).map((k) => ({ session_key: k })));
        }
        return Promise.resolve([]);
      },
    },
  } as unknown as ClusterStore;
}

/** Lets the promise callbacks of the rounds run: 20 microtask turns (no timer: the clock is manual). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/**
 * The store factory: opens a store from its options keyed by `type` (fixg.yaml's `store.type`). The
 * engine builds the options from its config and calls this; it names no store class, and reaches the
 * cluster's part of a store through its interface (cluster_store.ts).
 */
import type { ClusterStore } from "./cluster_store.ts";
import { FileJournal } from "./journal.ts";
import type { FileJournalOptions } from "./journal_options.ts";
import { MemoryMessageStore } from "./memory_store.ts";
import { openPostgresStore, type PostgresStoreOptions } from "./postgres.ts";
import type { MessageStore } from "./types.ts";

/** A store to open: its type and that type's options. */
export type StoreSpec =
  | { type: "memory" }
  | ({ type: "file" } & FileJournalOptions)
  | ({ type: "postgres" } & PostgresStoreOptions);

type Openers = { [T in StoreSpec["type"]]: (spec: Extract<StoreSpec, { type: T }>) => Promise<MessageStore> };

const OPENERS: Openers = {
  memory: () => Promise.resolve(new MemoryMessageStore()),
  file: (spec) => FileJournal.open(spec),
  postgres: async (spec) => {
    // The PostgreSQL store is the one a cluster shares (checked here, where its class is named).
    const store: ClusterStore = await openPostgresStore(spec);
    return store;
  },
};

/** Opens the store `spec` describes (a file journal's directory or a database is created when missing). */
export function openStoreOf(spec: StoreSpec): Promise<MessageStore> {
  return (OPENERS[spec.type] as (spec: StoreSpec) => Promise<MessageStore>)(spec);
}

/** The store contract against the file journal, under each fsync policy and with tiny segments. */
import { FileJournal, type FileJournalOptions } from "../../src/store/journal.ts";
import { storeContract } from "./contract.ts";

function journalFactory(options: Omit<FileJournalOptions, "dir">) {
  return async () => {
    const dir = await Deno.makeTempDir({ prefix: "fixg-journal-contract-" });
    const warnings: string[] = [];
    const open = () => FileJournal.open({ ...options, dir, onWarning: (m) => warnings.push(m) });
    let store = await open();
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await open();
        return store;
      },
      cleanup: () => Deno.remove(dir, { recursive: true }),
    };
  };
}

storeContract("journal fsync=batch", journalFactory({ fsync: "batch" }));
storeContract("journal fsync=always", journalFactory({ fsync: "always" }));
storeContract("journal fsync=none", journalFactory({ fsync: "none", batchMessages: 7 }));
storeContract(
  "journal 4 KiB segments",
  journalFactory({ fsync: "batch", segmentBytes: 4096, batchMessages: 3 }),
);

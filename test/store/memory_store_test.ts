/** The store contract against the memory store. */
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { storeContract } from "./contract.ts";

storeContract(
  "memory store",
  () => Promise.resolve({ store: new MemoryMessageStore(), cleanup: () => Promise.resolve() }),
);

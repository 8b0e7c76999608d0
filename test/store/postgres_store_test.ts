/** The store contract and the fencing / group-commit behaviour of the PostgreSQL store. */
import assert from "node:assert/strict";
import { openPostgresStore } from "../../src/store/postgres.ts";
import { msg, storeContract } from "./contract.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

const ignore = PG_MISSING !== undefined;

storeContract("postgres store", async () => {
  const schema = freshSchema();
  const store = await openPostgresStore({ url: PG_URL!, schema });
  return {
    store,
    reopen: async () => {
      await store.close();
      return await openPostgresStore({ url: PG_URL!, schema });
    },
    cleanup: () => dropSchema(schema),
  };
}, { ignore });

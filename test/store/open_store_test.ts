/**
 * The store factory (src/store/open.ts) opens each store type from its options, and the cluster's seam
 * (src/store/cluster_store.ts) finds a ClusterStore only in the store a cluster can share: the engine
 * (src/engine/build.ts) starts a cluster through these two and names no store class.
 */
import assert from "node:assert/strict";
import { clusterStoreOf } from "../../src/store/cluster_store.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { openStoreOf } from "../../src/store/open.ts";
import { PostgresMessageStore } from "../../src/store/postgres.ts";
import { dropSchema, freshSchema, PG_MISSING, PG_URL } from "./pg_helpers.ts";

Deno.test("openStoreOf: memory and file stores by type; neither is a ClusterStore", async () => {
  const memory = await openStoreOf({ type: "memory" });
  assert.ok(memory instanceof MemoryMessageStore);
  assert.equal(clusterStoreOf(memory), undefined);
  await memory.close();
  const dir = await Deno.makeTempDir();
  try {
    const file = await openStoreOf({ type: "file", dir, fsync: "none", segmentBytes: 65_536 });
    assert.ok(file instanceof FileJournal);
    assert.equal(clusterStoreOf(file), undefined);
    const s = await file.openSession("FIX.4.4:A->B", 0);
    assert.deepEqual(s.seqNums(), { nextSenderSeq: 1, nextTargetSeq: 1 });
    await file.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "openStoreOf: a postgres store by type, with its options; it is the ClusterStore a cluster shares",
  ignore: PG_MISSING !== undefined,
}, async () => {
  const schema = freshSchema();
  const store = await openStoreOf({
    type: "postgres",
    url: PG_URL!,
    schema,
    nodeId: "N1",
    maxConnections: 2,
  });
  try {
    assert.ok(store instanceof PostgresMessageStore);
    assert.equal(store.schema, schema);
    assert.equal(store.nodeId, "N1");
    const cs = clusterStoreOf(store);
    assert.equal(cs, store);
    assert.equal(cs!.t("sessions"), `"${schema}"."sessions"`);
    const rows = await cs!.control.unsafe(`select count(*)::int as n from ${cs!.t("members")}`);
    assert.deepEqual(rows.map((r) => r.n), [0]);
  } finally {
    await store.close();
    await dropSchema(schema);
  }
});

import assert from "node:assert/strict";
import { loadBenchFile } from "../../src/bench/options.ts";
import { ConfigError } from "../../src/errors.ts";

Deno.test("bench.yaml symbols: a built-in name fills in what is left out; another needs price and tickSize", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ok = `${dir}/ok.yaml`;
    await Deno.writeTextFile(ok, "symbols:\n  - symbol: ZZZ\n    price: 10\n    tickSize: 0.5\n");
    const r = await loadBenchFile(ok);
    assert.deepEqual(r.symbols, [{
      symbol: "ZZZ",
      price: 10,
      tickSize: 0.5,
      minQty: 1,
      maxQty: 100,
      lotSize: 1,
    }]);
    const bad = `${dir}/bad.yaml`;
    await Deno.writeTextFile(bad, "symbols:\n  - symbol: ZZZ\n    price: 10\n");
    await assert.rejects(loadBenchFile(bad), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message, `${bad}: symbols[0].tickSize: required for "ZZZ" (not built in)`);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import {
  checkLayers,
  type Edge,
  EXCEPTIONS,
  folderCycles,
  type LayerException,
  layerOf,
  repositoryEdges,
  ruleBroken,
} from "../../scripts/check_layers.ts";

const edge = (from: string, to: string, typeOnly = false): Edge => ({ from, to, typeOnly });

Deno.test("layerOf: folders of src/, commands, main.ts and src/mod.ts; others are not checked", () => {
  assert.equal(layerOf("src/engine/gateway.ts"), "engine");
  assert.equal(layerOf("src/ops/flow/open_orders.ts"), "ops");
  assert.equal(layerOf("src/errors.ts"), "errors");
  assert.equal(layerOf("src/mod.ts"), "mod");
  assert.equal(layerOf("commands/run.ts"), "commands");
  assert.equal(layerOf("main.ts"), "main");
  assert.equal(layerOf("test/x_test.ts"), undefined);
});

Deno.test("ruleBroken: imports go down the layers; side folders; app", () => {
  assert.equal(ruleBroken(edge("src/session/machine.ts", "src/codec/view.ts")), undefined);
  assert.equal(ruleBroken(edge("src/engine/gateway.ts", "src/store/types.ts", true)), undefined);
  assert.equal(ruleBroken(edge("main.ts", "commands/run.ts")), undefined);
  assert.equal(
    ruleBroken(edge("src/codec/view.ts", "src/session/types.ts", true)),
    "codec (rank 1) may not import session (rank 3): imports go down the layers",
  );
  assert.equal(
    ruleBroken(edge("src/session/machine.ts", "src/store/types.ts", true)),
    "session (rank 3) may not import store (rank 5): imports go down the layers",
  );
  assert.equal(
    ruleBroken(edge("src/transport/tcp.ts", "src/sys/socket.ts")),
    "transport may import only errors, version and codec",
  );
  assert.equal(ruleBroken(edge("src/store/reader.ts", "src/codec/ascii.ts")), undefined);
  assert.equal(
    ruleBroken(edge("src/store/journal.ts", "src/dictionary/model.ts", true)),
    "store may import only errors, version and codec",
  );
  assert.equal(
    ruleBroken(edge("src/app/lp/simulator.ts", "src/transport/tcp.ts")),
    "app never imports engine or transport",
  );
  assert.equal(
    ruleBroken(edge("src/app/orders/x.ts", "src/engine/gateway.ts")),
    "app never imports engine or transport",
  );
  assert.match(ruleBroken(edge("src/codec/x.ts", "src/newfolder/y.ts"))!, /newfolder is not a known layer/);
  // Inside one folder anything goes; files outside the checked code are ignored.
  assert.equal(ruleBroken(edge("src/engine/a.ts", "src/engine/b.ts")), undefined);
  assert.equal(ruleBroken(edge("test/a.ts", "src/engine/b.ts")), undefined);
  assert.equal(
    ruleBroken(edge("src/dictionary/x.ts", "scripts/gen_messages.ts")),
    "dictionary imports scripts/gen_messages.ts, outside src/, commands/ and main.ts",
  );
});

Deno.test("checkLayers fails on a synthetic bad graph, tolerates listed exceptions, reports stale ones", () => {
  const exceptions: LayerException[] = [
    { from: "src/engine/", to: "src/ops/flow/", why: "w", removedBy: "r" },
    { from: "src/transport/spin.ts", to: "src/sys/", why: "w", removedBy: "r" },
    { from: "src/codec/gone.ts", to: "src/session/x.ts", why: "w", removedBy: "r" },
  ];
  const edges = [
    edge("main.ts", "commands/run.ts"),
    edge("commands/run.ts", "src/engine/gateway.ts"),
    edge("src/engine/gateway.ts", "src/session/machine.ts"),
    edge("src/engine/runner.ts", "src/ops/flow/queue.ts"), // excepted
    edge("src/ops/flow/queue.ts", "src/engine/runner.ts", true),
    edge("src/transport/spin.ts", "src/sys/libc.ts"), // excepted
    edge("src/transport/tcp.ts", "src/sys/socket.ts"), // new: not excepted (another file)
    edge("src/session/state.ts", "src/engine/gateway.ts", true), // new violation, and a cycle engine <-> session
  ];
  const r = checkLayers(edges, exceptions);
  assert.deepEqual(r.violations.map((v) => `${v.edge.from} -> ${v.edge.to}`), [
    "src/transport/tcp.ts -> src/sys/socket.ts",
    "src/session/state.ts -> src/engine/gateway.ts",
  ]);
  assert.deepEqual(r.excepted.map((v) => v.edge.from), ["src/engine/runner.ts", "src/transport/spin.ts"]);
  assert.deepEqual(r.stale, [exceptions[2]]);
  // The engine <-> ops cycle goes through an excepted edge; engine <-> session does not.
  assert.deepEqual(r.cycles, [["engine", "session", "engine"]]);

  const clean = checkLayers(
    edges.filter((e) => e.from !== "src/session/state.ts" && e.from !== "src/transport/tcp.ts"),
    exceptions,
  );
  assert.equal(clean.violations.length, 0);
  assert.equal(clean.cycles.length, 0);
});

Deno.test("folderCycles finds each cycle once", () => {
  const cycles = folderCycles([
    edge("src/a/x.ts", "src/b/x.ts"),
    edge("src/b/x.ts", "src/c/x.ts"),
    edge("src/c/x.ts", "src/a/x.ts"),
    edge("src/c/y.ts", "src/b/y.ts"),
  ]);
  assert.deepEqual(cycles, [["a", "b", "c", "a"], ["b", "c", "b"]]);
});

Deno.test("the repository's import graph keeps the layers (only the listed exceptions)", async () => {
  const edges = await repositoryEdges(new URL("../../", import.meta.url), ["main.ts", "src/mod.ts"]);
  assert.ok(edges.length > 100, `only ${edges.length} imports found`);
  const r = checkLayers(edges, EXCEPTIONS);
  assert.deepEqual(r.violations.map((v) => `${v.edge.from} -> ${v.edge.to}: ${v.rule}`), []);
  assert.deepEqual(r.cycles, []);
  for (const e of EXCEPTIONS) {
    assert.ok(
      e.why.length > 10 && e.removedBy.length > 10,
      `exception ${e.from} -> ${e.to} says why and what removes it`,
    );
  }
});

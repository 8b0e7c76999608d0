/**
 * `risk:` in fixg.yaml: order entry over a limit is refused before it reaches the wire (`send` answers refused
 * naming the check), counted, and a hot reload changes the limits mid-session; a bad risk section is
 * rejected whole with file and key.
 */
import assert from "node:assert/strict";
import { type Field, type MessageView, Tag } from "../../src/codec/mod.ts";
import type { Application, SendResult, SessionHandle } from "../../src/engine/application.ts";
import { buildGateway } from "../../src/engine/build.ts";
import { loadConfig } from "../../src/engine/config.ts";
import { NewOrderSingle } from "../../src/dictionary/generated/fix44.ts";
import { Operations } from "../../src/ops/operations.ts";
import { waitFor } from "../engine/helpers.ts";
import { LogCapture, lpApp, startGateway } from "./helpers.ts";

/** The reason of a refused send, else its kind. */
const refusal = (r: SendResult) => r.kind === "refused" ? r.reason : r.kind;

function order(id: string, qty: number, price?: number): { msgType: string; fields: Field[] } {
  const fields: Field[] = [
    [Tag.ClOrdID, id],
    [Tag.Symbol, "IBM"],
    [Tag.Side, "1"],
    [60, "20260105-12:00:00.000"],
    [38, qty],
    [40, price === undefined ? "1" : "2"],
  ];
  if (price !== undefined) fields.push([44, price]);
  return { msgType: "D", fields };
}

function initiatorYaml(port: number, risk: string): string {
  return `store: { type: memory }
sessions:
  - role: initiator
    host: 127.0.0.1
    port: ${port}
    senderCompId: TW
    targetCompId: ISLD
${risk}reload: { watch: false }
`;
}

/** The counterparty: an acceptor ISLD for TW on a free port with `app`. */
function startVenue(app: Application) {
  return startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
`,
    { logger: new LogCapture().logger("error"), app },
  );
}

Deno.test("risk limits from fixg.yaml refuse order entry before the wire, count it, and change on hot reload", async () => {
  const venue = await startVenue(lpApp());
  const port = venue.gw.ports[0]!;
  const dir = await Deno.makeTempDir({ prefix: "fixg-risk-" });
  const file = `${dir}/fixg.yaml`;
  await Deno.writeTextFile(
    file,
    initiatorYaml(
      port,
      "    risk: { maxOrderQty: 500, maxNotional: 20000, allowedSymbols: [IBM], circuitBreaker: { enabled: false } }\n",
    ),
  );
  const logs = new LogCapture();
  const logger = logs.logger("info");
  const config = await loadConfig(file);
  const gw = await buildGateway(config, { logger, app: lpApp() });
  await gw.start();
  const ops = await Operations.start(gw, { config, logger, load: () => loadConfig(file), signals: false });
  const client = gw.runners()[0]!;
  try {
    await waitFor(() => client.loggedOn, "logged on");
    assert.equal(client.riskLimits?.maxOrderQty, 500);
    assert.equal(client.riskLimits?.circuitBreaker, undefined, "circuitBreaker.enabled: false");

    client.send(order("ok1", 100, 150));
    assert.deepEqual(client.send(order("big1", 1000, 10)), {
      kind: "refused",
      reason: "35=D refused on FIX.4.4:TW->ISLD: risk check quantity: OrderQty 1000 exceeds the limit 500",
      cause: "filter",
    });
    assert.match(
      refusal(client.send(order("rich1", 200, 150))),
      /risk check notional: notional 30000 exceeds the limit 20000/,
    );
    // A market order has no price to value it at the gateway: with maxNotional set it is refused.
    assert.match(refusal(client.send(order("mkt1", 10))), /risk check notional: no reference price for IBM/);
    await waitFor(() => client.orders.open().length === 1, "the order within the limits acknowledged");
    assert.deepEqual([client.counters.ordersRefused, client.counters.riskRefusals], [3, 3]);
    assert.equal(client.counters.outByType.get("D"), 1, "nothing refused reached the wire");
    assert.equal(logs.grep(/risk check|refused \(quantity\)/).length >= 1, true);

    // Hot reload: a higher limit applies to the next order, the session carries on.
    await Deno.writeTextFile(
      file,
      initiatorYaml(port, "    risk: { maxOrderQty: 5000, circuitBreaker: { enabled: false } }\n"),
    );
    const o = await ops.reload("test");
    assert.equal(o.ok, true, o.error);
    assert.deepEqual(o.applied, ["sessions[0] (FIX.4.4:TW->ISLD): risk"]);
    assert.equal(client.riskLimits?.maxOrderQty, 5000);
    client.send(order("big2", 1000, 10));
    await waitFor(() => client.orders.open().length === 2, "the larger order acknowledged");
    assert.equal(client.loggedOn, true);

    // A bad risk section is rejected whole, naming file and key; the limits in force stay.
    await Deno.writeTextFile(file, initiatorYaml(port, "    risk: { burst: 3 }\n"));
    const bad = await ops.reload("test");
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /fixg\.yaml: sessions\[0\]\.risk\.burst: needs ordersPerSecond/);
    assert.equal(client.riskLimits?.maxOrderQty, 5000);
    await Deno.writeTextFile(file, initiatorYaml(port, "    risk: { maxOpenOrders: 0 }\n"));
    const bad2 = await ops.reload("test");
    assert.match(bad2.error!, /fixg\.yaml: sessions\[0\]\.risk\.maxOpenOrders: 0 is below the minimum 1/);

    // Removing the section removes the limits.
    await Deno.writeTextFile(file, initiatorYaml(port, ""));
    assert.equal((await ops.reload("test")).ok, true);
    assert.equal(client.riskLimits, undefined);
    client.send(order("big3", 100000, 10));
    await waitFor(() => client.orders.open().length === 3, "no limit any more");
  } finally {
    await ops.stop();
    await gw.stop();
    await venue.gw.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A venue that rejects every order (ExecutionReport 150=8, 39=8). */
function rejectApp(): Application {
  let exec = 0;
  return {
    onMessage(v: MessageView, s: SessionHandle) {
      if (v.msgType !== "D") return;
      const id = v.getString(Tag.ClOrdID) ?? "?";
      s.send({
        msgType: "8",
        fields: [
          [Tag.OrderID, "NONE"],
          [Tag.ClOrdID, id],
          [17, `R${++exec}`],
          [150, "8"],
          [39, "8"],
          [Tag.Symbol, v.getString(Tag.Symbol) ?? "IBM"],
          [Tag.Side, v.getString(Tag.Side) ?? "1"],
          [151, 0],
          [14, 0],
          [6, 0],
          [58, "Credit limit exceeded"],
        ],
      });
    },
  };
}

Deno.test("risk circuit breaker from fixg.yaml: more rejects than allowed stop new orders until the kill-switch reset", async () => {
  const venue = await startVenue(rejectApp());
  const dir = await Deno.makeTempDir({ prefix: "fixg-risk-" });
  const file = `${dir}/fixg.yaml`;
  await Deno.writeTextFile(
    file,
    initiatorYaml(venue.gw.ports[0]!, "    risk: { circuitBreaker: { maxRejects: 1, windowMs: 60000 } }\n"),
  );
  const config = await loadConfig(file);
  const gw = await buildGateway(config, { logger: new LogCapture().logger("error"), app: lpApp() });
  await gw.start();
  const client = gw.runners()[0]!;
  try {
    await waitFor(() => client.loggedOn, "logged on");
    // Two rejects trip a breaker that allows one.
    for (const id of ["r1", "r2"]) client.send(order(id, 10, 1));
    await waitFor(() => client.counters.riskRejectsSeen === 2, "two rejects seen");
    assert.match(
      refusal(client.send(order("n1", 10, 1))),
      /risk check circuit-breaker: circuit breaker open: 2 rejects/,
    );
    assert.equal(client.counters.outByType.get("D"), 2, "the refused order never left");
    gw.releaseKillSwitch(); // the operator's kill-switch reset (POST /kill-switch/reset) also closes the breaker
    client.send(order("n2", 10, 1));
    await waitFor(() => client.counters.riskRejectsSeen === 3, "orders flow again (and are rejected again)");
    assert.equal(client.counters.outByType.get("D"), 3);
  } finally {
    await gw.stop();
    await venue.gw.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("risk limits and order tracking read a builder's message without making its field list (its encoding fast path stays)", async () => {
  const venue = await startVenue(lpApp());
  const dir = await Deno.makeTempDir({ prefix: "fixg-risk-" });
  const file = `${dir}/fixg.yaml`;
  await Deno.writeTextFile(
    file,
    initiatorYaml(venue.gw.ports[0]!, "    risk: { maxOrderQty: 500, circuitBreaker: { enabled: false } }\n"),
  );
  const gw = await buildGateway(await loadConfig(file), {
    logger: new LogCapture().logger("error"),
    app: lpApp(),
  });
  await gw.start();
  const client = gw.runners()[0]!;
  const nos = (clOrdId: string, orderQty: number) =>
    NewOrderSingle.build({
      clOrdID: clOrdId,
      symbol: "IBM",
      side: "1",
      transactTime: 0,
      orderQty,
      ordType: "2",
      price: 10,
    });
  try {
    await waitFor(() => client.loggedOn, "logged on");
    assert.match(
      refusal(client.send(nos("big", 1000))),
      /risk check quantity: OrderQty 1000 exceeds the limit 500/,
    );
    const ok = nos("ok", 100);
    client.send(ok);
    await waitFor(() => client.orders.open().length === 1, "the order within the limit acknowledged");
    // Its field list was never made: risk check, order tracking and encoder all read the builder's data.
    assert.equal(ok.writeBody!({ field: () => 0, timestamp: () => 0 }), true);
    assert.equal(client.counters.riskRefusals, 1);
  } finally {
    await gw.stop();
    await venue.gw.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** fixg.yaml's `risk:` is checked by the same schema fields as the library's risk limits (app/orders/risk.ts). */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/engine/config.ts";
import { ConfigError } from "../../src/errors.ts";

const yaml = (risk: string) =>
  `sessions:\n  - role: acceptor\n    senderCompId: A\n    targetCompId: B\n    port: 0\n    risk:\n${risk}`;

Deno.test("fixg.yaml risk: times, zones and limits are checked when the config is read, as the library checks them", () => {
  const bad: [string, string][] = [
    [
      "      tradingHours: { start: '25:00', end: '17:00' }\n",
      'f.yaml: sessions[0].risk.tradingHours.start: must be a time "HH:MM"',
    ],
    [
      "      tradingHours: { start: '08:00', end: '17:00', timeZone: Mars/Base }\n",
      'f.yaml: sessions[0].risk.tradingHours.timeZone: unknown time zone "Mars/Base"',
    ],
    ["      maxOrderQty: 0\n", "f.yaml: sessions[0].risk.maxOrderQty: 0 is not above 0"],
    ["      priceCollar: { percent: 5 }\n", "f.yaml: sessions[0].risk.priceCollar: unknown key"],
  ];
  for (const [risk, message] of bad) {
    assert.throws(() => parseConfig(yaml(risk), "f.yaml", () => undefined), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.ok(e.message.startsWith(message), `${e.message} should start with ${message}`);
      return true;
    });
  }
  const ok = parseConfig(
    yaml("      allowedSymbols: [0012, AAPL]\n      maxOrderQty: 500\n"),
    "f.yaml",
    () => undefined,
  );
  const risk = (ok.raw.sessions as Array<Record<string, unknown>>)[0]!.risk;
  assert.deepEqual(risk, { allowedSymbols: ["0012", "AAPL"], maxOrderQty: 500 });
});

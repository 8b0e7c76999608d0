// One-process engine throughput: an initiator sends NewOrderSingles pipelined to an echo acceptor over
// loopback TCP and counts echoed round trips per second. Run: ./deno run -A bench/engine_tput.ts [N]
import { startAcceptor, startInitiator, Tag } from "../src/mod.ts";
import { echoApp } from "../src/engine/apps/echo.ts";
import { setImmediate } from "node:timers";
const N = Number(Deno.args[0] ?? 100000);
const acc = await startAcceptor(
  { port: 0, senderCompId: "ISLD", targetCompId: "TW", checkLatency: false },
  echoApp(),
);
let got = 0, t0 = 0;
let done!: () => void;
const fin = new Promise<void>((r) => done = r);
const ini = await startInitiator({ port: acc.ports[0]!, senderCompId: "TW", targetCompId: "ISLD" }, {
  async onLogon(s) {
    t0 = performance.now();
    let i = 0;
    while (i < N) {
      const r = s.send({
        msgType: "D",
        fields: [
          [Tag.ClOrdID, `o${i}`],
          [Tag.HandlInst, "1"],
          [Tag.Symbol, "IBM"],
          [Tag.Side, "1"],
          [Tag.TransactTime, "20260105-12:00:00.000"],
          [Tag.OrdType, "1"],
          [Tag.OrderQty, 100],
        ],
      });
      if (r.kind === "back-pressure") {
        await s.whenWritable();
        continue;
      }
      i++;
      // Yield like the bench client (setImmediate: setTimeout would add timer granularity to the figure).
      if (i % 256 === 0) await new Promise((r) => setImmediate(r));
    }
  },
  onMessage() {
    if (++got === N) done();
  },
});
await fin;
const dt = performance.now() - t0;
console.log(`${N} round trips in ${dt.toFixed(0)} ms: ${(N / dt * 1000).toFixed(0)}/s`);
await ini.stop();
await acc.stop();

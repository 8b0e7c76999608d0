/**
 * A gateway process of an HA test: a cluster member on the PostgreSQL store, run from a fixg.yaml
 * (argument 1). Once its session is logged on it sends NewOrderSingles (ClOrdID `<nodeId>-<n>`) at
 * `rate`/s until it has sent `orders` (arguments 2 and 3), and prints one JSON line per event on
 * stdout: {"ev":"logon"|"acked"|"sent-all"|"lease"|"not-sent"|"settled", ...}. SIGTERM: graceful stop,
 * exit 0; the last line ("stopped") lists the ClOrdIDs handed to the session (`given`), acknowledged
 * (`ackedIds`, one entry per ack) and reported not sent (`notSent`, Application.onSendFailed).
 */
import { buildGateway } from "../../src/engine/build.ts";
import { loadConfig } from "../../src/engine/config.ts";
import { Tag } from "../../src/mod.ts";
import type { SessionHandle } from "../../src/engine/application.ts";
import { haOrder } from "../../bench/_lib/ha.ts";

const [file, ordersArg, rateArg] = Deno.args;
const config = await loadConfig(file!);
const total = Number(ordersArg ?? 0);
const rate = Number(rateArg ?? 1000);
const node = config.cluster?.nodeId ?? "solo";
const out = (o: Record<string, unknown>) => console.log(JSON.stringify({ ...o, node, t: Date.now() }));

let sent = 0;
let acked = 0;
let sending = false;
/** ClOrdIDs that send() took (numbered or queued), acknowledged (once per ack), reported not sent. */
const given: string[] = [];
const ackedIds: string[] = [];
const notSent: string[] = [];
/** "settled": every order handed to the session was acknowledged or reported not sent (after sent-all). */
let settled = false;
const settle = () => {
  if (
    !settled && sent >= total && given.length > 0 && new Set([...ackedIds, ...notSent]).size >= given.length
  ) {
    settled = true;
    out({ ev: "settled", acked, notSent: notSent.length });
  }
};

async function sendOrders(s: SessionHandle): Promise<void> {
  if (sending) return;
  sending = true;
  const perTick = Math.max(1, Math.round(rate / 100));
  while (sent < total && s.loggedOn) {
    for (let i = 0; i < perTick && sent < total; i++) {
      const id = `${node}-${sent + 1}`;
      const r = s.send(haOrder(id, true));
      if (r.kind === "refused") break; // the session stopped (its store failed): not handed over
      if (r.kind === "back-pressure") {
        await s.whenWritable();
        break;
      }
      // Handed to the session: numbered now (sent) or queued to be numbered when it leaves.
      given.push(id);
      sent++;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  sending = false;
  if (sent >= total) {
    out({ ev: "sent-all", sent, given: given.length });
    settle();
  }
}

const gw = await buildGateway(config, {
  app: {
    onLogon(s) {
      out({ ev: "logon" });
      void sendOrders(s);
    },
    onMessage(view) {
      if (view.msgType === "8" && view.getString(Tag.ExecType) === "0") {
        acked++;
        ackedIds.push(view.getString(Tag.ClOrdID) ?? "");
        if (acked % 100 === 0) out({ ev: "acked", acked });
        settle();
      }
    },
    onSendFailed(info) {
      if (info.clOrdId !== undefined) notSent.push(info.clOrdId);
      out({
        ev: "not-sent",
        seq: info.seq,
        msgType: info.msgType,
        clOrdId: info.clOrdId,
        reason: info.reason,
      });
      settle();
    },
  },
});
await gw.start();
out({ ev: "started" });
const stop = async () => {
  await gw.stop().catch(() => {});
  out({ ev: "stopped", sent, acked, given, ackedIds, notSent });
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", () => void stop());

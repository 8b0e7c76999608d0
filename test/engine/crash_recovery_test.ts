/**
 * Issue 4's fault test through live processes: a journaled client is killed with SIGKILL in the middle
 * of a burst of orders and restarted; with the LP still up, every order is received by the LP once and
 * acknowledged to the client, through the session's resend and PossDup handling.
 */
import assert from "node:assert/strict";
import { Child, ROOT as root, startSimulateLp } from "../_helpers/mod.ts";

const TOTAL = 300;

/** The order client (a Deno child): prints "START sent=N" then "ACK <ClOrdID> <PossDup>" lines on stdout. */
function spawnClient(port: number, dir: string) {
  const c = new Child([
    "run",
    "-A",
    `${root}test/engine/fixtures/order_client.ts`,
    String(port),
    dir,
    String(TOTAL),
  ], {
    cmd: `${root}deno`,
  });
  return Object.assign(c, { out: () => c.lines("out") });
}

Deno.test("kill -9 of the client mid-burst, restart: every order reaches the LP once and is acked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-crash-" });
  const lp = await startSimulateLp(["--target-comp-id", "CLIENT"]);
  try {
    const first = spawnClient(lp.port, dir);
    const acks = () => first.out().filter((l) => l.startsWith("ACK ")).length;
    await first.until(() => acks() >= 80, "80 acks before the kill", 20_000); // on its output, no polling
    await first.stop("SIGKILL");
    assert.ok(acks() < TOTAL, "killed mid-burst");
    const second = spawnClient(lp.port, dir);
    const all = () => [...first.out(), ...second.out()].filter((l) => l.startsWith("ACK "));
    const distinct = () => new Set(all().map((l) => l.split(" ")[1])).size;
    await second.until(() => distinct() === TOTAL, `acks for all ${TOTAL} orders`, 20_000);
    assert.equal((await second.stop()).code, 0, second.text.err);
    assert.match(second.out()[0]!, /^START sent=\d+$/);
    assert.ok(
      Number(second.out()[0]!.split("=")[1]) >= 80,
      "the restart continued after the orders it had sent",
    );
    // Each order acked; a repeat could only be a PossDup resend, which the application is told about.
    const seen = new Map<string, number>();
    for (const l of all()) {
      const [, id, possDup] = l.split(" ");
      const n = (seen.get(id!) ?? 0) + 1;
      seen.set(id!, n);
      if (n > 1) assert.equal(possDup, "Y", `second ack for ${id} must be a PossDup resend`);
    }
  } finally {
    const exit = await lp.stop();
    const stats = exit.summary as { ordersReceived: number; acks: number };
    assert.equal(stats.ordersReceived, TOTAL, "the LP received every order exactly once");
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Issue 4's fault test through live processes: a journaled client is killed with SIGKILL in the middle
 * of a burst of orders and restarted; with the LP still up, every order is received by the LP once and
 * acknowledged to the client, through the session's resend and PossDup handling.
 */
import assert from "node:assert/strict";
import { freePort, startPeer } from "../interop/peers.ts";

const root = new URL("../../", import.meta.url).pathname;
const TOTAL = 300;

function spawnClient(port: number, dir: string) {
  const child = new Deno.Command(`${root}deno`, {
    args: ["run", "-A", `${root}test/engine/fixtures/order_client.ts`, String(port), dir, String(TOTAL)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const done = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      const parts = buf.split("\n");
      buf = parts.pop()!;
      lines.push(...parts);
    }
  })();
  const stderr = new Response(child.stderr).text();
  return { child, lines, done, stderr };
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("kill -9 of the client mid-burst, restart: every order reaches the LP once and is acked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-crash-" });
  const lp = await startPeer({
    cmd: `${root}fixg`,
    args: [
      "simulate-lp",
      "--port",
      String(freePort()),
      "--host",
      "127.0.0.1",
      "--target-comp-id",
      "CLIENT",
      "--stats-interval",
      "0",
      "--json",
    ],
  });
  try {
    const first = spawnClient(lp.port, dir);
    const acks = () => first.lines.filter((l) => l.startsWith("ACK ")).length;
    await until(() => acks() >= 80, "80 acks before the kill");
    first.child.kill("SIGKILL");
    await first.child.status;
    await first.done;
    void first.stderr;
    assert.ok(acks() < TOTAL, "killed mid-burst");
    const second = spawnClient(lp.port, dir);
    const all = () => [...first.lines, ...second.lines].filter((l) => l.startsWith("ACK "));
    const distinct = () => new Set(all().map((l) => l.split(" ")[1])).size;
    await until(() => distinct() === TOTAL, `acks for all ${TOTAL} orders`);
    second.child.kill("SIGTERM");
    assert.equal((await second.child.status).code, 0, await second.stderr);
    await second.done;
    assert.match(second.lines[0]!, /^START sent=\d+$/);
    assert.ok(
      Number(second.lines[0]!.split("=")[1]) >= 80,
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

/**
 * Issue 15, item 1: precise pacing (never early, margin adapting to the sleep's oversleep), the generator's send
 * lag reported apart with a rate-held verdict, and the machine's floor (a raw TCP echo of the same size, pacing
 * and placement) measured in the same run with fixg's ratio to it. Structure and consistency only; the figures
 * depend on the machine (docs/performance.md has measured ones).
 */
import assert from "node:assert/strict";
import { FIXG_LAUNCHER, nowUs, PreciseSleeper } from "../../src/bench/mod.ts";
import { buildCEcho, measureFloor } from "../../src/bench/floor.ts";
import { renderTerminalSummary, sampleBenchReport } from "../../src/report/mod.ts";

Deno.test("PreciseSleeper: never wakes before the deadline; its margin stays within 150 µs..3 ms", async () => {
  const s = new PreciseSleeper();
  try {
    assert.equal(s.method, "usleep+spin");
    for (let i = 0; i < 40; i++) {
      const deadline = nowUs() + 700 + (i % 3) * 500;
      await s.until(deadline);
      assert.ok(nowUs() >= deadline, `woke ${deadline - nowUs()} µs early`);
      assert.ok(s.marginUs >= 150 && s.marginUs <= 3000, `margin ${s.marginUs}`);
    }
  } finally {
    s.close();
  }
});

Deno.test("the floor: the C echo builds with the system compiler and echoes at a pace; the Deno echo too", async () => {
  assert.ok((await buildCEcho()) !== undefined, "g++ or cc builds the C echo");
  const s = new PreciseSleeper();
  try {
    const c = await measureFloor({ mode: "rate", ratePerSec: 500, seconds: 0.4, bytes: 160, sleeper: s });
    assert.equal(c.server, "c");
    assert.ok(c.latency.count >= 195 && c.latency.count <= 200, `count ${c.latency.count}`);
    assert.ok(c.latency.p50Us > 0);
    const d = await measureFloor({ mode: "ping-pong", seconds: 0.3, bytes: 160, sleeper: s, server: "deno" });
    assert.equal(d.server, "deno");
    assert.ok(d.latency.count > 20, `count ${d.latency.count}`);
  } finally {
    s.close();
  }
});

Deno.test("the terminal report says when the generator did not hold the rate, and gives the floor ratio", () => {
  const report = sampleBenchReport();
  const lag = { p50Us: 3, p99Us: 150, maxUs: 400, count: 5000, boundUs: 200, method: "usleep+spin" };
  const held = renderTerminalSummary({ ...report, sendLag: { ...lag, rateHeld: true } });
  assert.match(
    held,
    /^generator send lag \(actual - intended send time, usleep\+spin\): p50 3\.00 µs {2}p99 150\.0 µs {2}max 400\.0 µs: rate held \(p99 <= 200 µs\)$/m,
  );
  const missed = renderTerminalSummary({ ...report, sendLag: { ...lag, p99Us: 4200, rateHeld: false } });
  assert.match(missed, /: RATE NOT HELD: p99 above 200 µs, the generator could not keep its schedule/);
});

Deno.test("fixg bench at a fixed rate: send lag, the floor and the ping-pong reference with fixg's ratios", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-bench-floor-" });
  try {
    const json = `${dir}/r.json`;
    const out = await new Deno.Command(FIXG_LAUNCHER, {
      args: ["bench", "--rate", "500", "--duration", "1", "--warmup", "0.3", "--no-progress", "--json", json],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, stdout + new TextDecoder().decode(out.stderr));
    const r = JSON.parse(await Deno.readTextFile(json));
    assert.deepEqual(Object.keys(r.sendLag), [
      "p50Us",
      "p99Us",
      "maxUs",
      "count",
      "boundUs",
      "rateHeld",
      "method",
    ]);
    assert.equal(r.sendLag.count, r.requests.sent);
    assert.equal(r.sendLag.boundUs, 200);
    assert.equal(r.sendLag.rateHeld, r.sendLag.p99Us <= 200);
    assert.equal(r.floor.server, "c");
    assert.equal(r.floor.mode, "rate");
    assert.equal(r.floor.ratePerSec, 500);
    assert.equal(r.floor.durationSec, 1);
    assert.ok(r.floor.bytes > 100 && r.floor.bytes < 400, `bytes ${r.floor.bytes}`);
    assert.ok(r.floor.latency.count >= 490, `floor count ${r.floor.latency.count}`);
    assert.equal(
      r.floor.ratioP50,
      Math.round((r.latency.orderToAck.p50Us / r.floor.latency.p50Us) * 100) / 100,
    );
    // The echo back to back too: how much this pacing slows a raw echo on this machine.
    assert.ok(
      r.floor.backToBack.latency.count > 50,
      `back-to-back count ${r.floor.backToBack.latency.count}`,
    );
    assert.equal(
      r.floor.backToBack.rateOverBackToBackP50,
      Math.round((r.floor.latency.p50Us / r.floor.backToBack.latency.p50Us) * 100) / 100,
    );
    assert.match(
      stdout,
      /^floor back to back \(one in flight\): p50 [\d.]+ µs {2}p99 [\d.]+ µs: at this rate the raw echo's p50 is [\d.]+x its back-to-back p50$/m,
    );
    // The ping-pong reference on the same sessions right after the load, and this run's ratio to it.
    assert.deepEqual(Object.keys(r.pingPongReference), [
      "durationSec",
      "count",
      "p50Us",
      "p99Us",
      "ratioP50",
    ]);
    assert.equal(r.pingPongReference.durationSec, 1);
    assert.ok(r.pingPongReference.count > 20);
    assert.equal(
      r.pingPongReference.ratioP50,
      Math.round((r.latency.orderToAck.p50Us / r.pingPongReference.p50Us) * 100) / 100,
    );
    assert.match(
      stdout,
      /^ping-pong reference \(same sessions, 1 s right after the load, one request in flight\): order -> ack p50 [\d.]+ µs {2}p99 [\d.]+ µs; this run's order -> ack p50 is [\d.]+x it$/m,
    );
    assert.match(
      stdout,
      /^floor: raw TCP echo \(C echo server, \d+ bytes, 500\/s, CPUs any, 1 s\): p50 [\d.]+ µs/m,
    );
    assert.match(stdout, /^fixg order -> ack \/ floor: p50 [\d.]+x {2}p99 [\d.]+x$/m);
    assert.match(stdout, /^generator send lag \(actual - intended send time, usleep\+spin\): p50 /m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

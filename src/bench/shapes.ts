/**
 * The load shapes of a bench run over its sessions: ping-pong and fixed rate for a time, bursts (and the
 * burst warm-up), and the rate ramp that steps up until a step is not sustained.
 */
import { LatencyHistogram } from "../metrics/histogram.ts";
import { formatCount, formatMicros } from "../report/format.ts";
import type { BenchReport, RampStep } from "../report/types.ts";
import { nowUs, type PreciseSleeper, sleepMs, yieldToLoop } from "./clock.ts";
import { requestsAnswered } from "./echo_tracker.ts";
import type { LoadShape } from "./options.ts";
import type { BenchSession } from "./session.ts";

/** Requests a burst writes per turn of the event loop: the peer starts working while we encode the rest. */
const BURST_BATCH = 128;
/** Most schedule slots a rate loop sends before it yields to the event loop (after a stall). */
const RATE_MAX_PER_TURN =
  512; /** The generator's send lag p99 above which the report says the rate was not held. */
export const SEND_LAG_BOUND_US = 200;
/** Runs a ping-pong or fixed-rate shape for `seconds`. */
export async function runShape(
  shape: LoadShape,
  seconds: number,
  sessions: BenchSession[],
  sleeper: PreciseSleeper,
  aborted: () => boolean,
  lag: LatencyHistogram | undefined,
  lag2?: LatencyHistogram,
): Promise<void> {
  const startUs = nowUs();
  const endUs = startUs + seconds * 1e6;
  if (shape.kind === "ping-pong") {
    await Promise.all(sessions.map(async (s) => {
      while (!aborted()) {
        const now = nowUs();
        if (now >= endUs) break;
        const p = s.send(now);
        if (p !== undefined) await p;
        await s.whenIdle();
      }
    }));
    return;
  }
  if (shape.kind !== "rate") throw new Error(`runShape: ${shape.kind} is not a timed shape`);
  const intervalUs = 1e6 / shape.ratePerSec;
  const t0 = startUs;
  let k = 0;
  const n = sessions.length;
  while (!aborted()) {
    let now = nowUs();
    if (now >= endUs) break;
    let sentThisTurn = 0;
    for (;;) {
      const due = t0 + k * intervalUs;
      if (due > now || due >= endUs || sentThisTurn >= RATE_MAX_PER_TURN) break;
      // Lateness is taken as the send starts (the encode belongs to the request's latency, not the pacer's).
      const lateNs = (nowUs() - due) * 1000;
      lag?.record(lateNs);
      lag2?.record(lateNs);
      const p = sessions[k % n]!.send(due);
      k++;
      sentThisTurn++;
      if (p !== undefined) {
        await p;
        now = nowUs();
      }
    }
    const next = t0 + k * intervalUs;
    if (next >= endUs) {
      await sleeper.until(endUs);
      break;
    }
    // Slots falling due together (high rates, or after a stall) go out in the same turn, one socket write.
    if (next > nowUs()) await sleeper.until(next);
    else await yieldToLoop();
  }
}

/**
 * The warm-up of a burst shape: bursts of its size, `pauseMs` apart, until `seconds` have passed (one at
 * least). A burst's path differs from a round trip's (many messages per read and write, back-pressure, a
 * growing order book on the other side): warmed up with ping-pong, a burst of 100,000 measured 108-133k
 * orders/s against fixg's simulator, warmed up with a burst 172-225k (docs/performance.md, "Warm-up").
 */
export async function warmUpBursts(
  shape: LoadShape & { kind: "burst" },
  seconds: number,
  sessions: BenchSession[],
  aborted: () => boolean,
): Promise<void> {
  const endUs = nowUs() + seconds * 1e6;
  const one = { ...shape, repeat: 1 };
  await runBursts(one, sessions, aborted);
  while (nowUs() < endUs && !aborted()) {
    if (shape.pauseMs > 0) await sleepMs(shape.pauseMs);
    await runBursts(one, sessions, aborted);
  }
}

/** Runs the bursts; returns the active seconds (first send to last answer of each burst, summed). */
export async function runBursts(
  shape: LoadShape & { kind: "burst" },
  sessions: BenchSession[],
  aborted: () => boolean,
): Promise<number> {
  let activeUs = 0;
  for (let m = 0; m < shape.repeat && !aborted(); m++) {
    if (m > 0 && shape.pauseMs > 0) await sleepMs(shape.pauseMs);
    const t0 = nowUs();
    await Promise.all(sessions.map(async (s) => {
      // One clock read per message, when it is handed to the session: each latency is its own (a batch
      // reaches the socket in one write when the loop yields, so a message is stamped no later than it left).
      for (let j = 0; j < shape.size && !aborted(); j++) {
        const p = s.send(nowUs());
        if (p !== undefined) await p;
        else if ((j + 1) % BURST_BATCH === 0) await yieldToLoop();
      }
    }));
    await Promise.all(sessions.map((s) => s.whenIdle()));
    const end = Math.max(...sessions.map((s) => s.idleAtUs));
    activeUs += Math.max(0, end - t0);
  }
  return activeUs / 1e6;
}

/**
 * The ramp shape: fixed-rate steps of `stepSec` from FROM to TO; a step is sustained when its order ->
 * ack p99 (recorded into the histogram handed to `setStepHist`) is within the bound and at least 95% of
 * its rate was answered. Stops at the first step not sustained.
 */
export async function runRamp(
  r: LoadShape & { kind: "ramp" },
  sessions: BenchSession[],
  sleeper: PreciseSleeper,
  aborted: () => boolean,
  lag: LatencyHistogram,
  setStepHist: (h: LatencyHistogram | undefined) => void,
): Promise<NonNullable<BenchReport["ramp"]>> {
  const steps: RampStep[] = [];
  let best = 0;
  for (let rate = r.fromPerSec; rate <= r.toPerSec + 1e-9 && !aborted(); rate += r.stepPerSec) {
    const stepHist = new LatencyHistogram({ unit: "ns" });
    setStepHist(stepHist);
    const stepLag = new LatencyHistogram({ unit: "ns" });
    const before = sessions.reduce((n, s) => n + requestsAnswered(s.source.counters()), 0);
    const t0 = nowUs();
    await runShape(
      { kind: "rate", ratePerSec: rate },
      r.stepSec,
      sessions,
      sleeper,
      aborted,
      lag,
      stepLag,
    );
    const sec = (nowUs() - t0) / 1e6;
    const answered = sessions.reduce((n, s) => n + requestsAnswered(s.source.counters()), 0) - before;
    const achievedPerSec = answered / sec;
    const p99Us = stepHist.count > 0 ? stepHist.percentile(99) / 1000 : 0;
    const stepLagP99Us = stepLag.count > 0 ? stepLag.percentile(99) / 1000 : 0;
    const why: string[] = [];
    if (stepHist.count === 0) why.push("no order was acknowledged");
    if (p99Us > r.p99BoundUs) {
      why.push(
        `order -> ack p99 ${formatMicros(p99Us)} µs above the bound ${formatMicros(r.p99BoundUs)} µs`,
      );
    }
    if (achievedPerSec < rate * 0.95) {
      why.push(
        `${formatCount(Math.round(achievedPerSec))} answers/s, below 95% of ${formatCount(rate)}/s`,
      );
    }
    if (why.length > 0 && stepLagP99Us > SEND_LAG_BOUND_US) {
      why.push(
        `the generator's send lag p99 was ${formatMicros(stepLagP99Us)} µs (the machine was busy)`,
      );
    }
    const sustained = why.length === 0;
    const step: RampStep = {
      ratePerSec: rate,
      achievedPerSec: Math.round(achievedPerSec * 10) / 10,
      p99Us: Math.round(p99Us * 1000) / 1000,
      sustained,
    };
    if (!sustained) step.reason = why.join("; ");
    steps.push(step);
    if (!sustained) break;
    best = rate;
  }
  setStepHist(undefined);
  return { latencyBoundUs: r.p99BoundUs, maxSustainedRatePerSec: best, steps };
}

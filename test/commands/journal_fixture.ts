/**
 * A deterministic journal for the `fixg journal` command tests: two sessions, orders out and
 * execution reports in, a heartbeat, a set-seq and a reset, all at fixed times, in 4 KiB segments.
 */
import { encodeMessage, Encoder, type FixMessage } from "../../src/codec/encoder.ts";
import { formatTimestamp } from "../../src/codec/timestamps.ts";
import { FileJournal } from "../../src/store/journal.ts";

/** Wall-clock time of the first record. */
export const FIXTURE_T0 = Date.UTC(2024, 0, 2, 9, 30, 0);
/** Session keys of the fixture. */
export const FIXTURE_KEYS = ["FIX.4.4:FIXG->LP1", "FIX.4.2:FIXG->BROKER"] as const;

const enc = new Encoder();

function order(seq: number, sender: string, target: string, ms: number): FixMessage {
  return {
    msgType: "D",
    fields: [
      [49, sender],
      [56, target],
      [34, seq],
      [52, formatTimestamp(ms)],
      [11, `ORD-${seq}`],
      [21, "1"],
      [55, "EUR/USD"],
      [54, seq % 2 === 0 ? "2" : "1"],
      [60, formatTimestamp(ms)],
      [38, 1_000_000],
      [40, "2"],
      [44, "1.0850"],
    ],
  };
}

function execReport(seq: number, sender: string, target: string, ms: number): FixMessage {
  return {
    msgType: "8",
    fields: [
      [49, sender],
      [56, target],
      [34, seq],
      [52, formatTimestamp(ms)],
      [37, `X-${seq}`],
      [11, `ORD-${seq}`],
      [17, `E-${seq}`],
      [150, "0"],
      [39, "0"],
      [55, "EUR/USD"],
      [54, "1"],
      [151, 1_000_000],
      [14, 0],
      [6, 0],
    ],
  };
}

/** Writes the fixture journal into `dir` (must be empty or missing). */
export async function writeFixtureJournal(dir: string): Promise<void> {
  let wall = FIXTURE_T0;
  let mono = 0;
  const clock = { wallMs: () => wall, monoNs: () => (mono += 250_000), monoOriginMs: FIXTURE_T0 };
  const open = () =>
    FileJournal.open({ dir, fsync: "batch", segmentBytes: 4096, clock, onWarning: () => {} });
  const [k1, k2] = FIXTURE_KEYS;
  const j1 = await open();
  const a1 = await j1.openSession(k1, FIXTURE_T0);
  for (let i = 1; i <= 2; i++) {
    wall = FIXTURE_T0 + i * 400;
    await a1.appendOutbound(i, encodeMessage(enc, "FIX.4.4", order(i, "FIXG", "LP1", wall)));
  }
  await j1.close();
  // The gateway restarted: a new segment, and the second session appears.
  const j = await open();
  const a = await j.openSession(k1, FIXTURE_T0);
  const b = await j.openSession(k2, FIXTURE_T0);
  for (let i = 1; i <= 6; i++) {
    wall = FIXTURE_T0 + i * 400;
    if (i > 2) await a.appendOutbound(i, encodeMessage(enc, "FIX.4.4", order(i, "FIXG", "LP1", wall)));
    await a.appendInbound(i, encodeMessage(enc, "FIX.4.4", execReport(i, "LP1", "FIXG", wall + 1)));
  }
  wall = FIXTURE_T0 + 5000;
  await b.appendOutbound(
    1,
    encodeMessage(enc, "FIX.4.2", {
      msgType: "0",
      fields: [[49, "FIXG"], [56, "BROKER"], [34, 1], [52, formatTimestamp(wall)]],
    }),
  );
  await b.setNextTargetSeq(5);
  wall = FIXTURE_T0 + 86_400_000;
  await a.reset(wall);
  await a.appendOutbound(1, encodeMessage(enc, "FIX.4.4", order(1, "FIXG", "LP1", wall)));
  await j.close();
}

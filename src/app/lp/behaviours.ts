/**
 * Behaviours (fault injection) as data: which knobs are on for a client at a time, and the effects
 * the simulator hands to the engine for the parts that live in the session or the transport.
 */
import { type Prng, uniform } from "../prng.ts";
import type { LatencySpec, LpBehaviour, SkipSeqSpec } from "./config.ts";

/**
 * What the engine must do for the simulator, in order with the messages around it:
 * - disconnect: close the connection (after writing what came before).
 * - skip-seq: add `count` to the next outbound MsgSeqNum before the next message (a gap the client sees).
 * - sequence-reset: send a SequenceReset (123=N) with NewSeqNo = next outbound number + `jump`.
 * - drop-heartbeats: stop (active) or resume sending Heartbeats; other messages still go out.
 * - silence: send nothing at all (active) or resume; messages are still stored and numbered.
 * - slow-reader: wait `delayMs` before each read from the socket (0 = read normally).
 */
export type LpEffect =
  | { kind: "disconnect"; reason: string }
  | { kind: "skip-seq"; count: number }
  | { kind: "sequence-reset"; jump: number }
  | { kind: "drop-heartbeats"; active: boolean }
  | { kind: "silence"; active: boolean }
  | { kind: "slow-reader"; delayMs: number };

/** The knobs in force for one client at one time (later behaviour entries override earlier ones). */
export interface Knobs {
  rejectFraction: number;
  rejectReason: string;
  fillLatencyMs: LatencySpec;
  partialFillProbability: number;
  dropHeartbeats: boolean;
  skipSeqNums: SkipSeqSpec | undefined;
  disconnectAfterMessages: number | undefined;
  disconnectProbability: number;
  /** Active sequence-reset entries: index in the behaviour list and jump. */
  sequenceResets: { index: number; jump: number }[];
  goSilent: boolean;
  slowReaderMs: number;
  /** Orders are acknowledged and left working, never matched. */
  ackOnly: boolean;
}

/** Knobs with every behaviour off. */
export function quietKnobs(): Knobs {
  return {
    rejectFraction: 0,
    rejectReason: "Simulated reject",
    fillLatencyMs: 0,
    partialFillProbability: 0,
    dropHeartbeats: false,
    skipSeqNums: undefined,
    disconnectAfterMessages: undefined,
    disconnectProbability: 0,
    sequenceResets: [],
    goSilent: false,
    slowReaderMs: 0,
    ackOnly: false,
  };
}

/** True when entry `b` is on at `elapsedMs` after start for `clientCompId`. */
export function isActive(b: LpBehaviour, elapsedMs: number, clientCompId: string): boolean {
  if (b.fromMs !== undefined && elapsedMs < b.fromMs) return false;
  if (b.toMs !== undefined && elapsedMs >= b.toMs) return false;
  return b.clients === undefined || b.clients.includes("*") || b.clients.includes(clientCompId);
}

/** Merges the entries on at `elapsedMs` for a client, in list order. */
export function knobsAt(list: readonly LpBehaviour[], elapsedMs: number, clientCompId: string): Knobs {
  const k = quietKnobs();
  list.forEach((b, index) => {
    if (!isActive(b, elapsedMs, clientCompId)) return;
    if (b.rejectFraction !== undefined) k.rejectFraction = b.rejectFraction;
    if (b.rejectReason !== undefined) k.rejectReason = b.rejectReason;
    if (b.fillLatencyMs !== undefined) k.fillLatencyMs = b.fillLatencyMs;
    if (b.partialFillProbability !== undefined) k.partialFillProbability = b.partialFillProbability;
    if (b.dropHeartbeats !== undefined) k.dropHeartbeats = b.dropHeartbeats;
    if (b.skipSeqNums !== undefined) k.skipSeqNums = b.skipSeqNums;
    if (b.disconnectAfterMessages !== undefined) k.disconnectAfterMessages = b.disconnectAfterMessages;
    if (b.disconnectProbability !== undefined) k.disconnectProbability = b.disconnectProbability;
    if (b.sendSequenceReset !== undefined) k.sequenceResets.push({ index, jump: b.sendSequenceReset.jump });
    if (b.goSilent !== undefined) k.goSilent = b.goSilent;
    if (b.slowReaderMs !== undefined) k.slowReaderMs = b.slowReaderMs;
    if (b.ackOnly !== undefined) k.ackOnly = b.ackOnly;
  });
  return k;
}

/** A latency sample in ms (whole milliseconds). */
export function sampleLatency(spec: LatencySpec, prng: Prng): number {
  if (typeof spec === "number") return spec;
  return Math.round(uniform(prng, spec.min, spec.max));
}

/** Start and end times (ms after start) of every window, for timers at the boundaries. */
export function windowBoundaries(list: readonly LpBehaviour[]): number[] {
  const out = new Set<number>();
  for (const b of list) {
    if (b.fromMs !== undefined) out.add(b.fromMs);
    if (b.toMs !== undefined) out.add(b.toMs);
  }
  return [...out].sort((a, b) => a - b);
}

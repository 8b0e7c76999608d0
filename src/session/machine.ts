/**
 * The session machine: `step(state, input, nowMs) -> { state, actions, nextTickMs }`, the one
 * transition function. It dispatches on the input and the phase to the files per concern
 * (logon.ts, sequence.ts, gap.ts, resend.ts, outbound.ts, timers.ts, logout.ts) and never touches a
 * socket, a file, a clock or a timer: the engine feeds it inputs with the time and carries out the
 * actions in order.
 *
 * Phases: disconnected -> (connected) awaiting-logon [acceptor] | logon-sent [initiator]
 *   -> (Logon) active -> (logout input) logout-sent -> (Logout, timeout) disconnected;
 *   any phase -> (disconnected input, protocol error, timeout) disconnected.
 */
import type { SeqNums } from "../codec/stored.ts";
import { onAcceptorLogon, onConnected, onInitiatorLogonReply, startReset } from "./logon.ts";
import { startLogout } from "./logout.ts";
import { emitSend, encodeSequenceReset } from "./messages.ts";
import { canSendNow, flushOutbound, queueOutbound, sendApp } from "./outbound.ts";
import { onResendMessages } from "./resend.ts";
import { dropQueuedBelow } from "./gap.ts";
import { afterInbound, onSessionMessage } from "./sequence.ts";
import {
  createState,
  disconnect,
  emitEvent,
  endLogon,
  isLoggedOn,
  type Out,
  type SessionState,
  setPhase,
} from "./state.ts";
import { nextTickMs, onTick } from "./timers.ts";
import type { Action, Input, SessionConfig, StepResult } from "./types.ts";

/** A new session in phase "disconnected", with the sequence numbers the store holds. */
export function createSession(config: SessionConfig, seq: SeqNums, nowMs: number): SessionState {
  return createState(config, seq, nowMs);
}

/** Computes the actions for one input at `nowMs`; mutates and returns the same state object. */
export function step(s: SessionState, input: Input, nowMs: number): StepResult<SessionState> {
  const out: Action[] = [];
  const next = stepInto(s, input, nowMs, out);
  return { state: s, actions: out, nextTickMs: next };
}

/**
 * `step` for the engine's hot path: appends the actions to `out` (a list the engine empties and
 * reuses, one per nesting depth, so a step allocates no list and no result) and returns nextTickMs.
 */
export function stepInto(s: SessionState, input: Input, nowMs: number, out: Action[]): number | undefined {
  switch (input.kind) {
    case "message":
      onMessage(s, out, nowMs, input);
      break;
    case "send":
      if (canSendNow(s)) {
        sendApp(s, out, nowMs, input.message, input.resend !== false, "app");
      } else {
        queueOutbound(s, out, input.message, input.resend !== false);
        flushOutbound(s, out, nowMs);
      }
      break;
    case "tick":
      onTick(s, out, nowMs);
      break;
    case "resend-messages":
      if (isLoggedOn(s)) {
        onResendMessages(s, out, nowMs, input.begin, input.end, input.messages);
        afterInbound(s, out, nowMs);
        flushOutbound(s, out, nowMs);
      } else {
        s.pendingResend = undefined;
      }
      break;
    case "connected":
      if (s.phase !== "disconnected") {
        // A new transport without a `disconnected` for the old one: the old one is gone.
        endLogon(s, out, "Reconnected");
        setPhase(s, "disconnected");
      }
      onConnected(s, out, nowMs);
      break;
    case "disconnected":
      if (s.phase !== "disconnected") {
        disconnect(s, out, `Transport closed: ${input.reason}`, false, true);
      }
      break;
    case "garbled":
      emitEvent(
        out,
        "warn",
        "garbled",
        `Garbled message ignored at offset ${input.offset}: ${input.reason}`,
        {
          offset: input.offset,
          expected: s.nextTargetSeq,
        },
      );
      // Before a session exists a garbled first message is an invalid Logon (1S d): nothing is sent.
      if (s.phase === "awaiting-logon") {
        disconnect(s, out, `Logon refused: garbled first message (${input.reason})`);
      }
      break;
    case "logout":
      onLogoutInput(s, out, nowMs, input.text);
      break;
    case "reset":
      startReset(s, out, nowMs);
      break;
    case "set-seq":
      onSetSeq(s, out, nowMs, input.nextSenderSeq, input.nextTargetSeq);
      break;
    case "sequence-reset":
      onSequenceResetInput(s, out, nowMs, input.newSeqNo);
      break;
  }
  return nextTickMs(s);
}

function onMessage(
  s: SessionState,
  out: Out,
  nowMs: number,
  input: Extract<Input, { kind: "message" }>,
): void {
  switch (s.phase) {
    case "active":
    case "logout-sent":
      onSessionMessage(s, out, nowMs, input.view);
      return;
    case "awaiting-logon":
      onAcceptorLogon(s, out, nowMs, input.view);
      return;
    case "logon-sent":
      onInitiatorLogonReply(s, out, nowMs, input.view);
      return;
    case "disconnected":
      emitEvent(out, "debug", "message-ignored", `Ignored 35=${input.view.msgType}: not connected`);
      return;
  }
}

function onLogoutInput(s: SessionState, out: Out, nowMs: number, text: string | undefined): void {
  switch (s.phase) {
    case "active":
      startLogout(s, out, nowMs, text);
      return;
    case "awaiting-logon":
    case "logon-sent":
      disconnect(s, out, text ? `Logout requested before logon: ${text}` : "Logout requested before logon");
      return;
    case "logout-sent":
    case "disconnected":
      return;
  }
}

function onSetSeq(
  s: SessionState,
  out: Out,
  nowMs: number,
  nextSenderSeq: number | undefined,
  nextTargetSeq: number | undefined,
): void {
  const a: Extract<Action, { kind: "store-seq" }> = { kind: "store-seq" };
  if (nextSenderSeq !== undefined) {
    checkSeq("nextSenderSeq", nextSenderSeq);
    s.nextSenderSeq = nextSenderSeq;
    a.nextSenderSeq = nextSenderSeq;
    // Ranges at or above the new number belong to numbers that will be used again.
    const r = s.notResendable;
    while (r.length > 0 && r[r.length - 2]! >= nextSenderSeq) r.length -= 2;
    if (r.length > 0 && r[r.length - 1]! >= nextSenderSeq) r[r.length - 1] = nextSenderSeq - 1;
  }
  if (nextTargetSeq !== undefined) {
    checkSeq("nextTargetSeq", nextTargetSeq);
    dropQueuedBelow(s, s.nextTargetSeq, nextTargetSeq);
    s.nextTargetSeq = nextTargetSeq;
    a.nextTargetSeq = nextTargetSeq;
  }
  emitEvent(
    out,
    "info",
    "sequence-reset",
    `Sequence numbers set: next sent ${s.nextSenderSeq}, next expected ${s.nextTargetSeq}`,
    {
      nextSenderSeq: s.nextSenderSeq,
      nextTargetSeq: s.nextTargetSeq,
    },
  );
  out.push(a);
  if (nextTargetSeq !== undefined && isLoggedOn(s)) afterInbound(s, out, nowMs);
}

function onSequenceResetInput(s: SessionState, out: Out, nowMs: number, newSeqNo: number): void {
  checkSeq("newSeqNo", newSeqNo);
  if (newSeqNo <= s.nextSenderSeq) {
    emitEvent(
      out,
      "warn",
      "sequence-reset",
      `SequenceReset-Reset to ${newSeqNo} refused: not above ${s.nextSenderSeq}`,
    );
    return;
  }
  if (s.phase === "active") {
    const seq = s.nextSenderSeq;
    emitSend(s, out, nowMs, seq, "4", encodeSequenceReset(s, seq, newSeqNo, nowMs), false, "admin");
  }
  emitEvent(out, "info", "sequence-reset", `Next MsgSeqNum sent ${s.nextSenderSeq} -> ${newSeqNo}`, {
    from: s.nextSenderSeq,
    to: newSeqNo,
  });
  s.nextSenderSeq = newSeqNo;
  out.push({ kind: "store-seq", nextSenderSeq: newSeqNo });
}

function checkSeq(name: string, n: number): void {
  // An operator input outside 1..2^31 is a bug in the caller, not a counterparty mistake.
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 31) {
    throw new RangeError(`${name} must be a whole number >= 1, got ${n}`);
  }
}

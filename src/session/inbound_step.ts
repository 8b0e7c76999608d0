/**
 * The one signature of the steps that handle an inbound message while logged on (sequence.ts, reject.ts,
 * logon.ts): the session, the actions out, the time, the message with its MsgSeqNum and MsgType. Each
 * step is a plain function of this type (no context object: nothing is allocated per message).
 */
import type { MessageView } from "../codec/mod.ts";
import type { LoggedOnState, Out, SessionState } from "./state.ts";

/** A step given the message's MsgSeqNum and MsgType; `S` the states it accepts, `R` what it answers. */
export type InboundStep<S extends SessionState = LoggedOnState, R = void> = (
  s: S,
  out: Out,
  nowMs: number,
  view: MessageView,
  seq: number,
  msgType: string,
) => R;

/** A step for one MsgType, which it knows (a SequenceReset-Reset, a Logon 141=Y): given the MsgSeqNum. */
export type SeqStep = (s: LoggedOnState, out: Out, nowMs: number, view: MessageView, seq: number) => void;

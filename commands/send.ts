/**
 * `fixg send --engine PATH --session KEY MESSAGE`: sends one message through a running gateway (as a
 * short-lived library: claim, send, wait, release) and prints the answers that reference it by ClOrdID.
 */
import type { Command } from "@commander-js/extra-typings";
import { isFinalOrdStatus } from "../src/app/orders/state_machine.ts";
import { latin1String } from "../src/codec/ascii.ts";
import type { MessageView } from "../src/codec/view.ts";
import { ConfigError, FixgError } from "../src/errors.ts";
import { EngineError, type LibrarySession, type SendAnswer } from "../src/engine/library_client.ts";
import { type LibraryLink, orderRequestId } from "../src/engine/library_session.ts";
import { messageFromBody } from "../src/engine/library_server.ts";
import { ERROR_NAMES, ErrorCode } from "../src/engine/protocol.ts";
import { openEngine } from "./sessions.ts";

/** Tags the session fills in: dropped from the message given. */
const FILLED_IN = new Set(["8", "9", "10", "34", "49", "52", "56"]);

/** The message as typed ("35=D|11=X|...", SOH or ^A also) -> the SEND body; throws ConfigError. */
export function bodyOfText(text: string): { body: Uint8Array; msgType: string; clOrdId: string | undefined } {
  const parts = text.replace(/\^A/g, "|").replaceAll("\x01", "|").split("|").filter((p) => p.trim() !== "");
  const kept: string[] = [];
  let msgType: string | undefined;
  let clOrdId: string | undefined;
  for (const p of parts) {
    const eq = p.indexOf("=");
    const tag = eq < 0 ? "" : p.slice(0, eq).trim();
    const value = eq < 0 ? "" : p.slice(eq + 1);
    if (!/^[1-9][0-9]{0,8}$/.test(tag) || value === "") {
      throw new ConfigError(`MESSAGE: "${p}" is not tag=value`);
    }
    if (FILLED_IN.has(tag)) continue;
    if (tag === "35") {
      if (msgType !== undefined) throw new ConfigError("MESSAGE: MsgType (35) given twice");
      msgType = value;
      continue;
    }
    if (tag === "11" && clOrdId === undefined) clOrdId = value;
    kept.push(`${tag}=${value}`);
  }
  if (msgType === undefined) throw new ConfigError("MESSAGE: no MsgType (35=...)");
  const body = new TextEncoder().encode([`35=${msgType}`, ...kept].map((f) => f + "\x01").join(""));
  messageFromBody(body); // Same check the engine makes.
  return { body, msgType, clOrdId };
}

/** One answer as printed. */
interface Printed {
  event: "answer";
  seq: number;
  msgType: string;
  clOrdId?: string;
  execType?: string;
  ordStatus?: string;
  text?: string;
  reject: boolean;
  raw: string;
}

function printable(view: MessageView): Printed {
  const raw = latin1String(view.buf, view.start, view.end).replaceAll("\x01", "|");
  const t = view.msgType;
  const ordStatus = view.getString(39);
  const execType = view.getString(150);
  const reject = t === "3" || t === "j" || t === "9" || ordStatus === "8" || execType === "8";
  const p: Printed = { event: "answer", seq: view.getInt(34) ?? 0, msgType: t, reject, raw };
  const c = view.getString(11);
  if (c !== undefined) p.clOrdId = c;
  if (execType !== undefined) p.execType = execType;
  if (ordStatus !== undefined) p.ordStatus = ordStatus;
  const text = view.getString(58);
  if (text !== undefined) p.text = text;
  return p;
}

export function registerSend(program: Command): void {
  program.command("send")
    .description(
      "send one message through a running gateway (fixg run with engine.socket) and print the answers that " +
        "reference it by ClOrdID (11) until --timeout or a final one (filled, canceled, rejected). The session " +
        "fills in 8, 9, 10, 34, 49, 52, 56. A session that is not logged on is refused (nothing is queued). " +
        "Exit 0 sent (and not rejected), 1 rejected, refused, not logged on or engine unreachable, 2 usage or " +
        "a malformed MESSAGE",
    )
    .argument("<message>", "FIX fields with | delimiters, e.g. '35=D|11=ord1|55=EUR/USD|54=1|38=100|40=1'")
    .option("--engine <path>", "the engine's Unix socket (engine.socket of its fixg.yaml)")
    .option("--session <key>", "session key (FIX.4.4:CLIENT->LP) or configured name")
    .option("--secret-env <var>", "environment variable holding the engine's shared secret")
    .option("--timeout <sec>", "how long to wait for answers, seconds", "5")
    .option("--json", "print one JSON object per line (the send result, then each answer)", false)
    .action(async (message, opts) => {
      if (opts.session === undefined || opts.session === "") throw new ConfigError("give --session KEY");
      const timeoutSec = Number(opts.timeout);
      if (!(timeoutSec >= 0) || !Number.isFinite(timeoutSec)) {
        throw new ConfigError(`--timeout: not a number of seconds: "${opts.timeout}"`);
      }
      // A timer longer than 2^31 - 1 ms fires at once: say so rather than stop waiting immediately.
      if (timeoutSec * 1000 > 2 ** 31 - 1) {
        throw new ConfigError(
          `--timeout: at most ${Math.floor((2 ** 31 - 1) / 1000)} seconds (got "${opts.timeout}")`,
        );
      }
      const { body, msgType, clOrdId } = bodyOfText(message);
      // connectEngine's rule: the ClOrdID is the request id only of a message that gives an order its
      // ClOrdID (35=D, F, G...); a 35=H naming an order sent before gets a fresh one and is sent.
      const orderId = orderRequestId(msgType, clOrdId);
      const lib = await openEngine(opts, "fixg-send");
      let rejected = false;
      try {
        const list = await lib.sessions();
        const found = list.find((s) => s.key === opts.session) ?? list.find((s) => s.name === opts.session);
        if (found === undefined) {
          throw new FixgError(
            "ENGINE_SESSION",
            `no session "${opts.session}" in the engine (it has: ${
              list.map((s) => s.key).join(", ") || "none"
            })`,
            { exitCode: 2 },
          );
        }
        // With --json, nothing sent still gets its result line (status refused, the protocol's code).
        const refusedLine = (code: number, text: string) => {
          if (!opts.json) return;
          console.log(JSON.stringify({
            event: "sent",
            msgType,
            requestId: orderId ?? "",
            status: "refused",
            seq: 0,
            code,
            text,
            alreadySent: false,
          }));
        };
        const notLoggedOn = (phase: string) => {
          const text = `${found.key} is not logged on (${phase}): nothing sent`;
          refusedLine(ErrorCode.NOT_LOGGED_ON, text);
          return new FixgError("NOT_LOGGED_ON", text, { exitCode: 1 });
        };
        // Nothing is queued for a later logon: `fixg send` is gone by then.
        if (!found.loggedOn) throw notLoggedOn(found.phase);
        let done: () => void = () => {};
        const finished = new Promise<void>((r) => done = r);
        let sentSeq = -1;
        const answers: Printed[] = [];
        /** Answers that came before the send result (it waits for the journal): printed after it. */
        const early: Printed[] = [];
        const print = (p: Printed) => console.log(opts.json ? JSON.stringify(p) : `answer ${p.raw}`);
        const relevant = (v: MessageView): boolean => {
          if (clOrdId !== undefined && (v.getString(11) === clOrdId || v.getString(41) === clOrdId)) {
            return true;
          }
          if (clOrdId !== undefined && v.msgType === "j" && v.getString(379) === clOrdId) return true;
          return sentSeq > 0 && (v.msgType === "j" || v.msgType === "3") && v.getInt(45) === sentSeq;
        };
        /** Rejects (35=3, 35=j) that came before our MsgSeqNum was known: matched by RefSeqNum after it. */
        const unmatched: MessageView[] = [];
        const consider = (view: MessageView) => {
          if (!relevant(view)) {
            if (sentSeq < 0 && (view.msgType === "3" || view.msgType === "j")) unmatched.push(view.copy());
            return;
          }
          const p = printable(view);
          answers.push(p);
          if (p.reject) rejected = true;
          if (sentSeq < 0) early.push(p);
          else print(p);
          // No more answers come after a final OrdStatus (the order model's done phases).
          if (p.reject || isFinalOrdStatus(p.ordStatus)) done();
        };
        let session: LibrarySession;
        try {
          // Session-level Rejects (35=3) come to fromAdmin, the rest to onMessage.
          session = await lib.claim(found.key, { onMessage: consider, fromAdmin: consider });
        } catch (e) {
          if (e instanceof EngineError) {
            refusedLine(e.errorCode, e.message);
            throw new FixgError("ENGINE_REFUSED", `claim of ${found.key} refused: ${e.message}`, {
              exitCode: 1,
            });
          }
          throw e;
        }
        // The body as given, bytes and all: the client's raw SEND (not part of the library's API).
        const a: SendAnswer = await (lib as LibraryLink).submit(
          session.key,
          orderId ?? `fixg-send-${crypto.randomUUID()}`,
          body,
          true,
        );
        if (a.status === "refused" && a.code === ErrorCode.NOT_LOGGED_ON) {
          // The session went down between the listing and the send: the engine refused it, nothing queued.
          throw notLoggedOn(session.state?.phase ?? "down");
        }
        sentSeq = a.seq > 0 ? a.seq : 0;
        // A request id answered before (the ClOrdID of an order sent earlier in this epoch) gets its first
        // answer and nothing is sent: its MsgSeqNum is below the session's next one at the listing.
        const alreadySent = a.status === "accepted" && a.seq > 0 && a.seq < found.nextSenderSeq;
        if (opts.json) console.log(JSON.stringify({ event: "sent", msgType, ...a, alreadySent }));
        else if (alreadySent) {
          console.log(
            `already sent 35=${msgType} ClOrdID ${clOrdId} as MsgSeqNum ${a.seq} on ${found.key}: its ClOrdID is ` +
              `its request id, answered with the first answer; nothing sent now (a new order needs a new ClOrdID)`,
          );
        } else {
          console.log(
            a.status === "accepted"
              ? `sent 35=${msgType}${
                clOrdId ? ` ClOrdID ${clOrdId}` : ""
              } as MsgSeqNum ${a.seq} on ${found.key}`
              : a.status === "queued"
              ? `queued 35=${msgType} on ${found.key} (the session's outbound queue: numbered when it leaves)`
              : `not sent: ${a.status}${a.code ? ` ${ERROR_NAMES[a.code] ?? a.code}` : ""}${
                a.text ? `: ${a.text}` : ""
              }`,
          );
        }
        for (const p of early) print(p);
        for (const v of unmatched) consider(v);
        if (a.status === "refused" || a.status === "back-pressure") {
          rejected = true;
          done();
        }
        // Its answers came when it was sent: none is waited for.
        if (alreadySent) done();
        // A message without a ClOrdID is answered only by a reject (35=3, 35=j by RefSeqNum): waited for too.
        const timer = setTimeout(done, timeoutSec * 1000);
        await finished;
        clearTimeout(timer);
        if (!opts.json && answers.length === 0 && !rejected && !alreadySent) {
          console.log(
            clOrdId !== undefined
              ? `no answer referencing ClOrdID ${clOrdId} within ${timeoutSec} s`
              : `no reject of MsgSeqNum ${a.seq} within ${timeoutSec} s`,
          );
        }
        await lib.release(session.key);
      } finally {
        await lib.close();
      }
      if (rejected) throw new FixgError("REJECTED", "the message was rejected or refused", { exitCode: 1 });
    });
}

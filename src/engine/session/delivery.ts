/**
 * Handing inbound application messages and logon/logout to the application: through the inbound
 * filters, guarded (a bug in a callback is logged and does not take the session down), and after the
 * store's commit when the store asks for commit before deliver.
 */
import type { MessageView } from "../../codec/mod.ts";
import type { Application, SessionHandle } from "../application.ts";
import { applicationSink, type EventSink, ViewMessageEvent } from "../boundary.ts";
import type { Pipeline } from "../flow/pipeline.ts";
import type { Logger } from "../log.ts";
import type { AdminHooks } from "./admin.ts";
import type { CommitGate } from "./commit.ts";
import type { EventLineLimit } from "./counters.ts";
import type { TurnClock } from "./turn_clock.ts";

/** What delivery needs of its session. */
export interface DeliveryHost {
  readonly key: string;
  readonly logger: Logger;
  readonly app: Application;
  readonly handle: SessionHandle;
  readonly clock: TurnClock;
  readonly pipeline: Pipeline;
  readonly admin: AdminHooks;
  readonly commits: CommitGate | undefined;
  /** The session's event-line rate limit: an application error per message is a line per message. */
  readonly lines: EventLineLimit;
  readonly scheduler: { nowMs(): number };
}

export class Delivery {
  /** The session's events go here (boundary.ts): the application's callbacks, or the library endpoint. */
  #sink: EventSink | undefined;
  /** The one message event this session emits, reused (the view is valid during emit only). */
  #event: ViewMessageEvent | undefined;

  constructor(readonly host: DeliveryHost) {}

  /** Where the session's events go (made on first use: the host's app and handle are set by then). */
  get sink(): EventSink {
    return this.#sink ??= applicationSink(this.host.app, this.host.handle);
  }

  /** onLogon, in order with the messages before it (see inOrder). */
  logon(): void {
    this.inOrder("onLogon", () => this.sink.emit({ type: "logon", key: this.host.key }));
  }

  /** onLogout, in order with the messages before it (see inOrder). */
  logout(reason: string): void {
    this.inOrder("onLogout", () => this.sink.emit({ type: "logout", key: this.host.key, reason }));
  }

  /** An in-sequence application message: now, or after the store's commit of it. */
  message(view: MessageView): void {
    const commits = this.host.commits;
    if (commits !== undefined) {
      commits.after(true, this.#later(view), commits.appendOf(view), view.end - view.start);
    } else this.#deliver(view);
  }

  /** Runs a logon/logout callback now, or after inbound messages still waiting for their commit. */
  inOrder(name: "onLogon" | "onLogout", run: () => void): void {
    const guarded = () => this.guard(name, run);
    if (this.host.commits !== undefined) this.host.commits.inOrder(guarded);
    else guarded();
  }

  /** Runs an application callback; a bug in it is logged loudly and does not take the session down. */
  guard(name: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
      this.#appError(`${name}: ${text}`);
    }
  }

  #deliver(view: MessageView): void {
    const h = this.host;
    if (!h.pipeline.admit(view)) return;
    const ev = this.#event ??= new ViewMessageEvent(h.key);
    const outer = ev.view;
    ev.view = view;
    try {
      this.sink.emit(ev);
    } catch (e) {
      // An application bug must not take the session down; it is logged loudly.
      this.#appError(e instanceof Error ? (e.stack ?? e.message) : String(e));
    } finally {
      ev.view = outer;
    }
    if (view.msgType === "j" && h.admin.recent !== undefined) h.admin.rejectIn(view);
  }

  /**
   * An application callback failed: logged loudly, within the session's line rate (a peer's messages
   * that make the application throw must not become a stack trace each without bound).
   */
  #appError(text: string): void {
    const h = this.host;
    if (h.lines.take(h.scheduler.nowMs())) h.logger.error("app-error", text + h.lines.suffix(), h.key);
  }

  /** A delivery run after the commit: a copy of the message, with the time its bytes were read. */
  #later(view: MessageView): () => void {
    const kept = view.copy();
    const clock = this.host.clock;
    const readAt = clock.readAtPerfMs;
    return () => {
      const current = clock.readAtPerfMs;
      clock.readAtPerfMs = readAt;
      try {
        this.#deliver(kept);
      } finally {
        clock.readAtPerfMs = current;
      }
    };
  }
}

/**
 * Handing inbound application messages and logon/logout to the application: through the inbound
 * filters, guarded (a bug in a callback is logged and does not take the session down), and after the
 * store's commit when the store asks for commit before deliver.
 */
import type { MessageView } from "../../codec/mod.ts";
import type { Application, SessionHandle } from "../application.ts";
import type { Pipeline } from "../flow/pipeline.ts";
import type { Logger } from "../log.ts";
import type { AdminHooks } from "./admin.ts";
import type { CommitGate } from "./commit.ts";
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
}

export class Delivery {
  constructor(readonly host: DeliveryHost) {}

  /** An in-sequence application message: now, or after the store's commit of it. */
  message(view: MessageView): void {
    const commits = this.host.commits;
    if (commits !== undefined) commits.after(true, this.#later(view), commits.appendOf(view));
    else this.#deliver(view);
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
      this.host.logger.error("app-error", `${name}: ${text}`, this.host.key);
    }
  }

  #deliver(view: MessageView): void {
    const h = this.host;
    if (!h.pipeline.admit(view)) return;
    try {
      h.app.onMessage?.(view, h.handle);
    } catch (e) {
      // An application bug must not take the session down; it is logged loudly.
      h.logger.error("app-error", e instanceof Error ? (e.stack ?? e.message) : String(e), h.key);
    }
    if (view.msgType === "j" && h.admin.recent !== undefined) h.admin.rejectIn(view);
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

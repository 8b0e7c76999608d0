/**
 * Message rate limits of a session: the inbound throttle (an InboundFilter: a message over the rate is
 * not delivered and is answered with a BusinessMessageReject 380=0, or the session logs out) and the
 * outbound throttle (a token bucket the runner's queue drain takes from: excess waits, never dropped).
 */
import type { MessageView } from "../../codec/mod.ts";
import { Tag } from "../../codec/mod.ts";
import { BusinessMessageReject } from "../../dictionary/generated/fix44.ts";
import type { FlowContext, InboundFilter } from "./filter.ts";
import { type RateLimit, TokenBucket } from "./token_bucket.ts";

/** Message rate limits of a session. */
export interface ThrottleSettings {
  /**
   * Inbound application messages per second. Over the limit a message is not delivered and is
   * answered with a BusinessMessageReject (`reject`, the default) or the session is logged out.
   */
  inbound?: RateLimit & { action?: "reject" | "logout" };
  /** Outbound application messages per second: excess waits in the priority queues (never dropped). */
  outbound?: RateLimit;
}

/** The inbound throttle: over the rate, a message is rejected (35=j, 380=0) or the session logs out. */
export class InboundThrottle implements InboundFilter {
  readonly bucket: TokenBucket;
  action: "reject" | "logout";
  #lastLogMs = 0;
  #sinceLog = 0;

  constructor(limit: RateLimit & { action?: "reject" | "logout" }, nowMs: number) {
    this.bucket = new TokenBucket(limit, nowMs);
    this.action = limit.action ?? "reject";
  }

  /** New limits; the tokens earned so far are kept. */
  reconfigure(limit: RateLimit & { action?: "reject" | "logout" }, nowMs: number): void {
    this.bucket.reconfigure(limit, nowMs);
    this.action = limit.action ?? "reject";
  }

  onMessage(view: MessageView, ctx: FlowContext): boolean {
    const now = ctx.nowMs();
    if (this.bucket.tryTake(now)) return true;
    ctx.counters.throttledIn++;
    this.#sinceLog++;
    const rate = this.bucket.perSecond;
    const text = `Throttle limit exceeded: more than ${rate} messages per second`;
    const logout = this.action === "logout" || !ctx.fix42Plus;
    if (now - this.#lastLogMs >= 1000) {
      ctx.logger.warn(
        "throttled",
        `${this.#sinceLog} inbound message(s) over ${rate}/s ${logout ? "(logging out)" : "rejected (35=j)"}`,
        ctx.key,
        { seq: view.seqNum, msgType: view.msgType, count: this.#sinceLog },
      );
      this.#lastLogMs = now;
      this.#sinceLog = 0;
    }
    if (logout) {
      if (ctx.active) ctx.logout(text);
      return false;
    }
    const ref = view.getString(Tag.ClOrdID);
    const reject = BusinessMessageReject.build({
      refSeqNum: view.seqNum,
      refMsgType: view.msgType,
      businessRejectReason: 0,
      text,
      ...(ref !== undefined ? { businessRejectRefID: ref } : {}),
    });
    ctx.enqueue(reject, "normal");
    return false;
  }
}

/** The session's throttles as set by `configure` (undefined: no limit that way). */
export class Throttles {
  inbound: InboundThrottle | undefined;
  outbound: TokenBucket | undefined;

  /** Sets (or removes, with {}) the limits; tokens earned so far are kept. */
  configure(t: ThrottleSettings, nowMs: number): void {
    if (t.inbound) {
      if (this.inbound) this.inbound.reconfigure(t.inbound, nowMs);
      else this.inbound = new InboundThrottle(t.inbound, nowMs);
    } else this.inbound = undefined;
    if (t.outbound) {
      if (this.outbound) this.outbound.reconfigure(t.outbound, nowMs);
      else this.outbound = new TokenBucket(t.outbound, nowMs);
    } else this.outbound = undefined;
  }

  /** The rates in force (per second), for status and tests. */
  get rates(): { inboundPerSec: number | undefined; outboundPerSec: number | undefined } {
    return { inboundPerSec: this.inbound?.bucket.perSecond, outboundPerSec: this.outbound?.perSecond };
  }
}

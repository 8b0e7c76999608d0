/**
 * A gateway session's settings (GatewaySession) applied to its runner: when the session is created
 * (`sessionRunnerOf`: its store behind the resend policy, the runner's options from the spec, the
 * not-resent report) and when they are hot-reloaded (`updateSession`: a session's settings, or an acceptor
 * template's and those of the live dynamic sessions made from it). Split from gateway.ts, which keeps the
 * session table and calls these.
 */
import type { Scheduler } from "../clock.ts";
import { isTemplate, matchesTemplate, sameSession } from "../session/session_id.ts";
import { sessionKey } from "../session/types.ts";
import type { SessionStore } from "../store/types.ts";
import type { Application } from "./application.ts";
import { applicationSink } from "./boundary.ts";
import { scheduleReloaded } from "./gateway_schedule.ts";
import {
  type AcceptorSpec,
  type GatewayEntry as Entry,
  type GatewayOptions,
  type GatewaySession,
  sessionConfigOf,
} from "./gateway_types.ts";
import type { Logger } from "./log.ts";
import { ResendPolicyStore } from "./resend_policy.ts";
import { SessionRunner } from "./session_runner.ts";

/**
 * The runner of a session just opened on `raw` (its store from the gateway's MessageStore), and the store
 * it uses: `raw`, or `raw` behind a ResendPolicyStore when the application or the spec limits resends.
 */
export function sessionRunnerOf(
  spec: GatewaySession,
  app: Application,
  raw: SessionStore,
  opts: GatewayOptions,
  logger: Logger,
  scheduler: Scheduler,
): { runner: SessionRunner; store: SessionStore } {
  const key = sessionKey(spec.config.id);
  let store = raw;
  let policy: ResendPolicyStore | undefined;
  if (app.resendPolicy !== undefined || spec.resendMaxAgeSec !== undefined) {
    const maxMs = (spec.resendMaxAgeSec ?? Infinity) * 1000;
    store = policy = new ResendPolicyStore(
      store,
      (m, age) => app.resendPolicy !== undefined ? app.resendPolicy(m, age, runner) : age <= maxMs,
      () => scheduler.nowMs(),
    );
  }
  const runner = SessionRunner.create(sessionConfigOf(spec), store, app, {
    logger,
    scheduler,
    verbose: opts.verbose ?? false,
    highWaterMarkBytes: opts.highWaterMarkBytes ?? 8 * 1024 * 1024,
    ...(spec.throttle ? { throttle: spec.throttle } : {}),
    ...(spec.outbound ? { outbound: spec.outbound } : {}),
    ...(spec.maxOutboundBufferBytes !== undefined
      ? { maxOutboundBufferBytes: spec.maxOutboundBufferBytes }
      : {}),
    ...(spec.writeTimeoutMs !== undefined ? { writeTimeoutMs: spec.writeTimeoutMs } : {}),
    ...(spec.risk ? { risk: spec.risk } : {}),
  });
  if (policy !== undefined) {
    policy.onOmitted = (seq, m, age) => {
      logger.warn(
        "not-resent",
        `MsgSeqNum ${seq} (MsgType ${m.msgType}${
          m.getString(11) ? `, ClOrdID ${m.getString(11)}` : ""
        }) sent ${Math.round(age / 1000)} s ago: gap-filled, not resent (resend policy)`,
        key,
        { seq, msgType: m.msgType, ageMs: age },
      );
      try {
        const ev = { type: "not-resent", key, seq, raw: m.buf.subarray(m.start, m.end), view: m } as const;
        if (app.onNotResent !== undefined) applicationSink(app, runner).emit(ev);
      } catch (e) {
        logger.error("app-error", `onNotResent: ${e instanceof Error ? e.message : String(e)}`, key);
      }
    };
  }
  return { runner, store };
}

/** What a hot reload of a session's settings needs from the gateway. */
export interface ReloadHost {
  /** The gateway's session table (entries are updated in place). */
  readonly entries: Map<string, Entry>;
  /** The acceptor ports' specs (their templates are replaced in place). */
  readonly acceptors: readonly AcceptorSpec[];
  nowMs(): number;
  /** Wakes the initiators waiting to reconnect (a session enabled again connects now). */
  wake(): void;
}

/**
 * Replaces a session's hot-reloadable settings (schedule, reconnect, enabled, session settings,
 * throttles, priorities, authentication). Transport settings (hosts, TLS material) are kept as they
 * were: TLS material changes through `Gateway.setTlsMaterial`. False when there is no such session.
 */
export function updateSession(host: ReloadHost, spec: GatewaySession): boolean {
  if (isTemplate(spec.config.id)) return updateTemplate(host, spec);
  const e = host.entries.get(sessionKey(spec.config.id));
  if (!e) return false;
  const wasEnabled = e.spec.enabled !== false;
  const kept: GatewaySession = { ...spec };
  if (e.spec.hosts) kept.hosts = e.spec.hosts;
  else delete kept.hosts;
  if (e.spec.tlsMaterial) kept.tlsMaterial = e.spec.tlsMaterial;
  else delete kept.tlsMaterial;
  if (e.spec.tls) kept.tls = e.spec.tls;
  else delete kept.tls;
  if (e.spec.app) kept.app = e.spec.app;
  scheduleReloaded(e, spec, host.nowMs());
  e.spec = kept;
  e.runner.updateConfig(sessionConfigOf(spec));
  e.runner.setThrottle(spec.throttle ?? {});
  e.runner.configureOutbound(spec.outbound ?? {});
  e.runner.setOutboundLimits(spec.maxOutboundBufferBytes, spec.writeTimeoutMs);
  e.runner.setRiskLimits(spec.risk);
  if (spec.enabled === false && e.runner.loggedOn) e.runner.logout("Session disabled");
  // A session enabled again connects now rather than at its next poll.
  if (!wasEnabled && spec.enabled !== false) host.wake();
  return true;
}

/** A dynamic-session template: future sessions use the new spec; live ones created from it are updated. */
function updateTemplate(host: ReloadHost, spec: GatewaySession): boolean {
  const id = spec.config.id;
  let found = false;
  for (const a of host.acceptors) {
    const i = a.templates?.findIndex((t) => sameSession(t.config.id, id)) ?? -1;
    if (i < 0) {
      continue;
    }
    const old = a.templates![i]!;
    a.templates![i] = {
      ...spec,
      ...(old.tlsMaterial ? { tlsMaterial: old.tlsMaterial } : {}),
      ...(old.app ? { app: old.app } : {}),
    };
    found = true;
  }
  for (const e of host.entries.values()) {
    const eid = e.spec.config.id;
    if (e.spec.config.role !== "acceptor" || (eid.qualifier ?? "") !== (id.qualifier ?? "")) continue;
    if (!matchesTemplate(id, eid)) continue;
    if (host.acceptors.some((a) => a.sessions.some((s) => sameSession(s.config.id, eid)))) continue;
    updateSession(host, { ...spec, config: { ...spec.config, id: eid } });
  }
  return found;
}

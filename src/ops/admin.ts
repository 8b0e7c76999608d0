/**
 * The admin HTTP endpoint (Deno.serve, bound to 127.0.0.1 unless configured otherwise):
 *
 *   GET  /metrics                         Prometheus text, read at scrape time: aggregates without the
 *                                         token, every per-session family with it
 *   GET  /health                          liveness: the process answers
 *   GET  /ready                           200 when every enabled session is logged on or outside its window,
 *                                         else 503; counts only without the token, per-session detail with it
 *   GET  /sessions, /sessions/{id}        status and counters                       (token)
 *   POST /sessions/{id}/logout|logon|reset|set-seq                                   (token)
 *   GET  /kill-switch, POST /kill-switch, POST /kill-switch/reset                    (token)
 *   POST /reload                          reload the config now                      (token)
 *
 * {id} is the session key URL-encoded (FIX.4.4%3AGW-%3ETW) or the session's configured name.
 * Operator endpoints need `Authorization: Bearer <admin.token>`: 401 without it or with a wrong one,
 * 403 when no token is configured (they are off).
 *
 * Every request's Host header must name an IP address, localhost or one of `admin.allowedHosts` (400
 * otherwise): a web page whose DNS name was rebound to 127.0.0.1 cannot read the endpoint.
 */
import { commandTarget } from "../engine/boundary.ts";
import type { Gateway, GatewaySessionStatus } from "../engine/gateway.ts";
import { ErrorCode } from "../engine/protocol.ts";
import { EnvironmentError } from "../errors.ts";
import type { Logger } from "../engine/log.ts";
import {
  type Labels,
  type MetricFamily,
  PROMETHEUS_CONTENT_TYPE,
  renderPrometheus,
} from "../metrics/prometheus.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { VERSION } from "../version.ts";
import { constantTimeEqual } from "../codec/bytes.ts";
import type { ReloadOutcome } from "./reload.ts";

/** Options of the admin server. */
export interface AdminOptions {
  host: string;
  port: number;
  /** The operator token; read at each request so a reload can change it. */
  token: () => string | undefined;
  registry: MetricsRegistry;
  logger: Logger;
  /** Reloads the config (POST /reload). */
  reload?: () => Promise<ReloadOutcome>;
  /** The time (default: the gateway's scheduler). */
  nowMs?: () => number;
  /** Host names (besides IP addresses and localhost) the Host header may carry; read at each request. */
  allowedHosts?: () => readonly string[];
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { ...JSON_HEADERS, ...headers },
  });
}

function iso(ms: number): string | null {
  return ms > 0 ? new Date(ms).toISOString() : null;
}

/** A session as the endpoints show it. */
export function sessionJson(s: GatewaySessionStatus, nowMs: number): Record<string, unknown> {
  return {
    id: s.key,
    name: s.name ?? null,
    role: s.role,
    enabled: s.enabled,
    held: s.held,
    inWindow: s.inWindow,
    connected: s.connected,
    loggedOn: s.loggedOn,
    phase: s.phase,
    remoteAddr: s.remoteAddr ?? null,
    lastHeartbeatIn: iso(s.lastHeartbeatInMs),
    lastHeartbeatOut: iso(s.lastHeartbeatOutMs),
    lastReceived: iso(s.lastReceivedMs),
    lastSent: iso(s.lastSentMs),
    nextSenderSeq: s.nextSenderSeq,
    nextTargetSeq: s.nextTargetSeq,
    inSync: s.inSync,
    lastError: s.lastError ?? null,
    uptimeSec: s.loggedOnSinceMs > 0 ? Math.round((nowMs - s.loggedOnSinceMs) / 1000) : 0,
    queued: s.queued,
    openOrders: s.openOrders,
    ordersBlocked: s.ordersBlocked ?? null,
  };
}

/** Ready: every enabled session not held by an operator is logged on or outside its schedule window. */
export function isReady(statuses: GatewaySessionStatus[]): boolean {
  return statuses.every((s) => !s.enabled || s.held || !s.inWindow || s.loggedOn);
}

/** The admin HTTP server of a gateway. */
export class AdminServer {
  readonly #gw: Gateway;
  readonly #o: AdminOptions;
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  readonly #now: () => number;

  constructor(gw: Gateway, options: AdminOptions) {
    this.#gw = gw;
    this.#o = options;
    // The gateway's clock by default: uptimes and ages agree with the sessions' own times.
    this.#now = options.nowMs ?? (() => gw.scheduler.nowMs());
  }

  /** Starts listening; resolves once the port is bound. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        this.#server = Deno.serve({
          hostname: this.#o.host,
          port: this.#o.port,
          onListen: () => resolve(),
          onError: (e) => {
            this.#o.logger.error("admin", `request failed: ${e instanceof Error ? e.message : e}`);
            return json(500, { error: "internal error" });
          },
        }, (req) => this.handle(req));
      } catch (e) {
        const why = e instanceof Deno.errors.AddrInUse
          ? "address already in use"
          : e instanceof Deno.errors.PermissionDenied
          ? "permission denied"
          : e instanceof Error
          ? e.message
          : String(e);
        reject(
          new EnvironmentError(`Cannot serve the admin endpoint on ${this.#o.host}:${this.#o.port}: ${why}`, {
            cause: e,
          }),
        );
      }
    });
  }

  /** The bound port (after start). */
  get port(): number {
    return this.#server?.addr.port ?? 0;
  }

  /** The bound address (after start). */
  get host(): string {
    return this.#server?.addr.hostname ?? this.#o.host;
  }

  /** Stops the server. */
  async stop(): Promise<void> {
    await this.#server?.shutdown();
    this.#server = undefined;
  }

  /** Answers one request (exposed for tests without sockets). */
  async handle(req: Request): Promise<Response> {
    const host = req.headers.get("host");
    if (host !== null && !hostAllowed(host, this.#o.allowedHosts?.() ?? [])) {
      return json(400, { error: "Host header not allowed (an IP address, localhost or admin.allowedHosts)" });
    }
    const url = new URL(req.url);
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const m = req.method;
    if (path === "/metrics") {
      if (m !== "GET") return methodNotAllowed("GET");
      const detail = this.#detailAllowed(req);
      if (detail instanceof Response) return detail;
      const fams = this.#o.registry.collect();
      return new Response(renderPrometheus(detail ? fams : withoutSessions(fams)), {
        headers: { "content-type": PROMETHEUS_CONTENT_TYPE },
      });
    }
    if (path === "/health") {
      if (m !== "GET") return methodNotAllowed("GET");
      const problems = this.#gw.problems();
      return json(problems.length === 0 ? 200 : 503, {
        status: problems.length === 0 ? "ok" : "degraded",
        version: VERSION,
        uptimeSec: Math.round((this.#now() - this.#gw.startedAtMs) / 1000),
        sessions: this.#gw.runners().length,
        ...(problems.length > 0
          ? { problems: problems.map((p) => ({ problem: p.text, since: new Date(p.sinceMs).toISOString() })) }
          : {}),
      });
    }
    if (path === "/ready") {
      if (m !== "GET") return methodNotAllowed("GET");
      const detail = this.#detailAllowed(req);
      if (detail instanceof Response) return detail;
      const st = this.#gw.statuses();
      const ready = isReady(st);
      const now = this.#now();
      if (!detail) {
        // What a load balancer needs, nothing a peer could use: no CompID, address or sequence number.
        const down = st.filter((s) => !(!s.enabled || s.held || !s.inWindow || s.loggedOn)).length;
        return json(ready ? 200 : 503, { ready, sessions: st.length, down });
      }
      return json(ready ? 200 : 503, { ready, sessions: st.map((s) => sessionJson(s, now)) });
    }
    const operator = path === "/sessions" || path.startsWith("/sessions/") || path === "/kill-switch" ||
      path.startsWith("/kill-switch/") || path === "/reload";
    if (!operator) return json(404, { error: `no such endpoint: ${path}` });
    const denied = this.#authorize(req);
    if (denied) return denied;
    if (path === "/sessions") {
      if (m !== "GET") return methodNotAllowed("GET");
      const now = this.#now();
      return json(200, { sessions: this.#gw.statuses().map((s) => this.#detail(s, now)) });
    }
    if (path.startsWith("/sessions/")) return await this.#session(req, path.slice("/sessions/".length));
    if (path === "/kill-switch") {
      if (m === "GET") return json(200, this.#killState());
      if (m !== "POST") return methodNotAllowed("GET, POST");
      const body = await readJson(req);
      if (body instanceof Response) return body;
      const reason = typeof body.reason === "string" && body.reason.length > 0
        ? body.reason.slice(0, 200)
        : "admin request";
      this.#o.logger.warn("admin", `kill switch requested: ${reason}`);
      const r = this.#gw.engageKillSwitch(reason);
      return json(200, { ...this.#killState(), cancelsSent: r.cancels, sessions: r.sessions });
    }
    if (path === "/kill-switch/reset") {
      if (m !== "POST") return methodNotAllowed("POST");
      this.#gw.releaseKillSwitch();
      return json(200, this.#killState());
    }
    if (path === "/reload") {
      if (m !== "POST") return methodNotAllowed("POST");
      if (!this.#o.reload) return json(409, { error: "no config file to reload (sessions came from flags)" });
      const o = await this.#o.reload();
      return json(o.ok ? 200 : 422, {
        ok: o.ok,
        applied: o.applied,
        needsRestart: o.needsRestart,
        ...(o.error ? { error: o.error } : {}),
      });
    }
    return json(404, { error: `no such endpoint: ${path}` });
  }

  #killState(): Record<string, unknown> {
    const k = this.#gw.killSwitch;
    return {
      engaged: k.engaged,
      reason: k.reason ?? null,
      since: k.sinceMs === undefined ? null : new Date(k.sinceMs).toISOString(),
    };
  }

  #detail(s: GatewaySessionStatus, now: number): Record<string, unknown> {
    const r = this.#gw.runner(s.key)!;
    const c = r.counters;
    return {
      ...sessionJson(s, now),
      throttle: r.throttle,
      counters: {
        messagesIn: c.messagesIn,
        messagesOut: c.messagesOut,
        rejectsSent: c.rejectsSent,
        rejectsReceived: c.rejectsReceived,
        resendRequestsSent: c.resendRequestsSent,
        resendRequestsReceived: c.resendRequestsReceived,
        gapFillsSent: c.gapFillsSent,
        heartbeatsMissed: c.heartbeatsMissed,
        reconnects: c.reconnects,
        logons: c.logons,
        logonsRefused: c.logonsRefused,
        throttledIn: c.throttledIn,
        ordersRefused: c.ordersRefused,
      },
    };
  }

  /**
   * Read-only endpoints show details with a valid token: true with it, false without an Authorization
   * header (or with no token configured), 401 for a wrong one.
   */
  #detailAllowed(req: Request): boolean | Response {
    const token = this.#o.token();
    if (token === undefined || token === "" || !req.headers.has("authorization")) return false;
    return this.#authorize(req) ?? true;
  }

  #authorize(req: Request): Response | undefined {
    const token = this.#o.token();
    if (token === undefined || token === "") {
      return json(403, { error: "operator endpoints are off: set admin.token in the config" });
    }
    const h = req.headers.get("authorization") ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (!m || !constantTimeEqual(m[1]!.trim(), token)) {
      return json(401, { error: "missing or wrong bearer token" }, {
        "www-authenticate": 'Bearer realm="fixg"',
      });
    }
    return undefined;
  }

  async #session(req: Request, rest: string): Promise<Response> {
    const slash = rest.indexOf("/");
    const rawId = slash < 0 ? rest : rest.slice(0, slash);
    const action = slash < 0 ? "" : rest.slice(slash + 1);
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      return json(400, { error: "session id is not valid URL encoding" });
    }
    const runner = this.#gw.find(id);
    if (!runner) return json(404, { error: `unknown session: ${id}` });
    const key = runner.key;
    if (action === "") {
      if (req.method !== "GET") return methodNotAllowed("GET");
      return json(200, this.#detail(this.#gw.sessionStatus(key)!, this.#now()));
    }
    if (req.method !== "POST") return methodNotAllowed("POST");
    const log = (what: string) => this.#o.logger.warn("admin", `operator ${what}`, key);
    switch (action) {
      case "logout":
        log("logout");
        this.#gw.operatorLogout(key);
        break;
      case "logon":
        log("logon");
        this.#gw.operatorLogon(key);
        break;
      case "reset": {
        // The library protocol's RESET, through the same command target (boundary.ts).
        log("reset of sequence numbers");
        const o = await commandTarget(runner).sequence({ type: "reset", key, tag: 0 });
        if (o.kind === "refused") return json(409, { error: o.reason });
        break;
      }
      case "set-seq": {
        const body = await readJson(req);
        if (body instanceof Response) return body;
        const seq = (k: string): number | undefined | Response => {
          const v = body[k];
          if (v === undefined) return undefined;
          if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 2 ** 31) {
            return json(400, { error: `${k} must be a whole number from 1 to 2147483648` });
          }
          return v;
        };
        const s = seq("nextSenderSeq"), t = seq("nextTargetSeq");
        if (s instanceof Response) return s;
        if (t instanceof Response) return t;
        if (s === undefined && t === undefined) {
          return json(400, { error: "give nextSenderSeq and/or nextTargetSeq" });
        }
        const what = `set-seq${s === undefined ? "" : ` nextSenderSeq=${s}`}${
          t === undefined ? "" : ` nextTargetSeq=${t}`
        }`;
        // The library protocol's SET_SEQ, through the same command target and rule (boundary.ts): never a
        // next sender number below one already used (409).
        const o = await commandTarget(runner).sequence({
          type: "set-seq",
          key,
          tag: 0,
          nextSenderSeq: s ?? 0,
          nextTargetSeq: t ?? 0,
        });
        if (o.kind === "refused") {
          log(`${what} refused: ${o.reason}`);
          return json(o.code === ErrorCode.INVALID_SEQ ? 400 : 409, {
            error: o.reason,
            nextSenderSeq: o.nextSenderSeq,
            nextTargetSeq: o.nextTargetSeq,
          });
        }
        log(what);
        break;
      }
      default:
        return json(404, { error: `unknown action: ${action} (logout, logon, reset, set-seq)` });
    }
    return json(200, sessionJson(this.#gw.sessionStatus(key)!, this.#now()));
  }
}

/** Metric families without any per-session sample (the tokenless /metrics). */
export function withoutSessions(fams: MetricFamily[]): MetricFamily[] {
  const out: MetricFamily[] = [];
  for (const f of fams) {
    const samples = (f.samples as ReadonlyArray<{ labels: Labels }>).filter((s) => !("session" in s.labels));
    if (samples.length === 0 && f.samples.length > 0) continue;
    out.push({ ...f, samples } as unknown as MetricFamily);
  }
  return out;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** True when a Host header names an IP address, localhost or an allowed name (any port). */
export function hostAllowed(header: string, allowed: readonly string[]): boolean {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) return /^\[[0-9a-f:.]+\](:\d+)?$/.test(h);
  const name = h.replace(/:\d+$/, "");
  if (IPV4.test(name) || name === "localhost") return true;
  return allowed.some((a) => a.toLowerCase() === name);
}

function methodNotAllowed(allow: string): Response {
  return json(405, { error: `method not allowed (use ${allow})` }, { allow });
}

/** The request body as a JSON object ({} when empty), or a 400 response. */
async function readJson(req: Request): Promise<Record<string, unknown> | Response> {
  const text = await req.text();
  if (text.trim() === "") return {};
  try {
    const v = JSON.parse(text);
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return json(400, { error: "body must be a JSON object" });
    }
    return v as Record<string, unknown>;
  } catch {
    return json(400, { error: "body is not valid JSON" });
  }
}

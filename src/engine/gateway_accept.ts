/**
 * The gateway's acceptor side: listening ports (TCP, or TLS over node:tls with a handshake timeout and
 * an accept watchdog), the bounds on connections that have not logged on yet (in total and per
 * address, with a logon timeout), rate-limited refusal logging, and the first message of each
 * connection: which session it is for, whether the peer may have it, and the engine's one Logon
 * authentication path (users with their failed-logon throttle and bounded hashing, then a custom
 * logon hook). Nothing is created or journaled for a peer until it is authenticated.
 */
import type { Scheduler } from "../clock.ts";
import { concatBytes } from "../codec/bytes.ts";
import { Framer, MessageView, Tag } from "../codec/mod.ts";
import {
  findForLogon,
  instantiate,
  isTemplate,
  matchesTemplate,
  sessionIdFromInbound,
} from "../session/session_id.ts";
import { sessionKey } from "../session/types.ts";
import { listenTcp } from "../transport/tcp.ts";
import { identityAllowed, TlsConnection } from "../transport/tls.ts";
import { listenTlsNode, type TlsListener } from "../transport/tls_listen.ts";
import type { Connection, Listener } from "../transport/types.ts";
import { AuthThrottle, type AuthThrottleOptions, HashGate } from "./auth/throttle.ts";
import type { AuthDecision, UserDirectory } from "./auth/users.ts";
import {
  type AcceptorSpec,
  DEFAULT_MAX_HEARTBTINT_SEC,
  DEFAULT_PRELOGON_LIMITS,
  type GatewayEntry,
  type GatewaySession,
  type LogonContext,
  type PreLogonLimits,
  REFUSAL_REASONS,
  type RefusalReason,
} from "./gateway_types.ts";
import type { Logger } from "./log.ts";
import { RefusalLog } from "./refusal_log.ts";
import { inWindow } from "./schedule.ts";

/** Refusal log lines: a burst of this many, then one per second; what was dropped is counted on the next. */

/** What the acceptor side needs of the gateway. */
export interface AcceptHost {
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  /** The users sessions with `authentication: users` are checked against. */
  readonly users: UserDirectory | undefined;
  /** Sessions are shared by a cluster: configured sessions this gateway does not own are refused. */
  readonly clustered: boolean;
  stopping(): boolean;
  entries(): Iterable<GatewayEntry>;
  entry(key: string): GatewayEntry | undefined;
  /** Opens a session for a Logon; undefined when the gateway began stopping (nothing is left open). */
  open(spec: GatewaySession): Promise<GatewayEntry | undefined>;
  /**
   * Cluster: takes the lease of a dynamic session (from a template) on its Logon, or finds it held here;
   * false when another gateway holds it (the Logon is refused, the peer tries the next address).
   */
  claim(key: string): Promise<boolean>;
  /** The schedule's reset, when due, before a Logon is taken (numbers of an earlier window start at 1). */
  windowReset(entry: GatewayEntry): Promise<void>;
  configuredSessions(): Map<string, GatewaySession>;
  /** The socket knobs applied; the connection to use (maybe wrapped for spinning reads). */
  tune(conn: Connection, key: string): Connection;
  /** A health problem raised (or its text updated) and cleared. */
  raise(what: string, text: string): void;
  clear(what: string, text: string): void;
}

/** An accepted connection that logged on to a session: the entry, the connection, the bytes read so far. */
interface Taken {
  entry: GatewayEntry;
  conn: Connection;
  prefix: Uint8Array;
}

/** The acceptor ports of a gateway and everything that happens before a connection's Logon is taken. */
export class Acceptors {
  readonly specs: AcceptorSpec[] = [];
  readonly listeners: Listener[] = [];
  readonly tlsListeners = new Map<AcceptorSpec, TlsListener>();
  /** Accept loops, and connections being handled (pre-logon or in session; each leaves when it ends). */
  readonly loops: Promise<void>[] = [];
  readonly connTasks = new Set<Promise<void>>();
  readonly #host: AcceptHost;
  readonly #pendingConns = new Set<Connection>();
  readonly #refusals = new Map<RefusalReason, number>();
  #limits: PreLogonLimits;
  readonly #authThrottle: AuthThrottle;
  readonly #hashGate: HashGate;
  #preLogon = 0;
  readonly #preLogonByHost = new Map<string, number>();
  #acceptErrors = 0;
  /** Refusal log lines, rate limited (a burst, then one per second): a flood cannot flood the log. */
  readonly #refusalLines: RefusalLog;

  constructor(host: AcceptHost, limits: PreLogonLimits) {
    this.#host = host;
    this.#limits = limits;
    this.#authThrottle = new AuthThrottle(this.#throttleOptions());
    this.#hashGate = new HashGate(this.#limits.maxConcurrentHashes);
    this.#refusalLines = new RefusalLog(host.logger, () => host.scheduler);
  }

  #throttleOptions(): Partial<AuthThrottleOptions> {
    return { freeFailures: this.#limits.authFreeFailures, maxPenaltyMs: this.#limits.authMaxPenaltyMs };
  }

  get limits(): PreLogonLimits {
    return { ...this.#limits };
  }

  setLimits(l: Partial<PreLogonLimits>): void {
    this.#limits = { ...DEFAULT_PRELOGON_LIMITS, ...l };
    this.#authThrottle.configure(this.#throttleOptions());
    this.#hashGate.setMax(this.#limits.maxConcurrentHashes);
  }

  get preLogonConnections(): number {
    return this.#preLogon;
  }

  get acceptErrors(): number {
    return this.#acceptErrors;
  }

  refusals(): Map<RefusalReason, number> {
    return new Map(REFUSAL_REASONS.map((r) => [r, this.#refusals.get(r) ?? 0]));
  }

  #countRefusal(reason: RefusalReason): void {
    this.#refusals.set(reason, (this.#refusals.get(reason) ?? 0) + 1);
  }

  /** Binds every port and starts its accept loop. */
  async listen(): Promise<void> {
    const log = this.#host.logger;
    for (const a of this.specs) {
      const m = a.tlsMaterial;
      let l: Listener;
      let where = `acceptor ${a.host}:${a.port}`;
      const acceptError = (why: string) => {
        this.#acceptErrors++;
        this.#host.raise(where, `${where} cannot accept connections: ${why}`);
        this.#refusalLog("accept-failed", `${where}: ${why}`);
      };
      const acceptOk = () => this.#host.clear(where, `${where} accepts connections again`);
      if (a.listener) l = a.listener;
      else if (m) {
        const tl = await listenTlsNode(a.host, a.port, m, (from, why) => {
          this.#countRefusal("handshake");
          this.#refusalLog("tls-refused", `TLS handshake from ${from} failed: ${why}`);
        }, {
          handshakeTimeoutMs: this.#limits.handshakeTimeoutMs,
          admit: (host) => this.#admit(host),
          onLimit: (addr) => this.#limitRefused(addr),
          watchdogMs: this.#limits.acceptWatchdogMs,
          onAcceptError: acceptError,
          onAcceptOk: acceptOk,
          scheduler: this.#host.scheduler,
        });
        this.tlsListeners.set(a, tl);
        l = tl;
      } else {
        l = listenTcp(
          a.host,
          a.port,
          a.tls,
          (why, retryMs) => acceptError(`${why}; retrying in ${retryMs} ms`),
          acceptOk,
          this.#host.scheduler,
        );
      }
      this.listeners.push(l);
      where = `acceptor ${l.hostname}:${l.port}`;
      log.info("listen", `acceptor listening on ${l.hostname}:${l.port}`, undefined, {
        sessions: a.sessions.map((s) => sessionKey(s.config.id)).join(","),
      });
      this.loops.push(this.#acceptLoop(l, a));
    }
  }

  /** Closes the ports and the connections that have not logged on. */
  close(): void {
    for (const l of this.listeners) l.close();
    for (const c of this.#pendingConns) c.close();
  }

  /**
   * A pre-logon slot for a connection from `host`: a release function (idempotent), or undefined when
   * the total or per-address limit is reached.
   */
  #admit(host: string): (() => void) | undefined {
    const n = this.#preLogonByHost.get(host) ?? 0;
    if (this.#preLogon >= this.#limits.maxPending || n >= this.#limits.maxPendingPerAddress) {
      return undefined;
    }
    this.#preLogon++;
    this.#preLogonByHost.set(host, n + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#preLogon--;
      const m = (this.#preLogonByHost.get(host) ?? 1) - 1;
      if (m <= 0) this.#preLogonByHost.delete(host);
      else this.#preLogonByHost.set(host, m);
    };
  }

  #limitRefused(addr: string): void {
    this.#countRefusal("limit");
    this.#refusalLog(
      "connection-refused",
      `too many connections not logged on (limits.maxPendingConnections ${this.#limits.maxPending}, per address ${this.#limits.maxPendingPerAddress}): ${addr} closed`,
    );
  }

  /** A refusal log line, rate limited (refusal_log.ts); the next line written says how many were left out. */
  #refusalLog(event: string, text: string, session?: string): void {
    this.#refusalLines.warn(event, text, session);
  }

  async #acceptLoop(l: Listener, spec: AcceptorSpec): Promise<void> {
    for await (const conn of l) {
      if (this.#host.stopping()) {
        conn.close();
        break;
      }
      // Tracked until it ends, then forgotten: a long-running acceptor keeps nothing per past connection.
      const t: Promise<void> = this.#handleAccepted(conn, spec).finally(() => this.connTasks.delete(t));
      this.connTasks.add(t);
    }
  }

  /**
   * Holds a pre-logon slot while the connection has not logged on (TLS: taken by the listener before the
   * handshake), then hands the connection to its session.
   */
  async #handleAccepted(conn: Connection, acceptor: AcceptorSpec): Promise<void> {
    let release: (() => void) | undefined;
    if (conn instanceof TlsConnection) release = conn.release;
    else {
      release = this.#admit(conn.remoteHost);
      if (release === undefined) {
        this.#limitRefused(conn.remoteAddr);
        conn.close();
        return;
      }
    }
    let taken: Taken | undefined;
    try {
      taken = await this.#identify(conn, acceptor);
    } finally {
      release();
      if (conn instanceof TlsConnection) conn.release = () => {};
    }
    if (!taken) return;
    const { entry } = taken;
    conn = taken.conn;
    if (entry.runner.connected) {
      // Another connection took the session after #identify's last check (both waited on the same
      // schedule reset, or their checks ended in the same turn): checked again where attach follows at once.
      this.#countRefusal("already-logged-on");
      entry.runner.counters.logonsRefused++;
      this.#refusalLog(
        "logon-refused",
        `session ${entry.runner.key} is already logged on from another connection (from ${conn.remoteAddr}); disconnected without sending`,
        entry.runner.key,
      );
      conn.close();
      return;
    }
    this.#host.logger.info("connect", `accepted ${conn.remoteAddr}`, entry.runner.key);
    await entry.runner.attach(conn, taken.prefix);
    this.#host.logger.info("disconnect", `connection from ${conn.remoteAddr} closed`, entry.runner.key);
  }

  /** Reads the connection until its first frame, within the logon timeout. */
  async #firstFrame(
    conn: Connection,
  ): Promise<{ first: MessageView | undefined; got: Uint8Array[]; total: number; expired: boolean }> {
    this.#pendingConns.add(conn);
    const got: Uint8Array[] = [];
    let total = 0;
    let first: MessageView | undefined;
    let garbled = false;
    const framer = new Framer({
      onFrame: (b, s, e) => {
        if (!first && !garbled) first = MessageView.parse(b.slice(s, e));
      },
      // A garbled first frame cannot be a valid Logon (case 1S d): close at once, without a word.
      onGarbled: () => {
        if (!first) garbled = true;
      },
    });
    const buf = new Uint8Array(16 * 1024);
    let expired = false;
    let expire: (v: null) => void = () => {};
    const timedOut = new Promise<null>((r) => (expire = r));
    const timer = this.#host.scheduler.after(this.#limits.logonTimeoutMs, () => {
      expired = true;
      expire(null);
    });
    try {
      while (!first && !garbled && total < 64 * 1024) {
        const n = await Promise.race([conn.read(buf), timedOut]);
        if (n === null) break;
        got.push(buf.slice(0, n));
        total += n;
        framer.push(buf.subarray(0, n));
      }
    } catch {
      // A connection that fails before its Logon is just closed.
    } finally {
      timer.cancel();
      this.#pendingConns.delete(conn);
    }
    return { first, got, total, expired };
  }

  /** Reads until the first frame, finds its session and checks the peer (or closes it silently). */
  async #identify(conn: Connection, acceptor: AcceptorSpec): Promise<Taken | undefined> {
    const host = this.#host;
    const { first, got, total, expired } = await this.#firstFrame(conn);
    if (!first) {
      // Empty probe (connect then close), silence or junk: close without a word.
      if (expired) this.#countRefusal("timeout");
      if (total > 0) this.#refusalLog("refused", `no valid message from ${conn.remoteAddr}; closed`);
      conn.close();
      return;
    }
    const refuse = (why: string, reason: RefusalReason, refusedKey?: string): undefined => {
      // FIX: a Logon that fails authentication is answered by disconnecting; no Logout is sent, as it would
      // consume a sequence number of a session the peer may not own (test case 1S c). Only sessions that
      // already exist count refusals; every refusal is counted in aggregate by reason.
      this.#countRefusal(reason);
      const refused = refusedKey === undefined ? undefined : host.entry(refusedKey);
      if (refused) refused.runner.counters.logonsRefused++;
      this.#refusalLog(
        "logon-refused",
        `${why} (from ${conn.remoteAddr}); disconnected without sending`,
        refusedKey,
      );
      conn.close();
      return undefined;
    };
    if (first.msgType !== "A") {
      return refuse(`first message is MsgType ${first.msgType}, not Logon`, "not-logon");
    }
    // One session identity (src/session/session_id.ts): CompIDs, sub IDs, qualifier.
    const id = sessionIdFromInbound(first);
    const found = findForLogon(
      id,
      [...host.entries()].filter((e) => e.spec.config.role === "acceptor"),
      (e) => e.spec.config.id,
    );
    if (found.kind === "ambiguous") {
      return refuse(
        `session ${sessionKey(id)} is ambiguous (${found.keys.join(", ")}: told apart by qualifier only)`,
        "unknown-session",
      );
    }
    let entry = found.kind === "found" ? found.item : undefined;
    // Cluster: a configured session this gateway does not own is refused, so the peer tries the next address.
    if (entry === undefined && host.clustered && host.configuredSessions().has(sessionKey(id))) {
      return refuse(`session ${sessionKey(id)} is owned by another gateway of the cluster`, "not-owner");
    }
    // A dynamic session is only described until its peer is authenticated: nothing is created,
    // registered or journaled for a peer that has not proved who it is.
    let spec: GatewaySession;
    if (entry) spec = entry.spec;
    else {
      const tpl = acceptor.templates?.find((t) =>
        isTemplate(t.config.id) && matchesTemplate(t.config.id, id)
      );
      if (!tpl) return refuse(`unknown session ${sessionKey(id)}`, "unknown-session");
      spec = { ...tpl, config: { ...tpl.config, id: instantiate(tpl.config.id, id) } };
    }
    const key = sessionKey(spec.config.id);
    const known = entry ? key : undefined;
    if (spec.enabled === false) return refuse(`session ${key} is disabled`, "disabled", known);
    if (entry?.held) return refuse(`session ${key} is held down by an operator`, "held", known);
    if (!inWindow(spec.schedule, host.scheduler.nowMs())) {
      return refuse(`session ${key} is outside its schedule`, "schedule", known);
    }
    if (spec.allowedAddresses && !spec.allowedAddresses.includes(conn.remoteHost)) {
      return refuse(`address ${conn.remoteHost} not allowed for ${key}`, "address", known);
    }
    const peer = conn instanceof TlsConnection ? conn.peerIdentity() : undefined;
    const allowedNames = spec.tlsMaterial?.allowedClientNames;
    if (allowedNames !== undefined && !identityAllowed(peer, allowedNames)) {
      return refuse(
        `client certificate ${peer?.commonName ?? "(none)"} is not allowed for ${key}`,
        "certificate",
        known,
      );
    }
    if (entry?.runner.connected) {
      return refuse(
        `session ${key} is already logged on from another connection`,
        "already-logged-on",
        known,
      );
    }
    const hb = first.getInt(Tag.HeartBtInt);
    const maxHb = spec.maxHeartBtIntSec ?? DEFAULT_MAX_HEARTBTINT_SEC;
    if (hb !== undefined && hb > maxHb) {
      return refuse(`HeartBtInt (108) ${hb} s is above the maximum ${maxHb} s`, "heartbeat", known);
    }
    const decision = await this.#authenticate(spec, key, first, conn, peer);
    if (!decision.accept) {
      return refuse(
        `not authorised: ${decision.reason}`,
        "throttled" in decision ? "throttled" : "authentication",
        known,
      );
    }
    if (host.stopping()) {
      conn.close();
      return;
    }
    if (!entry) {
      // Cluster: a dynamic session has a lease like a configured one, taken by the gateway its peer
      // reaches first (epoch + 1, numbers from the committed tail), renewed while it lives, and fenced
      // the same way; without it no commit would be certain (the Logon's answer never went out).
      if (host.clustered && host.entry(key) === undefined && !await host.claim(key)) {
        return refuse(`session ${key} is owned by another gateway of the cluster`, "not-owner");
      }
      // The gateway may have begun stopping while the lease was claimed, or while the session opens: no
      // session is opened, or one opened meanwhile is closed (stop() took its list of runners already).
      entry = host.entry(key) ?? await host.open(spec);
      if (entry === undefined) {
        conn.close();
        return;
      }
      if (entry.spec === spec) {
        host.logger.info("session-created", `dynamic session ${key} from template`, key);
      }
    }
    // The schedule's reset, when due, before the Logon is taken (numbers of an earlier window start at 1).
    await host.windowReset(entry);
    // The gateway began stopping while the lease was claimed or the session opened: its sessions were
    // stopped already, so one logged on now would stay connected, stopped by nobody (and stop() waits for it).
    if (host.stopping()) {
      conn.close();
      return;
    }
    // Another connection may have logged on while the credentials were being checked (or the reset ran).
    if (entry.runner.connected) {
      return refuse(`session ${key} is already logged on from another connection`, "already-logged-on", key);
    }
    return { entry, conn: host.tune(conn, key), prefix: concatBytes(got) };
  }

  /**
   * The engine's one Logon authentication path: Username/Password against the users (throttled per
   * address and per claimed user, hashes bounded), then the session's logon hook, if any.
   */
  async #authenticate(
    spec: GatewaySession,
    key: string,
    logon: MessageView,
    conn: Connection,
    peer: ReturnType<TlsConnection["peerIdentity"]>,
  ): Promise<AuthDecision | { accept: false; reason: string; throttled: true }> {
    const now = () => this.#host.scheduler.nowMs();
    if (spec.authentication === "users") {
      const users = this.#host.users;
      if (!users) return { accept: false, reason: "no users configured" };
      // Failed passwords are throttled per address and per claimed user before any hashing, and the
      // hashes that do run share a few slots, served round robin by address (src/engine/auth/throttle.ts).
      const addr = conn.remoteHost.replace(/^::ffff:/, "");
      const user = users.nameOf(logon.getString(Tag.Username)); // one count per user, either encoding
      const v = this.#authThrottle.check(addr, user, now());
      if (!v.allowed) return { accept: false, reason: v.reason, throttled: true };
      const d = await this.#hashGate.run(addr, () => {
        // Failures of this address may have used up its allowance while it waited for a slot.
        const again = this.#authThrottle.check(addr, user, now());
        if (!again.allowed) {
          return Promise.resolve({ accept: false as const, reason: again.reason, throttled: true as const });
        }
        return users.check(logon, spec.allowedUsers);
      });
      if ("throttled" in d) return d;
      if (!d.accept) {
        this.#authThrottle.failure(addr, user, now());
        return d;
      }
      this.#authThrottle.success(addr, user, now());
    }
    if (spec.logonHook) {
      const ctx: LogonContext = { key, remoteHost: conn.remoteHost };
      if (peer) ctx.clientCertNames = [...(peer.commonName ? [peer.commonName] : []), ...peer.altNames];
      try {
        return await spec.logonHook(logon, ctx);
      } catch (e) {
        return { accept: false, reason: `logon hook failed: ${e instanceof Error ? e.message : e}` };
      }
    }
    return { accept: true };
  }
}

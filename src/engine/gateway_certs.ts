/**
 * The gateway's TLS material: new certificates for an acceptor port or an initiator session (hot
 * reload: new connections use them, live sessions keep theirs), the list of our certificates with
 * their end of validity, and a warning when one has expired or expires soon.
 */
import type { Clock } from "../clock.ts";
import { matchesTemplate } from "../session/session_id.ts";
import { sessionKey } from "../session/types.ts";
import {
  type CertificateInfo,
  certificateInfo,
  expiryWarning,
  sameMaterial,
  type TlsMaterial,
} from "../transport/tls.ts";
import type { Acceptors } from "./gateway_accept.ts";
import type { GatewayEntry, GatewaySession } from "./gateway_types.ts";
import type { Logger } from "./log.ts";

/** One of our certificates: an acceptor port's or an initiator session's. */
export interface CertificateEntry {
  acceptor?: string;
  session?: string;
  info: CertificateInfo;
}

/** Certificate bookkeeping of a gateway (parsed certificates cached by their PEM text). */
export class Certificates {
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #cache = new Map<string, CertificateInfo | undefined>();

  constructor(logger: Logger, clock: Clock) {
    this.#logger = logger;
    this.#clock = clock;
  }

  /**
   * New TLS material for the acceptor port serving the session of `e` (or for `e` itself, an initiator).
   * Returns false when nothing changed.
   */
  setMaterial(e: GatewayEntry, m: TlsMaterial, acceptors: Acceptors): boolean {
    const key = sessionKey(e.spec.config.id);
    if (e.spec.config.role === "initiator") {
      if (sameMaterial(e.spec.tlsMaterial, m)) return false;
      e.spec = { ...e.spec, tlsMaterial: m };
      this.#logger.info("tls-reloaded", "new TLS material for the next connection", key);
      this.#warnExpiry(m, `session ${key}`, key);
      return true;
    }
    for (const a of acceptors.specs) {
      if (
        !a.sessions.some((s) => sessionKey(s.config.id) === key) &&
        !a.templates?.some((s) => matchesTemplate(s.config.id, e.spec.config.id))
      ) continue;
      if (sameMaterial(a.tlsMaterial, m)) return false;
      a.tlsMaterial = m;
      acceptors.tlsListeners.get(a)?.setMaterial(m);
      this.#logger.info(
        "tls-reloaded",
        `new certificate on ${a.host}:${a.port} for new connections; live sessions keep theirs`,
        key,
      );
      this.#warnExpiry(m, `acceptor ${a.host}:${a.port}`);
      return true;
    }
    return false;
  }

  /** Our certificates (acceptor ports and initiator sessions) with their end of validity. */
  list(
    acceptors: Acceptors,
    initiators: readonly GatewaySession[],
    specOf: (key: string) => GatewaySession | undefined,
  ): CertificateEntry[] {
    const out: CertificateEntry[] = [];
    for (const [i, a] of acceptors.specs.entries()) {
      const info = this.#info(a.tlsMaterial);
      const port = acceptors.listeners[i]?.port ?? a.port;
      if (info) out.push({ acceptor: `${a.host}:${port}`, info });
    }
    for (const s of initiators) {
      const key = sessionKey(s.config.id);
      const info = this.#info(specOf(key)?.tlsMaterial ?? s.tlsMaterial);
      if (info) out.push({ session: key, info });
    }
    return out;
  }

  /** At start: a warning for each of our certificates that has expired or expires soon. */
  warnAll(acceptors: Acceptors, initiators: readonly GatewaySession[]): void {
    for (const [i, a] of acceptors.specs.entries()) {
      this.#warnExpiry(a.tlsMaterial, `acceptor ${a.host}:${acceptors.listeners[i]?.port ?? a.port}`);
    }
    for (const s of initiators) {
      this.#warnExpiry(s.tlsMaterial, `session ${sessionKey(s.config.id)}`, sessionKey(s.config.id));
    }
  }

  #info(m: TlsMaterial | undefined): CertificateInfo | undefined {
    if (m?.cert === undefined) return undefined;
    if (!this.#cache.has(m.cert)) {
      if (this.#cache.size > 64) this.#cache.clear();
      this.#cache.set(m.cert, certificateInfo(m.cert));
    }
    return this.#cache.get(m.cert);
  }

  /** Logs a warning when our certificate has expired or expires soon. */
  #warnExpiry(m: TlsMaterial | undefined, where: string, session?: string): void {
    const info = this.#info(m);
    const w = info && expiryWarning(info, this.#clock.nowMs());
    if (w) this.#logger.warn("tls-certificate", `${where}: ${w}`, session);
  }
}

/**
 * Socket knobs of the gateway's session connections (both sides): applied to each connection as it
 * is handed to its session, each knob's outcome kept (the latest per knob) and logged when it changes;
 * read spinning wraps the connection (src/engine/read_spin.ts).
 */
import { applySocketTuning, type SocketLike, type SocketTuning } from "../sys/socket.ts";
import type { EffectReport } from "../sys/types.ts";
import { DenoConnection } from "../transport/tcp.ts";
import { TlsConnection } from "../transport/tls.ts";
import type { Connection } from "../transport/types.ts";
import type { Logger } from "./log.ts";
import { withReadSpin } from "./read_spin.ts";

/** Applies the configured socket knobs to session connections and keeps what took effect. */
export class ConnectionTuner {
  readonly #logger: Logger;
  readonly #reports = new Map<string, EffectReport>();
  #tuning: SocketTuning | undefined;

  constructor(logger: Logger, tuning: SocketTuning | undefined) {
    this.#logger = logger;
    this.#tuning = tuning;
  }

  /** Replaces the knobs applied to new connections. */
  set(t: SocketTuning | undefined): void {
    this.#tuning = t;
  }

  /** The latest report of each knob, from the most recent connection. */
  reports(): EffectReport[] {
    return [...this.#reports.values()];
  }

  /**
   * Applies the knobs to a session connection (logging a knob when its outcome changes); returns the
   * connection to use: wrapped for spinning reads when `readSpinUs` is set and it can spin.
   */
  tune(conn: Connection, key: string): Connection {
    const t = this.#tuning;
    if (!t || Object.keys(t).length === 0) return conn;
    let sock: SocketLike | undefined;
    if (conn instanceof DenoConnection) sock = conn.raw;
    else if (conn instanceof TlsConnection) sock = conn.addresses() as unknown as Deno.Conn;
    const reports = sock ? applySocketTuning(sock, t) : [];
    let out = conn;
    if (t.readSpinUs !== undefined && t.readSpinUs > 0) {
      const spun = withReadSpin(conn, t.readSpinUs);
      out = spun.conn;
      reports.push(spun.report);
    }
    for (const r of reports) {
      const prev = this.#reports.get(r.knob);
      this.#reports.set(r.knob, r);
      if (prev && prev.ok === r.ok && prev.effective === r.effective) continue;
      const text = `${r.knob}: requested ${r.requested}, effective ${r.effective}${
        r.warning ? ` (${r.warning})` : ""
      }`;
      if (r.ok) this.#logger.info("tuning", text, key);
      else this.#logger.warn("tuning", text, key);
    }
    return out;
  }
}

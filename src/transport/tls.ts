/**
 * TLS for sessions over node:tls (which Deno implements on rustls): unlike Deno.listenTls it can
 * require and verify client certificates (mutual TLS), it can swap the certificate of a listening
 * server (setSecureContext: new connections get the new material, live sessions keep theirs), and a
 * client can verify a server name other than the host it connects to.
 *
 * The listener (handshake timeout, accept watchdog) is in tls_listen.ts.
 *
 * The sockets are wrapped as fixg Connections: `read` copies from the chunks node hands over (the
 * socket is paused while more than a megabyte waits), `write` resolves once node has passed the
 * bytes on, so the engine may reuse its buffer.
 */
import type { Buffer } from "node:buffer";
import { X509Certificate } from "node:crypto";
import tls from "node:tls";
import { type Scheduler, systemScheduler } from "../clock.ts";
import { ConfigError } from "../errors.ts";
import type { Connection } from "./types.ts";

/** TLS settings of a session as configured (file paths). */
export interface TlsFiles {
  /** Our certificate chain (PEM file). */
  cert?: string;
  /** Our private key (PEM file). */
  key?: string;
  /** CA certificates that sign the peer's certificate (PEM file); absent: the system roots. */
  ca?: string;
  /** Acceptor: require a client certificate signed by `ca` (mutual TLS). */
  requireClientCert?: boolean;
  /** Initiator: the name the server's certificate must carry (default: the host). */
  serverName?: string;
  /** Acceptor: client certificate names (CN or DNS/IP subjectAltName) allowed for this session. */
  allowedClientNames?: string[];
}

/** TLS material read from the files (PEM text). */
export interface TlsMaterial {
  cert?: string;
  key?: string;
  ca?: string[];
  requireClientCert: boolean;
  serverName?: string;
  allowedClientNames?: string[];
}

/** Reads the PEM files of a TLS section; `where` names the config key in errors. */
export async function loadTlsMaterial(files: TlsFiles, where: string): Promise<TlsMaterial> {
  const read = async (k: "cert" | "key" | "ca", marker: string): Promise<string> => {
    const path = files[k]!;
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      throw new ConfigError(
        `${where}.tls.${k}: cannot read "${path}": ${e instanceof Error ? e.message : e}`,
      );
    }
    if (
      !text.includes(`-----BEGIN ${marker}`) &&
      !(k === "key" && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
    ) {
      throw new ConfigError(
        `${where}.tls.${k}: "${path}" is not a PEM ${k === "key" ? "private key" : "certificate"}`,
      );
    }
    return text;
  };
  const m: TlsMaterial = { requireClientCert: files.requireClientCert === true };
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new ConfigError(`${where}.tls: cert and key go together (one is missing)`);
  }
  if (files.cert !== undefined) m.cert = await read("cert", "CERTIFICATE");
  if (files.key !== undefined) m.key = await read("key", "PRIVATE KEY");
  if (files.ca !== undefined) m.ca = [await read("ca", "CERTIFICATE")];
  if (files.serverName !== undefined) m.serverName = files.serverName;
  if (files.allowedClientNames !== undefined) m.allowedClientNames = files.allowedClientNames;
  if (m.requireClientCert && m.ca === undefined) {
    throw new ConfigError(`${where}.tls.ca: requireClientCert needs the CA that signs client certificates`);
  }
  return m;
}

/** Our certificate's subject and end of validity. */
export interface CertificateInfo {
  subject: string;
  notAfterMs: number;
}

/** Warn about a certificate expiring within this many days. */
export const CERT_EXPIRY_WARNING_DAYS = 30;

/** The first certificate of a PEM chain (ours: the leaf), or undefined when it cannot be parsed. */
export function certificateInfo(pem: string): CertificateInfo | undefined {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem);
  if (!m) return undefined;
  try {
    const x = new X509Certificate(m[0]);
    const notAfterMs = Date.parse(x.validTo);
    if (!Number.isFinite(notAfterMs)) return undefined;
    return { subject: x.subject.replaceAll("\n", ", "), notAfterMs };
  } catch {
    return undefined;
  }
}

/** A warning when the certificate has expired or expires within `days` days; undefined otherwise. */
export function expiryWarning(
  info: CertificateInfo,
  nowMs: number,
  days = CERT_EXPIRY_WARNING_DAYS,
): string | undefined {
  const on = new Date(info.notAfterMs).toISOString();
  if (info.notAfterMs <= nowMs) return `certificate ${info.subject} EXPIRED on ${on}: peers will refuse it`;
  const left = (info.notAfterMs - nowMs) / 86_400_000;
  if (left <= days) {
    const n = Math.floor(left);
    const when = n < 1 ? "less than a day" : `${n} day${n === 1 ? "" : "s"}`;
    return `certificate ${info.subject} expires in ${when} (on ${on})`;
  }
  return undefined;
}

/** True when two materials hold the same certificates and keys. */
export function sameMaterial(a: TlsMaterial | undefined, b: TlsMaterial | undefined): boolean {
  return a?.cert === b?.cert && a?.key === b?.key && (a?.ca ?? []).join() === (b?.ca ?? []).join();
}

/** Names a peer certificate carries: subject CN and DNS/IP subjectAltNames. */
export interface PeerIdentity {
  commonName: string | undefined;
  altNames: string[];
}

const HIGH_WATER_BYTES = 1024 * 1024;

/** A node:tls socket as a fixg Connection. */
export class TlsConnection implements Connection {
  readonly remoteAddr: string;
  readonly remoteHost: string;
  readonly #sock: tls.TLSSocket;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #waiter: (() => void) | undefined;
  #closed = false;
  /** Gives back the pre-logon slot the listener took for this connection (idempotent). */
  release: () => void = () => {};

  constructor(sock: tls.TLSSocket) {
    this.#sock = sock;
    const host = (sock.remoteAddress ?? "?").replace(/^::ffff:/, "");
    this.remoteHost = host;
    this.remoteAddr = `${host}:${sock.remotePort ?? 0}`;
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => {
      this.#chunks.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      this.#buffered += d.byteLength;
      if (this.#buffered > HIGH_WATER_BYTES) sock.pause();
      this.#wake();
    });
    sock.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    sock.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
    sock.on("error", (e: Error) => {
      this.#error = e;
      this.#ended = true;
      this.#wake();
    });
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /** The certificate names the peer presented (mutual TLS), if any. */
  peerIdentity(): PeerIdentity | undefined {
    const c = this.#sock.getPeerCertificate();
    if (c === null || c === undefined || Object.keys(c).length === 0) return undefined;
    const cn = c.subject?.CN;
    const alt = (c.subjectaltname ?? "").split(",").map((s) => s.trim().replace(/^(DNS|IP Address):/, ""))
      .filter((s) => s);
    return { commonName: Array.isArray(cn) ? cn[0] : cn, altNames: alt };
  }

  /** Local and remote addresses in Deno's shape, for the socket tuning knobs (src/sys). */
  addresses(): { localAddr: Deno.NetAddr; remoteAddr: Deno.NetAddr } {
    return {
      localAddr: {
        transport: "tcp",
        hostname: (this.#sock.localAddress ?? "").replace(/^::ffff:/, ""),
        port: this.#sock.localPort ?? 0,
      },
      remoteAddr: { transport: "tcp", hostname: this.remoteHost, port: this.#sock.remotePort ?? 0 },
    };
  }

  async read(buf: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#ended || this.#closed) return null;
      await new Promise<void>((r) => (this.#waiter = r));
    }
    const c = this.#chunks[0]!;
    const n = Math.min(c.length, buf.length);
    buf.set(c.subarray(0, n));
    if (n === c.length) this.#chunks.shift();
    else this.#chunks[0] = c.subarray(n);
    this.#buffered -= n;
    if (this.#buffered <= HIGH_WATER_BYTES / 2 && this.#sock.isPaused()) this.#sock.resume();
    return n;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#closed || this.#ended) {
      return Promise.reject(new Deno.errors.BrokenPipe(this.#error?.message ?? "TLS connection closed"));
    }
    return new Promise((resolve, reject) => {
      this.#sock.write(bytes, (e?: Error | null) => {
        if (e) reject(new Deno.errors.BrokenPipe(e.message));
        else resolve();
      });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sock.destroy();
    this.release();
    this.#wake();
  }
}

/** node:tls options of a certificate, key and CA. */
export function secureOptions(m: TlsMaterial): tls.SecureContextOptions {
  const o: tls.SecureContextOptions = {};
  if (m.cert !== undefined) o.cert = m.cert;
  if (m.key !== undefined) o.key = m.key;
  if (m.ca !== undefined) o.ca = m.ca;
  return o;
}

const IP = /^(\d+\.\d+\.\d+\.\d+|[0-9a-f:]+:[0-9a-f:]*)$/i;

/**
 * Connects with TLS, verifying the server against `material.ca` (or the system roots) and its name. A
 * handshake not done within `timeoutMs` (on `scheduler`) fails the attempt.
 */
export function connectTlsNode(
  host: string,
  port: number,
  material: TlsMaterial,
  timeoutMs = 10_000,
  scheduler: Scheduler = systemScheduler,
): Promise<TlsConnection> {
  const o: tls.ConnectionOptions = { host, port, ...secureOptions(material), rejectUnauthorized: true };
  const name = material.serverName ?? (IP.test(host) ? undefined : host);
  if (name !== undefined) o.servername = name;
  return new Promise((resolve, reject) => {
    const sock = tls.connect(o);
    const timer = scheduler.after(timeoutMs, () => {
      sock.destroy();
      reject(new Error(`TLS handshake with ${host}:${port} timed out after ${timeoutMs} ms`));
    });
    sock.once("secureConnect", () => {
      timer.cancel();
      sock.removeAllListeners("error");
      resolve(new TlsConnection(sock));
    });
    sock.once("error", (e: Error & { code?: string }) => {
      timer.cancel();
      sock.destroy();
      const fail = (why: string) => reject(new Error(`TLS connection to ${host}:${port} failed: ${why}`));
      if (!/CERT|VERIFY|SELF_SIGNED|UNABLE_TO/.test(e.code ?? "") && !/certificate/i.test(e.message)) {
        return fail(e.message);
      }
      // The verification error alone can mislead ("unable to verify the first certificate" for an expired
      // certificate): look at what the server presents, without trusting it, and say what is wrong with it.
      diagnoseServerCertificate(host, port, material, name, undefined, 3000, scheduler).then(
        (why) => fail(why === undefined ? e.message : `${e.message} (${why})`),
        () => fail(e.message),
      );
    });
  });
}

/** What is wrong with the certificate a server presents (fetched without verification), if anything is. */
export function diagnoseServerCertificate(
  host: string,
  port: number,
  material: TlsMaterial,
  name: string | undefined,
  nowMs = Date.now(),
  timeoutMs = 3000,
  scheduler: Scheduler = systemScheduler,
): Promise<string | undefined> {
  const o: tls.ConnectionOptions = { host, port, rejectUnauthorized: false };
  if (material.cert !== undefined) o.cert = material.cert;
  if (material.key !== undefined) o.key = material.key;
  if (name !== undefined) o.servername = name;
  return new Promise((resolve) => {
    const sock = tls.connect(o);
    const done = (why: string | undefined) => {
      timer.cancel();
      sock.destroy();
      resolve(why);
    };
    const timer = scheduler.after(timeoutMs, () => done(undefined));
    sock.once("error", () => done(undefined));
    sock.once("secureConnect", () => {
      const c = sock.getPeerCertificate();
      if (!c || Object.keys(c).length === 0) return done("the server presented no certificate");
      const cn = Array.isArray(c.subject?.CN) ? c.subject.CN[0] : c.subject?.CN;
      const who = `the server certificate${cn ? ` CN=${cn}` : ""}`;
      const from = Date.parse(c.valid_from), to = Date.parse(c.valid_to);
      if (Number.isFinite(to) && to < nowMs) return done(`${who} expired on ${new Date(to).toISOString()}`);
      if (Number.isFinite(from) && from > nowMs) {
        return done(`${who} is not valid before ${new Date(from).toISOString()}`);
      }
      if (name !== undefined) {
        const mismatch = tls.checkServerIdentity(name, c);
        if (mismatch) return done(`${who} does not name ${name}: ${mismatch.message}`);
      }
      const issuer = Array.isArray(c.issuer?.CN) ? c.issuer.CN[0] : c.issuer?.CN;
      done(`${who} is issued by ${issuer ? `CN=${issuer}` : "an unknown issuer"}, not by a CA in tls.ca`);
    });
  });
}

/** True when the peer's certificate carries one of `allowed` (CN or subjectAltName). */
export function identityAllowed(id: PeerIdentity | undefined, allowed: readonly string[]): boolean {
  if (id === undefined) return false;
  if (id.commonName !== undefined && allowed.includes(id.commonName)) return true;
  return id.altNames.some((n) => allowed.includes(n));
}

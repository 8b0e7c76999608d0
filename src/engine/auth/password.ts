/**
 * Password hashes for Logon authentication: PBKDF2-SHA256 through WebCrypto, stored as
 * `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>` (the shape Django and passlib use), so a
 * config file never holds a password. Verification compares in constant time.
 */
import { ConfigError } from "../../errors.ts";

/** Default work factor: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;

const PREFIX = "pbkdf2-sha256";
const HASH_BYTES = 32;

/** A parsed password hash. */
export interface PasswordHash {
  iterations: number;
  salt: Uint8Array<ArrayBuffer>;
  hash: Uint8Array<ArrayBuffer>;
}

function b64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unb64(s: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** Parses a stored hash; `where` names the config key in the error. */
export function parsePasswordHash(text: string, where: string): PasswordHash {
  const parts = text.split("$");
  const bad = (why: string): never => {
    throw new ConfigError(
      `${where}: ${why} (expected ${PREFIX}$ITERATIONS$SALT$HASH from "fixg config hash-password")`,
    );
  };
  if (parts.length !== 4 || parts[0] !== PREFIX) bad("not a fixg password hash");
  const iterations = Number(parts[1]);
  if (!Number.isInteger(iterations) || iterations < 1000) bad("iterations must be a whole number >= 1000");
  const salt = unb64(parts[2]!);
  const hash = unb64(parts[3]!);
  if (salt === undefined || salt.length < 8) bad("salt is not base64 of at least 8 bytes");
  if (hash === undefined || hash.length !== HASH_BYTES) bad(`hash is not base64 of ${HASH_BYTES} bytes`);
  return { iterations, salt: salt!, hash: hash! };
}

async function derive(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}

/** Hashes a password with a random 16-byte salt. */
export async function hashPassword(
  password: string,
  iterations = DEFAULT_PBKDF2_ITERATIONS,
): Promise<string> {
  if (!Number.isInteger(iterations) || iterations < 1000) {
    throw new ConfigError(`--iterations must be a whole number >= 1000 (got ${iterations})`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `${PREFIX}$${iterations}$${b64(salt)}$${b64(hash)}`;
}

/** True when `password` matches the hash; the comparison takes the same time wherever they differ. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const got = await derive(password, stored.salt, stored.iterations);
  let diff = got.length ^ stored.hash.length;
  for (let i = 0; i < got.length && i < stored.hash.length; i++) diff |= got[i]! ^ stored.hash[i]!;
  return diff === 0;
}

/** Compares two strings in time that depends only on their lengths (admin tokens). */
export { constantTimeEqual } from "../../codec/bytes.ts";

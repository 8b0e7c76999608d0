/**
 * Logon authentication against the `users:` section: Username (553) and Password (554) of an
 * inbound Logon checked against PBKDF2 hashes. Unknown users cost the same work as known ones, so the
 * answer time does not tell which user names exist. Reasons never contain the password.
 */
import { fitsLatin1, type MessageView, Tag, utf8ByteString } from "../../codec/mod.ts";
import { parsePasswordHash, type PasswordHash, verifyPassword } from "./password.ts";

/** What the authentication decides about a Logon (users check or a logon hook). */
export type AuthDecision = { accept: true } | { accept: false; reason: string };

/** Users as configured: name -> password hash text. */
export type UserTable = Readonly<Record<string, { passwordHash: string }>>;

/**
 * The users fixg knows; replaced whole on reload. Names are kept as their UTF-8 bytes, one character per
 * byte (codec utf8ByteString): the Username (553) a Logon carries is read byte by byte, and a fixg
 * initiator (or any UTF-8 peer) sends `josé` as 6A 6F 73 C3 A9. A name whose characters all fit a byte
 * also matches its Latin-1 bytes (`josé` as 6A 6F 73 E9), as every name did before the UTF-8 rule, so
 * a counterparty that sends Latin-1 still logs on; a name's UTF-8 bytes stay that name's.
 */
export class UserDirectory {
  /** By the bytes of 553 (one character per byte): the configured name and its hash. */
  #users = new Map<string, { name: string; hash: PasswordHash }>();
  #names: string[] = [];
  readonly #dummy: PasswordHash;

  constructor(users: UserTable = {}, where = "users") {
    this.#dummy = { iterations: 1000, salt: new Uint8Array(16), hash: new Uint8Array(32) };
    this.replace(users, where);
  }

  /** Replaces every user (checked first: a bad hash leaves the old table in place). */
  replace(users: UserTable, where = "users"): void {
    const next = new Map<string, { name: string; hash: PasswordHash }>();
    let maxIterations = 1000;
    for (const [name, u] of Object.entries(users)) {
      const h = parsePasswordHash(u.passwordHash, `${where}.${name}.passwordHash`);
      next.set(utf8ByteString(name), { name, hash: h });
      maxIterations = Math.max(maxIterations, h.iterations);
    }
    // Latin-1 forms last: a name's UTF-8 bytes are never taken by another name's Latin-1 ones.
    for (const name of Object.keys(users)) {
      if (fitsLatin1(name) && !next.has(name)) next.set(name, next.get(utf8ByteString(name))!);
    }
    this.#users = next;
    this.#names = Object.keys(users);
    this.#dummy.iterations = maxIterations;
  }

  /** Names of the users. */
  names(): string[] {
    return [...this.#names];
  }

  /**
   * The configured name a Username (553, one character per byte) stands for, or the text itself when
   * it names no user: the failed-logon throttle counts per user, whichever encoding the name came in.
   */
  nameOf(user: string | undefined): string | undefined {
    return user === undefined ? undefined : this.#users.get(user)?.name ?? user;
  }

  /** Checks the Logon's 553/554; `allowed` restricts which users may use the session. */
  async check(logon: MessageView, allowed?: readonly string[]): Promise<AuthDecision> {
    const user = logon.getString(Tag.Username);
    const password = logon.getString(Tag.Password);
    if (user === undefined || user === "") {
      await verifyPassword("", this.#dummy);
      return { accept: false, reason: "Username (553) missing" };
    }
    const found = this.#users.get(user);
    const stored = found?.hash;
    const ok = await verifyPassword(password ?? "", stored ?? this.#dummy);
    if (stored === undefined) {
      // Not a user name we know: it may be a password typed into the wrong field, so it is not logged.
      return { accept: false, reason: `unknown user (name withheld: ${user.length} characters)` };
    }
    if (password === undefined) {
      return { accept: false, reason: `Password (554) missing for user "${printable(user)}"` };
    }
    if (!ok) return { accept: false, reason: `wrong password for user "${printable(user)}"` };
    if (allowed !== undefined && !allowed.includes(found!.name)) {
      return { accept: false, reason: `user "${printable(user)}" may not use this session` };
    }
    return { accept: true };
  }
}

/** A user name as it may appear in a log line: printable ASCII, at most 64 characters. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?").slice(0, 64);
}

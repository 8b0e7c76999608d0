/**
 * The journal lock: `DIR/LOCK`, held with an exclusive flock(2) for as long as a gateway (or
 * `fixg journal repair`) works on the journal. The kernel drops a flock when its process dies, so a
 * lock left by a crashed or killed gateway is stale by construction: the next opener gets it and
 * finds the dead holder's pid in the file. The file itself is never deleted (deleting it would let
 * two processes lock two different inodes); an empty file means "not held".
 */
import { concatBytes } from "../codec/bytes.ts";
import { EnvironmentError } from "../errors.ts";

/** File name of the lock inside the journal directory. */
export const LOCK_FILE = "LOCK";

/** Who holds (or last held) a journal. */
export interface LockHolder {
  pid: number;
  host: string;
  sinceIso: string;
  /** "gateway" or "repair". */
  purpose: string;
}

/** A held journal lock. */
export class JournalLock {
  readonly #file: Deno.FsFile;
  /** The previous holder when the lock was found stale (its process had died without releasing it). */
  readonly staleHolder: LockHolder | undefined;

  private constructor(file: Deno.FsFile, staleHolder: LockHolder | undefined) {
    this.#file = file;
    this.staleHolder = staleHolder;
  }

  /**
   * Takes the lock of `dir` or throws EnvironmentError (exit code 2) naming the live holder.
   * `purpose` is written into the file for whoever finds it held.
   */
  static acquire(dir: string, purpose: string): JournalLock {
    const path = `${dir}/${LOCK_FILE}`;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
    } catch (e) {
      throw new EnvironmentError(`Cannot open journal lock "${path}": ${errorText(e)}`, { cause: e });
    }
    let locked: boolean;
    try {
      locked = file.tryLockSync(true);
    } catch (e) {
      file.close();
      throw new EnvironmentError(`Cannot lock journal "${dir}": ${errorText(e)}`, { cause: e });
    }
    if (!locked) {
      const holder = parseHolder(readAll(file));
      file.close();
      throw new EnvironmentError(
        `Journal "${dir}" is held by a live ${holder?.purpose ?? "process"}${
          holder ? ` (pid ${holder.pid} on ${holder.host} since ${holder.sinceIso})` : ""
        }; stop it first`,
      );
    }
    const stale = parseHolder(readAll(file));
    const me: LockHolder = { pid: Deno.pid, host: hostName(), sinceIso: new Date().toISOString(), purpose };
    try {
      file.truncateSync(0);
      file.seekSync(0, Deno.SeekMode.Start);
      writeAll(file, new TextEncoder().encode(JSON.stringify(me) + "\n"));
    } catch (e) {
      file.close();
      throw new EnvironmentError(`Cannot write journal lock "${path}": ${errorText(e)}`, { cause: e });
    }
    return new JournalLock(file, stale);
  }

  /** Who holds the lock of `dir` now, or undefined when nobody does (checked without taking it). */
  static holder(dir: string): LockHolder | undefined {
    const p = JournalLock.#peek(dir);
    if (p === undefined || !p.held) return undefined;
    return p.named ?? { pid: 0, host: "?", sinceIso: "?", purpose: "process" };
  }

  /**
   * The holder named in the lock file when nobody holds the lock: a process that stopped without
   * closing the journal (crash, kill -9). Undefined when the lock is held or the file is empty.
   */
  static deadHolder(dir: string): LockHolder | undefined {
    const p = JournalLock.#peek(dir);
    return p === undefined || p.held ? undefined : p.named;
  }

  /** Looks at the lock of `dir` without taking it: whether a process holds it, and whom the file names. */
  static #peek(dir: string): { held: boolean; named: LockHolder | undefined } | undefined {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(`${dir}/${LOCK_FILE}`, { read: true });
    } catch {
      return undefined;
    }
    try {
      // A shared lock is refused exactly when someone holds the exclusive one.
      const held = !file.tryLockSync(false);
      return { held, named: parseHolder(readAll(file)) };
    } finally {
      file.close();
    }
  }

  /** Empties the file and releases the lock. */
  release(): void {
    try {
      this.#file.truncateSync(0);
    } catch {
      // The lock is released below either way; an unwritable file only leaves a stale pid behind.
    }
    this.#file.close();
  }
}

function readAll(file: Deno.FsFile): string {
  file.seekSync(0, Deno.SeekMode.Start);
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    chunks.push(buf.slice(0, n));
  }
  return new TextDecoder().decode(concatBytes(chunks));
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let p = 0;
  while (p < bytes.length) p += file.writeSync(bytes.subarray(p));
}

function parseHolder(text: string): LockHolder | undefined {
  if (text.trim() === "") return undefined;
  try {
    const o = JSON.parse(text) as Partial<LockHolder>;
    if (typeof o.pid === "number") {
      return {
        pid: o.pid,
        host: String(o.host ?? "?"),
        sinceIso: String(o.sinceIso ?? "?"),
        purpose: String(o.purpose ?? "process"),
      };
    }
  } catch {
    // Not ours: report it as an unknown holder below.
  }
  return { pid: 0, host: "?", sinceIso: "?", purpose: "process" };
}

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/** The message of an error, for "Cannot ...: reason" lines. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

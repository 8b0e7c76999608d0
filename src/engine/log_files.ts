/**
 * Per-session log files in a directory (`log: { dir: ... }`), as QuickFIX users expect: for each session
 * a messages log (every message in and out, one line each, redacted as the console is) and an events log
 * (the session's log records), named after the session (`FIX.4.4-TW-ISLD.messages.current.log`,
 * `FIX.4.4-TW-ISLD.event.current.log`). A file is rotated when it would pass `rotateBytes` and at the
 * first write of a new UTC day (`rotateDaily`): the current file is renamed with the time it was started
 * (`FIX.4.4-TW-ISLD.messages.20260105-120000.log`) and at most `keepFiles` rotated files of each log are
 * kept. Writes are synchronous, like the console's: a line is on disk when the call returns.
 */
import { EnvironmentError } from "../errors.ts";
import { existsSync } from "../store/files.ts";

/** Settings of the log directory. */
export interface LogFilesOptions {
  dir: string;
  /** Rotate a file before it would pass this many bytes; 0: never by size. */
  rotateBytes: number;
  /** Rotate at the first write of a new UTC day. */
  rotateDaily: boolean;
  /** Rotated files kept per log (older ones deleted); 0: keep all. */
  keepFiles: number;
}

/** Default rotation: 64 MiB or a new day, 30 rotated files per log. */
export const DEFAULT_LOG_FILES: Omit<LogFilesOptions, "dir"> = {
  rotateBytes: 64 * 1024 * 1024,
  rotateDaily: true,
  keepFiles: 30,
};

const enc = new TextEncoder();

/** One log file with rotation. */
class RotatingFile {
  #file: Deno.FsFile | undefined;
  #bytes = 0;
  #day = "";
  #startedMs = 0;

  constructor(readonly dir: string, readonly base: string, readonly options: LogFilesOptions) {}

  get currentPath(): string {
    return `${this.dir}/${this.base}.current.log`;
  }

  write(line: string, nowMs: number): void {
    const bytes = enc.encode(line + "\n");
    const day = new Date(nowMs).toISOString().slice(0, 10);
    if (this.#file === undefined) this.#open(nowMs, day);
    else if (
      (this.options.rotateDaily && day !== this.#day) ||
      (this.options.rotateBytes > 0 && this.#bytes > 0 &&
        this.#bytes + bytes.length > this.options.rotateBytes)
    ) {
      this.#rotate(nowMs, day);
    }
    const f = this.#file!;
    for (let off = 0; off < bytes.length;) off += f.writeSync(bytes.subarray(off));
    this.#bytes += bytes.length;
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  #open(nowMs: number, day: string): void {
    const path = this.currentPath;
    let size = 0;
    let startedMs = nowMs;
    try {
      const st = Deno.statSync(path);
      size = st.size;
      startedMs = st.birthtime?.getTime() ?? st.mtime?.getTime() ?? nowMs;
    } catch {
      // A new file.
    }
    // A current file left by an earlier run on another day is rotated away first.
    if (size > 0 && this.options.rotateDaily && new Date(startedMs).toISOString().slice(0, 10) !== day) {
      this.#startedMs = startedMs;
      this.#renameCurrent();
      size = 0;
      startedMs = nowMs;
    }
    try {
      // 0600 (applied when created): the messages carry account numbers and personal data, as in the journal.
      this.#file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    } catch (e) {
      throw new EnvironmentError(`Cannot open log file "${path}": ${e instanceof Error ? e.message : e}`, {
        cause: e,
      });
    }
    this.#bytes = size;
    this.#day = day;
    this.#startedMs = startedMs;
  }

  #rotate(nowMs: number, day: string): void {
    this.close();
    this.#renameCurrent();
    this.#open(nowMs, day);
  }

  #renameCurrent(): void {
    const stamp = new Date(this.#startedMs).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    let target = `${this.dir}/${this.base}.${stamp}.log`;
    for (let n = 1; existsSync(target); n++) target = `${this.dir}/${this.base}.${stamp}-${n}.log`;
    Deno.renameSync(this.currentPath, target);
    this.#prune();
  }

  /** Deletes the oldest rotated files beyond keepFiles (names sort by time). */
  #prune(): void {
    if (this.options.keepFiles <= 0) return;
    const prefix = `${this.base}.`;
    const rotated: string[] = [];
    for (const e of Deno.readDirSync(this.dir)) {
      if (!e.isFile || !e.name.startsWith(prefix) || e.name === `${this.base}.current.log`) continue;
      if (/^\d{8}-\d{6}(-\d+)?\.log$/.test(e.name.slice(prefix.length))) rotated.push(e.name);
    }
    rotated.sort(byStamp);
    for (const name of rotated.slice(0, Math.max(0, rotated.length - this.options.keepFiles))) {
      Deno.removeSync(`${this.dir}/${name}`);
    }
  }
}

/** Orders rotated names by their stamp, then by their -N suffix. */
function byStamp(a: string, b: string): number {
  const key = (s: string) => {
    const m = /(\d{8}-\d{6})(?:-(\d+))?\.log$/.exec(s)!;
    return [m[1]!, Number(m[2] ?? 0)] as const;
  };
  const [sa, na] = key(a), [sb, nb] = key(b);
  return sa < sb ? -1 : sa > sb ? 1 : na - nb;
}

/** The file name of a session key: `FIX.4.4:TW->ISLD` -> `FIX.4.4-TW-ISLD`. */
export function sessionFileBase(sessionKey: string): string {
  return sessionKey.replace(":", "-").replace("->", "-").replace(/[^A-Za-z0-9._-]/g, "_");
}

/** The messages and events logs of every session, opened on first use. */
export class SessionLogFiles {
  readonly options: LogFilesOptions;
  readonly #files = new Map<string, { messages: RotatingFile; events: RotatingFile }>();

  /** Creates the directory (EnvironmentError when it cannot). */
  constructor(options: LogFilesOptions) {
    this.options = options;
    try {
      Deno.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new EnvironmentError(
        `Cannot create log directory "${options.dir}": ${e instanceof Error ? e.message : e}`,
        { cause: e },
      );
    }
  }

  #of(session: string) {
    let f = this.#files.get(session);
    if (f === undefined) {
      const base = sessionFileBase(session);
      f = {
        messages: new RotatingFile(this.options.dir, `${base}.messages`, this.options),
        events: new RotatingFile(this.options.dir, `${base}.event`, this.options),
      };
      this.#files.set(session, f);
    }
    return f;
  }

  /** Writes that failed (disk full, directory removed...): logging never stops a session. */
  failures = 0;

  /** One message in or out: `<ISO time> <in|out> <message>`. */
  message(session: string, nowMs: number, direction: string, message: string): void {
    const f = this.#of(session).messages;
    this.#guard(f, () => f.write(`${new Date(nowMs).toISOString()} ${direction} ${message}`, nowMs));
  }

  /** One event line of the session (formatted as on the console). */
  event(session: string, nowMs: number, line: string): void {
    const f = this.#of(session).events;
    this.#guard(f, () => f.write(line, nowMs));
  }

  /** Runs a write; a failure is counted and reported once on stderr, never thrown at the session. */
  #guard(f: RotatingFile, write: () => void): void {
    try {
      write();
    } catch (e) {
      if (this.failures++ === 0) {
        console.error(
          `fixg: cannot write log file "${f.currentPath}": ${
            e instanceof Error ? e.message : e
          } (later failures are counted, not reported)`,
        );
      }
    }
  }

  /** Paths of a session's current files. */
  paths(session: string): { messages: string; events: string } {
    const f = this.#of(session);
    return { messages: f.messages.currentPath, events: f.events.currentPath };
  }

  close(): void {
    for (const f of this.#files.values()) {
      f.messages.close();
      f.events.close();
    }
    this.#files.clear();
  }
}

/** File-system helpers shared by the journal, its reader and repair (and the session log files). */
import { EnvironmentError, FixgError } from "../errors.ts";
import {
  formatVersionText,
  indexFileName,
  JOURNAL_FILE_MODE,
  otherFormatVersion,
  SEGMENT_HEADER_BYTES,
} from "./format.ts";
import { encodeIndex, type IndexEntries } from "./index_format.ts";
import { errorText } from "./lock.ts";

/** True when something exists at `path`. */
export function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The bytes of a journal file. One this process may not read (another user's, mode 000: EACCES) or that
 * cannot be read (EIO, a directory) is an EnvironmentError (exit 2) naming it, so the gateway and the
 * `fixg journal` tools say so in one line instead of failing with an internal error; NotFound is rethrown
 * as it is (callers treat a file gone since the listing themselves).
 */
export function readJournalFile(path: string): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw e;
    throw new EnvironmentError(
      `Cannot read journal file "${path}": ${errorText(e).replace(/: [a-z]+ '.*'$/, "")}`,
      { cause: e },
    );
  }
}

/** `name` (relative to `dir`) when nothing is there yet, else the first of `name.1`, `name.2`, ... that is free. */
export function unusedName(dir: string, name: string): string {
  let free = name;
  for (let k = 1; existsSync(`${dir}/${free}`); k++) free = `${name}.${k}`;
  return free;
}

/**
 * Where damaged bytes of the segment file `file` from byte `offset` go, relative to the journal directory
 * `dir`: `quarantine/<file>@<offset>.<kind>` (`.1`, `.2`, ... appended when taken). The gateway at start-up
 * and `fixg journal repair` name them alike.
 */
export function quarantineName(dir: string, file: string, offset: number, kind: string): string {
  return unusedName(dir, `quarantine/${file}@${offset}.${kind}`);
}

/**
 * Writes the index file of segment `n` (entries `e`, covering `covered` bytes) through a temporary file
 * and a rename, so a crash leaves the old one or the new one. An index is derived data: a failure is
 * a warning (the segment is scanned at the next open), never an error.
 */
export function writeIndexSync(
  dir: string,
  n: number,
  covered: number,
  e: IndexEntries,
  onWarning: (m: string) => void,
): void {
  const path = `${dir}/${indexFileName(n)}`;
  try {
    Deno.writeFileSync(`${path}.tmp`, encodeIndex(n, covered, e), { mode: JOURNAL_FILE_MODE });
    Deno.renameSync(`${path}.tmp`, path);
  } catch (err) {
    onWarning(indexNotWritten(dir, n, err));
  }
}

/** writeIndexSync without blocking the event loop (a rotation while sessions append). */
export async function writeIndex(
  dir: string,
  n: number,
  covered: number,
  e: IndexEntries,
  onWarning: (m: string) => void,
): Promise<void> {
  const path = `${dir}/${indexFileName(n)}`;
  try {
    await Deno.writeFile(`${path}.tmp`, encodeIndex(n, covered, e), { mode: JOURNAL_FILE_MODE });
    await Deno.rename(`${path}.tmp`, path);
  } catch (err) {
    onWarning(indexNotWritten(dir, n, err));
  }
}

function indexNotWritten(dir: string, n: number, err: unknown): string {
  return `journal "${dir}": could not write ${indexFileName(n)} (${
    errorText(err)
  }); it will be rebuilt at the next open`;
}

/** fsync of a directory, so a new file's entry survives a power cut; ignored where refused. */
export function syncDirectory(dir: string): void {
  try {
    const d = Deno.openSync(dir, { read: true });
    try {
      d.syncSync();
    } finally {
      d.close();
    }
  } catch {
    // Some file systems refuse to sync a directory; the data itself was synced.
  }
}

/**
 * Refuses a journal holding a segment of another format version (FixgError JOURNAL_FORMAT, exit 2):
 * written by another fixg, it is not damage; start-up and repair must not treat it as such.
 */
export function refuseOtherFormat(dir: string, files: string[]): void {
  const head = new Uint8Array(SEGMENT_HEADER_BYTES);
  for (const file of files) {
    let n = 0;
    try {
      const f = Deno.openSync(`${dir}/${file}`);
      try {
        while (n < head.length) {
          const r = f.readSync(head.subarray(n));
          if (r === null || r === 0) break;
          n += r;
        }
      } finally {
        f.close();
      }
    } catch {
      continue; // unreadable: the caller's own checks report it
    }
    const v = otherFormatVersion(head.subarray(0, n));
    if (v !== undefined) {
      throw new FixgError("JOURNAL_FORMAT", formatVersionText(dir, file, v), { exitCode: 2 });
    }
  }
}

/** File-system helpers shared by the journal, its reader and repair (and the session log files). */

/** True when something exists at `path`. */
export function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
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

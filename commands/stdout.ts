/** Writing a command's output to stdout. */

/**
 * Writes all of `bytes` to stdout; false when the reader went away (a broken pipe, e.g. `| head`), so
 * that the caller stops writing quietly. Other errors are thrown.
 */
export function writeAllStdout(bytes: Uint8Array): boolean {
  try {
    for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) return false;
    throw e;
  }
}

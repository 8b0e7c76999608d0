/** Joining byte arrays (frames queued for one write, a read in chunks, a message rebuilt from parts). */

/** `parts` as one array: the only part itself when there is one (no copy), else a new array of them all. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI, ext4 and Kafka.
 *
 * Table-driven slicing-by-8: eight 256-entry tables let the loop consume 8 bytes per iteration with
 * independent lookups, about 4x the speed of the byte-at-a-time loop in V8. Chosen over CRC-32 because
 * it detects more error patterns at the same cost and hardware (SSE4.2) implements it if we ever move
 * the hot path to native code.
 */

const POLY = 0x82f63b78;

/** Eight 256-entry tables, table k at [k * 256, k * 256 + 256). */
const TABLE: Int32Array = buildTables();

function buildTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/**
 * CRC-32C of `buf[start, end)`, as an unsigned 32-bit number. Pass the result of a previous call as
 * `crc` to continue a checksum over several pieces.
 */
export function crc32c(buf: Uint8Array, start = 0, end: number = buf.length, crc = 0): number {
  const t = TABLE;
  let c = ~crc;
  let p = start;
  const end8 = end - 7;
  while (p < end8) {
    const lo = c ^ (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24));
    c = t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^ t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^ t[768 + buf[p + 4]!]! ^ t[512 + buf[p + 5]!]! ^ t[256 + buf[p + 6]!]! ^
      t[buf[p + 7]!]!;
    p += 8;
  }
  while (p < end) c = t[(c ^ buf[p++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

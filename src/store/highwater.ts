/**
 * The outbound high-water marks of a journal (`DIR/HIGHWATER`): for every session, a MsgSeqNum up to
 * which numbers may have reached the counterparty, made durable before they could.
 *
 * Under `fsync: batch` (and `none`) the engine writes a message to the socket before its record is
 * durable. If the journal then loses the record (a power cut inside the batch window, or a write that
 * fails because the disk is full), the next start must not hand its number out again: the
 * counterparty has seen it, and a reused number is "MsgSeqNum too low", which kills the session. So
 * the journal reserves numbers ahead, PostgreSQL-style (its sequences log 32 values ahead): before
 * message `seq` is appended, `seq` must lie inside a reservation synced to this file. Reservations
 * are taken in blocks (`reserve` numbers), the next one asynchronously when half of the current block
 * is used, so the common path pays nothing and an fdatasync of this small file happens once per
 * half block; only when the asynchronous one has not finished in time does an append wait for a
 * synchronous one.
 *
 * Marks are exact where the journal knows exactly what was handed out: at a clean close, and when a
 * write fails (every number appended so far, written records or not). After a start that was not a
 * clean close, a reservation counts only if the machine restarted (another boot id): within one boot
 * the kernel holds every record written before its message reached the socket, so the journal itself
 * is right.
 *
 * Layout (little-endian):
 * ```
 *  header, 64 bytes: "FIXGJHWM", u16 version (1), u16 state (1 running, 2 closed, 3 failed, 4 repaired),
 *                    u32 0, 36 bytes boot id (ASCII, 0-padded), 12 bytes 0, u32 CRC32C of bytes 0..60
 *  per session id i (1, 2, ...): two 32-byte slots at 64 + (i - 1) * 64 + k * 32:
 *                    u32 session id, u32 CRC32C of the session key, u32 epoch, u32 mark, u32 generation,
 *                    u32 flags (1: exact), u32 0, u32 CRC32C of bytes 0..28
 * ```
 * A slot is written in place (32 bytes, never straddling a sector) and the two slots of a session
 * alternate, so a torn write leaves the other one valid; the valid slot with the higher generation wins.
 */
import { crc32c } from "./crc32c.ts";
import { dataViewOf, JOURNAL_FILE_MODE } from "./format.ts";

/** File name of the high-water marks in a journal directory. */
export const HIGHWATER_FILE = "HIGHWATER";

/** Numbers reserved at a time (the most a start after a power cut may skip and gap-fill). */
export const DEFAULT_SEQ_RESERVE = 1024;

const MAGIC = new TextEncoder().encode("FIXGJHWM");
const HEADER_BYTES = 64;
const SLOT_BYTES = 32;
const FLAG_EXACT = 1;

/**
 * How the previous run ended, as the file says; "repaired": damaged records were removed since (by
 * `fixg journal repair`, or by a start that cut a damaged last record; their numbers may have been sent:
 * the reservations count at the next start).
 */
export type HighWaterState = "running" | "closed" | "failed" | "repaired";
const STATE_CODES: Record<HighWaterState, number> = { running: 1, closed: 2, failed: 3, repaired: 4 };

/** A session's mark as read back. */
export interface HighWaterMark {
  epoch: number;
  mark: number;
  exact: boolean;
  generation: number;
}

/** What the file held when the journal opened. */
export interface HighWaterRead {
  state: HighWaterState | undefined;
  bootId: string;
  /** Marks by session id (only slots whose key CRC matched). */
  marks: Map<number, HighWaterMark>;
  /** Highest generation in any valid slot of each session id, whatever its key (new slots continue above it). */
  generations: Map<number, number>;
  /**
   * The newest valid slot of each session id not in `keys`, with its key's CRC: a session the journal
   * lost whole (its session-open record was in the batch a power cut lost) whose numbers were reserved.
   */
  others: Map<number, HighWaterMark & { keyCrc: number }>;
}

/** The boot id of this machine (Linux), or "" when unknown (then every unclean stop counts as a reboot). */
export function currentBootId(): string {
  try {
    return Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
  } catch {
    return "";
  }
}

/** Reads the marks of the sessions in `keys` (id -> key); missing or unreadable file: nothing known. */
export function readHighWater(dir: string, keys: ReadonlyMap<number, string>): HighWaterRead {
  let buf: Uint8Array;
  try {
    buf = Deno.readFileSync(`${dir}/${HIGHWATER_FILE}`);
  } catch {
    return { state: undefined, bootId: "", marks: new Map(), generations: new Map(), others: new Map() };
  }
  const dv = dataViewOf(buf);
  let state: HighWaterState | undefined;
  let bootId = "";
  if (
    buf.length >= HEADER_BYTES && MAGIC.every((b, i) => buf[i] === b) &&
    dv.getUint32(60, true) === crc32c(buf, 0, 60)
  ) {
    const code = dv.getUint16(10, true);
    state = (Object.keys(STATE_CODES) as HighWaterState[]).find((k) => STATE_CODES[k] === code);
    bootId = new TextDecoder().decode(buf.subarray(16, 52)).replace(/\0+$/, "");
  }
  const marks = new Map<number, HighWaterMark>();
  const generations = new Map<number, number>();
  const others = new Map<number, HighWaterMark & { keyCrc: number }>();
  for (let p = HEADER_BYTES; p + SLOT_BYTES <= buf.length; p += SLOT_BYTES) {
    if (dv.getUint32(p + 28, true) !== crc32c(buf, p, p + 28)) continue;
    const id = dv.getUint32(p, true);
    const g = dv.getUint32(p + 16, true);
    if (g > (generations.get(id) ?? 0)) generations.set(id, g);
    if (!keys.has(id) && g > (others.get(id)?.generation ?? -1)) {
      others.set(id, {
        epoch: dv.getUint32(p + 8, true),
        mark: dv.getUint32(p + 12, true),
        generation: g,
        exact: (dv.getUint32(p + 20, true) & FLAG_EXACT) !== 0,
        keyCrc: dv.getUint32(p + 4, true),
      });
    }
  }
  for (const [id, key] of keys) {
    const keyCrc = crc32c(new TextEncoder().encode(key));
    for (let k = 0; k < 2; k++) {
      const p = HEADER_BYTES + (id - 1) * 2 * SLOT_BYTES + k * SLOT_BYTES;
      if (p + SLOT_BYTES > buf.length) break;
      if (dv.getUint32(p + 28, true) !== crc32c(buf, p, p + 28)) continue;
      if (dv.getUint32(p, true) !== id || dv.getUint32(p + 4, true) !== keyCrc) continue;
      const m: HighWaterMark = {
        epoch: dv.getUint32(p + 8, true),
        mark: dv.getUint32(p + 12, true),
        generation: dv.getUint32(p + 16, true),
        exact: (dv.getUint32(p + 20, true) & FLAG_EXACT) !== 0,
      };
      const old = marks.get(id);
      if (old === undefined || m.generation > old.generation) marks.set(id, m);
    }
  }
  return { state, bootId, marks, generations, others };
}

/**
 * Records are about to be removed (`fixg journal repair`, or a start cutting a damaged last record): the
 * file's state becomes "repaired" (boot id and marks kept, synced), so the next start counts the
 * reservations as after a failure. No file, or an unreadable header: nothing to do (the next start
 * counts every mark it can read anyway). Throws on any other I/O error (the caller removes nothing).
 */
export function markRepaired(dir: string): void {
  const path = `${dir}/${HIGHWATER_FILE}`;
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, { read: true, write: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  try {
    const h = new Uint8Array(HEADER_BYTES);
    let n = 0;
    while (n < HEADER_BYTES) {
      const r = f.readSync(h.subarray(n));
      if (r === null || r === 0) return;
      n += r;
    }
    const dv = dataViewOf(h);
    if (!MAGIC.every((b, i) => h[i] === b) || dv.getUint32(60, true) !== crc32c(h, 0, 60)) return;
    dv.setUint16(10, STATE_CODES.repaired, true);
    dv.setUint32(60, crc32c(h, 0, 60), true);
    f.seekSync(0, Deno.SeekMode.Start);
    let p = 0;
    while (p < HEADER_BYTES) p += f.writeSync(h.subarray(p));
    f.syncDataSync();
  } finally {
    f.close();
  }
}

/** One session's slot as the writer tracks it. */
export interface HighWaterSlot {
  id: number;
  keyCrc: number;
  /** Generation of the last write issued. */
  generation: number;
  /** Slot (0 or 1) of an asynchronous write in flight, or -1. */
  asyncSlot: number;
}

/** Writes marks in place: synchronously (before a message may leave) or in the background. */
export class HighWaterFile {
  readonly path: string;
  readonly #sync: Deno.FsFile;
  readonly #async: Deno.FsFile;
  readonly #bootId: string;
  /** Background writes share one file position: they run one after another. */
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(path: string, sync: Deno.FsFile, async: Deno.FsFile, bootId: string) {
    this.path = path;
    this.#sync = sync;
    this.#async = async;
    this.#bootId = bootId;
  }

  /**
   * Opens (creating) the file and marks it "running" for this boot, durably. `before` runs first, on the
   * open file, while the header still says how the previous run ended (see SeqReservations.open). Throws
   * on an I/O error.
   */
  static open(dir: string, bootId: string, before?: (f: HighWaterFile) => void): HighWaterFile {
    const path = `${dir}/${HIGHWATER_FILE}`;
    const sync = Deno.openSync(path, { read: true, write: true, create: true, mode: JOURNAL_FILE_MODE });
    let async: Deno.FsFile;
    try {
      async = Deno.openSync(path, { write: true });
    } catch (e) {
      sync.close();
      throw e;
    }
    const f = new HighWaterFile(path, sync, async, bootId);
    try {
      before?.(f);
      f.writeState("running");
    } catch (e) {
      f.close();
      throw e;
    }
    return f;
  }

  /** A slot tracker for session `id` (generation continues from what was read). */
  static slot(id: number, key: string, generation: number): HighWaterSlot {
    return { id, keyCrc: crc32c(new TextEncoder().encode(key)), generation, asyncSlot: -1 };
  }

  /** Writes the header with `state`, synced. */
  writeState(state: HighWaterState): void {
    const h = new Uint8Array(HEADER_BYTES);
    const dv = dataViewOf(h);
    h.set(MAGIC, 0);
    dv.setUint16(8, 1, true);
    dv.setUint16(10, STATE_CODES[state], true);
    h.set(new TextEncoder().encode(this.#bootId).subarray(0, 36), 16);
    dv.setUint32(60, crc32c(h, 0, 60), true);
    this.#writeAt(0, h);
    this.#sync.syncDataSync();
  }

  /**
   * Writes `mark` for the slot's session and (unless `sync` is false: the caller syncs several at once,
   * e.g. with writeState) syncs it before returning. Returns the generation written.
   */
  writeSync(slot: HighWaterSlot, epoch: number, mark: number, exact: boolean, sync = true): number {
    let g = slot.generation + 1;
    if (g % 2 === slot.asyncSlot) g++;
    slot.generation = g;
    this.#writeAt(slotOffset(slot.id, g), encodeSlot(slot, epoch, mark, exact, g));
    if (sync) this.#sync.syncDataSync();
    return g;
  }

  /**
   * Writes `mark` in the background (one at a time per session: the caller checks `asyncSlot`);
   * resolves with the generation once synced.
   */
  writeAsync(slot: HighWaterSlot, epoch: number, mark: number): Promise<number> {
    const g = slot.generation + 1;
    slot.generation = g;
    slot.asyncSlot = g % 2;
    const bytes = encodeSlot(slot, epoch, mark, false, g);
    const run = async () => {
      try {
        await this.#async.seek(slotOffset(slot.id, g), Deno.SeekMode.Start);
        let p = 0;
        while (p < bytes.length) p += await this.#async.write(bytes.subarray(p));
        await this.#async.syncData();
        return g;
      } finally {
        slot.asyncSlot = -1;
      }
    };
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => {});
    return p;
  }

  /** Resolves when background writes issued so far have ended. */
  idle(): Promise<void> {
    return this.#chain.then(() => {});
  }

  close(): void {
    for (const f of [this.#sync, this.#async]) {
      try {
        f.close();
      } catch { /* already closed */ }
    }
  }

  #writeAt(pos: number, bytes: Uint8Array): void {
    this.#sync.seekSync(pos, Deno.SeekMode.Start);
    let p = 0;
    while (p < bytes.length) p += this.#sync.writeSync(bytes.subarray(p));
  }
}

function slotOffset(id: number, generation: number): number {
  return HEADER_BYTES + (id - 1) * 2 * SLOT_BYTES + (generation % 2) * SLOT_BYTES;
}

function encodeSlot(slot: HighWaterSlot, epoch: number, mark: number, exact: boolean, g: number): Uint8Array {
  const b = new Uint8Array(SLOT_BYTES);
  const dv = dataViewOf(b);
  dv.setUint32(0, slot.id, true);
  dv.setUint32(4, slot.keyCrc, true);
  dv.setUint32(8, epoch, true);
  dv.setUint32(12, Math.min(mark, 0xffffffff), true);
  dv.setUint32(16, g >>> 0, true);
  dv.setUint32(20, exact ? FLAG_EXACT : 0, true);
  dv.setUint32(28, crc32c(b, 0, 28), true);
  return b;
}

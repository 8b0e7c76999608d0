/**
 * `fixg journal inspect|verify|repair|export|stats DIR`: the operator's tools for a journal directory.
 * The reading, checking and repairing live in src/store (reader.ts, repair.ts); this module parses
 * flags, decodes messages with the dictionaries and prints.
 */
import type { Command } from "@commander-js/extra-typings";
import { latin1String } from "../src/codec/ascii.ts";
import { parseTimestampString } from "../src/codec/timestamps.ts";
import { MessageView } from "../src/codec/view.ts";
import { describeMessage, renderTable, toJsonObject } from "../src/dictionary/describe.ts";
import { BUILTIN_DICTIONARY_FILES, builtinDictionary } from "../src/dictionary/loader.ts";
import type { Dictionary } from "../src/dictionary/model.ts";
import { ConfigError, FixgError } from "../src/errors.ts";
import {
  beginStringOf,
  JournalReader,
  type JournalRecord,
  type JournalStats,
  journalStats,
  msgTypeOf,
  verifyJournal,
  type VerifyReport,
} from "../src/store/reader.ts";
import { repairJournal, type RepairReport } from "../src/store/repair.ts";
import { maskFields, SECRET_TAGS } from "../src/store/secrets.ts";
import { openPostgresStore, redactUrl } from "../src/store/postgres.ts";
import { loadConfig } from "../src/engine/config.ts";

/** Where a journal command writes: text (UTF-8) and raw bytes (FIX export keeps bytes as they are). */
export interface CommandOutput {
  text(s: string): void;
  bytes(b: Uint8Array): void;
}

/** Which records inspect and export show. */
export interface RecordFilter {
  /** Session: its number (`1` or `#1`), its key (`FIX.4.4:ME->THEM`) or both as verify prints them (`#1 FIX.4.4:ME->THEM`). */
  session?: string;
  from?: number;
  to?: number;
  sinceMs?: number;
  /** MsgTypes; when set only messages of these types. */
  types?: ReadonlySet<string>;
}

/** Options of `inspect`. */
export interface InspectOptions {
  filter: RecordFilter;
  json: boolean;
  /** Tags whose values are printed as "***" (default: Password 554 and NewPassword 925); empty shows everything. */
  maskTags?: ReadonlySet<number>;
  /** Keep tailing until this signal aborts. */
  follow?: AbortSignal;
  pollMs?: number;
}

/** Parses the filter flags shared by inspect and export (ConfigError on a bad value). */
export function parseFilter(
  flags: { session?: string; from?: string; to?: string; since?: string; type?: string },
  nowMs: number,
): RecordFilter {
  const f: RecordFilter = {};
  if (flags.session !== undefined) f.session = flags.session;
  if (flags.from !== undefined) f.from = parseSeq("--from", flags.from);
  if (flags.to !== undefined) f.to = parseSeq("--to", flags.to);
  if (f.from !== undefined && f.to !== undefined && f.to < f.from) {
    throw new ConfigError(`--to ${f.to} is below --from ${f.from}`);
  }
  if (flags.since !== undefined) f.sinceMs = parseSince(flags.since, nowMs);
  if (flags.type !== undefined) {
    const types = flags.type.split(",").map((t) => t.trim()).filter((t) => t !== "");
    if (types.length === 0) throw new ConfigError(`--type needs MsgTypes, e.g. --type D,8`);
    f.types = new Set(types);
  }
  return f;
}

/** The default tags inspect and export mask: Password (554), NewPassword (925). */
export const DEFAULT_MASK_TAGS: ReadonlySet<number> = new Set(SECRET_TAGS);

/**
 * The tags to mask from the flags: none with `--show-secrets`; otherwise 554 and 925, the tags of
 * `--mask-tags` and the `log.maskTags` of the `--config` file.
 */
export async function parseMaskTags(
  flags: { showSecrets?: boolean; maskTags?: string; config?: string },
): Promise<ReadonlySet<number>> {
  if (flags.showSecrets === true) {
    if (flags.maskTags !== undefined) {
      throw new ConfigError(`--show-secrets and --mask-tags exclude each other`);
    }
    return new Set();
  }
  const tags = new Set(DEFAULT_MASK_TAGS);
  if (flags.maskTags !== undefined) {
    for (const t of flags.maskTags.split(",").map((x) => x.trim()).filter((x) => x !== "")) {
      if (!/^[1-9]\d{0,9}$/.test(t)) {
        throw new ConfigError(`--mask-tags takes tag numbers, e.g. 1,58 (got "${t}")`);
      }
      tags.add(Number(t));
    }
  }
  if (flags.config !== undefined) {
    const config = await loadConfig(flags.config);
    for (const t of config.log.maskTags ?? []) {
      const n = Number(t);
      if (Number.isInteger(n) && n > 0) tags.add(n);
    }
  }
  return tags;
}

function parseSeq(flag: string, s: string): number {
  if (!/^\d+$/.test(s)) throw new ConfigError(`${flag} must be a sequence number, got "${s}"`);
  return Number(s);
}

/** --since: ISO 8601, a FIX UTCTimestamp (20240102-03:04:05[.sss]), epoch ms, or a duration back from now (90s, 15m, 2h, 1d). */
export function parseSince(s: string, nowMs: number): number {
  const rel = /^(\d+)(s|m|h|d)$/.exec(s);
  if (rel !== null) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as "s" | "m" | "h" | "d"];
    return nowMs - Number(rel[1]) * unit;
  }
  if (/^\d{13}$/.test(s)) return Number(s);
  const fix = parseTimestampString(s);
  if (fix !== undefined) return fix.epochMs;
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const iso = Date.parse(s);
    if (!Number.isNaN(iso)) return iso;
  }
  throw new ConfigError(
    `--since "${s}" is not a time: use ISO 8601 (2024-01-02T03:04:05Z), a FIX timestamp (20240102-03:04:05), epoch ms, or 90s/15m/2h/1d`,
  );
}

/** A --session value: a number (`1`, `#1`), a key, or `#1 KEY` as `fixg journal verify` prints it. */
function sessionSpecOf(s: string): { id?: number; key?: string } {
  // As copied from verify's output: "#1 KEY", or a key from a problem line with its trailing ":".
  const t = s.trim().replace(/[:,]$/, "");
  const m = /^#?(\d+)(?:\s+(\S+))?$/.exec(t);
  if (m === null) return { key: t };
  return m[2] === undefined ? { id: Number(m[1]) } : { id: Number(m[1]), key: m[2] };
}

const specCache = new Map<string, { id?: number; key?: string }>();

function sessionMatches(r: JournalRecord, session: string): boolean {
  let spec = specCache.get(session);
  if (spec === undefined) specCache.set(session, spec = sessionSpecOf(session));
  return (spec.id === undefined || spec.id === r.sessionId) &&
    (spec.key === undefined || spec.key === r.sessionKey);
}

/** Notes which sessions a journal has and whether a --session filter matched one of them. */
class SessionFilterCheck {
  readonly #known = new Map<number, string>();
  #hit = false;
  constructor(readonly filter: RecordFilter) {}

  see(r: JournalRecord): void {
    if (this.filter.session === undefined || this.#hit) return;
    if (!this.#known.has(r.sessionId)) this.#known.set(r.sessionId, r.sessionKey);
    if (sessionMatches(r, this.filter.session)) this.#hit = true;
  }

  /** Throws (exit 1) when the filter names a session the journal does not have, listing those it has. */
  check(dir: string): void {
    if (this.filter.session === undefined || this.#hit) return;
    const all = [...this.#known].sort((a, b) => a[0] - b[0]).map(([id, key]) => `#${id} ${key}`);
    // A journal of a busy acceptor can hold hundreds of sessions: name the first 20.
    const known = all.length > 20 ? [...all.slice(0, 20), `... ${all.length - 20} more`] : all;
    throw new FixgError(
      "NO_SESSION",
      `no session matches "${this.filter.session}"; ${
        known.length === 0 ? `${dir} has no sessions` : `sessions in ${dir}: ${known.join(", ")}`
      }`,
      { exitCode: 1 },
    );
  }
}

function matches(r: JournalRecord, f: RecordFilter, msgType: string): boolean {
  if (f.session !== undefined && !sessionMatches(r, f.session)) return false;
  if (f.sinceMs !== undefined && r.wallMs < f.sinceMs) return false;
  if (r.type !== "message") return f.from === undefined && f.to === undefined && f.types === undefined;
  if (f.from !== undefined && r.seq < f.from) return false;
  if (f.to !== undefined && r.seq > f.to) return false;
  if (f.types !== undefined && !f.types.has(msgType)) return false;
  return true;
}

/** Built-in dictionaries by BeginString, loaded once; undefined for an unknown BeginString. */
function dictionaries(): (beginString: string) => Dictionary | undefined {
  const cache = new Map<string, Dictionary | undefined>();
  return (b) => {
    if (!cache.has(b)) {
      cache.set(b, BUILTIN_DICTIONARY_FILES[b] === undefined ? undefined : builtinDictionary(b));
    }
    return cache.get(b);
  };
}

function iso(ms: number): string {
  return Number.isFinite(ms) && ms >= 0 && ms < 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** Prints the records of a journal (decoded with field names); returns how many were printed. */
export async function inspectJournal(
  dir: string,
  options: InspectOptions,
  out: CommandOutput,
): Promise<number> {
  const reader = JournalReader.open(dir);
  const dictFor = dictionaries();
  const view = new MessageView();
  const seenOpen = new Map<number, string>();
  const mask = options.maskTags ?? DEFAULT_MASK_TAGS;
  let printed = 0;
  const sessions = new SessionFilterCheck(options.filter);
  const visit = (r: JournalRecord) => {
    sessions.see(r);
    const msgType = r.type === "message" ? msgTypeOf(r.payload) : "";
    if (!matches(r, options.filter, msgType)) return;
    if (r.type === "session-open") {
      // Every segment repeats the session table: print a session's entry only when it says something new.
      const state = `${r.epoch} ${r.seq} ${r.seq2}`;
      if (seenOpen.get(r.sessionId) === state) return;
      seenOpen.set(r.sessionId, state);
    } else if (r.type === "seq-reset" || r.type === "set-seq") {
      seenOpen.set(r.sessionId, `${r.epoch} ${r.seq} ${r.seq2}`);
    }
    printed++;
    const where = `${r.file}@${r.offset}`;
    if (r.type !== "message") {
      if (options.json) {
        const o: Record<string, unknown> = {
          segment: r.file,
          offset: r.offset,
          time: iso(r.wallMs),
          monoNs: r.monoNs,
          type: r.type,
          session: r.sessionKey,
          sessionId: r.sessionId,
          epoch: r.epoch,
          nextSenderSeq: r.seq,
          nextTargetSeq: r.seq2,
        };
        if (r.creationMs !== undefined) o.epochCreated = iso(r.creationMs);
        out.text(JSON.stringify(o) + "\n");
      } else {
        const created = r.creationMs !== undefined ? ` created ${iso(r.creationMs)}` : "";
        const epoch = r.type === "set-seq" ? "" : ` epoch ${r.epoch}${created}`;
        out.text(
          `${where}  ${
            iso(r.wallMs)
          }  ${r.type}  ${r.sessionKey}${epoch}  next out ${r.seq}, next in ${r.seq2}\n\n`,
        );
      }
      return;
    }
    const payload = maskFields(r.payload, mask);
    view.parseInto(payload, 0, payload.length);
    const m = describeMessage(view, dictFor(beginStringOf(payload)), 0);
    if (options.json) {
      const o: Record<string, unknown> = {
        segment: r.file,
        offset: r.offset,
        time: iso(r.wallMs),
        monoNs: r.monoNs,
        type: "message",
        session: r.sessionKey,
        sessionId: r.sessionId,
        epoch: r.epoch,
        direction: r.direction,
        seq: r.seq,
        message: toJsonObject(m),
      };
      out.text(JSON.stringify(o) + "\n");
    } else {
      const title = m.name === undefined ? `35=${m.msgType}` : `${m.name} (35=${m.msgType})`;
      const table = renderTable(m, 0).split("\n").slice(1).join("\n");
      out.text(
        `${where}  ${iso(r.wallMs)}  ${r.direction}  ${r.sessionKey}  seq ${r.seq}  ${title}\n${table}\n\n`,
      );
    }
  };
  reader.forEach(visit, {
    onDamage: (d) => {
      const msg =
        `${d.file}@${d.offset}: ${d.length} damaged bytes (${d.kind}: ${d.reason}); run "fixg journal verify"`;
      if (options.json) {
        out.text(
          JSON.stringify({
            segment: d.file,
            offset: d.offset,
            damaged: d.kind,
            length: d.length,
            reason: d.reason,
          }) + "\n",
        );
      } else out.text(`${msg}\n\n`);
    },
  });
  if (options.follow === undefined) sessions.check(dir);
  if (options.follow !== undefined) {
    await reader.follow(visit, { signal: options.follow, pollMs: options.pollMs ?? 200 });
  }
  return printed;
}

/** Prints the verify report; returns the exit code (0 clean, 1 problems). */
export function printVerify(report: VerifyReport, json: boolean, out: CommandOutput): number {
  if (json) {
    out.text(
      JSON.stringify(
        { ...report, heldBy: report.heldBy ?? null, clean: report.problems.length === 0 },
        null,
        2,
      ) + "\n",
    );
    return report.problems.length === 0 ? 0 : 1;
  }
  const lines: string[] = [];
  lines.push(`journal ${report.dir}`);
  lines.push(
    `  ${report.segments} segments, ${report.bytes.toLocaleString("en-US")} bytes, ${
      report.records.toLocaleString("en-US")
    } records (${report.messages.toLocaleString("en-US")} messages)`,
  );
  const h = report.heldBy;
  lines.push(
    `  held by: ${h === undefined ? "nobody" : `${h.purpose} pid ${h.pid} on ${h.host} since ${h.sinceIso}`}`,
  );
  lines.push(`sessions (${report.sessions.length}):`);
  for (const s of report.sessions) {
    lines.push(`  #${s.id} ${s.key}  next out ${s.nextSenderSeq}, next in ${s.nextTargetSeq}`);
    for (const e of s.epochs) {
      const r = (x: typeof e.out) => x === undefined ? "none" : `${x.first}..${x.last} (${x.count})`;
      const created = e.createdMs === undefined ? "" : ` created ${iso(e.createdMs)}`;
      lines.push(`    epoch ${e.epoch}${created}: out ${r(e.out)}, in ${r(e.in)}`);
    }
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  if (report.problems.length === 0) {
    lines.push("problems: none");
    lines.push("verify: clean");
  } else {
    lines.push(`problems (${report.problems.length}):`);
    const w = Math.max(...report.problems.map((p) => `${p.file}@${p.offset}`.length));
    const k = Math.max(...report.problems.map((p) => p.kind.length));
    for (const p of report.problems) {
      lines.push(`  ${`${p.file}@${p.offset}`.padEnd(w)}  ${p.kind.padEnd(k)}  ${p.message}`);
    }
    lines.push(`verify: ${report.problems.length} problem${report.problems.length === 1 ? "" : "s"}`);
  }
  out.text(lines.join("\n") + "\n");
  return report.problems.length === 0 ? 0 : 1;
}

/** Prints what repair did. */
export function printRepair(report: RepairReport, json: boolean, out: CommandOutput): void {
  if (json) {
    out.text(JSON.stringify(report, null, 2) + "\n");
    return;
  }
  for (const a of report.actions) out.text(`${a.message}\n`);
  const head = report.dryRun ? "repair (dry run)" : "repair";
  const kept = `${report.records.toLocaleString("en-US")} good records in ${report.segments} segments ${
    report.dryRun ? "would be " : ""
  }kept`;
  out.text(
    report.actions.length === 0
      ? `${head}: nothing to do; ${kept}\n`
      : `${head}: ${report.actions.length} action${report.actions.length === 1 ? "" : "s"}; ${kept}\n`,
  );
}

/** Writes the messages of a journal for other tools: raw FIX lines, JSON lines or CSV. Returns how many. */
export function exportJournal(
  dir: string,
  format: "fix" | "json" | "csv",
  filter: RecordFilter,
  out: CommandOutput,
  maskTags: ReadonlySet<number> = DEFAULT_MASK_TAGS,
  /** The records to export instead of reading `dir` (a PostgreSQL store's messages). */
  records?: readonly JournalRecord[],
): number {
  const reader = records ?? JournalReader.open(dir);
  const nl = new Uint8Array([0x0a]);
  const view = new MessageView();
  let n = 0;
  if (format === "csv") out.text("time,session,direction,epoch,seq,msg_type,bytes,message\n");
  const sessions = new SessionFilterCheck(filter);
  reader.forEach((r) => {
    sessions.see(r);
    if (r.type !== "message") return;
    const msgType = msgTypeOf(r.payload);
    if (!matches(r, filter, msgType)) return;
    n++;
    const payload = maskFields(r.payload, maskTags);
    if (format === "fix") {
      out.bytes(payload);
      out.bytes(nl);
    } else if (format === "json") {
      view.parseInto(payload, 0, payload.length);
      const fields: Array<[number, string]> = view.toPairs();
      out.text(
        JSON.stringify({
          time: iso(r.wallMs),
          session: r.sessionKey,
          direction: r.direction,
          epoch: r.epoch,
          seq: r.seq,
          msgType,
          fields,
        }) + "\n",
      );
    } else {
      const msg = latin1String(payload, 0, payload.length).replaceAll("\x01", "|");
      out.text(
        [iso(r.wallMs), r.sessionKey, r.direction ?? "", r.epoch, r.seq, msgType, payload.length, msg].map(
          csvCell,
        ).join(",") + "\n",
      );
    }
  });
  sessions.check(dir);
  return n;
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Prints the stats report. */
export function printStats(st: JournalStats, json: boolean, out: CommandOutput): void {
  const dictFor = dictionaries();
  const nameOf = (t: { msgType: string; beginString: string }) =>
    dictFor(t.beginString)?.messagesByType.get(t.msgType)?.name ?? "?";
  if (json) {
    const o = { ...st, byType: st.byType.map((t) => ({ ...t, name: nameOf(t) })), rate: st.rate ?? null };
    out.text(JSON.stringify(o, null, 2) + "\n");
    return;
  }
  const fmt = (n: number) => n.toLocaleString("en-US");
  const r = st.records;
  const lines = [
    `journal ${st.dir}: ${st.segments} segments, ${fmt(st.bytes)} bytes`,
    `records: ${fmt(r.message)} messages, ${fmt(r["session-open"])} session-open, ${
      fmt(r["seq-reset"])
    } seq-reset, ${fmt(r["set-seq"])} set-seq${
      st.damagedRegions > 0 ? `, ${st.damagedRegions} damaged regions (run verify)` : ""
    }`,
  ];
  if (st.byType.length > 0) {
    const rows = st.byType.map((t) => [t.msgType, nameOf(t), fmt(t.in), fmt(t.out), fmt(t.bytes)]);
    const head = ["TYPE", "NAME", "IN", "OUT", "BYTES"];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) =>
      cells.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
    lines.push("messages by type:", `  ${line(head)}`, ...rows.map((row) => `  ${line(row)}`));
    lines.push("sessions:", ...st.bySession.map((s) => `  ${s.key}  in ${fmt(s.in)}, out ${fmt(s.out)}`));
    const b = st.messageBytes;
    lines.push(`message size: min ${fmt(b.min)}, avg ${b.avg.toFixed(1)}, max ${fmt(b.max)} bytes`);
  }
  if (st.rate !== undefined) {
    const x = st.rate;
    lines.push(
      `rate: ${fmt(r.message)} messages from ${iso(x.firstMs)} to ${iso(x.lastMs)} (${
        x.seconds.toFixed(3)
      } s); average ${
        x.avgPerSecond < 10 ? x.avgPerSecond.toFixed(3) : fmt(Math.round(x.avgPerSecond))
      }/s, peak ${fmt(x.peakPerSecond)}/s in the second from ${iso(x.peakAtMs)}`,
    );
  }
  out.text(lines.join("\n") + "\n");
}

/** Progress on stderr for long work, only when stderr is a terminal (logs and pipes stay clean). */
function progress(label: string): ((done: number, total: number) => void) | undefined {
  if (!Deno.stderr.isTerminal()) return undefined;
  const enc = new TextEncoder();
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (now - last < 200 && done < total) return;
    last = now;
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    Deno.stderr.writeSync(
      enc.encode(`\r\x1b[2K${label}: ${pct}% of ${(total / 1e6).toFixed(1)} MB${done >= total ? "\n" : ""}`),
    );
  };
}

/** stdout in large writes; stops quietly when the reader goes away (e.g. `| head`). */
export class StdoutOutput implements CommandOutput {
  #parts: Uint8Array[] = [];
  #size = 0;
  #closed = false;
  readonly #enc = new TextEncoder();
  text(s: string): void {
    this.bytes(this.#enc.encode(s));
  }
  bytes(b: Uint8Array): void {
    if (this.#closed) return;
    this.#parts.push(b.slice());
    this.#size += b.length;
    if (this.#size >= 64 * 1024) this.flush();
  }
  flush(): void {
    if (this.#closed || this.#parts.length === 0) return;
    const all = new Uint8Array(this.#size);
    let p = 0;
    for (const part of this.#parts) {
      all.set(part, p);
      p += part.length;
    }
    this.#parts = [];
    this.#size = 0;
    try {
      for (let off = 0; off < all.length;) off += Deno.stdout.writeSync(all.subarray(off));
    } catch (e) {
      if (e instanceof Deno.errors.BrokenPipe) this.#closed = true;
      else throw e;
    }
  }
}

/** Registers `fixg journal` and its subcommands. */
export function registerJournal(program: Command): void {
  const journal = program.command("journal").description(
    "inspect, verify, repair, export and summarise a journal directory (the store of `fixg run`)",
  );

  journal.command("inspect")
    .description(
      "print journal records: messages decoded with field names, direction and timestamps; filterable",
    )
    .argument("<dir>", "journal directory")
    .option(
      "--session <id>",
      "only this session: its number (#N or N), its key (FIX.4.4:ME->THEM) or both as verify prints them; no match exits 1",
    )
    .option("--from <seq>", "only messages with MsgSeqNum >= SEQ")
    .option("--to <seq>", "only messages with MsgSeqNum <= SEQ")
    .option(
      "--since <time>",
      "only records from TIME: ISO 8601, FIX UTCTimestamp, epoch ms, or 90s/15m/2h/1d ago",
    )
    .option("--type <types>", "only messages of these MsgTypes, comma separated, e.g. D,8")
    .option("--json", "one JSON object per record", false)
    .option(
      "--show-secrets",
      "print Password (554), NewPassword (925) and other masked tags as stored",
      false,
    )
    .option("--mask-tags <tags>", "also print these tags as *** (comma separated numbers, e.g. 1,58)")
    .option("--config <file>", "also mask the log.maskTags of this fixg config")
    .option(
      "--follow",
      "after the end, keep printing records as a live gateway writes them (Ctrl-C stops)",
      false,
    )
    .action(async (dir, opts) => {
      const filter = parseFilter(opts, Date.now());
      const out = new StdoutOutput();
      const maskTags = await parseMaskTags(opts);
      const options: InspectOptions = { filter, json: opts.json, maskTags };
      let stop: (() => void) | undefined;
      if (opts.follow) {
        const ac = new AbortController();
        stop = () => ac.abort();
        Deno.addSignalListener("SIGINT", stop);
        options.follow = ac.signal;
        // Records show up as they arrive, not in 64 KiB chunks.
        const flushing = setInterval(() => out.flush(), 200);
        ac.signal.addEventListener("abort", () => clearInterval(flushing));
      }
      try {
        await inspectJournal(dir, options, out);
      } finally {
        if (stop !== undefined) Deno.removeSignalListener("SIGINT", stop);
        out.flush();
      }
    });

  journal.command("verify")
    .description(
      "check every record's framing and CRC, sequence continuity per session and direction, and the index files; " +
        "exit 0 clean, 1 problems found, 2 unusable input",
    )
    .argument("<dir>", "journal directory")
    .option("--json", "print the report as JSON", false)
    .action((dir, opts) => {
      const report = verifyJournal(dir, { ...optional("onProgress", progress("verify")) });
      const out = new StdoutOutput();
      const code = printVerify(report, opts.json, out);
      out.flush();
      if (code !== 0) Deno.exitCode = code;
    });

  journal.command("repair")
    .description(
      "truncate torn tails and move corrupt records into DIR/quarantine/ (bytes kept), rebuild index files; " +
        "never deletes a good record; refuses a journal a live gateway holds",
    )
    .argument("<dir>", "journal directory")
    .option("--dry-run", "print what would be done, change nothing", false)
    .option("--json", "print the report as JSON", false)
    .action((dir, opts) => {
      const report = repairJournal(dir, {
        dryRun: opts.dryRun,
        ...optional("onProgress", progress("repair")),
      });
      const out = new StdoutOutput();
      printRepair(report, opts.json, out);
      out.flush();
    });

  journal.command("export")
    .description("write the journal's messages for other tools: raw FIX (one per line), JSON lines or CSV")
    .argument("<dir>", "journal directory, or the URL of a PostgreSQL store (postgres://...; docs/ha.md)")
    .requiredOption("--format <format>", "fix, json or csv")
    .option("--schema <name>", "with a PostgreSQL URL: the store's schema", "fixg")
    .option(
      "--session <id>",
      "only this session: its number (#N or N), its key or both as verify prints them; no match exits 1",
    )
    .option("--from <seq>", "only messages with MsgSeqNum >= SEQ")
    .option("--to <seq>", "only messages with MsgSeqNum <= SEQ")
    .option("--since <time>", "only messages from TIME (as for inspect)")
    .option("--type <types>", "only these MsgTypes, comma separated")
    .option(
      "--show-secrets",
      "write Password (554), NewPassword (925) and other masked tags as stored",
      false,
    )
    .option("--mask-tags <tags>", "also write these tags as *** (comma separated numbers, e.g. 1,58)")
    .option("--config <file>", "also mask the log.maskTags of this fixg config")
    .action(async (dir, opts) => {
      if (opts.format !== "fix" && opts.format !== "json" && opts.format !== "csv") {
        throw new ConfigError(`--format must be fix, json or csv (got "${opts.format}")`);
      }
      const filter = parseFilter(opts, Date.now());
      const maskTags = await parseMaskTags(opts);
      const out = new StdoutOutput();
      if (/^postgres(ql)?:\/\//.test(dir)) {
        const store = await openPostgresStore({
          url: dir,
          schema: opts.schema,
          maxConnections: 1,
          retryMs: 0,
        });
        try {
          exportJournal(redactUrl(dir), opts.format, filter, out, maskTags, await store.records());
        } finally {
          await store.close();
        }
      } else exportJournal(dir, opts.format, filter, out, maskTags);
      out.flush();
    });

  journal.command("stats")
    .description("messages per type and session, message sizes, messages per second")
    .argument("<dir>", "journal directory")
    .option("--json", "print the report as JSON", false)
    .action((dir, opts) => {
      const st = journalStats(dir, { ...optional("onProgress", progress("stats")) });
      const out = new StdoutOutput();
      printStats(st, opts.json, out);
      out.flush();
    });
}

/** `{ [key]: value }` when value is defined, `{}` otherwise (exactOptionalPropertyTypes-friendly spreading). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

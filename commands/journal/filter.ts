/** The record filter and secret masking flags of `fixg journal inspect` and `export`. */
import { parseTimestampString } from "../../src/codec/timestamps.ts";
import jsyaml from "js-yaml";
import { checkConfig } from "../../src/engine/config.ts";
import { ConfigError, FixgError } from "../../src/errors.ts";
import type { JournalRecord } from "../../src/store/reader.ts";
import { SECRET_TAGS } from "../../src/store/secrets.ts";

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
    for (const t of await configMaskTags(flags.config)) {
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
export class SessionFilterCheck {
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

export function matches(r: JournalRecord, f: RecordFilter, msgType: string): boolean {
  if (f.session !== undefined && !sessionMatches(r, f.session)) return false;
  if (f.sinceMs !== undefined && r.wallMs < f.sinceMs) return false;
  if (r.type !== "message") return f.from === undefined && f.to === undefined && f.types === undefined;
  if (f.from !== undefined && r.seq < f.from) return false;
  if (f.to !== undefined && r.seq > f.to) return false;
  if (f.types !== undefined && !f.types.has(msgType)) return false;
  return true;
}

/**
 * `log.maskTags` of a fixg config, checked as `fixg run` checks it. Only the `log` section is read: the
 * rest of the file (its `${VAR}`s: passwords, tokens, set in the gateway's environment) need not be set
 * in the shell that reads a journal.
 */
async function configMaskTags(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(`Cannot read config "${path}": ${e instanceof Error ? e.message : e}`);
  }
  let doc: unknown;
  try {
    doc = jsyaml.load(text, { schema: jsyaml.FAILSAFE_SCHEMA, filename: path });
  } catch (e) {
    throw new ConfigError(`${path}: not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
  }
  const log = doc !== null && typeof doc === "object" ? (doc as Record<string, unknown>).log : undefined;
  return checkConfig(log === undefined ? {} : { log }, path).log.maskTags ?? [];
}

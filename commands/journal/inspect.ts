/** `fixg journal inspect`: prints a journal's records, messages decoded with field names. */
import type { Command } from "@commander-js/extra-typings";
import { MessageView } from "../../src/codec/view.ts";
import { describeMessage, renderTable, toJsonObject } from "../../src/dictionary/describe.ts";
import {
  beginStringOf,
  JournalReader,
  type JournalRecord,
  msgTypeOf,
  type SegmentDamage,
} from "../../src/store/reader.ts";
import { maskFields } from "../../src/store/secrets.ts";
import { type CommandOutput, dictionaries, iso, journalDir, StdoutOutput } from "./common.ts";
import type { RecordFilter } from "./filter.ts";
import { DEFAULT_MASK_TAGS, matches, parseFilter, parseMaskTags, SessionFilterCheck } from "./filter.ts";

/** Options of `inspect`. */
export interface InspectOptions {
  filter: RecordFilter;
  json: boolean;
  /** Tags whose values are printed as "***" (default: Password 554 and NewPassword 925); empty shows everything. */
  maskTags?: ReadonlySet<number>;
  /** Called for every damaged region that is a problem (the command exits 1: see JournalReader.isProblem). */
  onProblem?: (d: SegmentDamage) => void;
  /** Keep tailing until this signal aborts. */
  follow?: AbortSignal;
  pollMs?: number;
}

/** The fields every `--json` record of inspect starts with (where, when, what, which session). */
function jsonHead(r: JournalRecord): Record<string, unknown> {
  return {
    segment: r.file,
    offset: r.offset,
    time: iso(r.wallMs),
    monoNs: r.monoNs,
    type: r.type,
    session: r.sessionKey,
    sessionId: r.sessionId,
    epoch: r.epoch,
  };
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
          ...jsonHead(r),
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
        ...jsonHead(r),
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
      if (reader.isProblem(d)) options.onProblem?.(d);
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

/** Registers `fixg journal inspect`: its flags and action. */
export function registerInspect(journal: Command): void {
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
      journalDir(dir, "inspect");
      const filter = parseFilter(opts, Date.now());
      const out = new StdoutOutput();
      const maskTags = await parseMaskTags(opts);
      const options: InspectOptions = {
        filter,
        json: opts.json,
        maskTags,
        // Damage is printed in place; the exit code says it was met (0 ok, 1 problems found).
        onProblem: () => Deno.exitCode = 1,
      };
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
}

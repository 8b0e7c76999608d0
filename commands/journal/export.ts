/** `fixg journal export`: writes a journal's messages (or a PostgreSQL store's) as FIX, JSON lines or CSV. */
import type { Command } from "@commander-js/extra-typings";
import { latin1String } from "../../src/codec/ascii.ts";
import { MessageView } from "../../src/codec/view.ts";
import { ConfigError } from "../../src/errors.ts";
import { openPostgresStore, redactUrl } from "../../src/store/postgres.ts";
import { JournalReader, type JournalRecord, msgTypeOf, type SegmentDamage } from "../../src/store/reader.ts";
import { maskFields } from "../../src/store/secrets.ts";
import { type CommandOutput, iso, StdoutOutput } from "./common.ts";
import type { RecordFilter } from "./filter.ts";
import { DEFAULT_MASK_TAGS, matches, parseFilter, parseMaskTags, SessionFilterCheck } from "./filter.ts";

/** Writes the messages of a journal for other tools: raw FIX lines, JSON lines or CSV. Returns how many. */
export function exportJournal(
  dir: string,
  format: "fix" | "json" | "csv",
  filter: RecordFilter,
  out: CommandOutput,
  maskTags: ReadonlySet<number> = DEFAULT_MASK_TAGS,
  /** The records to export instead of reading `dir` (a PostgreSQL store's messages). */
  records?: readonly JournalRecord[],
  /** Called for every damaged region that is a problem (see JournalReader.isProblem): its messages are not exported. */
  onProblem?: (d: SegmentDamage) => void,
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
  }, {
    onDamage: (d) => {
      if (reader instanceof JournalReader && reader.isProblem(d)) onProblem?.(d);
    },
  });
  sessions.check(dir);
  return n;
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Registers `fixg journal export`: its flags and action. */
export function registerExport(journal: Command): void {
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
      // URL schemes are case-insensitive (journalDir of the other commands takes them so too).
      if (/^postgres(ql)?:\/\//i.test(dir)) {
        const store = await openPostgresStore({
          url: dir,
          schema: opts.schema,
          maxConnections: 1,
          retryMs: 0,
          upgrade: false,
          create: false,
        });
        try {
          exportJournal(redactUrl(dir), opts.format, filter, out, maskTags, await store.records());
        } finally {
          await store.close();
        }
      } else {
        // Damaged bytes are not messages: each region is named on stderr (stdout stays the export) and
        // the exit code is 1 (problems found), as for verify.
        exportJournal(dir, opts.format, filter, out, maskTags, undefined, (d) => {
          console.error(
            `fixg: ${d.file}@${d.offset}: ${d.length} damaged bytes (${d.kind}: ${d.reason}) not exported; run "fixg journal verify"`,
          );
          Deno.exitCode = 1;
        });
      }
      out.flush();
    });
}

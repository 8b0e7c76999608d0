/** `fixg decode [FILE|-]`: prints FIX messages as tables of tag, name, value and meaning (or JSON lines). */
import type { Command } from "@commander-js/extra-typings";
import { MessageView } from "../src/codec/view.ts";
import { describeMessage, renderTable, toJsonObject } from "../src/dictionary/describe.ts";
import { STRICT_VALIDATION, type ValidationOptions } from "../src/dictionary/validate.ts";

/** Every check, but a venue's own tags (5000 and up) are not a problem to a decoder. */
const DECODE_VALIDATION: ValidationOptions = { ...STRICT_VALIDATION, validateUserDefinedFields: false };
import { completeLengths, hasLengthFields, looksLikeFix, scanFixInput } from "../src/dictionary/fix_text.ts";
import { BUILTIN_DICTIONARY_FILES, builtinDictionary, loadDictionary } from "../src/dictionary/loader.ts";
import type { Dictionary } from "../src/dictionary/model.ts";
import { ConfigError, FixgError } from "../src/errors.ts";
import { MASKED_VALUE, SECRET_TAGS } from "../src/store/secrets.ts";
import { writeAllStdout } from "./stdout.ts";

/** Options of a decode run. */
export interface DecodeOptions {
  /** One JSON object per line instead of tables. */
  json: boolean;
  /** Dictionary for every message; default: the built-in one for each message's BeginString. */
  dict?: Dictionary;
  /** Accept frames whose CheckSum is wrong (hand-edited samples). */
  skipChecksum?: boolean;
  /** Print Password (554) and NewPassword (925) as they are; by default they read "***". */
  showSecrets?: boolean;
}

/** What a decode run found. */
export interface DecodeSummary {
  messages: number;
  invalid: number;
  garbled: number;
  /** 0 clean, 1 some message garbled, invalid or not validated. */
  exitCode: number;
}

/** Decodes every FIX message in `input`, writing tables or JSON lines through `write`. */
export function decodeInput(
  input: Uint8Array,
  options: DecodeOptions,
  write: (text: string) => void,
): DecodeSummary {
  const summary: DecodeSummary = { messages: 0, invalid: 0, garbled: 0, exitCode: 0 };
  const view = new MessageView();
  const dictFor = (beginString: string): Dictionary | undefined => {
    if (options.dict !== undefined) return options.dict;
    return BUILTIN_DICTIONARY_FILES[beginString] === undefined ? undefined : builtinDictionary(beginString);
  };
  scanFixInput(input, {
    frame: (buf, start, end, offset) => {
      view.parseInto(buf, start, end);
      // A decoder reads captures of venues that carry their own tags (5000 and up): those are named
      // "?" but not counted as problems, unlike a session's validation (QuickFIX's default rejects them).
      const m = describeMessage(view, dictFor(view.getString(8) ?? ""), offset, DECODE_VALIDATION);
      summary.messages++;
      // As `fixg journal inspect`: a Logon's password is not printed unless asked for (the frame's own
      // BodyLength and CheckSum are shown as they are: only the value printed changes).
      if (options.showSecrets !== true) {
        for (const f of m.fields) if (SECRET_TAGS.includes(f.tag)) f.value = MASKED_VALUE;
      }
      if (m.reject !== undefined || m.notValidated !== undefined) summary.invalid++;
      write(
        options.json ? JSON.stringify(toJsonObject(m)) + "\n" : renderTable(m, summary.messages) + "\n\n",
      );
    },
    garbled: (g) => {
      summary.garbled++;
      write(
        options.json
          ? JSON.stringify({ offset: g.offset, length: g.length, garbled: g.reason }) + "\n"
          : `garbled at offset ${g.offset} (${g.length} bytes): ${g.reason}\n\n`,
      );
    },
  }, options.skipChecksum === true ? { skipChecksum: true } : {});
  if (!options.json) {
    write(`${summary.messages} messages, ${summary.invalid} invalid, ${summary.garbled} garbled\n`);
  }
  summary.exitCode = summary.invalid > 0 || summary.garbled > 0 ? 1 : 0;
  return summary;
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    if (file === "-") return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
    return await Deno.readFile(file);
  } catch (e) {
    throw new ConfigError(`Cannot read "${file}": ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Buffers output and writes it to stdout in large chunks; stops quietly when the reader goes away. */
class StdoutWriter {
  #parts: string[] = [];
  #size = 0;
  #closed = false;
  readonly #enc = new TextEncoder();
  write(text: string): void {
    if (this.#closed) return;
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= 64 * 1024) this.flush();
  }
  flush(): void {
    if (this.#closed || this.#parts.length === 0) return;
    const bytes = this.#enc.encode(this.#parts.join(""));
    this.#parts = [];
    this.#size = 0;
    if (!writeAllStdout(bytes)) this.#closed = true;
  }
}

/** Registers `fixg decode`. */
export function registerDecode(program: Command): void {
  program.command("decode")
    .description(
      "decode FIX messages (raw SOH, '|' or '^A' delimited, or log lines with a prefix before 8=) into tables " +
        "of tag, name, value and meaning; validation problems are marked. Exit 0 clean, 1 garbled or invalid " +
        "messages found, 2 unusable input",
    )
    .argument("[file]", "file to read, or - for stdin", "-")
    .option("--json", "print one JSON object per message (and per garbled stretch)", false)
    .option(
      "--dict <path>",
      "QuickFIX XML dictionary to use instead of the built-in one for each BeginString",
    )
    .option("--skip-checksum", "accept frames with a wrong CheckSum (hand-edited samples)", false)
    .option("--show-secrets", "print Password (554) and NewPassword (925) as they are (default: ***)", false)
    .option(
      "--compute-lengths",
      "compute BodyLength (9) and CheckSum (10) of every message, replacing any it has (hand-typed or edited messages); automatic when the input has neither",
      false,
    )
    .action(async (file, opts) => {
      const dict = opts.dict === undefined ? undefined : loadDictionary(opts.dict);
      let input = await readInput(file);
      const name = file === "-" ? "stdin" : `"${file}"`;
      if (!looksLikeFix(input)) {
        throw new FixgError("INPUT", `No FIX message (8=FIX...) found in ${name}`, { exitCode: 2 });
      }
      if (opts.computeLengths || !hasLengthFields(input)) {
        const c = completeLengths(input);
        input = c.input;
        if (c.completed > 0) {
          console.error(
            `fixg: note: BodyLength (9) and CheckSum (10) computed for ${c.completed} message${
              c.completed === 1 ? "" : "s"
            } (${opts.computeLengths ? "--compute-lengths" : "the input has neither"})`,
          );
        }
      }
      const out = new StdoutWriter();
      const options: DecodeOptions = {
        json: opts.json,
        skipChecksum: opts.skipChecksum,
        showSecrets: opts.showSecrets,
      };
      if (dict !== undefined) options.dict = dict;
      const summary = decodeInput(input, options, (t) => out.write(t));
      out.flush();
      if (summary.exitCode !== 0) Deno.exitCode = summary.exitCode;
    });
}

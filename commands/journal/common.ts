/** What the `fixg journal` subcommands share: where they write, timestamps, dictionaries, progress. */
import { BUILTIN_DICTIONARY_FILES, builtinDictionary } from "../../src/dictionary/loader.ts";
import type { Dictionary } from "../../src/dictionary/model.ts";
import { ConfigError } from "../../src/errors.ts";
import { writeAllStdout } from "../stdout.ts";

/** Where a journal command writes: text (UTF-8) and raw bytes (FIX export keeps bytes as they are). */
export interface CommandOutput {
  text(s: string): void;
  bytes(b: Uint8Array): void;
}

/** Built-in dictionaries by BeginString, loaded once; undefined for an unknown BeginString. */
export function dictionaries(): (beginString: string) => Dictionary | undefined {
  const cache = new Map<string, Dictionary | undefined>();
  return (b) => {
    if (!cache.has(b)) {
      cache.set(b, BUILTIN_DICTIONARY_FILES[b] === undefined ? undefined : builtinDictionary(b));
    }
    return cache.get(b);
  };
}

/** An ISO 8601 time for a journal's wall-clock ms (the number itself when it is not a valid time). */
export function iso(ms: number): string {
  return Number.isFinite(ms) && ms >= 0 && ms < 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** Progress on stderr for long work, only when stderr is a terminal (logs and pipes stay clean). */
export function progress(label: string): ((done: number, total: number) => void) | undefined {
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
    if (!writeAllStdout(all)) this.#closed = true;
  }
}

/** `{ [key]: value }` when value is defined, `{}` otherwise (exactOptionalPropertyTypes-friendly spreading). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * The journal directory a command reads; a PostgreSQL URL is refused without being echoed (it may carry a
 * password): only `fixg journal export` reads a PostgreSQL store.
 */
export function journalDir(dir: string, command: string): string {
  if (/^postgres(ql)?:\/\//i.test(dir)) {
    throw new ConfigError(
      `journal ${command} reads a journal directory; a PostgreSQL store is read by fixg journal export URL ` +
        `(and fixg cluster status --store URL)`,
    );
  }
  return dir;
}
